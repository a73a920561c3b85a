"""Saving graph files (issue 2): byte-identical round trips, and a failed save (a
read-only folder, a folder in the way, a full disk, a refused rename) keeps the old file
and leaves nothing behind; permissions and symbolic links are kept."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine
from engine import GraphFileError, analyze, load_graph, save_graph
from engine.io import dumps, graph_from_json

from .fs_faults import make_folder_read_only
from .test_io_cli import EXAMPLES, ROOT, X, graph


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name.split(".")[0])
def test_save_load_round_trip_is_byte_identical(tmp_path, example):
    g = load_graph(example)
    first = tmp_path / "a.convgraph.json"
    second = tmp_path / "b.convgraph.json"
    save_graph(g, first)
    g2 = load_graph(first)
    save_graph(g2, second)
    assert first.read_bytes() == second.read_bytes()
    assert g2.to_dict() == g.to_dict()
    assert analyze(g2).to_json() == analyze(g).to_json()
    # the saved text is what dumps() gives, and it is plain JSON
    assert first.read_text(encoding="utf-8") == dumps(g)
    assert json.loads(first.read_text(encoding="utf-8"))["format"] == "convcanvas-graph"


def test_round_trip_keeps_unicode_names_and_values(tmp_path):
    g = graph_from_json(graph([X], name="café ☕ 网络", description="a\nb \"quoted\""))
    path = tmp_path / "u.convgraph.json"
    save_graph(g, path)
    back = load_graph(path)
    assert (back.name, back.description) == ("café ☕ 网络", "a\nb \"quoted\"")
    save_graph(back, tmp_path / "v.convgraph.json")
    assert path.read_bytes() == (tmp_path / "v.convgraph.json").read_bytes()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(
    st.sampled_from([("ReLU", {}), ("Dropout", {"p": 0.25}), ("Dropout", {"p": 1}),
                     ("BatchNorm2d", {"eps": 1e-05, "momentum": 0.3}),
                     ("Conv2d", {"out_channels": 3, "kernel_size": [3, 5], "padding": "same"}),
                     ("Upsample", {"scale_factor": 1.7, "align_corners": None}),
                     ("LeakyReLU", {"negative_slope": 0.1 + 0.2})]),
    st.one_of(st.none(), st.tuples(st.floats(-1e9, 1e9), st.floats(-1e9, 1e9)))),
    max_size=6), st.text(max_size=30))
def test_round_trip_of_random_graphs(items, name):
    g = engine.Graph(name)
    for i, ((type_name, params), pos) in enumerate(items):
        g.add_node(type_name, params, f"n{i}", pos)
        if i:
            g.connect(f"n{i - 1}", f"n{i}")
    text = dumps(g)
    back = graph_from_json(text)
    assert back.to_dict() == g.to_dict()
    assert dumps(back) == text


def leftovers(folder: Path, keep: set[str]):
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


def test_failed_save_into_a_read_only_folder_keeps_the_old_file(tmp_path, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir()
    path = folder / "net.convgraph.json"
    old = graph([X])
    path.write_bytes(old)
    g = load_graph(ROOT / "resources/examples/unet_mini.convgraph.json")
    try:
        with monkeypatch.context() as m:
            make_folder_read_only(m, folder)  # for root too (chmod alone does not stop it)
            with pytest.raises(PermissionError):  # the folder does refuse new files
                (folder / "probe.txt").write_text("x")
            with pytest.raises(GraphFileError) as info:
                save_graph(g, path)
            assert path.read_bytes() == old  # still readable inside the read-only folder
    finally:
        folder.chmod(stat.S_IRWXU)
    assert str(path) in str(info.value) and "Permission denied" in str(info.value)
    assert path.read_bytes() == old
    assert leftovers(folder, {"net.convgraph.json"}) == []
    save_graph(g, path)  # the same save succeeds once the folder is writable
    assert load_graph(path).to_dict() == g.to_dict()


def test_failed_save_onto_a_folder_leaves_it_alone(tmp_path):
    target = tmp_path / "taken.convgraph.json"
    target.mkdir()
    (target / "inside.txt").write_text("mine")
    with pytest.raises(GraphFileError):
        save_graph(load_graph(EXAMPLES[0]), target)
    assert (target / "inside.txt").read_text() == "mine"
    assert leftovers(tmp_path, {"taken.convgraph.json"}) == []


def test_failed_write_midway_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "net.convgraph.json"
    old = graph([X])
    path.write_bytes(old)

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(GraphFileError) as info:
        save_graph(load_graph(EXAMPLES[0]), path)
    assert "No space left" in str(info.value)
    assert path.read_bytes() == old
    assert leftovers(tmp_path, {"net.convgraph.json"}) == []


@pytest.mark.parametrize("where", ["mkstemp", "replace"])
def test_refused_write_keeps_the_old_file(tmp_path, monkeypatch, where):
    # what a read-only folder does, simulated (root ignores file permissions)
    import engine.atomic as io_module

    path = tmp_path / "net.convgraph.json"
    old = graph([X])
    path.write_bytes(old)

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    if where == "mkstemp":
        monkeypatch.setattr(io_module.tempfile, "mkstemp", refuse)
    else:
        monkeypatch.setattr(io_module.os, "replace", refuse)
    with pytest.raises(GraphFileError) as info:
        save_graph(load_graph(EXAMPLES[0]), path)
    assert str(path) in str(info.value) and "Permission denied" in str(info.value)
    assert path.read_bytes() == old
    assert leftovers(tmp_path, {"net.convgraph.json"}) == []


def test_save_into_a_missing_folder_fails_cleanly(tmp_path):
    with pytest.raises(GraphFileError):
        save_graph(load_graph(EXAMPLES[0]), tmp_path / "no" / "such" / "x.convgraph.json")


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions and symbolic links")
def test_save_keeps_permissions_and_follows_symbolic_links(tmp_path):
    g = load_graph(ROOT / "resources/examples/unet_mini.convgraph.json")
    shared = tmp_path / "shared.convgraph.json"
    shared.write_bytes(graph([X]))
    shared.chmod(0o640)
    save_graph(g, shared)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o640
    assert load_graph(shared).to_dict() == g.to_dict()

    link = tmp_path / "link.convgraph.json"
    link.symlink_to(shared)
    g.set_meta("renamed through the link", g.description)
    save_graph(g, link)
    assert link.is_symlink() and link.resolve() == shared.resolve()
    assert load_graph(shared).name == "renamed through the link"

    fresh = tmp_path / "fresh.convgraph.json"  # a new file gets 0666 & ~umask, not 0600
    save_graph(g, fresh)
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~mask
