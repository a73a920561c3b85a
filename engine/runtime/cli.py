"""``python main.py run``: build a graph in torch, run it on an image, write the results.

See ``shared/spec/cli.md``. Files written into ``--out DIR``:

- ``input.npy``: the exact tensor fed in, with its batch dimension (for a
  graph with several Inputs: the first one; ``inputs.npz`` then holds all of
  them, keyed by Input id);
- ``summary.json``: per node (topological order) the actual output shape
  (without the batch dimension), min/max/mean/std of the activation and the
  PNG file; the SE channel weights of every SqueezeExcitation; offset (and
  mask) statistics of every DeformConv2d; the run's settings;
- ``<node_id>.png``: a grid of the node's feature maps (each channel
  normalised on its own; see :func:`engine.runtime.images.mosaic`);
- ``activations.npz`` with ``--save-activations``: every node's activation
  keyed by node id, without the batch dimension;
- the ``--save-weights`` file (``torch.save`` of the ``state_dict``).

Exit codes: 0 done; 1 the graph has errors (or would need more memory than
the limit); 2 the graph, image or weights file cannot be read, or the output
cannot be written. Every failure is one line on stderr, never a traceback,
and every file is written to a temporary name and renamed, so nothing the
user owns is truncated by a failure.
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from pathlib import Path

import numpy as np

from ..atomic import atomic_write, atomic_write_text, check_target
from .errors import ImageError, MemoryLimitError, RuntimeGraphError, WeightsError
from .images import load_image, mosaic, save_png

__all__ = ["run_command", "summary_json"]


def _fail(message: str, code: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def _num(v: float):
    v = float(v)
    return round(v, 7) if math.isfinite(v) else None


def summary_json(graph, session, result, *, graph_path=None, image=None, weights=None,
                 pngs=None) -> dict:
    """The content of ``summary.json`` for one run."""
    an = session.analysis
    nodes = []
    for nid in session.info.order:
        st = result.stats.get(nid)
        item = {"id": nid, "type": session.info.types[nid],
                "shape": list(result.shapes[nid]),
                "analysis_shape": list(an.nodes[nid].shape),
                "params": an.nodes[nid].params}
        if st is not None:
            item.update(min=_num(st.min), max=_num(st.max), mean=_num(st.mean),
                        std=_num(st.std))
        if pngs and nid in pngs:
            item["png"] = pngs[nid]
        nodes.append(item)
    offsets = {}
    for nid, off in result.offsets.items():
        dy, dx = off[0::2], off[1::2]
        mag = np.sqrt(dy.astype(np.float64) ** 2 + dx.astype(np.float64) ** 2)
        entry = {"shape": list(off.shape),
                 "min": _num(off.min()), "max": _num(off.max()),
                 "mean_abs": _num(np.abs(off).mean()),
                 "mean_dy": _num(dy.mean()), "mean_dx": _num(dx.mean()),
                 "mean_magnitude": _num(mag.mean()), "max_magnitude": _num(mag.max())}
        if nid in result.masks:
            m = result.masks[nid]
            entry["mask"] = {"shape": list(m.shape), "min": _num(m.min()),
                             "max": _num(m.max()), "mean": _num(m.mean())}
        offsets[nid] = entry
    return {
        "graph": graph.name,
        "graph_file": None if graph_path is None else str(graph_path),
        "image": None if image is None else str(image),
        "weights": None if weights is None else str(weights),
        "seed": result.seed,
        "inputs": {nid: {"shape": list(a.shape), "source": result.input_sources.get(nid)}
                   for nid, a in result.inputs.items()},
        "outputs": list(result.outputs),
        "parameters": session.num_parameters,
        "seconds": round(result.seconds, 6),
        "memory_estimate_bytes": result.memory_estimate,
        "activation_layout": "C x (D x) H x W, no batch dimension",
        "nodes": nodes,
        "se_weights": {nid: [_num(v) for v in w] for nid, w in result.se_weights.items()},
        "deform_offsets": offsets,
        "weights_saved": result.state_dict_path,
    }


def _write_npy(path: Path, array: np.ndarray) -> None:
    atomic_write(path, lambda fh: np.save(fh, np.ascontiguousarray(array),
                                          allow_pickle=False))


def _write_npz(path: Path, arrays: dict) -> None:
    atomic_write(path, lambda fh: np.savez(fh, **{k: np.ascontiguousarray(v)
                                                  for k, v in arrays.items()}))


def _compact_json(data) -> str:
    """Indented JSON with lists of plain numbers kept on one line."""
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)
    return re.sub(r"\[\s*([-+0-9.eE,\snul]*?)\s*\]",
                  lambda m: "[" + re.sub(r"\s*,\s*", ", ", m.group(1).strip()) + "]", text)


def _write_json(path: Path, data) -> None:
    text = _compact_json(data) + "\n"
    atomic_write_text(path, text)


def run_command(args, graph) -> int:
    """Implement ``main.py run`` (arguments parsed by :mod:`engine.cli`).

    Parameters
    ----------
    args : argparse.Namespace
        ``graph``, ``image``, ``seed``, ``weights``, ``save_weights``,
        ``save_activations``, ``out``.
    graph : engine.graph.Graph
        The loaded graph.

    Returns
    -------
    int
        The exit code (0, 1 or 2).
    """
    try:
        return _run(args, graph)
    except Exception as exc:  # the contract: one line, never a traceback
        first = (str(exc).strip().splitlines() or [""])[0][:200]
        return _fail(f"{args.graph}: internal error ({type(exc).__name__}: {first}); "
                     "please report it", 1)


def _run(args, graph) -> int:
    from .run import DEFAULT_IMAGE, Session

    gpath = args.graph
    # 1. the graph builds (errors: exit 1)
    try:
        session = Session(graph, args.seed)
    except RuntimeGraphError as exc:
        return _fail(f"{gpath}: {exc.message}", 1)
    except MemoryLimitError as exc:
        return _fail(f"{gpath}: {exc.message}", 1)
    # 2. inputs that cannot be read: exit 2, before anything is written
    image_path = args.image if args.image is not None else DEFAULT_IMAGE
    needs_image = any(_uses_image(session, i) for i in session.input_ids)
    image = None
    if needs_image or args.image is not None:  # an explicit --image is always checked
        try:
            image = load_image(image_path)
        except ImageError as exc:
            return _fail(exc.message, 2)
    if args.weights is not None:
        try:
            session.load_weights(args.weights)
        except WeightsError as exc:
            return _fail(exc.message, 2)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        return _fail(f"{out}: not a folder", 2)
    inputs = [gpath, image_path if image is not None else None, args.weights]
    refused = _check_outputs(session, args, out, inputs)
    if refused:
        return _fail(refused, 2)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return _fail(f"{out}: cannot create the output folder: {exc.strerror or exc}", 2)
    if not out.is_dir():
        return _fail(f"{out}: not a folder", 2)
    # 3. run
    try:
        result = session.run(image, capture=True)
    except MemoryLimitError as exc:
        return _fail(f"{gpath}: {exc.message}", 1)
    except ImageError as exc:
        return _fail(f"{image_path}: {exc.message}", 2)
    except (RuntimeError, ValueError) as exc:  # torch refusing something the analysis allowed
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return _fail(f"{gpath}: the run failed: {first}", 1)
    # 4. write (every file to a temporary name, then renamed)
    try:
        saved = None
        if args.save_weights is not None:
            saved = session.save_weights(args.save_weights)
        first_input = session.input_ids[0]
        _write_npy(out / "input.npy", result.inputs[first_input])
        if len(session.input_ids) > 1:
            _write_npz(out / "inputs.npz", result.inputs)
        pngs = {}
        for nid, act in result.activations.items():
            name = f"{nid}.png"
            save_png(out / name, mosaic(act, min_tile=16))
            pngs[nid] = name
        if args.save_activations:
            _write_npz(out / "activations.npz", result.activations)
        from dataclasses import replace
        result = replace(result, state_dict_path=saved)
        data = summary_json(graph, session, result, graph_path=gpath,
                            image=image_path if needs_image else None,
                            weights=args.weights, pngs=pngs)
        _write_json(out / "summary.json", data)
    except OSError as exc:
        where = getattr(exc, "filename", None) or out
        return _fail(f"{where}: cannot write: {exc.strerror or exc}", 2)
    outs = ", ".join(f"{k} {list(v.shape)}" for k, v in result.outputs.items())
    print(f"ran {graph.name or gpath} in {result.seconds * 1000:.1f} ms: {outs}; "
          f"wrote {out}")
    return 0


def _outputs(session, args, out: Path) -> list[Path]:
    """Every file the run may write, ``--save-weights`` first."""
    names = ["input.npy", "inputs.npz", *(f"{nid}.png" for nid in session.info.order),
             "activations.npz", "summary.json"]
    files = [out / n for n in names]
    return ([Path(args.save_weights)] if args.save_weights is not None else []) + files


def _check_outputs(session, args, out: Path, inputs) -> str | None:
    """Why one of the run's outputs may not be written (cli.md), or None; nothing is
    written before every output has passed."""
    files = _outputs(session, args, out)
    for f in files:
        try:
            check_target(f, inputs)
        except OSError as exc:
            return f"{f}: cannot write: {exc.strerror or exc}"
    if args.save_weights is not None:  # the weights file must not be another output
        try:
            w = os.path.realpath(args.save_weights)
            clash = next((f for f in files[1:] if os.path.realpath(f) == w), None)
        except OSError:
            clash = None
        if clash is not None:
            return (f"{args.save_weights}: cannot write: the run also writes {clash.name} "
                    "there; choose another name for the weights")
    return None


def _uses_image(session, input_id: str) -> bool:
    from .run import uses_image
    return uses_image(session.graph, input_id)
