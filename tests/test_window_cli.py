"""``main.py`` as a command, in subprocesses: ``--screenshot`` (with ``--run`` on 2-D
and 3-D graphs, graphs with errors and graphs without feature maps) and an
unreadable graph argument.

Runs offscreen (``QT_QPA_PLATFORM=offscreen``), settings and data in ``tmp_path``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pytestqt")


from engine import Graph, save_graph  # noqa: E402
from tests.window_helpers import ROOT  # noqa: E402

pytestmark = pytest.mark.gui


def test_screenshot_command(tmp_path):
    out = tmp_path / "shot.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "c"),
               XDG_DATA_HOME=str(tmp_path / "d"))
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "--screenshot", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Traceback" not in proc.stderr
    bad = subprocess.run([sys.executable, str(ROOT / "main.py"), "--screenshot", str(out),
                          str(tmp_path / "missing.convgraph.json")], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and bad.stderr.count("\n") == 1
    assert "missing.convgraph.json" in bad.stderr and "Traceback" not in bad.stderr


def _screenshot(tmp_path, *args, timeout=180):
    """``main.py --screenshot OUT.png ARGS...`` offscreen; returns (process, OUT)."""
    out = tmp_path / "shot.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "c"),
               XDG_DATA_HOME=str(tmp_path / "d"))
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "--screenshot", str(out),
                           *map(str, args)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout)
    return proc, out


def _viridis_pixels(png: Path):
    """Mask of the pixels of ``png`` that have exactly a colour of the viridis map."""
    import numpy as np
    from PIL import Image

    from designer.panel.colormaps import lookup_table

    lut = lookup_table("viridis")[:, :3].astype(np.int64)
    rgb = np.asarray(Image.open(png).convert("RGB")).astype(np.int64)
    key = rgb[..., 0] << 16 | rgb[..., 1] << 8 | rgb[..., 2]
    mask = np.isin(key, lut[:, 0] << 16 | lut[:, 1] << 8 | lut[:, 2])
    return mask, key


def test_screenshot_with_run_shows_feature_maps(tmp_path):
    from PIL import Image

    from designer.app import SCREENSHOT_SIZE

    proc, out = _screenshot(tmp_path, "--run")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    with Image.open(out) as img:
        assert img.format == "PNG" and img.size == SCREENSHOT_SIZE
        img.verify()
    # the Maps tab (engine dock, right half) holds a mosaic in the default colour map:
    # thousands of pixels of many viridis colours; a blank or placeholder tab has none
    mask, key = _viridis_pixels(out)
    ys, xs = mask.nonzero()
    assert mask.sum() > 5000, mask.sum()
    assert len(set(key[mask].tolist())) > 100
    assert xs.min() > SCREENSHOT_SIZE[0] // 2 and ys.min() > SCREENSHOT_SIZE[1] // 3


def test_screenshot_with_run_of_a_3d_graph(tmp_path):
    proc, out = _screenshot(tmp_path, ROOT / "resources/examples/video_conv3d.convgraph.json",
                            "--run")
    assert proc.returncode == 0, proc.stderr
    assert _viridis_pixels(out)[0].sum() > 5000


def test_screenshot_run_of_a_graph_with_errors_names_them(tmp_path):
    data = json.loads((ROOT / "resources/examples/classifier_tour.convgraph.json").read_text())
    data["edges"] = [e for e in data["edges"] if (e["from"], e["to"]) != ("pool1", "deform")]
    path = tmp_path / "broken.convgraph.json"
    path.write_text(json.dumps(data))
    proc, out = _screenshot(tmp_path, path, "--run")
    assert proc.returncode == 1
    assert proc.stderr == ("error: --run: the graph has 1 error: deform: input not "
                           "connected; fix the graph, then run\n")
    assert not out.exists()


def test_screenshot_run_without_feature_maps_fails_clearly(tmp_path):
    g = Graph()
    g.add_node("Input", {"channels": 3, "height": 1, "width": 1}, node_id="pixel")
    g.add_node("Flatten", {}, node_id="flat")
    g.add_node("Linear", {"out_features": 4}, node_id="fc")
    g.connect("pixel", "flat")
    g.connect("flat", "fc")
    path = tmp_path / "vector.convgraph.json"
    save_graph(g, path)
    proc, out = _screenshot(tmp_path, path, "--run")
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "the Maps tab shows no feature maps" in proc.stderr
    assert "bar chart" in proc.stderr
    assert not out.exists()


def test_unreadable_graph_argument_starts_empty(tmp_path):
    """``main.py GRAPH`` with a broken file: one line on stderr, an empty window, exit 0."""
    broken = tmp_path / "broken.convgraph.json"
    broken.write_text('{"format": "convcanvas-graph", "version": 1, "nodes": [{"id": 1}]}')
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_CONFIG_HOME=str(tmp_path / "c"),
               XDG_DATA_HOME=str(tmp_path / "d"))
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), str(broken),
                           "--startup-probe"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0
    assert proc.stdout.startswith("shown")
    lines = [ln for ln in proc.stderr.splitlines() if not ln.startswith("This plugin")]
    assert len(lines) == 1 and "broken.convgraph.json" in lines[0]
