"""Parameter schemas: types, defaults, ranges and one-line docs.

A layer kind declares its parameters as a tuple of :class:`Param` objects. The
same declaration validates graph files and edits, generates the property editor
and the documentation, so it is the only place a parameter is described.

Values are validated strictly: ``True`` is not an int, ``3.0`` is not an int,
NaN and infinities are never accepted. :meth:`Param.validate` returns the
normalised value (pairs become tuples of length ``n``) or raises
:class:`ParamError` with a message that names the parameter.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "ParamError",
    "Param",
    "Int",
    "Float",
    "Bool",
    "Choice",
    "Tuple",
    "Padding",
    "Number",
    "Sizes",
    "PadValue",
    "Text",
    "IntList",
]

#: Upper bound for any size-like integer, so that a typo cannot ask for a
#: kernel of a billion taps and hang the analysis.
MAX_SIZE = 1 << 16


class ParamError(ValueError):
    """An invalid parameter value; ``param`` names the parameter."""

    def __init__(self, param: str | None, message: str):
        super().__init__(message)
        self.param = param
        self.message = message


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return (isinstance(v, (int, float)) and not isinstance(v, bool)
            and math.isfinite(v))


def _describe(v: Any) -> str:
    if isinstance(v, str):
        return repr(v if len(v) <= 20 else v[:20] + "...")
    if isinstance(v, bool):
        return "true" if v else "false"
    if v is None:
        return "null"
    text = repr(v)
    return text if len(text) <= 30 else text[:30] + "..."


@dataclass(frozen=True)
class Param:
    """Base class of a parameter declaration.

    Parameters
    ----------
    name : str
        Key in the graph file.
    default : Any
        Value used when the file leaves the parameter out (already normalised).
    doc : str
        One line shown as tooltip and in the docs.
    nullable : bool
        Whether ``null`` is an accepted value.
    required : bool
        Whether the graph file must give it (no default).
    """

    name: str
    default: Any = None
    doc: str = ""
    nullable: bool = False
    required: bool = False

    def validate(self, value: Any) -> Any:
        """Return the normalised value or raise :class:`ParamError`."""
        if value is None:
            if self.nullable:
                return None
            raise self.error(value, "must be given (null is not allowed)")
        return self._check(value)

    def _check(self, value: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def error(self, value: Any, why: str) -> ParamError:
        """A :class:`ParamError` ``"<name> = <value>: <why>"`` (returned, not raised)."""
        return ParamError(self.name, f"{self.name} = {_describe(value)}: {why}")

    @property
    def kind(self) -> str:
        """Short name of the editor widget that fits this parameter."""
        return type(self).__name__.lower()

    def hint(self) -> str:
        """Human-readable description of the accepted values."""
        return ""


@dataclass(frozen=True)
class Int(Param):
    """An integer in ``lo..hi`` (inclusive; a bool or a float is refused)."""

    lo: int = 0
    hi: int = MAX_SIZE

    def _check(self, value):
        if not _is_int(value):
            raise self.error(value, f"must be an integer {self.hint()}")
        if not self.lo <= value <= self.hi:
            raise self.error(value, f"must be {self.hint()}")
        return value

    def hint(self):
        """The accepted range, ``in lo..hi``."""
        return f"in {self.lo}..{self.hi}"


@dataclass(frozen=True)
class Float(Param):
    """A finite number in ``[lo, hi]``, returned as a float (a bool is refused).

    ``lo_open`` / ``hi_open`` exclude that bound.
    """

    lo: float = 0.0
    hi: float = 1.0
    lo_open: bool = False
    hi_open: bool = False

    def _check(self, value):
        if not _is_number(value):
            raise self.error(value, f"must be a finite number {self.hint()}")
        ok_lo = value > self.lo if self.lo_open else value >= self.lo
        ok_hi = value < self.hi if self.hi_open else value <= self.hi
        if not (ok_lo and ok_hi):
            raise self.error(value, f"must be {self.hint()}")
        return float(value)

    def hint(self):
        """The accepted interval, e.g. ``in (0, 1]``."""
        left = "(" if self.lo_open else "["
        right = ")" if self.hi_open else "]"
        return f"in {left}{self.lo:g}, {self.hi:g}{right}"


Number = Float


@dataclass(frozen=True)
class Bool(Param):
    """``true`` or ``false`` (a bool only: 0 and 1 are refused)."""

    def _check(self, value):
        if not isinstance(value, bool):
            raise self.error(value, "must be true or false")
        return value

    def hint(self):
        """``true or false``."""
        return "true or false"


@dataclass(frozen=True)
class Choice(Param):
    """One of the strings in ``options``."""

    options: tuple[str, ...] = ()

    def _check(self, value):
        if not isinstance(value, str) or value not in self.options:
            raise self.error(value, f"must be one of {self.hint()}")
        return value

    def hint(self):
        """The options, quoted and separated by commas."""
        return ", ".join(f'"{o}"' for o in self.options)


@dataclass(frozen=True)
class Tuple(Param):
    """An int, or a list of ``n`` ints (a pair for 2D, a triple for 3D)."""

    n: int = 2
    lo: int = 1
    hi: int = MAX_SIZE

    def _check(self, value):
        if _is_int(value):
            items = [value] * self.n
        elif isinstance(value, (list, tuple)):
            if len(value) != self.n:
                raise self.error(value, f"must be an integer or a list of {self.n} integers")
            items = list(value)
        else:
            raise self.error(value, f"must be an integer or a list of {self.n} integers")
        for v in items:
            if not _is_int(v):
                raise self.error(value, f"must hold integers {self.hint()}")
            if not self.lo <= v <= self.hi:
                raise self.error(value, f"must be {self.hint()}")
        return tuple(items)

    def hint(self):
        """The range of each item, ``in lo..hi``."""
        return f"in {self.lo}..{self.hi}"


@dataclass(frozen=True)
class Padding(Tuple):
    """A :class:`Tuple` of non-negative ints, or ``"same"`` / ``"valid"``."""

    lo: int = 0
    words: tuple[str, ...] = field(default=("same", "valid"))

    def _check(self, value):
        if isinstance(value, str):
            if value in self.words:
                return value
            raise self.error(value, f"must be an integer, a list of {self.n}, "
                                    f'or one of {", ".join(map(repr, self.words))}')
        return super()._check(value)


@dataclass(frozen=True)
class Sizes(Tuple):
    """A :class:`Tuple` whose list may have any length of ``lengths`` (an int stays an int).

    For a type that works in 2D and 3D (Upsample's ``size``: a pair or a triple);
    the layer checks the length against its input. The editor is a tuple's (``n``
    axes shown).
    """

    lengths: tuple[int, ...] = (2, 3)

    @property
    def kind(self) -> str:
        """``"tuple"``: edited like one."""
        return "tuple"

    def _check(self, value):
        if _is_int(value):
            if not self.lo <= value <= self.hi:
                raise self.error(value, f"must be {self.hint()}")
            return value
        if isinstance(value, (list, tuple)) and len(value) in self.lengths:
            return Tuple(self.name, n=len(value), lo=self.lo, hi=self.hi)._check(value)
        counts = " or ".join(str(n) for n in self.lengths)
        raise self.error(value, f"must be an integer or a list of {counts} integers")


#: the largest finite float32 (a larger padding value would become an infinity anyway)
FLOAT32_MAX = 3.4028234663852886e38


@dataclass(frozen=True)
class PadValue(Float):
    """A finite number, or the words ``"-inf"`` / ``"inf"`` (returned as a float).

    JSON has no infinities, so the file spells them as words (e.g. before a
    max pool); the normalised value is ``float("-inf")`` / ``float("inf")``.
    """

    lo: float = -FLOAT32_MAX
    hi: float = FLOAT32_MAX
    words: tuple[str, ...] = ("-inf", "inf")

    @property
    def kind(self) -> str:
        """``"float"``: edited like one (the words are typed in the file)."""
        return "float"

    def _check(self, value):
        if isinstance(value, str):
            if value in self.words:
                return float(value)
            raise self.error(value, f"must be {self.hint()}")
        return super()._check(value)

    def hint(self):
        """A number, or one of the words."""
        return "a number, or " + " / ".join(f'"{w}"' for w in self.words)


@dataclass(frozen=True)
class Text(Param):
    """One line of printable text of at most ``max_len`` characters (shown, never run)."""

    max_len: int = 200

    def _check(self, value):
        if not isinstance(value, str):
            raise self.error(value, "must be text")
        if len(value) > self.max_len:
            raise self.error(value, f"must be at most {self.max_len} characters")
        if not value.isprintable():
            raise self.error(value, "must be one line of printable characters")
        return value

    def hint(self):
        """The length limit."""
        return f"text of at most {self.max_len} characters"


@dataclass(frozen=True)
class IntList(Param):
    """A list of ``min_len``..``max_len`` integers in ``lo..hi`` (a tensor shape)."""

    min_len: int = 1
    max_len: int = 4
    lo: int = 1
    hi: int = MAX_SIZE

    def _check(self, value):
        if not isinstance(value, (list, tuple)) or not (
                self.min_len <= len(value) <= self.max_len):
            raise self.error(value, f"must be {self.hint()}")
        for v in value:
            if not _is_int(v) or not self.lo <= v <= self.hi:
                raise self.error(value, f"must be {self.hint()}")
        return tuple(value)

    def hint(self):
        """The accepted lengths and range."""
        return (f"a list of {self.min_len} to {self.max_len} integers, each in "
                f"{self.lo}..{self.hi}")


def describe(value: Any) -> str:
    """Short readable form of a parameter value for messages."""
    return _describe(value)
