"""Issue 17, output safety (cli.md): no command writes over one of its own inputs,
follows a symbolic link out of the folder it writes into, or replaces a file the
user may not write; errors name the file asked for, and temporary files of killed
writers are cleared by the next write into their folder.

Permission refusals rest on the mode bits as well as ``os.access``, so they hold
for root (CI) too; folder-level refusals are faked with ``tests.fs_faults``.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

import engine.atomic as atomic
from engine import GraphFileError, load_graph, save_graph
from engine.atomic import atomic_write_text, check_target, clean_stale_temps
from engine.cli import main as cli_main

from .fs_faults import make_folder_read_only

ROOT = Path(__file__).resolve().parent.parent
UNET = ROOT / "resources" / "examples" / "unet_mini.convgraph.json"
SMALL = ('{"format": "convcanvas-graph", "version": 1, "name": "small", "nodes": ['
         '{"id": "x", "type": "Input", "params": {"channels": 1, "height": 8, "width": 8}},'
         '{"id": "conv", "type": "Conv2d", "params": {"out_channels": 2}}],'
         '"edges": [{"from": "x", "to": "conv"}]}')
posix = pytest.mark.skipif(os.name != "posix", reason="POSIX links and permissions")


def run_cli(capsys, *argv) -> tuple[int, str]:
    try:
        code = cli_main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code
    _, err = capsys.readouterr()
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    return code, lines[-1] if lines else ""


@pytest.fixture
def graph_file(tmp_path) -> Path:
    path = tmp_path / "g.convgraph.json"
    path.write_text(SMALL)
    return path


def snapshot(folder: Path) -> dict:
    return {p.name: (p.read_bytes() if p.is_file() and not p.is_symlink() else
                     os.readlink(p) if p.is_symlink() else None) for p in folder.iterdir()}


# -- 2: never over one of the command's inputs ---------------------------------------------
@posix
@pytest.mark.parametrize("how", ["same", "symlink", "hardlink"])
def test_export_refuses_to_write_over_its_graph(tmp_path, capsys, graph_file, how):
    target = graph_file
    if how == "symlink":
        target = tmp_path / "link.convgraph.json"
        target.symlink_to(graph_file.name)
    elif how == "hardlink":
        target = tmp_path / "hard.convgraph.json"
        os.link(graph_file, target)
    before = snapshot(tmp_path)
    code, line = run_cli(capsys, "export", graph_file, "-o", target)
    assert code == 2
    assert line.startswith(f"error: {target}: ") and "input" in line
    assert snapshot(tmp_path) == before


@posix
@pytest.mark.parametrize("which", ["save-weights=graph", "save-weights=weights",
                                   "save-weights=image", "out holds the graph",
                                   "out holds the image", "save-weights=an output"])
def test_run_refuses_to_write_over_its_inputs(tmp_path, capsys, graph_file, which):
    pytest.importorskip("torch")
    import numpy as np
    from PIL import Image

    out = tmp_path / "out"
    weights = tmp_path / "w.pt"
    assert run_cli(capsys, "run", graph_file, "--out", out, "--save-weights", weights)[0] == 0
    image = tmp_path / "img.png"
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(image)
    args = ["run", graph_file, "--out", out, "--image", image]
    if which == "save-weights=graph":
        args += ["--save-weights", graph_file]
    elif which == "save-weights=weights":
        args += ["--weights", weights, "--save-weights", weights]
    elif which == "save-weights=image":
        args += ["--save-weights", image]
    elif which == "out holds the graph":  # the graph is named like an output
        moved = out / "summary.json"
        graph_file.rename(moved)
        args[1] = moved
    elif which == "out holds the image":  # an image named like a node's picture
        moved = out / "conv.png"
        image.rename(moved)
        args[-1] = moved
    else:
        args += ["--save-weights", out / "input.npy"]
    before = snapshot(tmp_path), snapshot(out)
    code, line = run_cli(capsys, *args)
    assert code == 2, line
    assert line.startswith("error: ") and "cannot write" in line
    assert (snapshot(tmp_path), snapshot(out)) == before


# -- 3: no link out of the folder, no read-only file, the real name in errors ------------
@posix
def test_run_never_follows_a_link_out_of_its_folder(tmp_path, capsys, graph_file):
    pytest.importorskip("torch")
    out = tmp_path / "out"
    out.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_text("mine")
    (out / "summary.json").symlink_to(victim)
    code, line = run_cli(capsys, "run", graph_file, "--out", out)
    assert code == 2
    assert line.startswith(f"error: {out / 'summary.json'}: ") and "symbolic link" in line
    assert victim.read_text() == "mine"
    assert (out / "summary.json").is_symlink()
    assert sorted(p.name for p in out.iterdir()) == ["summary.json"]  # nothing written


@posix
def test_export_never_follows_a_link_out_of_its_folder(tmp_path, capsys, graph_file):
    (tmp_path / "o").mkdir()
    victim = tmp_path / "victim.py"
    victim.write_text("mine")
    link = tmp_path / "o" / "model.py"
    link.symlink_to(victim)
    code, line = run_cli(capsys, "export", graph_file, "-o", link)
    assert code == 2 and "outside its folder" in line
    assert victim.read_text() == "mine" and link.is_symlink()
    dangling = tmp_path / "o" / "new.py"  # a link to a file not yet there: the same
    dangling.symlink_to(tmp_path / "elsewhere.py")
    assert run_cli(capsys, "export", graph_file, "-o", dangling)[0] == 2
    assert not (tmp_path / "elsewhere.py").exists()


@posix
def test_a_link_inside_its_folder_is_followed(tmp_path, graph_file):
    real = tmp_path / "real.py"
    real.write_text("old")
    link = tmp_path / "link.py"
    link.symlink_to(real.name)
    assert check_target(link) == real.resolve()
    atomic_write_text(link, "new")
    assert real.read_text() == "new" and link.is_symlink()


@posix
@pytest.mark.parametrize("mode", [0o444, 0o400, 0o044])
def test_a_read_only_target_is_refused_for_every_user(tmp_path, capsys, graph_file, mode):
    out = tmp_path / "model.py"
    out.write_text("keep me")
    out.chmod(mode)
    try:
        code, line = run_cli(capsys, "export", graph_file, "-o", out)
        assert code == 2
        assert line.startswith(f"error: {out}: ") and "read-only" in line
        assert out.read_text() == "keep me" and stat.S_IMODE(out.stat().st_mode) == mode
        with pytest.raises(GraphFileError, match="read-only"):
            save_graph(load_graph(graph_file), out)
    finally:
        out.chmod(0o644)
    assert run_cli(capsys, "export", graph_file, "-o", out)[0] == 0  # writable again


def test_special_files_and_folders_are_refused(tmp_path, capsys, graph_file):
    (tmp_path / "dir.py").mkdir()
    code, line = run_cli(capsys, "export", graph_file, "-o", tmp_path / "dir.py")
    assert code == 2 and "folder" in line
    if os.name == "posix" and hasattr(os, "mkfifo"):
        os.mkfifo(tmp_path / "pipe.py")
        code, line = run_cli(capsys, "export", graph_file, "-o", tmp_path / "pipe.py")
        assert code == 2 and "regular file" in line


@pytest.mark.parametrize("command", ["export", "run"])
def test_an_error_in_a_read_only_folder_names_the_target(tmp_path, capsys, monkeypatch,
                                                          graph_file, command):
    if command == "run":
        pytest.importorskip("torch")
    folder = tmp_path / "ro"
    folder.mkdir()
    target = folder / ("model.py" if command == "export" else "input.npy")
    argv = (["export", graph_file, "-o", target] if command == "export" else
            ["run", graph_file, "--out", folder])
    make_folder_read_only(monkeypatch, folder)
    try:
        code, line = run_cli(capsys, *argv)
    finally:
        monkeypatch.undo()
        folder.chmod(stat.S_IRWXU)
    assert code == 2
    assert line.startswith(f"error: {target}: cannot write: "), line
    assert ".tmp" not in line
    assert list(folder.iterdir()) == []


# -- 3: temporary files of killed writers --------------------------------------------------
WRITER = """
import sys, time
sys.path.insert(0, {root!r})
from engine.atomic import atomic_write
def write(fh):
    fh.write(b"x" * 100000)
    fh.flush()
    print("writing", flush=True)
    time.sleep(60)
atomic_write({target!r}, write)
"""


@posix
def test_a_killed_writer_leaves_a_marked_temp_that_the_next_write_removes(tmp_path):
    target = tmp_path / "big.bin"
    target.write_bytes(b"old")
    proc = subprocess.Popen([sys.executable, "-c",
                             WRITER.format(root=str(ROOT), target=str(target))],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "writing"
        temps = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        assert temps == [temp for temp in temps
                         if temp.startswith(f".big.bin.convcanvas-{proc.pid}.")]
        assert len(temps) == 1
        assert clean_stale_temps(tmp_path, "big.bin") == []  # its writer is alive
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        proc.stdout.close()
    assert (tmp_path / temps[0]).exists() and target.read_bytes() == b"old"
    atomic._CLEANED.clear()
    atomic_write_text(tmp_path / "other.txt", "next write into the folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.bin", "other.txt"]


def test_stale_temps_go_by_age_and_others_stay(tmp_path):
    old = time.time() - 3600
    live = f".a.json.convcanvas-{os.getppid()}.abcd1234.tmp"  # a live process, fresh
    aged = f".b.json.convcanvas-{os.getppid()}.abcd1234.tmp"  # a live pid, but an hour old
    legacy_mine = ".a.json.k2j4h5g6.tmp"  # the unmarked names of earlier versions
    legacy_other = ".zzz.json.k2j4h5g6.tmp"
    foreign = ".cache.tmp"
    for name in (live, aged, legacy_mine, legacy_other, foreign):
        (tmp_path / name).write_text("x")
    for name in (aged, legacy_mine, legacy_other, foreign):
        os.utime(tmp_path / name, (old, old))
    removed = clean_stale_temps(tmp_path, "a.json")
    assert sorted(removed) == sorted([aged, legacy_mine])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [live, legacy_other, foreign])


def test_temp_names_are_marked_and_fit_long_names(tmp_path, monkeypatch):
    seen = []
    real_replace = os.replace

    def spy(src, dst):
        seen.append(Path(src).name)
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    name = "é" * 120 + ".json"  # 245 bytes: the temp name must stay under 255
    atomic_write_text(tmp_path / name, "x")
    atomic_write_text(tmp_path / "n.json", "y")
    assert seen[1].startswith(f".n.json.convcanvas-{os.getpid()}.") and seen[1].endswith(
        ".tmp")
    assert all(len(s.encode()) <= 255 for s in seen)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([name, "n.json"])
