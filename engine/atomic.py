"""Safe file writes: the one place that replaces a file on disk.

A temporary file is written next to the target, flushed to disk and renamed
over it, so a crash or a full disk never leaves a half-written file and the
old content survives any failure. Before anything is written the target is
checked (:func:`check_target`, ``shared/spec/cli.md``):

- a symbolic link is followed only to a file in the same folder (the link
  stays a link); a link that leads out of the folder is refused, never
  followed and never replaced;
- a file the user may not write is refused: ``os.access`` and the mode bits
  (owner, group or other, whichever applies) must both allow writing, so
  root, which ``os.access`` always lets through, is held to the bits too;
- a folder or a special file (device, pipe) is refused;
- a file that is one of the caller's ``inputs`` (the same file, also through
  a link or a hard link) is refused.

An existing file keeps its permission bits; a new file gets ``0666 & ~umask``.
Every error names the file the caller asked for, never the temporary file.

Temporary files are named ``.NAME.convcanvas-PID.XXXXXXXX.tmp`` (PID: the
writing process). A writer killed mid-write leaves one behind; the next write
into that folder removes those whose process is gone or that are older than
:data:`STALE_SECONDS` (and older unmarked ``.NAME.XXXXXXXX.tmp`` files of the
same NAME, from earlier versions).
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_write", "atomic_write_text", "check_target", "clean_stale_temps",
           "UnsafeTargetError", "STALE_SECONDS"]

#: a temporary file this old is stale even if its process id is alive (reused)
STALE_SECONDS = 60.0
_MARK = "convcanvas-"
_OURS = re.compile(r"\A\.(?P<name>.+)\.convcanvas-(?P<pid>\d+)\.[a-z0-9_]{8}\.tmp\Z", re.S)
_LEGACY = re.compile(r"\A\.(?P<name>.+)\.[a-z0-9_]{8}\.tmp\Z", re.S)
#: folder -> time.monotonic() of its last clean-up by this process
_CLEANED: dict[str, float] = {}
_CLEAN_EVERY = 5.0


class UnsafeTargetError(OSError):
    """A write refused before anything was written (link out of the folder, a
    read-only file, one of the inputs, ...); ``strerror`` says why."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK = _umask()


def _bits_allow_write(st: os.stat_result) -> bool:
    """Whether the mode bits that apply to this process allow writing."""
    if not hasattr(os, "geteuid"):  # Windows: the read-only attribute
        return bool(st.st_mode & stat.S_IWRITE)
    if st.st_uid == os.geteuid():
        return bool(st.st_mode & stat.S_IWUSR)
    if st.st_gid == os.getegid() or st.st_gid in os.getgroups():
        return bool(st.st_mode & stat.S_IWGRP)
    return bool(st.st_mode & stat.S_IWOTH)


def _refuse(path, why: str, code: int = errno.EPERM, kind=UnsafeTargetError):
    return kind(code, why, os.fspath(path))


def check_target(path: str | os.PathLike, inputs: Iterable[str | os.PathLike] = ()) -> Path:
    """The file a write to ``path`` would replace, after the checks of the module doc.

    Returns
    -------
    Path
        The absolute path of the file to create or replace (a link's target
        when the link stays in its folder).

    Raises
    ------
    OSError
        :class:`UnsafeTargetError` (a link out of the folder, a special file,
        one of ``inputs``), :class:`PermissionError` (a file the user may not
        write) or :class:`IsADirectoryError`; ``filename`` is ``path``.
    """
    given = Path(os.path.abspath(os.fspath(path)))
    folder = os.path.realpath(given.parent)
    if os.path.islink(given):
        real = os.path.realpath(given)
        if os.path.dirname(real) != folder:
            raise _refuse(path, f"is a symbolic link to {real}, outside its folder: not "
                          "followed")
        target = Path(real)
    else:
        target = Path(folder) / given.name
    try:
        st = target.stat()
    except FileNotFoundError:
        return target
    except OSError as exc:
        raise _refuse(path, exc.strerror or str(exc), exc.errno or errno.EIO, OSError) from None
    if stat.S_ISDIR(st.st_mode):
        raise _refuse(path, "is a folder, not a file", errno.EISDIR, IsADirectoryError)
    if not stat.S_ISREG(st.st_mode):
        raise _refuse(path, "is not a regular file (a device or a pipe): not replaced")
    if not (os.access(target, os.W_OK) and _bits_allow_write(st)):
        raise _refuse(path, f"the file is read-only for you (mode "
                      f"{stat.S_IMODE(st.st_mode):04o}): not replaced", errno.EACCES,
                      PermissionError)
    for inp in inputs:
        if inp is None:
            continue
        try:
            same = os.path.samefile(target, inp)
        except OSError:
            continue
        if same:
            raise _refuse(path, f"it is an input of this command ({os.fspath(inp)}): "
                          "not overwritten")
    return target


def _alive(pid: int) -> bool:
    if os.name != "posix":  # os.kill(pid, 0) is no probe on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, owned by someone else
        return True
    return True


def clean_stale_temps(folder: str | os.PathLike, name: str | None = None,
                      now: float | None = None) -> list[str]:
    """Remove the temporary files that killed writers left in ``folder``.

    Removed: ``.N.convcanvas-PID.XXXXXXXX.tmp`` files (any N) whose process is
    gone or that were last modified more than :data:`STALE_SECONDS` ago, and
    unmarked ``.NAME.XXXXXXXX.tmp`` files of ``name`` as old as that. Only
    regular files are removed; errors are ignored. Returns the names removed.
    """
    now = time.time() if now is None else now
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if not entry.name.endswith(".tmp"):
            continue
        m = _OURS.match(entry.name)
        legacy = None if m else _LEGACY.match(entry.name)
        if not m and not (legacy and legacy["name"] == name):
            continue
        try:
            st = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(st.st_mode):
                continue
            old = now - st.st_mtime > STALE_SECONDS
            if m and not old:
                pid = int(m["pid"])
                if pid == os.getpid() or _alive(pid):
                    continue
            elif not old:
                continue
            os.unlink(entry.path)
            removed.append(entry.name)
        except (OSError, ValueError):
            continue
    return removed


def _maybe_clean(folder: Path, name: str) -> None:
    key = os.fspath(folder)
    last = _CLEANED.get(key)
    now = time.monotonic()
    if last is not None and now - last < _CLEAN_EVERY:
        return
    if len(_CLEANED) > 256:
        _CLEANED.clear()
    _CLEANED[key] = now
    clean_stale_temps(folder, name)


def _prefix(name: str) -> str:
    short = name
    while len(short.encode("utf-8", "surrogateescape")) > 120:  # keep under NAME_MAX
        short = short[:-1]
    return f".{short}.{_MARK}{os.getpid()}."


def _named(exc: OSError, path) -> OSError:
    """``exc`` naming ``path`` (not the temporary file)."""
    if exc.errno is None:
        return exc
    try:
        return type(exc)(exc.errno, exc.strerror, os.fspath(path))
    except TypeError:
        return OSError(exc.errno, exc.strerror, os.fspath(path))


def atomic_write(path: str | os.PathLike, write: Callable[[BinaryIO], object], *,
                 inputs: Iterable[str | os.PathLike] = ()) -> Path:
    """Call ``write(binary_file)`` on a temporary file next to ``path``, then rename.

    Parameters
    ----------
    path : str or os.PathLike
        The file to create or replace (checked by :func:`check_target`).
    write : callable
        Writes the whole content to the binary file object it is given.
    inputs : iterable of paths, optional
        The caller's input files: ``path`` must not be one of them.

    Returns
    -------
    Path
        The file actually written (the link's target for a link in its folder).

    Raises
    ------
    OSError
        Refused (:func:`check_target`), or the folder is missing or not
        writable, the disk is full, ...: the old file is untouched, no
        temporary file is left behind and ``filename`` is ``path``. Whatever
        ``write`` raises is passed on the same way.
    """
    target = check_target(path, inputs)
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except OSError:
        mode = 0o666 & ~_UMASK
    _maybe_clean(target.parent, target.name)
    try:
        fd, tmp = tempfile.mkstemp(prefix=_prefix(target.name), suffix=".tmp",
                                   dir=target.parent)
    except OSError as exc:
        raise _named(exc, path) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)  # mkstemp creates 0600
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise _named(exc, path) from None
        raise
    return target


def atomic_write_text(path: str | os.PathLike, text: str, *,
                      inputs: Iterable[str | os.PathLike] = ()) -> Path:
    """:func:`atomic_write` of ``text`` as UTF-8 with ``\\n`` line ends."""
    data = text.encode("utf-8")
    return atomic_write(path, lambda fh: fh.write(data), inputs=inputs)
