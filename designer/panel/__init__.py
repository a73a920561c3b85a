"""The engine panel: run the design on an image and look inside the network.

``from designer.panel import EnginePanel`` gives the dock widget; see
:mod:`designer.panel.panel`. Importing this package never imports torch.
"""

from .panel import EnginePanel

__all__ = ["EnginePanel"]
