"""``main.py import`` and the ONNX branch of ``main.py export`` (cli.md).

``import SOURCE -o GRAPH.convgraph.json [--input-shape C,H,W] [--weights-out W.pt]
[--report R.json]`` turns a model (``MODEL.onnx``, ``FILE.py:NAME`` or
``package.module:NAME``) into a graph file with ``groups``; the report is printed
(one line per source operation) with a summary line on stderr. Exit 0 all mapped,
1 some Opaque, 2 unreadable source or an output that cannot be written.

``export GRAPH -o MODEL.onnx [--weights W.pt] [--seed N]`` (or ``--format onnx``)
writes ONNX through :func:`engine.interchange.export_onnx`; exit 1 for graph errors or
an Opaque node (named), 2 for an unreadable graph or weights.

Torch and onnx are imported only when one of these commands runs.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["register", "extend_export", "cmd_import", "cmd_export_onnx", "parse_shape"]


def _fail(message: str, code: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def parse_shape(text: str | None):
    """``"3,224,224"`` -> ``(3, 224, 224)`` (3 or 4 positive ints); None stays None."""
    if text is None:
        return None
    try:
        dims = tuple(int(v) for v in text.replace("x", ",").split(",") if v.strip())
    except ValueError:
        dims = ()
    if len(dims) not in (3, 4) or min(dims) < 1:
        raise ValueError(f"--input-shape {text!r}: expected C,H,W (or C,D,H,W) of "
                         "positive integers")
    return dims


def _same(a, b) -> bool:
    try:
        return os.path.realpath(a) == os.path.realpath(b)
    except (OSError, ValueError):
        return False


def _source_file(source: str) -> str:
    if source.lower().endswith(".onnx"):
        return source
    target = source.rpartition(":")[0]
    return target if target.endswith(".py") else ""


def cmd_import(args) -> int:
    try:
        shape = parse_shape(args.input_shape)
    except ValueError as exc:
        return _fail(str(exc), 2)
    outputs = [p for p in (args.output, args.weights_out, args.report) if p]
    src = _source_file(args.source)
    for i, p in enumerate(outputs):
        if src and _same(p, src):
            return _fail(f"{p}: is the source; choose another output", 2)
        if any(_same(p, q) for q in outputs[:i]):
            return _fail(f"{p}: given for two outputs", 2)
    print(f"importing {args.source} ...", file=sys.stderr)
    from .interchange.api import ImportSourceError, import_model
    try:
        graph, groups, weights, report = import_model(args.source, shape)
    except ImportSourceError as exc:
        return _fail(str(exc), 2)
    except Exception as exc:  # never a traceback (cli.md): say what failed, exit 2
        return _fail(f"{args.source}: cannot import: {type(exc).__name__}: "
                     f"{(str(exc).splitlines() or [''])[0][:200]}", 2)
    from .interchange.files import write_graph, write_json
    for item in report.operations:
        print(f"{item['status']:<7} {item['source']:<32} {item['op']:<28} -> "
              f"{item['node'] or '-'}" + (f"  ({item['note']})" if item["note"] else ""))
    try:
        write_graph(graph, groups, args.output)
        if args.weights_out:
            from .runtime.weights import atomic_torch_save
            atomic_torch_save(weights, args.weights_out)
        if args.report:
            write_json(report.to_json(), args.report)
    except OSError as exc:
        return _fail(f"cannot write: {exc.strerror or exc}", 2)
    print(report.summary(), file=sys.stderr)
    return report.exit_code


def cmd_export_onnx(args) -> int:
    from .io import GraphFileError, load_graph
    if args.output and _same(args.output, args.graph):
        return _fail(f"{args.output}: is the graph file; choose another output", 2)
    try:
        graph = load_graph(args.graph)
    except GraphFileError as exc:
        return _fail(str(exc), 2)
    from .interchange.onnx_export import OnnxExportError, export_onnx
    from .runtime.errors import WeightsError
    try:
        export_onnx(graph, args.output, weights=args.weights, seed=args.seed)
    except OnnxExportError as exc:
        return _fail(f"{args.graph}: {exc}", 1)
    except WeightsError as exc:
        return _fail(str(exc), 2)
    except OSError as exc:
        return _fail(f"{args.output}: cannot write: {exc.strerror or exc}", 2)
    print(f"wrote {args.output}")
    return 0


def extend_export(parser) -> None:
    """Add ``--format``, ``--weights`` and ``--seed`` to the ``export`` sub-parser; an
    output ending in ``.onnx`` or ``--format onnx`` goes to the ONNX exporter."""
    parser.add_argument("--format", choices=("python", "onnx"), default=None)
    parser.add_argument("--weights", default=None, metavar="W.pt")
    parser.add_argument("--seed", type=int, default=None)
    python = parser.get_default("func")

    def dispatch(args):
        onnx = args.format == "onnx" or (args.format is None and
                                         Path(args.output).suffix.lower() == ".onnx")
        if onnx:
            if getattr(args, "train_script", None):
                return _fail("--train-script needs a Python model (-o MODEL.py)", 2)
            args.seed = 0 if args.seed is None else args.seed
            return cmd_export_onnx(args)
        if args.weights is not None or args.seed is not None:
            return _fail("--weights and --seed apply to the ONNX export (-o MODEL.onnx)", 2)
        return python(args)
    parser.set_defaults(func=dispatch)


def register(sub) -> None:
    """The ``import`` sub-command."""
    p = sub.add_parser("import", help="turn a PyTorch module or an ONNX model into a graph")
    p.add_argument("source", metavar="SOURCE",
                   help="MODEL.onnx, FILE.py:NAME or package.module:NAME")
    p.add_argument("-o", "--output", required=True, metavar="GRAPH.convgraph.json")
    p.add_argument("--input-shape", default=None, metavar="C,H,W")
    p.add_argument("--weights-out", default=None, metavar="W.pt")
    p.add_argument("--report", default=None, metavar="R.json")
    p.set_defaults(func=cmd_import)
