"""Groups of nodes (graph-format.md ``groups``): values, primitive edits, storage.

A :class:`Group` names a set of nodes; groups nest through ``parent`` without
cycles and a node belongs to at most one group. The analysis ignores groups:
they only say how the designer shows a graph (a collapsed group is one card).

Three primitive edits change them, each with an exact inverse, order kept:
:class:`InsertGroup`, :class:`DeleteGroup` (a group without subgroups) and
:class:`SetGroup` (a new value for a group of the same id). :class:`GroupStore`
is the part of :class:`~engine.graph.model.Graph` that holds, validates and
announces them, plus the convenience edits made of them (:meth:`GroupStore.group`,
:meth:`GroupStore.ungroup`, ...). Deleting a node takes it out of its group first
(:meth:`GroupStore.leave_group`, used by ``Graph.removal``), so ``DeleteNode``
stays a primitive whose inverse needs nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .checks import check_text
from .errors import GraphEditError
from .events import GroupAdded, GroupChanged, GroupRemoved
from .values import put_at

if TYPE_CHECKING:
    from .model import Graph

__all__ = ["Group", "InsertGroup", "DeleteGroup", "SetGroup", "GroupStore",
           "check_group", "group_to_dict", "group_from_dict", "MAX_GROUP_ID"]

#: longest group id (ids are free text: an import uses module paths, ``layer1.0``)
MAX_GROUP_ID = 200


@dataclass(frozen=True)
class Group:
    """A named set of nodes, maybe inside another group (``parent``), maybe collapsed."""

    id: str
    name: str
    nodes: tuple[str, ...] = ()
    parent: str | None = None
    collapsed: bool = False


@dataclass(frozen=True)
class InsertGroup:
    """Insert ``group`` at ``index`` of the group order (None: at the end)."""

    group: Group
    index: int | None = None

    def apply(self, graph: Graph) -> DeleteGroup:
        graph._insert_group(self.group, self.index)
        return DeleteGroup(self.group.id)


@dataclass(frozen=True)
class DeleteGroup:
    """Delete group ``group_id`` (its nodes become free); it must have no subgroups."""

    group_id: str

    def apply(self, graph: Graph) -> InsertGroup:
        group, index = graph._delete_group(self.group_id)
        return InsertGroup(group, index)


@dataclass(frozen=True)
class SetGroup:
    """Give the group of id ``group.id`` the value ``group`` (name, nodes, parent, state)."""

    group: Group

    def apply(self, graph: Graph) -> SetGroup:
        return SetGroup(graph._set_group(self.group))


def check_group(group: Any, groups: Mapping[str, Group], group_of: Mapping[str, str],
                nodes: Mapping[str, Any]) -> Group:
    """``group`` in stored form if it may join (or replace its namesake in) ``groups``.

    ``group_of`` maps node ids to the id of their group. Raises
    :class:`GraphEditError` naming the group: unknown node, a node in two
    groups, unknown parent, a parent cycle, a value of the wrong kind.
    """
    if not isinstance(group, Group):
        raise GraphEditError(f"a group must be a Group, not {type(group).__name__}")
    gid = group.id
    if not isinstance(gid, str) or not gid.strip():
        raise GraphEditError(f"group id {gid!r} must be non-empty text")
    if len(gid) > MAX_GROUP_ID:
        raise GraphEditError(f"group id {gid[:40]!r}... is longer than {MAX_GROUP_ID} "
                             "characters")
    check_text(gid, f"group id {gid!r}")
    what = f"group {gid!r}"
    check_text(group.name, f"{what}: name")
    if not isinstance(group.collapsed, bool):
        raise GraphEditError(f"{what}: collapsed must be true or false, not "
                             f"{group.collapsed!r}")
    members = group.nodes
    if isinstance(members, str) or not isinstance(members, Sequence):
        raise GraphEditError(f"{what}: nodes must be a list of node ids")
    seen: set[str] = set()
    for nid in members:
        if not isinstance(nid, str) or nid not in nodes:
            raise GraphEditError(f"{what}: unknown node {nid!r}")
        if nid in seen:
            raise GraphEditError(f"{what}: node {nid!r} is listed twice", nid)
        seen.add(nid)
        other = group_of.get(nid)
        if other is not None and other != gid:
            raise GraphEditError(f"{what}: node {nid!r} is already in group {other!r} "
                                 "(a node belongs to at most one group)", nid)
    parent = group.parent
    if parent is not None:
        if not isinstance(parent, str) or parent not in groups:
            raise GraphEditError(f"{what}: unknown parent group {parent!r}")
        p: str | None = parent
        chain = [gid]
        while p is not None:
            chain.append(p)
            if p == gid:
                raise GraphEditError(f"{what}: parent {parent!r} makes a cycle ("
                                     + " → ".join(chain) + ")")
            p = groups[p].parent
    if isinstance(members, tuple) and all(type(n) is str for n in members):
        return group
    return replace(group, nodes=tuple(members))


def group_to_dict(group: Group) -> dict[str, Any]:
    """A group as graph-format.md writes it."""
    return {"id": group.id, "name": group.name, "nodes": list(group.nodes),
            "parent": group.parent, "collapsed": group.collapsed}


_GROUP_KEYS = {"id", "name", "nodes", "parent", "collapsed"}


def group_from_dict(item: Any, index: int) -> Group:
    """A group value from a file's ``groups[index]`` (shape checks only, naming the group)."""
    if not isinstance(item, Mapping):
        raise GraphEditError(f"group #{index} must be an object")
    gid = item.get("id")
    label = f"group {gid!r}" if isinstance(gid, str) else f"group #{index}"
    if not isinstance(gid, str):
        raise GraphEditError(f"{label}: \"id\" must be a string")
    extra = sorted(set(item) - _GROUP_KEYS)
    if extra:
        raise GraphEditError(f"{label}: unknown key {extra[0]!r}")
    nodes = item.get("nodes", [])
    if not isinstance(nodes, list):
        raise GraphEditError(f"{label}: \"nodes\" must be a list of node ids")
    name = item.get("name", gid)
    collapsed = item.get("collapsed", False)
    return Group(gid, name, tuple(nodes), item.get("parent"), collapsed)


class GroupStore:
    """The groups of a graph (a part of :class:`~engine.graph.model.Graph`).

    Holds the groups in order and each node's group; the ``_insert_group``,
    ``_delete_group`` and ``_set_group`` methods are what the primitive edits
    call, and record events in the graph's batch.
    """

    _groups: dict[str, Group]
    _group_of: dict[str, str]

    def _init_groups(self) -> None:
        self._groups = {}
        self._group_of = {}

    # -- reads ---------------------------------------------------------------------
    @property
    def groups(self) -> Mapping[str, Group]:
        """Read-only mapping of group id to :class:`Group`, in group (file) order."""
        return MappingProxyType(self._groups)

    def group_of(self, node_id: str) -> str | None:
        """Id of the group ``node_id`` is in directly, or None."""
        return self._group_of.get(node_id)

    def subgroups(self, group_id: str) -> list[str]:
        """Ids of the groups whose parent is ``group_id``, in group order."""
        return [g.id for g in self._groups.values() if g.parent == group_id]

    def ancestors(self, group_id: str) -> list[str]:
        """``group_id``'s parent, its parent's parent, ... (innermost first)."""
        out = []
        p = self._groups[group_id].parent
        while p is not None:
            out.append(p)
            p = self._groups[p].parent
        return out

    def members(self, group_id: str) -> list[str]:
        """Every node inside ``group_id``, nested groups included, in node order."""
        inside = {group_id}
        inside.update(g for g in self._groups if group_id in self.ancestors(g))
        return [n for n in self._nodes if self._group_of.get(n) in inside]

    def unique_group_id(self, base: str = "group") -> str:
        """A group id ``<base><n>`` not yet taken (n from 1)."""
        i = 1
        while f"{base}{i}" in self._groups:
            i += 1
        return f"{base}{i}"

    # -- primitives (called by the edits) ----------------------------------------------
    def _insert_group(self, group: Group, index: int | None) -> None:
        if getattr(group, "id", None) in self._groups:
            raise GraphEditError(f"duplicate group id {group.id!r}")
        group = check_group(group, self._groups, self._group_of, self._nodes)
        self._groups = put_at(self._groups, group.id, group, index)
        for nid in group.nodes:
            self._group_of[nid] = group.id
        self._pending.append(GroupAdded(group))

    def _delete_group(self, group_id: str) -> tuple[Group, int]:
        group = self._group(group_id)
        kids = self.subgroups(group_id)
        if kids:
            raise GraphEditError(f"group {group_id!r} still holds groups "
                                 f"{', '.join(map(repr, kids))}: move them out first")
        index = list(self._groups).index(group_id)
        del self._groups[group_id]
        for nid in group.nodes:
            del self._group_of[nid]
        self._pending.append(GroupRemoved(group))
        return group, index

    def _set_group(self, group: Group) -> Group:
        old = self._group(getattr(group, "id", None))
        group = check_group(group, self._groups, self._group_of, self._nodes)
        if group != old:
            self._groups[group.id] = group
            for nid in old.nodes:
                del self._group_of[nid]
            for nid in group.nodes:
                self._group_of[nid] = group.id
            self._pending.append(GroupChanged(old, group))
        return old

    def _group(self, group_id) -> Group:
        try:
            return self._groups[group_id]
        except (KeyError, TypeError):
            raise GraphEditError(f"no group {group_id!r}") from None

    def _refuse_grouped(self, node_id: str) -> None:
        gid = self._group_of.get(node_id)
        if gid is not None:
            raise GraphEditError(f"{node_id} is in group {gid!r}: take it out first",
                                 node_id)

    def _rename_in_groups(self, old_id: str, new_id: str) -> None:
        """A node was renamed: its group lists the new id at the same place."""
        gid = self._group_of.pop(old_id, None)
        if gid is None:
            return
        old = self._groups[gid]
        new = replace(old, nodes=tuple(new_id if n == old_id else n for n in old.nodes))
        self._groups[gid] = new
        self._group_of[new_id] = gid
        self._pending.append(GroupChanged(old, new))

    # -- edits made of primitives ------------------------------------------------------
    def add_groups(self, items) -> None:
        """Add graph-format.md ``groups`` dicts (a file's, an import's), in their order.

        A parent may come after its subgroup in the list. One batch; the first
        problem raises :class:`GraphEditError` naming the group (nothing is added).
        """
        if not isinstance(items, list):
            raise GraphEditError('"groups" must be a list')
        groups = [group_from_dict(item, i) for i, item in enumerate(items)]
        ids = [gr.id for gr in groups]
        for gr in groups:
            if ids.count(gr.id) > 1:
                raise GraphEditError(f"duplicate group id {gr.id!r}")
        rank = {gid: i for i, gid in enumerate(ids)}
        base = len(self._groups)
        with self.batch():
            pending, done = list(groups), []
            while pending:  # parents first; what is left has an unknown parent or a cycle
                ready = [gr for gr in pending if gr.parent is None or gr.parent in self._groups
                         or not isinstance(gr.parent, str) or gr.parent not in ids]
                if not ready:
                    _refuse_cycle(pending)
                for gr in ready:  # at its place in the list's order
                    at = base + sum(1 for d in done if rank[d] < rank[gr.id])
                    self.apply(InsertGroup(gr, at))
                    done.append(gr.id)
                pending = [gr for gr in pending if gr not in ready]

    def leave_group(self, node_id: str) -> list:
        """The edits that take ``node_id`` out of its group (none when it has none).

        A group left without nodes and without subgroups is deleted, and so on
        up its parents.
        """
        gid = self._group_of.get(node_id)
        if gid is None:
            return []
        g = self._groups[gid]
        rest = tuple(n for n in g.nodes if n != node_id)
        if rest or self.subgroups(gid):
            return [SetGroup(replace(g, nodes=rest))]
        edits: list = [DeleteGroup(gid)]
        parent = g.parent
        while parent is not None:
            p = self._groups[parent]
            if p.nodes or [k for k in self.subgroups(parent) if k != gid]:
                break
            edits.append(DeleteGroup(parent))
            gid, parent = parent, p.parent
        return edits

    def grouping(self, node_ids: Iterable[str], name: str | None = None,
                 group_id: str | None = None, collapsed: bool = False) -> list:
        """The edits that make a new group of ``node_ids`` (and of the groups they fill).

        Nodes move out of their groups into the new one; a group all of whose
        nodes (nested ones included) are chosen becomes a subgroup of the new
        group, which takes the innermost group common to the rest as parent.
        """
        ids = list(dict.fromkeys(node_ids))
        if not ids:
            raise GraphEditError("select nodes to group")
        for nid in ids:
            self.node(nid)
        chosen = set(ids)
        gid = group_id or self.unique_group_id()
        whole = [g for g in self._groups
                 if set(self.members(g)) <= chosen and self.members(g)]
        # keep only the outermost groups wholly chosen
        whole_set = set(whole)
        tops = [g for g in whole if not any(a in whole_set for a in self.ancestors(g))]
        inner = {n for g in tops for n in self.members(g)}
        loose = [n for n in ids if n not in inner]
        homes = [self._group_of.get(n) for n in loose] + [self._groups[g].parent for g in tops]
        parent = _common(homes, self)
        edits: list = []
        for gid_old in {self._group_of[n] for n in loose if n in self._group_of}:
            g = self._groups[gid_old]
            edits.append(SetGroup(replace(g, nodes=tuple(n for n in g.nodes
                                                          if n not in chosen))))
        order = [n for n in self._nodes if n in set(loose)]
        edits.append(InsertGroup(Group(gid, name or gid, tuple(order), parent, collapsed)))
        for g in tops:
            edits.append(SetGroup(replace(self._groups[g], parent=gid)))
        return edits

    def ungrouping(self, group_id: str) -> list:
        """The edits that dissolve ``group_id``: its nodes and subgroups go to its parent."""
        g = self._group(group_id)
        edits: list = []
        for k in self.subgroups(group_id):
            edits.append(SetGroup(replace(self._groups[k], parent=g.parent)))
        edits.append(DeleteGroup(group_id))
        if g.parent is not None and g.nodes:
            p = self._groups[g.parent]
            mine = set(g.nodes)
            merged = tuple(n for n in self._nodes if n in mine or n in set(p.nodes))
            edits.append(SetGroup(replace(p, nodes=merged)))
        return edits

    def group(self, node_ids: Iterable[str], name: str | None = None,
              group_id: str | None = None, collapsed: bool = False) -> str:
        """Group ``node_ids`` (one batch, :meth:`grouping`); returns the new group's id."""
        edits = self.grouping(node_ids, name, group_id, collapsed)
        self.apply_all(edits)
        return next(e.group.id for e in edits if isinstance(e, InsertGroup))

    def ungroup(self, group_id: str) -> None:
        """Dissolve ``group_id`` (one batch, :meth:`ungrouping`)."""
        self.apply_all(self.ungrouping(group_id))

    def set_group(self, group_id: str, **changes) -> None:
        """Change fields of a group: ``name``, ``collapsed``, ``parent``, ``nodes``."""
        self.apply(SetGroup(replace(self._group(group_id), **changes)))


def _common(homes: list[str | None], store: GroupStore) -> str | None:
    """The innermost group that holds every one of ``homes`` (None: the top level)."""
    if not homes or any(h is None for h in homes):
        return None
    chains = [[h, *store.ancestors(h)] for h in homes]
    for g in chains[0]:
        if all(g in c for c in chains[1:]):
            return g
    return None


def _refuse_cycle(pending: list[Group]) -> None:
    """Raise for the parent cycle among ``pending`` (each one's parent is pending too)."""
    parent = {gr.id: gr.parent for gr in pending}
    chain = [pending[0].id]
    while parent[chain[-1]] not in chain:
        chain.append(parent[chain[-1]])
    chain.append(parent[chain[-1]])
    start = chain.index(chain[-1])
    raise GraphEditError(f"group {chain[start]!r}: parent {chain[start + 1]!r} makes a cycle ("
                         + " → ".join(chain[start:]) + ")")
