"""File-system refusals that hold for every user, root included.

Root ignores permission bits (CAP_DAC_OVERRIDE), and CI runs the suite as root, so
``chmod`` alone cannot make a folder read-only or a file unreadable there. These
helpers set the permission bits (what a normal user meets) and also make the
operating-system calls refuse the same operations with the same ``PermissionError``
(EACCES) the kernel gives a normal user, whoever runs the tests.
"""

from __future__ import annotations

import builtins
import errno
import io
import os
import stat
from pathlib import Path


def _inside(folder: str, path) -> bool:
    if isinstance(path, int):  # a file descriptor
        return False
    parent = os.path.dirname(os.path.abspath(os.fsdecode(path)))
    return os.path.realpath(parent) == folder


def _denied(path) -> PermissionError:
    return PermissionError(errno.EACCES, os.strerror(errno.EACCES), os.fsdecode(path))


def make_folder_read_only(monkeypatch, folder: Path) -> None:
    """Make ``folder`` refuse new, renamed and removed entries, as ``chmod a-w`` does.

    Existing files in it can still be read and written in place (a read-only folder
    protects its entries, not their content). ``monkeypatch`` undoes the calls; the
    caller restores the permission bits (``folder.chmod(stat.S_IRWXU)``).
    """
    real = os.path.realpath(folder)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)

    def refuse_new(path, exists_ok: bool) -> None:
        if _inside(real, path) and not (exists_ok and os.path.lexists(path)):
            raise _denied(path)

    os_open = os.open

    def guarded_os_open(path, flags, *args, **kwargs):
        if flags & os.O_CREAT:
            refuse_new(path, exists_ok=not flags & os.O_EXCL)
        return os_open(path, flags, *args, **kwargs)

    py_open = io.open

    def guarded_open(file, mode="r", *args, **kwargs):
        if any(c in mode for c in "wax"):
            refuse_new(file, exists_ok="x" not in mode)
        return py_open(file, mode, *args, **kwargs)

    def guard(name, *which):
        real_call = getattr(os, name)

        def guarded(*args, **kwargs):
            for i in which:
                if i < len(args) and _inside(real, args[i]):
                    raise _denied(args[i])
            return real_call(*args, **kwargs)

        monkeypatch.setattr(os, name, guarded)

    monkeypatch.setattr(os, "open", guarded_os_open)
    monkeypatch.setattr(io, "open", guarded_open)
    monkeypatch.setattr(builtins, "open", guarded_open)
    for name, which in (("replace", (0, 1)), ("rename", (0, 1)), ("unlink", (0,)),
                        ("remove", (0,)), ("rmdir", (0,)), ("mkdir", (0,)),
                        ("link", (1,)), ("symlink", (1,))):
        guard(name, *which)


def unreadable_prelude(path: Path) -> str:
    """Python source that makes opening ``path`` fail with EACCES in a child process
    (``python -c PRELUDE...``): what ``chmod 0`` does for a normal user."""
    return (
        "import builtins, errno, io, os\n"
        f"_locked = os.path.realpath({str(path)!r})\n"
        "def _check(file):\n"
        "    if not isinstance(file, int) and os.path.realpath(os.fsdecode(file)) == _locked:\n"
        "        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), file)\n"
        "def _wrap(call):\n"
        "    def guarded(file, *args, **kwargs):\n"
        "        _check(file)\n"
        "        return call(file, *args, **kwargs)\n"
        "    return guarded\n"
        "io.open = builtins.open = _wrap(io.open)\n"
        "os.open = _wrap(os.open)\n"
    )


def run_main_code(argv: list) -> str:
    """Python source running ``main.py`` with ``argv`` as ``python main.py ARGV`` does."""
    return (
        "import runpy, sys\n"
        f"sys.argv = ['main.py', *{[str(a) for a in argv]!r}]\n"
        "runpy.run_path('main.py', run_name='__main__')\n"
    )
