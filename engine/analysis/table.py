"""The per-node results of one analysis: a read-only mapping shared between analyses.

An edit changes the results of a few nodes, yet every :class:`AnalysisResult`
must stay as it was when it was made. :class:`NodeTable` is a persistent map
(Baker's trick): the newest table reads the analyzer's one dict of results
directly; when the analyzer publishes a newer table it turns the previous one
into a diff (the old results of the nodes that changed) pointing at the newer
table. Publishing costs what changed, reading the newest table costs a dict
lookup, and reading an older one walks the diffs made since.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .result import NodeResult

__all__ = ["NodeTable", "Versions"]

#: in a diff: the node was not in the table
_GONE = object()
_MISS = object()


class _Version:
    """One state of the results: the live dict, or a diff against a newer state."""

    __slots__ = ("data", "diff", "newer")

    def __init__(self, data: dict):
        self.data: dict | None = data
        self.diff: dict = {}
        self.newer: _Version | None = None


class NodeTable(Mapping):
    """Node id → :class:`NodeResult`, in topological order; never changes."""

    __slots__ = ("_order", "_version")

    def __init__(self, order: list[str], version: _Version):
        self._order = order
        self._version = version

    def __getitem__(self, node_id: str) -> NodeResult:
        v = self._version
        while v.data is None:
            got = v.diff.get(node_id, _MISS)
            if got is not _MISS:
                if got is _GONE:
                    raise KeyError(node_id)
                return got
            v = v.newer
        return v.data[node_id]

    def __contains__(self, node_id) -> bool:
        try:
            self[node_id]
        except (KeyError, TypeError):
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._order)

    def __repr__(self) -> str:
        return f"NodeTable({dict(self.items())!r})"


class Versions:
    """The analyzer's results and the tables published from them.

    ``live`` is the dict of current results; change it only through
    :meth:`put` and :meth:`drop`, which keep the last published table true.
    """

    __slots__ = ("live", "_last", "_diff")

    def __init__(self) -> None:
        self.live: dict[str, NodeResult] = {}
        self._last: _Version | None = None
        self._diff: dict = {}

    def get(self, node_id: str) -> NodeResult | None:
        """The current result of a node (None if it has none)."""
        return self.live.get(node_id)

    def put(self, node_id: str, result: NodeResult) -> None:
        """Set the current result of a node."""
        if self._last is not None and node_id not in self._diff:
            self._diff[node_id] = self.live.get(node_id, _GONE)
        self.live[node_id] = result

    def drop(self, node_id: str) -> None:
        """Forget the result of a node that left the graph."""
        if node_id not in self.live:
            return
        if self._last is not None and node_id not in self._diff:
            self._diff[node_id] = self.live[node_id]
        del self.live[node_id]

    def reset(self) -> None:
        """Start over with no results (published tables keep theirs)."""
        self.live, self._last, self._diff = {}, None, {}

    @property
    def last(self) -> _Version | None:
        """The state of the last published table (a token for :meth:`rewind`)."""
        return self._last

    def rewind(self, version: _Version) -> list[str]:
        """Make the current results those of ``version``, published just before the
        last table (the analysis state one step back: :mod:`.revert`); returns the ids
        whose result changed. What changed since the last table is undone first."""
        if version.newer is not self._last or self._last is None:
            raise ValueError("not the state published just before the last table")
        live = self.live
        for nid, old in self._diff.items():  # back to the last table ...
            _put(live, nid, old)
        diff = self._diff = {}
        for nid, old in version.diff.items():  # ... and one more step
            diff[nid] = live.get(nid, _GONE)
            _put(live, nid, old)
        return list(version.diff)

    def publish(self, order: list[str]) -> NodeTable:
        """A table of the current results over ``order`` (every node of it has one)."""
        new = _Version(self.live)
        last = self._last
        if last is not None:
            last.diff, last.newer, last.data = self._diff, new, None
        self._last, self._diff = new, {}
        return NodeTable(order, new)


def _put(live: dict, node_id: str, result) -> None:
    if result is _GONE:
        live.pop(node_id, None)
    else:
        live[node_id] = result
