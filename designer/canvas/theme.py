"""Measures of the canvas: card size, snapping grid, port radius, opening zoom.

Every measure is in scene units (one unit is one screen pixel at 100 % zoom).
The canvas' colours and fonts are :mod:`designer.look`'s.
"""

from __future__ import annotations

__all__ = ["NODE_W", "NODE_H", "GRID", "PORT_R", "READABLE_ZOOM", "FIT_MIN_ZOOM",
           "MIN_ZOOM", "MAX_ZOOM"]

#: node card size (the model position is the card's centre); the examples put
#: cards of one row 220 apart and rows 110 apart, which leaves room between
#: cards for an edge label (two lines of ``designer.look.BODY_TEXT``)
NODE_W = 204.0
NODE_H = 64.0
#: grid step for snapping moved and dropped nodes
GRID = 10.0
#: drawn radius of a port (its hit area is larger)
PORT_R = 4.5
#: zoom a document opens at when the whole graph does not fit (never below it);
#: the smallest canvas text times this zoom is about 10 px on screen
READABLE_ZOOM = 0.8
#: a document that fits whole at this zoom or more opens fitted (cards and edge
#: labels are still drawn in full, the smallest text about 8 px); a larger one
#: opens at :data:`READABLE_ZOOM` showing its start (top, and left when too wide)
FIT_MIN_ZOOM = 0.65
#: the zoom range of the canvas
MIN_ZOOM, MAX_ZOOM = 0.1, 4.0
