"""Groups on the clipboard: which groups a copy takes, and the groups a paste adds.

A copy takes every group all of whose nodes (nested groups included) are copied,
so copying a collapsed card copies its group with its nodes; a copied group
keeps its parent only when the parent is copied too. A paste gives each group a
fresh id (``group2`` after ``group1``), maps its nodes to the pasted ids and
lists parents before their subgroups.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from engine import Graph
from engine.graph import Group

__all__ = ["copied_groups", "pasted_groups"]


def copied_groups(graph: Graph, chosen: set[str]) -> list[dict]:
    """The groups wholly inside ``chosen`` node ids, as graph-format.md dicts."""
    whole = [gid for gid in graph.groups
             if (m := graph.members(gid)) and set(m) <= chosen]
    kept = set(whole)
    out = []
    for gid in whole:
        g = graph.groups[gid]
        out.append({"id": g.id, "name": g.name, "nodes": list(g.nodes),
                    "parent": g.parent if g.parent in kept else None,
                    "collapsed": g.collapsed})
    return out


def _fresh(base: str, taken) -> str:
    stem = re.sub(r"\d+$", "", base) or "group"
    i = 1
    while f"{stem}{i}" in taken:
        i += 1
    return f"{stem}{i}"


def pasted_groups(graph: Graph, items: list, ids: Mapping[str, str]) -> list[Group]:
    """The groups to add for a paste whose node ids became ``ids`` (old → new).

    Raises KeyError, TypeError or AttributeError for a clipboard that is not
    what a copy writes.
    """
    taken = set(graph.groups)
    new_id: dict[str, str] = {}
    for item in items:
        new_id[item["id"]] = gid = _fresh(str(item["id"]), taken)
        taken.add(gid)
    out: dict[str, Group] = {}
    pending = list(items)
    while pending:
        ready = [it for it in pending if it.get("parent") is None
                 or new_id.get(it["parent"]) in out or it["parent"] not in new_id]
        if not ready:
            raise ValueError("the clipboard's groups nest in a cycle")
        for it in ready:
            parent = new_id.get(it.get("parent"))
            gid = new_id[it["id"]]
            out[gid] = Group(gid, str(it.get("name", gid)),
                             tuple(ids[n] for n in it.get("nodes", [])), parent,
                             bool(it.get("collapsed", False)))
        pending = [it for it in pending if all(it is not r for r in ready)]
    return list(out.values())
