"""The designer's visual vocabulary: colours, glyphs, icons, fonts, number formats.

Canvas, palette, property pages, problems list, status bar and engine panel
all draw and write through this package, so they agree:

* :mod:`.colors`: family colours, the error / warning / ok states and the
  accent, ink, window, canvas and overlay colours;
* :mod:`.glyphs`: one pictogram per glyph key (``kind.glyph_key()``);
  :mod:`.glyph_pixmaps` draws it once per size and colour, then copies it;
* :mod:`.icons`: family tiles, state marks, the axis-link toggle;
* :mod:`.fonts`: the canvas' text styles;
* :mod:`.fmt`: counts (``58,976``, ``1.2M``), shapes (``32×64×64``), bytes,
  measured values;
* :mod:`.theme`: the application palette and style sheet; :mod:`.themes`: the light
  and dark values of the colours.

Everything public is importable from ``designer.look`` itself.
"""

from . import colors, fmt, fonts, glyph_pixmaps, glyphs, icons, theme, themes  # noqa: F401
from .colors import *  # noqa: F403
from .fmt import *  # noqa: F403
from .fonts import *  # noqa: F403
from .glyph_pixmaps import *  # noqa: F403
from .glyphs import *  # noqa: F403
from .icons import *  # noqa: F403
from .theme import *  # noqa: F403

__all__ = [*colors.__all__, *fmt.__all__, *fonts.__all__, *glyph_pixmaps.__all__,
           *glyphs.__all__, *icons.__all__, *theme.__all__]
