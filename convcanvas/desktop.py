"""The desktop entry of ConvCanvas: menu item, app icon, and ``*.convgraph.json`` files
opening in the designer.

``convcanvas --install-desktop`` copies, for the current user (``$XDG_DATA_HOME``,
default ``~/.local/share``):

- ``applications/convcanvas.desktop`` (``Exec`` names the ``convcanvas`` command
  that runs this, with ``%f``; ``MimeType=application/x-convcanvas-graph``);
- ``mime/packages/convcanvas.xml`` (the ``*.convgraph.json`` glob, a sub-class of
  JSON);
- ``icons/hicolor/scalable/apps/convcanvas.svg`` (the app icon);

then refreshes the MIME and desktop databases where their tools exist.
``--uninstall-desktop`` removes the three files. ``pip install .`` also installs the
same files as data under ``<prefix>/share`` (read where the prefix is on
``XDG_DATA_DIRS``, e.g. ``/usr/local``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

__all__ = ["SOURCE", "FILES", "install", "uninstall", "main"]

#: the bundled files (``resources/desktop``, next to the installed packages)
SOURCE = Path(__file__).resolve().parents[1] / "resources" / "desktop"
#: bundled file -> folder under the data home
FILES = {"convcanvas.desktop": "applications",
         "convcanvas.xml": "mime/packages",
         "convcanvas.svg": "icons/hicolor/scalable/apps"}


def data_home() -> Path:
    """``$XDG_DATA_HOME`` or ``~/.local/share``."""
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def _command() -> str:
    """The command that starts ConvCanvas: the installed ``convcanvas`` script when it
    is on PATH or next to this Python, else ``python -m convcanvas``."""
    found = shutil.which("convcanvas") or str(Path(sys.executable).with_name("convcanvas"))
    if Path(found).exists():
        return found
    return f"{sys.executable} -m convcanvas"


def install(home: Path | None = None) -> list[Path]:
    """Copy the entry, MIME type and icon under ``home`` (default :func:`data_home`);
    returns the written paths. The entry's ``Exec`` names this installation."""
    home = data_home() if home is None else home
    written = []
    for name, folder in FILES.items():
        target = home / folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        text = (SOURCE / name).read_text(encoding="utf-8")
        if name.endswith(".desktop"):
            text = text.replace("Exec=convcanvas %f", f"Exec={_command()} %f")
        target.write_text(text, encoding="utf-8")
        written.append(target)
    for tool, arg in (("update-mime-database", home / "mime"),
                      ("update-desktop-database", home / "applications")):
        if shutil.which(tool):
            subprocess.run([tool, str(arg)], capture_output=True, check=False, timeout=60)
    return written


def uninstall(home: Path | None = None) -> list[Path]:
    """Remove the files :func:`install` wrote; returns those that were there."""
    home = data_home() if home is None else home
    gone = []
    for name, folder in FILES.items():
        target = home / folder / name
        if target.exists():
            target.unlink()
            gone.append(target)
    return gone


def main(argv: list[str]) -> int:
    """``--install-desktop`` or ``--uninstall-desktop``: exit 0, or 2 with one line."""
    try:
        paths = install() if argv[0] == "--install-desktop" else uninstall()
    except OSError as exc:
        print(f"error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    for p in paths:
        print(("wrote " if argv[0] == "--install-desktop" else "removed ") + str(p))
    return 0
