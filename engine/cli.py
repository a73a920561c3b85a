"""The headless command line (cli.md): ``analyze``, ``export`` and ``run`` here; the
other commands (``explain``, ``grade``, ``diff``, ``import``, ``train``) register
their sub-parsers from their own modules.

Never imports Qt (except ``explain --gif/--png``). ``analyze``, ``export`` to
Python, ``diff``, ``grade`` and ``explain --json`` never import torch; the others
import the runtime lazily. Bad input ends in one line on stderr naming the
file, node and parameter, with exit code 2 (unreadable) or 1 (graph errors),
never in a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from . import import_cli, labs_cli
from .analysis import AnalysisResult, analyze
from .atomic import check_target
from .catalogue import fmt_shape
from .cli_help import document
from .explain_cli import add_explain_parser
from .io import GraphFileError, load_graph
from .numfmt import fmt_number
from .train_cli import add_train_parser, add_train_script_option

__all__ = ["main", "format_table", "COMMANDS"]

COMMANDS = ("analyze", "export", "run", "explain", "import", "train",
            *labs_cli.COMMANDS)


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # exit 2 with one line, like every other failure
        self.print_usage(sys.stderr)
        print(f"{self.prog}: error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _human(n: int | None) -> str:
    if n is None:
        return "—"
    for unit, div in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= div:
            return f"{n / div:.2f} {unit}"
    return str(n)


def _bytes(n: int) -> str:
    for unit, div in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= div:
            return f"{n / div:.1f} {unit}"
    return f"{n} B"


def _rf_text(rf) -> tuple[str, str]:
    if rf is None:
        return "—", "—"
    if rf.is_global:
        return "global", "—"
    size = "×".join(map(str, rf.size)) + ("*" if rf.deformable else "")
    exact = rf.state.jumps if rf.state is not None else rf.jump  # Fractions: 2/3
    jumps = [fmt_number(j) for j in exact]
    return size, "×".join(jumps) if len(set(jumps)) > 1 else jumps[0]


def format_table(result: AnalysisResult, name: str = "") -> str:
    """The people-readable report of ``analyze``."""
    rows = [("node", "type", "output", "RF", "jump", "params", "MACs")]
    for n in result.nodes.values():
        size, jump = _rf_text(n.rf)
        rows.append((n.id, n.type, fmt_shape(n.shape) if n.shape else "—", size, jump,
                     f"{n.params:,}" if n.params is not None else "—", _human(n.macs)))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    right = {5, 6}
    lines = []
    status = "valid" if result.valid else f"{len(result.errors)} error(s)"
    lines.append(f"{name or 'graph'}: {len(result.nodes)} nodes, {status}")
    for i, r in enumerate(rows):
        cells = [c.rjust(w) if j in right else c.ljust(w)
                 for j, (c, w) in enumerate(zip(r, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append("")
    lines.append(f"total: {result.total_params:,} params, {_human(result.total_macs)} MACs, "
                 f"{_bytes(result.activation_bytes)} of activations (float32, batch 1)")
    if any(n.rf and n.rf.deformable for n in result.nodes.values()):
        lines.append("* deformable: nominal receptive field with zero offsets")
    for title, items in (("errors", result.errors), ("warnings", result.warnings)):
        if items:
            lines.append(f"{title}:")
            lines.extend(f"  {i.message}" for i in items)
    return "\n".join(lines)


def _one_line(text: str) -> str:
    """``text`` on one line: line breaks a file smuggled into a message are shown escaped."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in str(text))


def _load(path: str):
    try:
        return load_graph(path)
    except GraphFileError as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        raise SystemExit(2) from None


def cmd_analyze(args) -> int:
    graph = _load(args.graph)
    result = analyze(graph)
    if args.json:
        utf8 = (sys.stdout.encoding or "").lower().replace("-", "") == "utf8"
        print(json.dumps(result.to_json(), indent=2, ensure_ascii=not utf8))
    else:
        print(format_table(result, graph.name))
    if not result.valid:
        for e in result.errors:
            print(f"error: {args.graph}: {e.message}", file=sys.stderr)
    return 0 if result.valid else 1


def cmd_export(args) -> int:
    from .export import ExportError, check_class_name, export_code, write_export
    if args.class_name is not None:  # a usage error: before the graph is read
        try:
            check_class_name(args.class_name)
        except ExportError as exc:
            print(f"error: --class-name: {exc}", file=sys.stderr)
            return 2
    graph = _load(args.graph)
    try:  # refused before anything is generated or written
        check_target(args.output, [args.graph])
    except OSError as exc:
        print(f"error: {args.output}: cannot write: {exc.strerror or exc}", file=sys.stderr)
        return 2
    try:
        code = export_code(graph, args.class_name)
    except ExportError as exc:
        print(f"error: {args.graph}: {exc}", file=sys.stderr)
        return 1
    try:
        write_export(code, args.output)
    except OSError as exc:
        print(f"error: {args.output}: cannot write: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"wrote {args.output}")
    return 0


def cmd_run(args) -> int:
    from .runtime.cli import run_command
    return run_command(args, _load(args.graph))


def build_parser() -> argparse.ArgumentParser:
    # the installed command names itself in usage and examples (convcanvas analyze ...)
    prog = "convcanvas" if os.path.basename(sys.argv[0] or "") == "convcanvas" else "main.py"
    p = _Parser(prog=prog, description="ConvCanvas command line")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)
    a = sub.add_parser("analyze", help="shapes, receptive fields, params and MACs")
    a.add_argument("graph")
    a.add_argument("--json", action="store_true", help="machine-readable output")
    a.set_defaults(func=cmd_analyze)
    e = sub.add_parser("export", help="write standalone PyTorch code")
    e.add_argument("graph")
    e.add_argument("-o", "--output", required=True, metavar="MODEL.py")
    e.add_argument("--class-name", default=None, metavar="NAME")
    e.set_defaults(func=cmd_export)
    add_train_script_option(e, cmd_export)  # --train-script (engine.train_cli)
    import_cli.extend_export(e)  # -o MODEL.onnx / --format onnx: the ONNX exporter
    r = sub.add_parser("run", help="run the graph in torch on an image")
    r.add_argument("graph")
    r.add_argument("--image", default=None)
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--weights", default=None, metavar="W.pt")
    r.add_argument("--save-weights", default=None, metavar="W.pt")
    r.add_argument("--save-activations", action="store_true")
    r.add_argument("--out", required=True, metavar="DIR")
    r.set_defaults(func=cmd_run)
    labs_cli.register(sub)  # grade, diff
    import_cli.register(sub)  # import
    add_explain_parser(sub)
    add_train_parser(sub)
    document(p)  # every option's help, with examples (engine.cli_help)
    return p


def main(argv: list[str] | None = None) -> int:
    """Run one command of the command line.

    stdout and stderr are reconfigured to replace characters they cannot encode.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after the program name (default ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit code: 0 success; 1 graph errors or a failed run; 2 unreadable
        input, an output that cannot be written or a bad ``--class-name``; 130
        interrupted (0 on a broken pipe).

    Raises
    ------
    SystemExit
        With code 2 for a usage error or an unreadable graph file (one line
        on stderr), or 0 after ``--help``.
    """
    for stream in (sys.stdout, sys.stderr):  # a non-UTF-8 console must not crash on "×"
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
