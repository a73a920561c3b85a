"""Readable, valid node ids for imported ops (torch-free).

An op whose path names its own module gets the path (``layer1.0.conv1`` →
``layer1_0_conv1``); an op computed in a module's ``forward`` gets that module's path
and its type's id stem (``layer1_0_add1``; at the top, the stem alone: ``add1``, as
the designer numbers new nodes). ONNX names are cleaned the same way. Every id then
passes :func:`engine.graph.check_id` (no keyword, no reserved name, no leading
``__``, at most 64 characters) and is unique.
"""

from __future__ import annotations

import keyword
import re

from ..catalogue import CATALOGUE
from ..catalogue.interchange import T
from ..graph import RESERVED_IDS, GraphEditError, check_id
from .ir import Net

__all__ = ["assign_ids", "clean_id"]

MAX_LEN = 64


def clean_id(text: str, fallback: str = "node") -> str:
    """``text`` as a valid id (not yet unique)."""
    s = re.sub(r"[^A-Za-z0-9_]+", "_", text).lstrip("_")
    s = re.sub(r"_{2,}", "_", s)
    if not s:
        s = fallback
    if s[0].isdigit():
        s = "n" + s
    s = s[:MAX_LEN - 4]
    if keyword.iskeyword(s) or keyword.issoftkeyword(s) or s in RESERVED_IDS:
        s = s + "_"
    return s


def _stem(type_: str) -> str:
    kind = CATALOGUE.get(type_)
    return kind.stem() if kind is not None else "node"


def _unique(base: str, taken: set[str], numbered: bool) -> str:
    """``base`` itself when free (and not ``numbered``), else ``base`` + n from 1."""
    if not numbered and base not in taken:
        return base
    sep = "" if base.endswith("_") or not base[-1].isdigit() else "_"
    i = 1
    while True:
        cand = f"{base[:MAX_LEN - 6]}{sep}{i}"
        if cand not in taken:
            try:
                return check_id(cand)
            except GraphEditError:
                pass
        i += 1


def assign_ids(net: Net) -> dict[str, str]:
    """``{op key: id}`` for every op of ``net``, in op order."""
    taken: set[str] = set()
    ids: dict[str, str] = {}
    for key, op in net.ops.items():
        if op.type == "Input":
            base, numbered = clean_id(op.hint or "input", "input"), False
        elif op.owned and op.path:
            base, numbered = clean_id(op.path), False
        else:
            stem = _stem(op.type)
            if op.type == T.opaque:  # named by what it computes: sin1, layer1_0_sin1
                stem = re.sub(r"(_\d+)+$", "", clean_id(op.hint, "opaque")) or "opaque"
            base = clean_id(f"{op.path}_{stem}" if op.path else stem, "node")
            if not stem.endswith("_") and base[-1].isdigit():
                base += "_"
            numbered = True
        try:
            check_id(base)
        except GraphEditError:
            base = clean_id(base + "_")
        ident = _unique(base, taken, numbered)
        taken.add(ident)
        ids[key] = ident
    return ids
