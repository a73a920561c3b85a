"""``main.py explain``: the mechanics of one layer (cli.md), torch-free and Qt-free.

``explain TYPE [--input N|H,W] [--kernel K] [--stride S] [--padding P] [--dilation D]
[--output-padding P] [--in-channels C] [--out-channels C] [--groups G]
[--param NAME=VALUE] [--json] [--gif OUT.gif] [--png OUT.png]`` explains a layer
given by free parameters; ``explain GRAPH --node ID [...]`` a node of a graph file
(the parameter flags then try changes on a copy). Exit 0, or 2 with one line on
stderr naming the impossible parameters in the engine's own words
(:mod:`engine.mechanics`). ``--gif`` / ``--png`` draw the animation / the matrix C
beside the grids offscreen with the designer's own views
(:mod:`designer.mechanism.render`, imported only then: the one part of the
command line that needs Qt).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from .catalogue import CATALOGUE
from .io import GraphFileError, load_graph
from .mechanics import MechanicsError, describe, explainable_types, for_layer, for_node

__all__ = ["add_explain_parser", "cmd_explain"]

#: flag (attribute) -> parameter name
FLAGS = (("kernel", "kernel_size"), ("stride", "stride"), ("padding", "padding"),
         ("dilation", "dilation"), ("output_padding", "output_padding"),
         ("out_channels", "out_channels"), ("groups", "groups"))


class UsageError(ValueError):
    """A flag whose value cannot be read (exit 2)."""


def add_explain_parser(sub) -> None:
    """Register ``explain`` on the sub-parsers of ``engine.cli``."""
    e = sub.add_parser("explain", help="the mechanics of one layer: taps, matrix C, overlap",
                       description="The exact index structure of one layer over one channel "
                       f"(TYPE: {', '.join(explainable_types())}), or of a node of GRAPH.")
    e.add_argument("layer", metavar="TYPE|GRAPH")
    e.add_argument("--node", metavar="ID", help="the node of GRAPH to explain")
    e.add_argument("--input", metavar="N|H,W", help="input size (N: N×N; default 5)")
    size = "K or KH,KW"
    e.add_argument("--kernel", metavar=size)
    e.add_argument("--stride", metavar=size)
    e.add_argument("--padding", metavar="P, PH,PW, same or valid")
    e.add_argument("--dilation", metavar=size)
    e.add_argument("--output-padding", metavar=size)
    e.add_argument("--in-channels", metavar="C")
    e.add_argument("--out-channels", metavar="C")
    e.add_argument("--groups", metavar="G")
    e.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="any other parameter of the layer (JSON value, e.g. "
                        "scale_factor=1.5, mode=bilinear, ceil_mode=true, target_size=6)")
    e.add_argument("--json", action="store_true", help="machine-readable output")
    e.add_argument("--gif", metavar="OUT.gif", help="write the sliding-window animation")
    e.add_argument("--png", metavar="OUT.png",
                   help="write the matrix C (Cᵀ for transposed) beside the grids")
    e.set_defaults(func=cmd_explain)


def _ints(flag: str, text: str | None, n: int | None = None):
    """``"3"`` -> 3, ``"3,5"`` -> [3, 5]; None stays None."""
    if text is None:
        return None
    try:
        values = [int(v) for v in text.split(",")]
    except ValueError:
        raise UsageError(f"--{flag}: expected an integer or H,W, got {text!r}") from None
    if len(values) not in (1, n or 2):
        raise UsageError(f"--{flag}: expected an integer or H,W, got {text!r}")
    return values[0] if len(values) == 1 else values


def _value(text: str):
    try:
        return json.loads(text)
    except ValueError:
        return text  # a bare word: mode=bilinear


def _changes(args) -> dict:
    """The layer parameters the flags give."""
    out = {}
    for attr, name in FLAGS:
        raw = getattr(args, attr)
        if raw is None:
            continue
        flag = attr.replace("_", "-")
        out[name] = raw if name == "padding" and raw in ("same", "valid") else \
            _ints(flag, raw)
    for item in args.param:
        name, eq, raw = item.partition("=")
        if not eq or not name:
            raise UsageError(f"--param: expected NAME=VALUE, got {item!r}")
        out[name.strip()] = _value(raw.strip())
    return out


def _free(args):
    kind = CATALOGUE.get(args.layer)
    if kind is None:
        if Path(args.layer).exists():
            raise UsageError(f"{args.layer}: give --node ID to explain a node of a graph")
        raise UsageError(f"unknown layer type {args.layer!r} (explain knows "
                         f"{', '.join(explainable_types())})")
    params = _changes(args)
    size = _ints("input", args.input) if args.input is not None else 5
    hw = (size, size) if isinstance(size, int) else tuple(size)
    groups = params.get("groups") if isinstance(params.get("groups"), int) else None
    c_in = _ints("in-channels", args.in_channels)
    if c_in is None:
        c_in = groups or 1
    if not isinstance(c_in, int):
        raise UsageError(f"--in-channels: expected one integer, got {args.in_channels!r}")
    names = {p.name for p in kind.params}
    if "out_channels" in names and "out_channels" not in params:
        params["out_channels"] = groups or c_in
    channels = args.in_channels is not None or args.out_channels is not None
    return for_layer(args.layer, params, hw, c_in), channels


def _graph(args):
    for flag in ("input", "in_channels"):
        if getattr(args, flag) is not None:
            raise UsageError(f"--{flag.replace('_', '-')}: a node's input comes from the "
                             "graph")
    try:
        graph = load_graph(args.layer)
    except GraphFileError as exc:
        raise UsageError(str(exc)) from None
    try:
        return for_node(graph, args.node, _changes(args)), True
    except MechanicsError as exc:
        raise MechanicsError(f"{args.layer}: {exc.message}", exc.param) from None


def cmd_explain(args) -> int:
    """Run ``explain``; returns the exit code (0, or 2 with one line on stderr)."""
    try:
        mech, channels = _graph(args) if args.node is not None else _free(args)
    except (UsageError, MechanicsError) as exc:
        print(f"error: {getattr(exc, 'message', exc)}", file=sys.stderr)
        return 2
    if args.json:
        utf8 = (sys.stdout.encoding or "").lower().replace("-", "") == "utf8"
        print(json.dumps(mech.to_json(channels), ensure_ascii=not utf8))
    else:
        print(describe(mech, channels))
    if args.gif or args.png:
        return _pictures(mech, args)
    return 0


def _pictures(mech, args) -> int:
    """Draw ``--png`` / ``--gif`` with the designer's views (Qt, imported here only)."""
    try:
        # the one engine import of Qt, allowed by cli.md and declared in the
        # import-linter contract (ignore_imports), lazily: --json never loads Qt
        from designer.mechanism import render
    except ImportError as exc:
        print(f"error: --gif/--png need the designer (PySide6): {exc}", file=sys.stderr)
        return 2
    for kind, path in (("png", args.png), ("gif", args.gif)):
        if not path:
            continue
        try:
            written = render.explain_pictures(mech, **{kind: path})
        except OSError as exc:
            print(f"error: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        print(f"wrote {written[0]}", file=sys.stderr)
    return 0
