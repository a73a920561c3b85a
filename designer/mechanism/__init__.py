"""The Mechanism tab and the *Explain a layer…* sandbox: how one layer computes, cell by cell.

Built on :mod:`engine.mechanics` (which input pixel meets which kernel tap),
drawn with one graphics item per grid, stepped by a timer:

* numbers, no drawing: :mod:`.lanes` (one axis as arrays), :mod:`.walk` (the
  frames: gather or scatter, outputs, matrix rows), :mod:`.values` (small
  integers or a run's channel), :mod:`.equation`, :mod:`.facts`,
  :mod:`.matrix_band`, :mod:`.gridding` (paths through dilated stacks, HDC),
  :mod:`.deform` (deformable samples, bilinear weights), :mod:`.se_stages`;
* items: :mod:`.grid_item`, :mod:`.matrix_item`, :mod:`.legend_item`,
  :mod:`.samples_item`, :mod:`.se_item`; the scene :mod:`.stage` and its
  widget :mod:`.stage_view`; the vocabulary :mod:`.style` (designer.look's);
* widgets: :mod:`.player`, :mod:`.controls`, :mod:`.view` (shared by the tab and
  the sandbox), :mod:`.gridding_view`, :mod:`.deform_view`, :mod:`.se_view`,
  :mod:`.tab` (the engine panel's tab), :mod:`.sandbox` (the dialog);
* :mod:`.render`: PNG and GIF offscreen (the view's buttons, ``main.py explain
  --png/--gif``).

Importing the package imports nothing; import the module you need.
"""
