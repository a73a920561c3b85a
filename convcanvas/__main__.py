"""``python -m convcanvas``: the same as the ``convcanvas`` command."""

import sys

from .launcher import main

sys.exit(main())
