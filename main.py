#!/usr/bin/env python3
"""ConvCanvas: a desktop designer for convolutional networks.

``python main.py [GRAPH] [--screenshot OUT.png [--run]]`` opens the designer;
``python main.py COMMAND ...`` (``engine.cli.COMMANDS``: analyze, export, run,
grade, diff, ...) is the headless command line, which never imports Qt (see
../shared/spec/cli.md and the README); ``python main.py --install-desktop`` installs
the desktop entry. The installed ``convcanvas`` command does the same
(:mod:`convcanvas.launcher`).
"""

from __future__ import annotations

import sys

from convcanvas.launcher import main

__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
