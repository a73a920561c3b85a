"""Exceptions of the runtime (plain Python: importing them needs no torch).

Every message is one line that names what is at fault (file, node,
parameter), so the command line can print it as it is. They pickle (the
engine process sends them to the designer) with their attributes.
"""

from __future__ import annotations

__all__ = ["RuntimeGraphError", "MemoryLimitError", "WeightsError", "ImageError",
           "RunCancelled", "format_bytes"]


def format_bytes(n: int) -> str:
    """``1536`` -> ``"1.5 KiB"``."""
    for unit, div in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= div:
            return f"{n / div:.1f} {unit}"
    return f"{n} B"


class RuntimeGraphError(ValueError):
    """The graph cannot be built: it has analysis errors (listed) or an id clash.

    Attributes
    ----------
    errors : tuple of engine.analysis.Issue
        The analysis errors (may be empty for other build problems).
    """

    def __init__(self, message: str, errors=()):
        super().__init__(message)
        self.message = message
        self.errors = tuple(errors)

    @classmethod
    def from_issues(cls, errors) -> RuntimeGraphError:
        """The error for analysis ``errors``: ``the graph has N error(s): <messages>``."""
        errors = tuple(errors)
        listed = "; ".join(e.message for e in errors)
        n = len(errors)
        return cls(f"the graph has {n} error{'s' if n != 1 else ''}: {listed}", errors)


class MemoryLimitError(MemoryError):
    """Running the graph would need more memory than the limit allows.

    Attributes
    ----------
    estimate, limit : int
        Bytes.
    detail : str
        Where the estimate peaks: the node that dominates (see
        :meth:`engine.runtime.memory.MemoryEstimate.describe`).
    """

    def __init__(self, estimate: int, limit: int, what: str = "running the graph",
                 detail: str = ""):
        self.estimate = int(estimate)
        self.limit = int(limit)
        self.what = what
        self.detail = detail
        where = f": {detail}" if detail else ""
        self.message = (f"{what} needs about {format_bytes(self.estimate)}, above the limit "
                        f"of {format_bytes(self.limit)}{where}. Reduce the input size, the "
                        f"channels or the batch, or raise the limit (Edit > Memory Limit…, "
                        f"or CONVCANVAS_MEMORY_LIMIT)")
        super().__init__(self.message)

    def __reduce__(self):  # pickled from the engine process (the default passes args)
        return type(self), (self.estimate, self.limit, self.what, self.detail)


class WeightsError(ValueError):
    """A weights file that cannot be read or does not fit the graph."""

    def __init__(self, message: str, path=None):
        self.path = None if path is None else str(path)
        self.message = f"{self.path}: {message}" if self.path else message
        super().__init__(self.message)


class ImageError(ValueError):
    """An image file that cannot be read (or an array that is not an image)."""

    def __init__(self, message: str, path=None):
        self.path = None if path is None else str(path)
        self.message = f"{self.path}: {message}" if self.path else message
        super().__init__(self.message)


class RunCancelled(Exception):
    """Raised by a progress callback to stop a run (or a fit) early."""
