"""Teaching labs in the designer: assignment mode and design comparison (issue 14).

The measuring, grading and diffing are :mod:`engine.labs`'s; this package only
shows them and follows the open document:

* :mod:`.assignment`: a rubric file and the starter design beside it;
* :mod:`.checklist` (with :mod:`.check_row`): the live checklist dock, one row
  per check (✓/✗, the measure against its target, the hint, the points);
* :mod:`.targets`: the nodes a check is about (clicking a row selects them);
* :mod:`.comparison`: "this design compared with B", recomputed per analysis;
* :mod:`.overlay` (with :mod:`.diff_badge`, :mod:`.ghost_card`): the badges on
  the canvas; :mod:`.compare_table`: the table of differences and totals;
* :mod:`.wording`: how checks and deltas are written;
* :mod:`.follow`: following the open document's analysis;
* :mod:`.actions`: the window's entry point (File → Open assignment…,
  Compare with…, the two docks).
"""

from .actions import LabActions

__all__ = ["LabActions"]
