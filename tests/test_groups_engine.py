"""Groups in the engine model (graph-format.md ``groups``): edits, inverses, files.

Truth is the file text: ``dumps`` before an edit equals ``dumps`` after its
inverse, byte for byte (group order, node order within a group included).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import Graph, GraphEditError
from engine.graph import (
    DeleteGroup,
    DeleteNode,
    Group,
    GroupAdded,
    GroupChanged,
    GroupRemoved,
    InsertGroup,
    RenameNode,
    SetGroup,
)
from engine.io import GraphFileError, dumps, graph_from_json


def chain(n: int = 6) -> Graph:
    g = Graph("chain")
    g.add_node("Input", {"channels": 1, "height": 8, "width": 8}, "x")
    prev = "x"
    for i in range(n):
        g.add_node("Conv2d", {"out_channels": 2, "padding": 1}, f"c{i}")
        g.connect(prev, f"c{i}")
        prev = f"c{i}"
    return g


def file_text(g: Graph) -> str:
    return dumps(g)


# -- primitives and their inverses ------------------------------------------------------
def test_each_primitive_inverse_restores_exactly():
    g = chain()
    g.apply(InsertGroup(Group("a", "A", ("c1", "c2"))))
    g.apply(InsertGroup(Group("b", "B", ("c4",), None, True)))
    edits = [InsertGroup(Group("z", "Z", ("c0",), "a"), 1),
             DeleteGroup("b"),
             SetGroup(Group("a", "renamed", ("c2", "c1", "c3"), None, True)),
             SetGroup(Group("b", "B", ("c4",), "a", False))]
    for edit in edits:
        before = file_text(g)
        inverse = g.apply(edit)
        assert file_text(g) != before
        g.apply(inverse)
        assert file_text(g) == before


def test_events_announce_group_changes():
    g = chain()
    seen = []
    g.subscribe(seen.append)
    g.apply(InsertGroup(Group("a", "A", ("c1",))))
    g.set_group("a", collapsed=True)
    g.apply(DeleteGroup("a"))
    kinds = [type(e) for c in seen for e in c]
    assert kinds == [GroupAdded, GroupChanged, GroupRemoved]
    assert seen[1].events[0].new.collapsed and not seen[1].events[0].old.collapsed
    assert all(c.visual_only() for c in seen)


def test_group_and_ungroup_conveniences():
    g = chain()
    inner = g.group(["c1", "c2"], "block")
    outer = g.group(["c0", "c1", "c2", "c3"], "stage")
    assert g.groups[inner].parent == outer  # the wholly chosen group nests
    assert g.groups[outer].nodes == ("c0", "c3")
    assert g.members(outer) == ["c0", "c1", "c2", "c3"]
    before = file_text(g)
    inverses = g.apply_all(g.ungrouping(outer))
    assert list(g.groups) == [inner] and g.groups[inner].parent is None
    g.apply_all(reversed(inverses))
    assert file_text(g) == before


def test_grouping_inside_a_group_takes_it_as_parent():
    g = chain()
    outer = g.group(["c0", "c1", "c2", "c3"], "stage")
    inner = g.group(["c1", "c2"], "block")
    assert g.groups[inner].parent == outer
    assert g.groups[outer].nodes == ("c0", "c3")
    assert g.group_of("c1") == inner


# -- deleting and renaming nodes keep groups consistent ----------------------------------
def test_remove_node_leaves_its_group_and_undo_restores():
    g = chain()
    g.group(["c1", "c2"], "a")
    before = file_text(g)
    inv = g.apply_all(g.removal("c1"))
    assert g.groups["group1"].nodes == ("c2",)
    g.apply_all(reversed(inv))
    assert file_text(g) == before


def test_removing_the_last_node_deletes_empty_groups_up_the_chain():
    g = chain()
    a = g.group(["c1"], "a")
    b = g.group(["c1"], "b")  # wraps a, which holds nothing else
    assert g.groups[a].parent == b
    before = file_text(g)
    inv = g.apply_all(g.removal("c1"))
    assert not g.groups
    g.apply_all(reversed(inv))
    assert file_text(g) == before


def test_delete_node_primitive_refuses_a_grouped_node():
    g = chain()
    g.group(["c5"])
    g.disconnect("c4", "c5")
    with pytest.raises(GraphEditError, match="c5 is in group 'group1': take it out first"):
        g.apply(DeleteNode("c5"))


def test_rename_follows_into_the_group_and_back():
    g = chain()
    g.group(["c1", "c2", "c3"], "a")
    before = file_text(g)
    g.rename("c2", "middle")
    assert g.groups["group1"].nodes == ("c1", "middle", "c3")
    g.rename("middle", "c2")
    assert file_text(g) == before


# -- validation messages ----------------------------------------------------------------
@pytest.mark.parametrize("edit, message", [
    (InsertGroup(Group("g", "G", ("nope",))), "group 'g': unknown node 'nope'"),
    (InsertGroup(Group("g", "G", ("c1",))), "group 'g': node 'c1' is already in group 'a'"),
    (InsertGroup(Group("g", "G", ("c2",), "zz")), "group 'g': unknown parent group 'zz'"),
    (InsertGroup(Group("a", "G", ("c2",))), "duplicate group id 'a'"),
    (InsertGroup(Group("g", "G", ("c2", "c2"))), "group 'g': node 'c2' is listed twice"),
    (InsertGroup(Group("", "G", ())), "group id '' must be non-empty text"),
    (SetGroup(Group("a", "A", ("c1",), "b")), "group 'a': parent 'b' makes a cycle "
                                             "(a → b → a)"),
    (SetGroup(Group("q", "A", ())), "no group 'q'"),
    (DeleteGroup("a"), "group 'a' still holds groups 'b': move them out first"),
    (SetGroup(Group("a", "A", ("c1",), None, "yes")), "collapsed must be true or false"),
])
def test_refusals_name_the_group(edit, message):
    g = chain()
    g.apply(InsertGroup(Group("a", "A", ("c1",))))
    g.apply(InsertGroup(Group("b", "B", ("c3",), "a")))
    before = file_text(g)
    with pytest.raises(GraphEditError) as err:
        g.apply(edit)
    assert message in err.value.message
    assert file_text(g) == before


# -- files ---------------------------------------------------------------------------------
def test_file_without_groups_is_byte_identical_and_has_no_key():
    g = chain()
    text = file_text(g)
    assert "groups" not in json.loads(text)
    assert dumps(graph_from_json(text)) == text


def test_serial_round_trip_keeps_order_and_fields():
    g = chain()
    g.apply(InsertGroup(Group("stage.1", "stage · Sequential", ("c4", "c3"), None, True)))
    g.apply(InsertGroup(Group("blk", "blk", ("c1",), "stage.1", False)))
    text = file_text(g)
    data = json.loads(text)
    assert data["groups"] == [
        {"id": "stage.1", "name": "stage · Sequential", "nodes": ["c4", "c3"],
         "parent": None, "collapsed": True},
        {"id": "blk", "name": "blk", "nodes": ["c1"], "parent": "stage.1",
         "collapsed": False}]
    assert dumps(graph_from_json(text)) == text
    assert g.copy().to_dict() == g.to_dict()


def test_a_subgroup_listed_before_its_parent_reads():
    text = file_text(chain()).rstrip().rstrip("}").rstrip() + """,
  "groups": [
    {"id": "inner", "name": "i", "nodes": ["c1"], "parent": "outer", "collapsed": true},
    {"id": "outer", "name": "o", "nodes": ["c2"], "parent": null, "collapsed": true}
  ]
}
"""
    g = graph_from_json(text)
    assert list(g.groups) == ["inner", "outer"]
    assert dumps(g) == text


@pytest.mark.parametrize("groups, message", [
    ('{"id": "g", "nodes": ["zz"]}', "group 'g': unknown node 'zz'"),
    ('{"id": "g", "nodes": ["c1"]}, {"id": "h", "nodes": ["c1"]}',
     "group 'h': node 'c1' is already in group 'g'"),
    ('{"id": "g", "parent": "h"}, {"id": "h", "parent": "g"}',
     "group 'g': parent 'h' makes a cycle (g → h → g)"),
    ('{"id": "g", "parent": "nope"}', "group 'g': unknown parent group 'nope'"),
    ('{"id": "g"}, {"id": "g"}', "duplicate group id 'g'"),
    ('{"id": 3}', 'group #0: "id" must be a string'),
    ('{"id": "g", "nodes": "c1"}', 'group \'g\': "nodes" must be a list'),
    ('{"id": "g", "colour": 1}', "group 'g': unknown key 'colour'"),
    ('7', "group #0 must be an object"),
])
def test_bad_groups_in_a_file_give_a_clear_message(groups, message):
    base = json.loads(file_text(chain()))
    base["groups"] = json.loads(f"[{groups}]")
    with pytest.raises(GraphFileError) as err:
        graph_from_json(json.dumps(base), "f.json")
    assert message in str(err.value)


def test_groups_must_be_a_list():
    base = json.loads(file_text(chain()))
    base["groups"] = {"a": 1}
    with pytest.raises(GraphFileError, match='"groups" must be a list'):
        graph_from_json(json.dumps(base))


# -- a property: random group edits and node deletes, undone, restore the file -------------
OPS = st.lists(st.tuples(st.integers(0, 5), st.integers(0, 10_000), st.integers(0, 10_000)),
               min_size=1, max_size=25)


def _step(g: Graph, op: int, a: int, b: int):
    """The edits of one random action (may be refused: then nothing changes)."""
    ids = list(g.nodes)
    gids = list(g.groups)
    if op == 0 and ids:
        pick = [ids[(a + k * b) % len(ids)] for k in range(1 + a % 4)]
        return g.grouping(pick, f"n{a}", collapsed=bool(b % 2))
    if op == 1 and gids:
        return g.ungrouping(gids[a % len(gids)])
    if op == 2 and len(ids) > 1:
        return g.removal(ids[a % len(ids)])
    if op == 3 and gids:
        grp = g.groups[gids[a % len(gids)]]
        return [SetGroup(Group(grp.id, f"r{b}", grp.nodes, grp.parent, not grp.collapsed))]
    if op == 4 and len(gids) > 1:
        grp = g.groups[gids[a % len(gids)]]
        parent = gids[b % len(gids)]
        return [SetGroup(Group(grp.id, grp.name, grp.nodes, parent, grp.collapsed))]
    if op == 5 and ids:
        old = ids[a % len(ids)]
        return [RenameNode(old, f"m{b}")]
    return []


def _consistent(g: Graph) -> None:
    seen: dict[str, str] = {}
    for grp in g.groups.values():
        for n in grp.nodes:
            assert n in g.nodes and n not in seen
            seen[n] = grp.id
        p, hops = grp.parent, 0
        while p is not None:
            assert p in g.groups and hops < len(g.groups)
            p, hops = g.groups[p].parent, hops + 1
    assert {n: g.group_of(n) for n in seen} == seen


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(OPS)
def test_random_group_edits_and_deletes_undo_exactly(ops):
    g = chain(7)
    texts, undo = [file_text(g)], []
    for op, a, b in ops:
        try:
            edits = _step(g, op, a, b)
            inverses = g.apply_all(edits)
        except GraphEditError:
            assert file_text(g) == texts[-1]  # a refused batch leaves nothing behind
            continue
        _consistent(g)
        assert dumps(graph_from_json(file_text(g))) == file_text(g)
        undo.append(inverses)
        texts.append(file_text(g))
    while undo:
        g.apply_all(reversed(undo.pop()))
        texts.pop()
        assert file_text(g) == texts[-1]


def test_add_groups_keeps_the_list_order_after_existing_groups():
    g = chain()
    g.group(["c0"], "first")
    g.add_groups([{"id": "in", "name": "i", "nodes": ["c2"], "parent": "out",
                   "collapsed": True},
                  {"id": "out", "name": "o", "nodes": ["c3"], "parent": None,
                   "collapsed": True}])
    assert list(g.groups) == ["group1", "in", "out"]
    with pytest.raises(GraphEditError, match="unknown node 'zz'"):
        g.add_groups([{"id": "ok", "nodes": ["c4"]}, {"id": "bad", "nodes": ["zz"]}])
    assert list(g.groups) == ["group1", "in", "out"]  # nothing added
