"""``main.py train`` (issue 12, cli.md): files, weights for ``run`` and the exported class,
exit codes, never over an input. In-process (one torch import); tiny graphs and data."""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest
import torch
from PIL import Image

from engine.cli import COMMANDS
from engine.cli import main as cli_main
from engine.export import export_code
from engine.runtime import Session
from engine.training import load_data

from .test_training_helpers import image_folder, save, tiny_classifier

pytestmark = [pytest.mark.torch, pytest.mark.usefixtures("torch_one_thread")]

ARGS = ["--epochs", "2", "--samples", "48", "--batch", "16", "--lr", "0.01", "--seed", "2"]


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One CLI training of the tiny classifier on shapes: graph, out dir, weights, exit code,
    stdout, stderr (capsys is per test: the streams are redirected here)."""
    tmp = tmp_path_factory.mktemp("train")
    graph = save(tiny_classifier(), tmp / "tiny.convgraph.json")
    out, weights = tmp / "out", tmp / "w.pt"
    err, std = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(std):
        code = cli_main(["train", str(graph), "--data", "shapes", *ARGS, "--save-weights",
                         str(weights), "--out", str(out)])
    return graph, out, weights, code, std.getvalue(), err.getvalue()


def test_train_writes_metrics_curves_and_weights(trained):
    graph, out, weights, code, stdout, stderr = trained
    assert code == 0, stderr
    assert "train" in COMMANDS
    data = json.loads((out / "metrics.json").read_text())
    assert data["task"] == "classify"
    assert data["classes"] == ["circle", "square", "triangle", "cross"]
    assert [e["epoch"] for e in data["epochs"]] == [1, 2]
    for e in data["epochs"]:
        assert set(e) == {"epoch", "train_loss", "train_acc", "val_loss", "val_acc", "seconds"}
        assert 0 <= e["train_acc"] <= 1 and 0 <= e["val_acc"] <= 1 and e["seconds"] > 0
    assert Image.open(out / "curves.png").size == (960, 360)
    assert "epoch 2/2: train loss" in stderr and "48 training and 12 validation" in stderr
    assert stdout.startswith("trained tiny on shapes for 2 epoch(s)")


def test_the_weights_load_into_run_and_into_the_exported_class(trained, tmp_path, capsys):
    graph_path, _, weights, *_ = trained
    assert cli_main(["run", str(graph_path), "--weights", str(weights), "--out",
                     str(tmp_path / "run")]) == 0
    from engine import load_graph
    graph = load_graph(graph_path)
    namespace = {}
    exec(compile(export_code(graph), "<exported>", "exec"), namespace)
    net = namespace["Tiny"]()
    state = torch.load(weights, weights_only=True)
    net.load_state_dict(state, strict=True)
    net.eval()
    session = Session(graph, 2)
    session.load_weights(weights)
    val = load_data("shapes", "classify", 4, 3, 16, 16, samples=48, seed=2).val_x
    x = torch.from_numpy(val.astype(np.float32) / 255)
    with torch.inference_mode():
        theirs = net(x)
        ours = session.model(x)
    assert torch.equal(theirs.argmax(1), ours.argmax(1))  # the same labels
    assert float((theirs - ours).abs().max()) <= 1e-5


def test_a_folder_with_a_corrupt_file_is_trained_and_the_file_reported(tmp_path, capsys):
    root = image_folder(tmp_path / "data", ("a", "b"), per_class=5)
    (root / "b" / "bad.jpg").write_bytes(b"nope")
    graph = save(tiny_classifier(k=2, channels=1), tmp_path / "g.json")
    code = cli_main(["train", str(graph), "--data", str(root), "--epochs", "1", "--batch", "4",
                     "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 0, err
    data = json.loads((tmp_path / "out" / "metrics.json").read_text())
    assert data["classes"] == ["a", "b"] and data["skipped"] == {"count": 1,
                                                                 "files": ["b/bad.jpg"]}
    assert "skipped 1 unreadable image(s): b/bad.jpg" in err


def _bad_graph(tmp_path):
    g = tiny_classifier()
    g.set_params("conv2", {"out_channels": 8, "kernel_size": 30})
    return save(g, tmp_path / "bad.json")


@pytest.mark.parametrize("case, code, message", [
    ("unreadable graph", 2, "error:"),
    ("graph errors", 1, "the graph has 1 error"),
    ("no task", 1, "10 features but shapes has 4 classes"),
    ("no data", 2, "no such folder"),
    ("empty folder", 2, "no class sub-folders"),
    ("one class", 2, "only one class"),
    ("bad weights", 2, "not a weights file"),
    ("weights over the graph", 2, "would write over the graph"),
    ("out inside the data", 2, "inside the data folder"),
    ("zero samples", 2, "must be at least 1"),
])
def test_exit_codes(tmp_path, capsys, case, code, message):
    graph = save(tiny_classifier(), tmp_path / "g.json")
    before = graph.read_bytes()
    data, extra = "shapes", []
    if case == "unreadable graph":
        graph.write_text("{not json")
        before = graph.read_bytes()
    elif case == "graph errors":
        graph = _bad_graph(tmp_path)
    elif case == "no task":
        graph = save(tiny_classifier(k=10), tmp_path / "g10.json")
    elif case == "no data":
        data = str(tmp_path / "missing")
    elif case == "empty folder":
        (tmp_path / "empty").mkdir()
        data = str(tmp_path / "empty")
    elif case == "one class":
        data = str(image_folder(tmp_path / "one", ("x",)))
    elif case == "bad weights":
        (tmp_path / "w.pt").write_bytes(b"junk")
        extra = ["--weights", str(tmp_path / "w.pt")]
    elif case == "weights over the graph":
        extra = ["--save-weights", str(graph)]
    elif case == "out inside the data":
        data = str(image_folder(tmp_path / "imgs", ("x", "y")))
    elif case == "zero samples":
        extra = ["--samples", "0"]
    out = tmp_path / "imgs" / "out" if case == "out inside the data" else tmp_path / "out"
    args = ["train", str(graph), "--data", data, "--epochs", "1", "--samples", "8", *extra,
            "--out", str(out)]
    try:
        got = cli_main(args)
    except SystemExit as exc:
        got = exc.code
    err = capsys.readouterr().err
    assert got == code, err
    assert message in err.strip().splitlines()[-1]
    assert "Traceback" not in err
    assert not (out / "metrics.json").exists()
    if case in ("unreadable graph", "weights over the graph"):
        assert graph.read_bytes() == before
