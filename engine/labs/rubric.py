"""Rubric files (``*.rubric.json``, version 1, rubric.md): parsing and validation.

A rubric is checked completely before anything is graded: an unknown ``what``,
a missing field, a field that does not belong to the check's ``what`` or a
value of the wrong type raises :class:`RubricError`, whose message names the
file, the check's ``id`` and the field (``grade`` then exits 2).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..catalogue import CATALOGUE

__all__ = ["WHATS", "WARNING_KINDS", "Check", "Rubric", "RubricError", "load_rubric",
           "rubric_from_dict", "rubric_from_json"]

FORMAT = "convcanvas-rubric"
VERSION = 1
MAX_BYTES = 4 * 1024 * 1024
WARNING_KINDS = ("misaligned", "stride_drops", "gridding", "rf_unknown")
#: what -> (what it measures, required fields, optional fields); measures: "bool" (holds
#: when true), "absent" (a count of warnings: holds when 0), "shape" or "number"
WHATS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "valid": ("bool", (), ()),
    "input_shape": ("shape", (), ()),
    "output_shape": ("shape", (), ()),
    "rf_size": ("number", (), ("node",)),
    "total_params": ("number", (), ()),
    "total_macs": ("number", (), ()),
    "count_type": ("number", ("type",), ()),
    "no_warning": ("absent", (), ("kind",)),
    "node_shape": ("shape", ("node",), ()),
}
COMMON = ("id", "what", "points", "hint")
COMPARISONS = ("equals", "at_least", "at_most")


class RubricError(Exception):
    """A rubric that cannot be used; ``check`` and ``field`` name the culprit."""

    def __init__(self, message: str, path: str | None = None, check: str | None = None,
                 field: str | None = None):
        where = []
        if check is not None:
            where.append(f'check "{check}"')
        if field is not None:
            where.append(f'field "{field}"')
        text = (", ".join(where) + ": " if where else "") + message
        super().__init__(f"{path}: {text}" if path else text)
        self.message = message
        self.path = path
        self.check = check
        self.field = field


@dataclass(frozen=True)
class Check:
    """One check of a rubric (rubric.md); absent fields are None."""

    id: str
    what: str
    points: int | float = 1
    hint: str | None = None
    node: str | None = None
    type: str | None = None
    kind: str | None = None
    equals: Any = None
    at_least: int | float | None = None
    at_most: int | float | None = None

    @property
    def measures(self) -> str:
        """``"bool"``, ``"absent"``, ``"shape"`` or ``"number"``: what :attr:`what` measures."""
        return WHATS[self.what][0]

    def holds(self, value) -> bool:
        """Whether a measured ``value`` satisfies the check's comparisons."""
        if self.measures == "bool":
            return value is True
        if self.measures == "absent":
            return value == 0
        if self.equals is not None:
            return list(value) == self.equals if self.measures == "shape" else value == self.equals
        return ((self.at_least is None or value >= self.at_least)
                and (self.at_most is None or value <= self.at_most))

    def requirement(self) -> str:
        """The comparison in words, e.g. ``"≥ 31"``, ``"3×32×32"``, ``"= 4"``,
        ``"between 10 and 20"``; ``""`` for ``valid`` and ``no_warning``."""
        if self.measures in ("bool", "absent"):
            return ""
        if self.equals is not None:
            return _show(self.equals) if self.measures == "shape" else f"= {_show(self.equals)}"
        if self.at_least is not None and self.at_most is not None:
            return f"between {_show(self.at_least)} and {_show(self.at_most)}"
        if self.at_least is not None:
            return f"≥ {_show(self.at_least)}"
        return f"≤ {_show(self.at_most)}"


def _show(v) -> str:
    if isinstance(v, list):
        return "×".join(str(x) for x in v)
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return f"{v:,}" if isinstance(v, int) else str(v)


@dataclass(frozen=True)
class Rubric:
    """A validated rubric: ``checks`` in file order, ``title`` ("" when absent)."""

    checks: tuple[Check, ...]
    title: str = ""
    path: str | None = None

    @property
    def max_score(self) -> int | float:
        """The sum of every check's points."""
        return _tidy(sum(c.points for c in self.checks))


def _tidy(v):
    return int(v) if isinstance(v, float) and v.is_integer() else v


def _is_number(v) -> bool:
    return (isinstance(v, int | float) and not isinstance(v, bool)
            and math.isfinite(v))


def _type_name(v) -> str:
    names = {bool: "true/false", str: "a string", list: "a list", dict: "an object",
             type(None): "null", int: "a number", float: "a number"}
    return names.get(type(v), type(v).__name__)


def _check(data: Any, index: int, path, seen: set[str]) -> Check:
    if not isinstance(data, dict):
        raise RubricError(f"check #{index + 1} must be an object, not {_type_name(data)}",
                          path, field="checks")
    cid = data.get("id")
    if "id" not in data:
        raise RubricError(f"check #{index + 1} has no id", path, field="id")
    if not isinstance(cid, str) or not cid.strip():
        raise RubricError(f"check #{index + 1}: must be a non-empty string, not "
                          f"{_type_name(cid)}", path, field="id")
    if cid in seen:
        raise RubricError("the id is used by another check too (ids must be unique)",
                          path, cid, "id")
    seen.add(cid)

    def fail(field: str, message: str):
        raise RubricError(message, path, cid, field)

    what = data.get("what")
    if "what" not in data:
        fail("what", f"missing (one of: {', '.join(WHATS)})")
    if not isinstance(what, str) or what not in WHATS:
        fail("what", f"unknown what {json.dumps(what)} (one of: {', '.join(WHATS)})")
    measures, required, optional = WHATS[what]
    allowed = set(COMMON) | set(required) | set(optional)
    if measures in ("shape", "number"):
        allowed |= {"equals"} if measures == "shape" else set(COMPARISONS)
    for key in data:
        if key not in allowed:
            known = key in COMPARISONS or any(key in r + o for _, r, o in WHATS.values())
            fail(key, f'does not apply to what "{what}"' if known else "unknown field")
    for key in required:
        if key not in data:
            fail(key, f'missing (what "{what}" needs it)')
    points = data.get("points", 1)
    if not _is_number(points) or points < 0:
        fail("points", f"must be a number ≥ 0, not {json.dumps(points)}")
    values: dict[str, Any] = {}
    for key in ("hint", "node", "type", "kind"):
        if key in data:
            if not isinstance(data[key], str) or not data[key]:
                fail(key, f"must be a non-empty string, not {_type_name(data[key])}")
            values[key] = data[key]
    if "type" in values and values["type"] not in CATALOGUE:
        fail("type", f"unknown layer type {json.dumps(values['type'])} (spelled as in "
             "graph files, e.g. Conv2d)")
    if "kind" in values and values["kind"] not in WARNING_KINDS:
        fail("kind", f"unknown warning kind {json.dumps(values['kind'])} (one of: "
             f"{', '.join(WARNING_KINDS)})")
    if measures == "shape":
        eq = data.get("equals")
        if "equals" not in data:
            fail("equals", f'missing (what "{what}" compares a shape, e.g. [3, 32, 32])')
        if (not isinstance(eq, list) or not eq
                or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0
                           for v in eq)):
            fail("equals", f"must be a shape: a list of positive integers, not "
                 f"{json.dumps(eq)}")
        values["equals"] = list(eq)
    elif measures == "number":
        given = [k for k in COMPARISONS if k in data]
        if not given:
            fail("equals", f'missing: what "{what}" needs equals, at_least or at_most')
        for key in given:
            if not _is_number(data[key]):
                fail(key, f"must be a number, not {json.dumps(data[key])}")
            values[key] = data[key]
        if "equals" in values and len(given) > 1:
            fail("equals", "use equals alone, or at_least and/or at_most")
        lo, hi = values.get("at_least"), values.get("at_most")
        if lo is not None and hi is not None and lo > hi:
            fail("at_most", f"{_show(hi)} is below at_least {_show(lo)}: the check can "
                 "never hold")
    return Check(id=cid, what=what, points=points, **values)


def rubric_from_dict(data: Any, path: str | None = None) -> Rubric:
    """Validate a parsed rubric file; raise :class:`RubricError` on any problem."""
    if not isinstance(data, dict):
        raise RubricError("not a rubric: the top level must be a JSON object", path)
    if data.get("format") != FORMAT:
        raise RubricError(f'not a rubric: must be "{FORMAT}"', path, field="format")
    version = data.get("version")
    if version != VERSION or isinstance(version, bool):
        raise RubricError(f"unsupported version {json.dumps(version)}: this ConvCanvas "
                          f"reads version {VERSION}", path, field="version")
    title = data.get("title", "")
    if not isinstance(title, str):
        raise RubricError(f"must be a string, not {_type_name(title)}", path, field="title")
    extra = sorted(set(data) - {"format", "version", "title", "checks"})
    if extra:
        raise RubricError("unknown field at the top level", path, field=extra[0])
    checks = data.get("checks")
    if not isinstance(checks, list) or not checks:
        raise RubricError("must be a non-empty list of checks", path, field="checks")
    seen: set[str] = set()
    return Rubric(tuple(_check(c, i, path, seen) for i, c in enumerate(checks)), title,
                  path)


def _pairs(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"the key {json.dumps(key)} appears twice in one object")
        out[key] = value
    return out


def _constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def rubric_from_json(text: str | bytes, path: str | None = None) -> Rubric:
    """Parse the text of a rubric file; raise :class:`RubricError` on any problem."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise RubricError("not a rubric: the content is not UTF-8 text", path) from None
    if not text.strip():
        raise RubricError("the file is empty", path)
    try:
        data = json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant)
    except RecursionError:
        raise RubricError("not a rubric: JSON nested too deeply", path) from None
    except ValueError as exc:
        raise RubricError(f"not valid JSON: {exc}", path) from None
    return rubric_from_dict(data, path)


def load_rubric(path: str | os.PathLike) -> Rubric:
    """Read and validate a rubric file. Raises :class:`RubricError` (never anything else)."""
    name = str(path)
    try:
        p = Path(path)
        if p.stat().st_size > MAX_BYTES:
            raise RubricError("file too large for a rubric", name)
        raw = p.read_bytes()
    except RubricError:
        raise
    except IsADirectoryError:
        raise RubricError("is a folder, not a rubric file", name) from None
    except FileNotFoundError:
        raise RubricError("no such file", name) from None
    except OSError as exc:
        raise RubricError(f"cannot read: {exc.strerror or exc}", name) from None
    return rubric_from_json(raw, name)
