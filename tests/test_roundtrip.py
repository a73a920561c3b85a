"""Engine, CLI and exporter against each other, for every example and random graphs.

For each case (every graph in ``resources/examples`` plus seeded random valid
graphs):

- ``main.py run --save-weights --save-activations`` (in-process, through
  ``engine.cli.main``) writes the files cli.md lists;
- the actual shapes in ``summary.json`` equal the analysis' shapes, and the
  parameters of every built module equal the analysis' counts;
- the exported code passes ``ruff check`` and, written to a temporary folder
  and imported by a separate Python process where the project is not
  importable (``python -I``), loads the saved weights with ``strict=True``
  and reproduces the engine's outputs within 1e-5.

``video_conv3d`` runs at a reduced clip size (3 x 8 x 32 x 32 instead of
3 x 16 x 112 x 112, 12 GMACs) to keep the suite fast; the graph is otherwise
unchanged. Bad images and weights are checked through the real command line.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch  # a pinned requirement: no skip without it

from engine import CATALOGUE, Graph, GraphEditError, analyze, load_graph, save_graph  # noqa: E402
from engine.cli import main as cli_main  # noqa: E402
from engine.export import class_name_for, export_code  # noqa: E402
from engine.runtime import build_model  # noqa: E402

pytestmark = pytest.mark.torch

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "resources" / "examples"
RUFF = Path(sys.executable).with_name("ruff")
EXAMPLE_NAMES = sorted(p.name.split(".")[0] for p in EXAMPLES.glob("*.convgraph.json"))
N_RANDOM = 20
CASES = [f"example:{n}" for n in EXAMPLE_NAMES] + [f"random:{i}" for i in range(N_RANDOM)]
REDUCED = {"video_conv3d": {"clip": {"depth": 8, "height": 32, "width": 32}}}


# -- random valid graphs -------------------------------------------------------------------
def _size(rng, lo, hi, n):
    if rng.random() < 0.75:
        return rng.randint(lo, hi)
    return [rng.randint(lo, hi) for _ in range(n)]


def _params(rng: random.Random, t: str, shape) -> dict:
    c, dims = shape[0], len(shape) - 1
    divisors = [d for d in range(1, c + 1) if c % d == 0]
    if t in ("Conv2d", "Conv3d", "ConvTranspose2d", "ConvTranspose3d", "DeformConv2d"):
        g = rng.choice(divisors) if rng.random() < 0.3 else 1
        p = {"out_channels": g * rng.randint(1, 3), "kernel_size": _size(rng, 1, 3, dims),
             "stride": _size(rng, 1, 2, dims), "dilation": _size(rng, 1, 2, dims),
             "groups": g, "bias": rng.random() < 0.7}
        if t.startswith("ConvTranspose"):
            p["padding"] = _size(rng, 0, 1, dims)
            if rng.random() < 0.3:
                p["output_padding"] = 1
        elif rng.random() < 0.2 and p["stride"] == 1:
            p["padding"] = "same"
        else:
            p["padding"] = _size(rng, 0, 1, dims)
        if t == "Conv2d" and rng.random() < 0.25:
            p["padding_mode"] = rng.choice(["reflect", "replicate", "circular"])
        if t == "DeformConv2d":
            p["offset_groups"] = rng.choice(divisors)
            p["modulated"] = rng.random() < 0.5
        return p
    if t == "DepthwiseSeparableConv2d":
        return {"out_channels": rng.randint(1, 6), "kernel_size": _size(rng, 1, 3, 2),
                "stride": _size(rng, 1, 2, 2), "padding": _size(rng, 0, 1, 2),
                "dilation": _size(rng, 1, 2, 2), "depth_multiplier": rng.randint(1, 2),
                "bias": rng.random() < 0.7}
    if t == "SpatiallySeparableConv2d":
        return {"out_channels": rng.randint(1, 6), "kernel_size": _size(rng, 1, 4, 2),
                "stride": _size(rng, 1, 2, 2), "padding": _size(rng, 0, 1, 2),
                "dilation": _size(rng, 1, 2, 2), "bias": rng.random() < 0.7}
    if t == "SqueezeExcitation":
        return {"reduction": rng.choice([1, 2, 4, 16])}
    if t == "ChannelShuffle":
        return {"groups": rng.choice(divisors)}
    if t.startswith("BatchNorm"):
        return {"eps": rng.choice([1e-5, 1e-3])}
    if t == "LeakyReLU":
        return {"negative_slope": rng.choice([0.01, 0.2])}
    if t.startswith(("MaxPool", "AvgPool")):
        p = {"kernel_size": _size(rng, 1, 3, dims), "ceil_mode": rng.random() < 0.3}
        if rng.random() < 0.4:
            p["stride"] = _size(rng, 1, 2, dims)
        if rng.random() < 0.3:
            p["padding"] = 1
        return p
    if t.startswith("AdaptiveAvgPool"):
        return {"output_size": rng.randint(1, 3)}
    if t == "Upsample":
        mode = rng.choice(["nearest", "bilinear" if dims == 2 else "trilinear"])
        p = {"scale_factor": rng.choice([2.0, 1.5, 0.5]), "mode": mode}
        if mode != "nearest" and rng.random() < 0.5:
            p["align_corners"] = rng.random() < 0.5
        return p
    if t == "Dropout":
        return {"p": rng.choice([0.5, 0.1])}
    if t == "Linear":
        return {"out_features": rng.randint(1, 12), "bias": rng.random() < 0.8}
    return {}


KINDS_2D = ["Conv2d", "Conv2d", "ConvTranspose2d", "DepthwiseSeparableConv2d",
            "SpatiallySeparableConv2d", "DeformConv2d", "SqueezeExcitation", "ChannelShuffle",
            "BatchNorm2d", "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "SiLU", "MaxPool2d",
            "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "Upsample", "Dropout", "Flatten",
            "Add", "Multiply", "Concat", "MaxUnpool2d", "MaxUnpool2d"]
KINDS_3D = ["Conv3d", "Conv3d", "ConvTranspose3d", "BatchNorm3d", "GELU", "MaxPool3d",
            "AvgPool3d", "AdaptiveAvgPool3d", "Upsample", "Flatten", "Add", "Concat"]
KINDS_FLAT = ["Linear", "Linear", "ReLU", "Dropout", "Tanh", "Add", "Multiply"]


def random_graph(seed: int) -> Graph:
    """A valid graph of 3 to 9 layers on a small input, from a seeded generator."""
    rng = random.Random(seed)
    g = Graph(f"Random graph {seed}")
    three_d = rng.random() < 0.15
    inp = {"channels": rng.choice([1, 2, 3, 4, 6]), "height": rng.randint(6, 14),
           "width": rng.randint(6, 14)}
    if three_d:
        inp["depth"] = rng.randint(3, 6)
    g.add_node("Input", inp, "x")
    target = rng.randint(3, 9)
    for _ in range(400):
        if len(g) > target:
            break
        res = analyze(g)
        ok = [n for n in g.nodes if res.nodes[n].shape is not None]
        src = rng.choice(ok)
        shape = res.nodes[src].shape
        kinds = KINDS_FLAT if len(shape) == 1 else (KINDS_3D if len(shape) == 4 else KINDS_2D)
        t = rng.choice(kinds)
        nid = g.unique_id(t.lower()[:6])
        try:
            if t == "MaxUnpool2d":  # values of any node shaped like a pool's output
                pools = [n for n in ok if g.nodes[n].type == "MaxPool2d"]
                if not pools:
                    continue
                pool = rng.choice(pools)
                values = [n for n in ok if res.nodes[n].shape == res.nodes[pool].shape]
                p = dict(g.nodes[pool].params)
                p.pop("ceil_mode", None)
                p.pop("dilation", None)
                g.add_node(t, p, nid)
                g.connect(rng.choice(values), nid, 0)
                g.connect(pool, nid, 1)
            elif CATALOGUE[t].min_inputs >= 2:
                same = [n for n in ok if len(res.nodes[n].shape) == len(shape)]
                other = rng.choice(same)
                g.add_node(t, {}, nid)
                g.connect(src, nid, 0)
                g.connect(other, nid, 1)
            else:
                g.add_node(t, _params(rng, t, shape), nid)
                g.connect(src, nid)
        except GraphEditError:
            if nid in g.nodes:
                g.remove_node(nid)
            continue
        if not analyze(g).valid:
            g.remove_node(nid)
    assert analyze(g).valid
    return g


def case_graph(case: str) -> Graph:
    kind, name = case.split(":")
    if kind == "random":
        return random_graph(int(name))
    g = load_graph(EXAMPLES / f"{name}.convgraph.json")
    for nid, params in REDUCED.get(name, {}).items():
        g.set_params(nid, params)
    return g


def test_random_graphs_are_varied():
    graphs = [random_graph(i) for i in range(N_RANDOM)]
    types = {n.type for g in graphs for n in g}
    assert len(types) >= 25, types
    assert {"MaxUnpool2d", "DeformConv2d", "Conv3d", "Concat"} <= types
    assert all(analyze(g).valid for g in graphs)


# -- the round trip, computed once ----------------------------------------------------------
CHECKER = textwrap.dedent('''
    import importlib, importlib.util, json, sys
    import numpy as np
    import torch
    folder = sys.argv[1]
    sys.path.insert(0, folder)
    report = {"engine_importable": importlib.util.find_spec("engine") is not None}
    for job in json.load(open(sys.argv[2])):
        mod = importlib.import_module(job["module"])
        net = getattr(mod, job["class"])()
        state = torch.load(job["weights"], weights_only=True)
        net.load_state_dict(state, strict=True)
        net.eval()
        if job["inputs_npz"]:
            data = np.load(job["inputs_npz"])
            xs = [torch.from_numpy(data[i]) for i in job["input_ids"]]
        else:
            xs = [torch.from_numpy(np.load(job["input_npy"]))]
        with torch.no_grad():
            out = net(*xs)
        outs = [out] if isinstance(out, torch.Tensor) else list(out)
        acts = np.load(job["activations"])
        diffs = []
        for oid, o in zip(job["output_ids"], outs):
            ref = acts[oid]
            got = o[0].numpy()
            diffs.append(float(np.abs(got - ref).max()) if got.shape == ref.shape
                         else float("inf"))
        report[job["case"]] = {"n_outputs": len(outs), "max_diff": max(diffs)}
    print(json.dumps(report))
''')


@pytest.fixture(scope="module")
def roundtrip(tmp_path_factory):
    base = tmp_path_factory.mktemp("roundtrip")
    export_dir = tmp_path_factory.mktemp("exported")  # holds only the exported files
    jobs, info = [], {}
    for k, case in enumerate(CASES):
        g = case_graph(case)
        folder = base / f"case{k}"
        folder.mkdir()
        if case.startswith("example:") and case.split(":")[1] not in REDUCED:
            gpath = EXAMPLES / f"{case.split(':')[1]}.convgraph.json"
        else:
            gpath = folder / "graph.convgraph.json"
            save_graph(g, gpath)
        out = folder / "out"
        weights = folder / "w.pt"
        stdout, stderr = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
            rc = cli_main(["run", str(gpath), "--out", str(out), "--seed", "1",
                           "--save-weights", str(weights), "--save-activations"])
        code = export_code(g)
        module = f"model_{k}"
        (export_dir / f"{module}.py").write_text(code, encoding="utf-8")
        res = analyze(g)
        input_ids = [n for n in g.nodes if g.nodes[n].type == "Input"]
        output_ids = [n for n in g.nodes if not g.successors(n)]
        info[case] = {"graph": g, "rc": rc, "out": out, "weights": weights, "analysis": res,
                      "stderr": stderr.getvalue(), "input_ids": input_ids,
                      "output_ids": output_ids, "module": export_dir / f"{module}.py"}
        jobs.append({"case": case, "module": module, "class": class_name_for(g.name),
                     "weights": str(weights), "input_ids": input_ids,
                     "output_ids": output_ids, "activations": str(out / "activations.npz"),
                     "input_npy": str(out / "input.npy"),
                     "inputs_npz": str(out / "inputs.npz") if len(input_ids) > 1 else None})
    jobs_file = base / "jobs.json"
    jobs_file.write_text(json.dumps(jobs))
    checker = base / "check_exported.py"
    checker.write_text(CHECKER)
    proc = subprocess.run([sys.executable, "-I", str(checker), str(export_dir), str(jobs_file)],
                          capture_output=True, text=True, cwd=export_dir)
    report = json.loads(proc.stdout) if proc.returncode == 0 else None
    return {"cases": info, "report": report, "proc": proc, "export_dir": export_dir}


@pytest.mark.parametrize("case", CASES)
def test_cli_run_writes_the_files(roundtrip, case):
    c = roundtrip["cases"][case]
    assert c["rc"] == 0, c["stderr"]
    out = c["out"]
    g = c["graph"]
    x = np.load(out / "input.npy")
    first = c["input_ids"][0]
    assert x.dtype == np.float32 and x.shape == (1, *c["analysis"].nodes[first].shape)
    if len(c["input_ids"]) > 1:
        assert sorted(np.load(out / "inputs.npz").files) == sorted(c["input_ids"])
    summary = json.loads((out / "summary.json").read_text())
    assert [n["id"] for n in summary["nodes"]] == g.topo_order()
    for n in summary["nodes"]:
        assert (out / f"{n['id']}.png").is_file()
        assert {"min", "max", "mean"} <= set(n)
    acts = np.load(out / "activations.npz")
    assert sorted(acts.files) == sorted(g.nodes)
    se = [n for n in g.nodes if g.nodes[n].type == "SqueezeExcitation"]
    assert sorted(summary["se_weights"]) == sorted(se)
    for nid in se:
        assert len(summary["se_weights"][nid]) == c["analysis"].nodes[nid].shape[0]
    dcn = [n for n in g.nodes if g.nodes[n].type == "DeformConv2d"]
    assert sorted(summary["deform_offsets"]) == sorted(dcn)
    assert c["weights"].is_file()
    assert summary["outputs"] == c["output_ids"]


@pytest.mark.parametrize("case", CASES)
def test_shapes_match_analysis(roundtrip, case):
    c = roundtrip["cases"][case]
    summary = json.loads((c["out"] / "summary.json").read_text())
    acts = np.load(c["out"] / "activations.npz")
    for n in summary["nodes"]:
        want = list(c["analysis"].nodes[n["id"]].shape)
        assert n["shape"] == want, n["id"]
        assert list(acts[n["id"]].shape) == want, n["id"]


@pytest.mark.parametrize("case", CASES)
def test_parameter_counts_match_analysis(roundtrip, case):
    c = roundtrip["cases"][case]
    model = build_model(c["graph"], seed=0)
    res = c["analysis"]
    for nid, node in res.nodes.items():
        if node.type == "Input":
            continue
        m = model.get_submodule(nid)
        assert sum(p.numel() for p in m.parameters()) == node.params, nid
    assert sum(p.numel() for p in model.parameters()) == res.total_params


@pytest.mark.parametrize("case", CASES)
def test_exported_code_reproduces_the_engine(roundtrip, case):
    report = roundtrip["report"]
    assert report is not None, roundtrip["proc"].stderr[-3000:]
    assert report["engine_importable"] is False
    r = report[case]
    assert r["n_outputs"] == len(roundtrip["cases"][case]["output_ids"])
    assert r["max_diff"] <= 1e-5


def test_exported_code_passes_ruff(roundtrip):
    assert RUFF.exists(), "ruff is pinned in requirements-dev.txt"
    for config in (["--config", str(ROOT / "pyproject.toml")], ["--isolated"]):
        proc = subprocess.run([str(RUFF), "check", "--no-cache", *config,
                               str(roundtrip["export_dir"])], capture_output=True, text=True)
        assert proc.returncode == 0, (config, proc.stdout[-3000:])


# -- the real command line on bad input ------------------------------------------------------
def _main_py(*args, cwd=ROOT):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *map(str, args)],
                          capture_output=True, text=True, cwd=cwd)


def _cli(args, capsys) -> tuple[int, str]:
    """``main.py`` in-process: (exit code, stderr)."""
    try:
        code = cli_main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().err


def test_cli_bad_inputs_exit_codes_and_one_line(tmp_path, capsys):
    graph = tmp_path / "g.convgraph.json"
    g = Graph("Tiny")
    g.add_node("Input", {"channels": 3, "height": 8, "width": 8}, "x")
    g.add_node("Conv2d", {"out_channels": 2, "padding": 1}, "conv")
    g.connect("x", "conv")
    save_graph(g, graph)
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text("mine")
    junk = tmp_path / "junk.png"
    junk.write_text("not an image")
    weights = tmp_path / "w.pt"
    weights.write_text("not weights")
    other = tmp_path / "other.pt"
    torch.save({"conv.weight": torch.zeros(5, 3, 3, 3)}, other)
    bad_graph = tmp_path / "bad.convgraph.json"
    g.add_node("Conv2d", {"out_channels": 2, "kernel_size": 20}, "huge")
    g.connect("conv", "huge")
    save_graph(g, bad_graph)
    cases = [
        (["run", graph, "--image", junk, "--out", out], 2, "junk.png"),
        (["run", graph, "--image", tmp_path / "none.png", "--out", out], 2, "none.png"),
        (["run", graph, "--image", tmp_path, "--out", out], 2, "directory"),
        (["run", graph, "--weights", weights, "--out", out], 2, "w.pt"),
        (["run", graph, "--weights", other, "--out", out], 2, "conv.bias"),
        (["run", graph, "--out", junk], 2, "junk.png"),
        (["run", bad_graph, "--out", out], 1, "huge"),
        (["run", tmp_path / "missing.json", "--out", out], 2, "missing.json"),
    ]
    for args, code, word in cases:
        rc, err = _cli(args, capsys)
        assert rc == code, (args, err)
        assert err.count("\n") == 1 and word in err, err
    assert (out / "summary.json").read_text() == "mine"
    # the real command line: one line, no traceback
    for args, code, word in (cases[0], cases[4]):
        r = _main_py(*args)
        assert r.returncode == code and word in r.stderr, r.stderr
        assert "Traceback" not in r.stderr and r.stderr.count("\n") == 1, r.stderr
    assert (out / "summary.json").read_text() == "mine"
    # a good run with an explicit image and weights from an earlier run
    rc, err = _cli(["run", graph, "--out", out, "--save-weights", tmp_path / "good.pt"], capsys)
    assert rc == 0, err
    img = tmp_path / "img.png"
    from PIL import Image
    Image.new("RGB", (30, 20), (200, 10, 10)).save(img)
    rc, err = _cli(["run", graph, "--image", img, "--weights", tmp_path / "good.pt", "--out",
                    tmp_path / "out2"], capsys)
    assert rc == 0, err
    x = np.load(tmp_path / "out2" / "input.npy")
    assert x.shape == (1, 3, 8, 8) and np.allclose(x[0, 0], 200 / 255)
    assert not (tmp_path / "out2" / "activations.npz").exists()


def test_cli_checks_an_explicit_image_even_for_noise_inputs(tmp_path, capsys):
    g = Graph("Noise")
    g.add_node("Input", {"channels": 5, "height": 6, "width": 6}, "x")
    g.add_node("ReLU", {}, "relu")
    g.connect("x", "relu")
    graph = tmp_path / "g.convgraph.json"
    save_graph(g, graph)
    rc, err = _cli(["run", graph, "--image", tmp_path / "none.png", "--out", tmp_path / "o"],
                   capsys)
    assert rc == 2 and "none.png" in err
    rc, err = _cli(["run", graph, "--out", tmp_path / "o"], capsys)
    assert rc == 0, err
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["inputs"]["x"]["source"] == "random" and summary["image"] is None
