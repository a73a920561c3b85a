"""Old home of the designer's look, now :mod:`designer.look`.

Kept only for ``designer.app``, which imports :func:`apply_theme` from here;
remove once it imports ``designer.look.apply_theme``.
"""

from designer.look.theme import apply_theme

__all__ = ["apply_theme"]
