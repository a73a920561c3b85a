"""Nested ``groups`` (graph-format.md) from the module hierarchy (torch-free).

Every module path that holds nodes becomes a group (``layer1`` holding ``layer1.0``
holding ``layer1.0.conv1``'s node); a group of a single node, or one that only wraps
a single group, is left out (its content moves up). Nodes at the top level before
the first group form a ``stem`` group, those after the last one a ``head`` group, so
an imported ResNet opens as a stem, four stages and a head. Every group is
collapsed. Inputs stay outside any group.
"""

from __future__ import annotations

from .ir import Net

__all__ = ["make_groups"]


def _home(op) -> str:
    """The module path a node lives in directly."""
    if op.owned:
        return op.path.rpartition(".")[0] if "." in op.path else ""
    return op.path


def _parent(path: str) -> str:
    return path.rpartition(".")[0] if "." in path else ""


def make_groups(net: Net, ids: dict[str, str], classes: dict[str, str] | None = None,
                order: list[str] | None = None) -> list[dict]:
    """The ``groups`` list for the graph of ``net`` whose node ids are ``ids``.

    ``classes`` names the module class of a path (shown in the group's name);
    ``order`` is the node order (op keys), default ``net.ops``'s.
    """
    classes = classes or {}
    order = order or list(net.ops)
    home = {k: ("" if net.ops[k].type == "Input" else _home(net.ops[k])) for k in order}
    members: dict[str, list[str]] = {}
    for k in order:
        members.setdefault(home[k], []).append(k)
    # every ancestor path exists
    for path in list(members):
        p = path
        while p:
            p = _parent(p)
            members.setdefault(p, [])
    children: dict[str, list[str]] = {}
    for path in members:
        if path:
            children.setdefault(_parent(path), []).append(path)

    def size(path):
        return len(members[path]) + sum(size(c) for c in children.get(path, []))

    # leave out trivial groups: their nodes and subgroups move to the parent
    for path in sorted(members, key=lambda p: -p.count(".") if p else 1):
        if not path:
            continue
        kids = children.get(path, [])
        if size(path) <= 1 or (not members[path] and len(kids) == 1):
            parent = _parent(path)
            while parent and parent not in members:
                parent = _parent(parent)
            members[parent].extend(members.pop(path))
            for c in kids:
                children.setdefault(parent, []).append(c)
            children.pop(path, None)
            children[parent] = [c for c in children.get(parent, []) if c != path]
    pos = {k: i for i, k in enumerate(order)}
    for keys in members.values():
        keys.sort(key=pos.__getitem__)
    groups = []
    parent_of = {c: p for p, cs in children.items() for c in cs}

    def add(path):
        name = path.rpartition(".")[2] if "." in path else path
        if name.isdigit():
            name = path
        cls = classes.get(path)
        groups.append({"id": path, "name": f"{name} · {cls}" if cls else name,
                       "nodes": [ids[k] for k in members[path]],
                       "parent": parent_of.get(path) or None, "collapsed": True})
        for c in children.get(path, []):
            add(c)
    top = sorted(children.get("", []), key=lambda p: _first(p, members, children, order))
    for path in top:
        add(path)
    groups = [g for g in groups if g["parent"] is None or any(
        h["id"] == g["parent"] for h in groups)]
    _stem_and_head(groups, members.get("", []), net, ids, top, members, children, order)
    return groups


def _first(path, members, children, order) -> int:
    pos = {k: i for i, k in enumerate(order)}
    own = [pos[k] for k in members.get(path, [])]
    return min(own + [_first(c, members, children, order) for c in children.get(path, [])]
               or [len(order)])


def _stem_and_head(groups, root, net, ids, top, members, children, order) -> None:
    if not top:
        return
    pos = {k: i for i, k in enumerate(order)}
    first = min(_first(p, members, children, order) for p in top)
    last = max(_last(p, members, children, pos) for p in top)
    taken = {g["id"] for g in groups}
    for gid, keys in (("stem", [k for k in root if pos[k] < first]),
                      ("head", [k for k in root if pos[k] > last])):
        keys = [k for k in keys if net.ops[k].type != "Input"]
        if len(keys) < 2:
            continue
        while gid in taken:
            gid += "_"
        groups.insert(0 if gid.startswith("stem") else len(groups),
                      {"id": gid, "name": gid.rstrip("_"), "nodes": [ids[k] for k in keys],
                       "parent": None, "collapsed": True})


def _last(path, members, children, pos) -> int:
    own = [pos[k] for k in members.get(path, [])]
    return max(own + [_last(c, members, children, pos) for c in children.get(path, [])]
               or [-1])
