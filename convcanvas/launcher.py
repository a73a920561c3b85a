"""``convcanvas`` / ``python main.py``: the designer, or a subcommand of the command line.

``convcanvas`` with no arguments (or a graph file, ``--screenshot``) opens the
designer; ``convcanvas analyze|export|run|...`` (``engine.cli.COMMANDS``) is the
headless command line, which never imports Qt (cli.md); ``convcanvas
--install-desktop`` installs the desktop entry (:mod:`.desktop`).
"""

from __future__ import annotations

import sys

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    """Run a command of the command line, the desktop-entry installer, or the app."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv:
        if argv[0] in ("--install-desktop", "--uninstall-desktop"):
            from .desktop import main as desktop_main  # Qt-free
            return desktop_main(argv)
        from engine.cli import COMMANDS  # torch-free and Qt-free

        if argv[0] in COMMANDS:
            from engine.cli import main as cli_main
            return cli_main(argv)
    from designer.app import main as app_main  # Qt is imported only here
    return app_main(argv)
