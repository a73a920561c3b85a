"""``export GRAPH -o MODEL.py --train-script train.py`` (issue 12): the exported training
script is the engine's own code, reproduces ``main.py train`` in one process, and runs
under ``torchrun`` with 2 CPU processes (gloo on 127.0.0.1) whose weights end equal."""

from __future__ import annotations

import ast
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from engine.cli import main as cli_main
from engine.export_train import COPIED
from engine.training import TrainConfig, train

from .test_training_helpers import save, tiny_classifier, tiny_segmenter

pytestmark = [pytest.mark.torch, pytest.mark.usefixtures("torch_one_thread")]

ROOT = Path(__file__).resolve().parents[1]
RUFF = Path(sys.executable).with_name("ruff")
TRAIN = ["--data", "shapes", "--epochs", "1", "--samples", "32", "--batch", "8",
         "--lr", "0.01", "--seed", "3", "--threads", "1"]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("export")
    graph = save(tiny_classifier(), tmp / "tiny.convgraph.json")
    (tmp / "job").mkdir()
    code = cli_main(["export", str(graph), "-o", str(tmp / "model.py"), "--train-script",
                     str(tmp / "job" / "train.py")])
    assert code == 0
    return graph, tmp / "model.py", tmp / "job" / "train.py"


def _env():
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH="", PYTHONFAULTHANDLER="1")
    env.pop("WORLD_SIZE", None)
    return env


def test_the_script_is_the_engines_code_and_lint_clean(exported):
    _, model, script = exported
    text = script.read_text()
    tree = ast.parse(text)
    names = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    assert {"make_shapes", "load_folder", "load_data", "train_epoch", "evaluate",
            "main"} <= names
    assert "from engine" not in text and "import engine" not in text
    for name in COPIED:  # verbatim: every function of the engine module is in the script
        src = (ROOT / "engine" / "training" / f"{name}.py").read_text()
        for node in ast.parse(src).body:
            if isinstance(node, ast.FunctionDef):
                assert ast.get_source_segment(src, node) in text
    assert "MODEL_FILE = '../model.py'" in text and "INPUT_SHAPE = (3, 16, 16)" in text
    for config in (["--config", str(ROOT / "pyproject.toml")], ["--isolated"]):
        proc = subprocess.run([str(RUFF), "check", "--no-cache", *config, str(script)],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout


def test_one_process_trains_like_main_py_train(exported, tmp_path):
    # the script's main (engine.training.script, copied verbatim: see above) in this
    # process, on the exported model file
    from engine.training.script import main as script_main

    graph, model, _ = exported
    code = script_main([*TRAIN, "--save-weights", str(tmp_path / "w.pt"), "--metrics",
                        str(tmp_path / "m.json")], str(model), "Tiny", (3, 16, 16))
    assert code == 0
    theirs = torch.load(tmp_path / "w.pt", weights_only=True)
    from engine import load_graph
    ours = train(load_graph(graph), "shapes",
                 TrainConfig(epochs=1, samples=32, batch=8, lr=0.01, seed=3, threads=1))
    assert theirs.keys() == ours.state_dict.keys()
    assert all(np.array_equal(theirs[k].numpy(), ours.state_dict[k]) for k in theirs)
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert metrics["epochs"][0]["val_acc"] == pytest.approx(ours.epochs[0].val_acc)
    assert metrics["epochs"][0]["train_loss"] == pytest.approx(ours.epochs[0].train_loss)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_torchrun_two_cpu_processes_end_with_equal_weights(exported, tmp_path):
    graph, model, script = exported
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nnodes", "1", "--nproc-per-node",
           "2", "--master-addr", "127.0.0.1", "--master-port", str(_free_port()), str(script),
           *TRAIN, "--save-weights", str(tmp_path / "w{rank}.pt")]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(), timeout=180,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-9000:]
    assert "2 process(es) on cpu" in proc.stderr
    assert "weights of the 2 ranks: largest difference 0" in proc.stderr
    w0 = torch.load(tmp_path / "w0.pt", weights_only=True)
    w1 = torch.load(tmp_path / "w1.pt", weights_only=True)
    assert w0.keys() == w1.keys()
    assert all(torch.equal(w0[k], w1[k]) for k in w0)  # BatchNorm statistics included
    assert cli_main(["run", str(graph), "--weights", str(tmp_path / "w0.pt"), "--out",
                     str(tmp_path / "run")]) == 0
    namespace = {}
    exec(compile(model.read_text(), str(model), "exec"), namespace)
    namespace["Tiny"]().load_state_dict(w0, strict=True)


@pytest.mark.parametrize("case, code", [("same file", 2), ("onnx", 2), ("no task", 1),
                                        ("segmenter", 0)])
def test_export_with_a_script_checks_first(tmp_path, capsys, case, code):
    g = tiny_segmenter() if case == "segmenter" else tiny_classifier(
        k=4 if case != "no task" else 1)
    graph = save(g, tmp_path / "g.json")
    model = tmp_path / ("m.onnx" if case == "onnx" else "m.py")
    script = model if case == "same file" else tmp_path / "t.py"
    assert cli_main(["export", str(graph), "-o", str(model), "--train-script",
                     str(script)]) == code
    err = capsys.readouterr().err
    if code:
        assert err.strip() and not script.exists() and not model.exists()
    else:
        assert "per-pixel classification into 5 classes" in script.read_text()


@pytest.mark.parametrize("world, code", [("2", 3), ("1", 4)])
def test_leave_flushes_and_ends_with_the_code(world, code):
    # under torchrun (WORLD_SIZE > 1) the script ends through os._exit, past a gloo
    # worker's late tensor release that aborted the process at shutdown; what it printed
    # to a pipe (block-buffered) must still come out
    prog = ("import sys; from engine.training.script import leave; print('done', end=''); "
            f"print('note', end='', file=sys.stderr); leave({code})")
    env = dict(_env(), WORLD_SIZE=world, PYTHONPATH=str(ROOT))
    env.pop("PYTHONUNBUFFERED", None)  # a pipe is then block-buffered
    proc = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True,
                          env=env, timeout=120)
    assert (proc.returncode, proc.stdout, proc.stderr) == (code, "done", "note")
