"""Atomic file writes: the one place that replaces a file on disk.

A temporary file is written next to the target, flushed to disk and renamed
over it, so a crash or a full disk never leaves a half-written file and the
old content survives any failure. Saving through a symbolic link updates the
file it points to (the link stays a link), and an existing file keeps its
permission bits; a new file gets the usual ``0666 & ~umask``.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_write", "atomic_write_text"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], object]) -> Path:
    """Call ``write(binary_file)`` on a temporary file next to ``path``, then rename.

    Parameters
    ----------
    path : str or os.PathLike
        The file to create or replace. A symbolic link is followed: its target
        is replaced.
    write : callable
        Writes the whole content to the binary file object it is given.

    Returns
    -------
    Path
        The file actually written (the link's target for a link).

    Raises
    ------
    OSError
        The folder is missing or not writable, the disk is full, ...: the old
        file is untouched and no temporary file is left behind. Whatever
        ``write`` raises is passed on the same way.
    """
    target = Path(os.path.realpath(path))
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except OSError:
        mode = 0o666 & ~_UMASK
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)  # mkstemp creates 0600
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return target


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """:func:`atomic_write` of ``text`` as UTF-8 with ``\\n`` line ends."""
    data = text.encode("utf-8")
    return atomic_write(path, lambda fh: fh.write(data))
