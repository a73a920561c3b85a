#!/usr/bin/env python3
"""ConvCanvas: a desktop designer for convolutional networks.

``python main.py [GRAPH] [--screenshot OUT.png [--run]]`` opens the designer;
``python main.py COMMAND ...`` (``engine.cli.COMMANDS``: analyze, export, run,
grade, diff, ...) is the headless command line, which never imports Qt (see
../shared/spec/cli.md and the README).
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Run a command of the command line (``engine.cli.COMMANDS``) or else the app."""
    argv = sys.argv[1:] if argv is None else argv
    if argv:
        from engine.cli import COMMANDS  # torch-free and Qt-free

        if argv[0] in COMMANDS:
            from engine.cli import main as cli_main
            return cli_main(argv)
    from designer.app import main as app_main  # Qt is imported only here
    return app_main(argv)


if __name__ == "__main__":
    sys.exit(main())
