"""Colours shared by the contour and 3-D views: the surface colour map and run-colour helpers.

Both views colour the surface with the same perceptual map (viridis: Smith & van der Walt, matplotlib 2.0,
uniform in CAM02-UCS lightness), so a racer's surroundings look the same in 2-D and 3-D.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt import QtGui

COLORMAP_NAME = "viridis"
NAN_RGBA = (128, 128, 128, 255)   # where f is undefined (nan): neutral grey
OUTLINE = (20, 20, 20)            # the dark edge drawn around markers and under paths


@lru_cache(maxsize=4)
def lookup_table(name: str = COLORMAP_NAME, n: int = 256) -> np.ndarray:
    """(n, 4) uint8 RGBA table of the colour map."""
    return pg.colormap.get(name).getLookupTable(0.0, 1.0, n, alpha=True).astype(np.uint8)


def rgba_bytes(normalised: np.ndarray, name: str = COLORMAP_NAME) -> np.ndarray:
    """normalised (...) in [0, 1] (nan allowed) -> (..., 4) uint8 RGBA through the colour map."""
    table = lookup_table(name)
    t = np.asarray(normalised, dtype=float)
    finite = np.isfinite(t)
    index = np.rint(np.clip(np.where(finite, t, 0.0), 0.0, 1.0) * (len(table) - 1)).astype(np.intp)
    out = table[index]
    out[~finite] = NAN_RGBA
    return out


def rgba_floats(normalised: np.ndarray, name: str = COLORMAP_NAME) -> np.ndarray:
    """normalised (...) -> (..., 4) float32 RGBA in [0, 1] (for OpenGL items)."""
    return rgba_bytes(normalised, name).astype(np.float32) / 255.0


def line_contrast(rgba: np.ndarray) -> tuple[int, int, int, int]:
    """An iso-line colour readable on a colour-map colour (4,) uint8: darker on light, lighter on dark.

    Uses the relative luminance of ITU-R BT.709 (sRGB primaries, linearised approximately by gamma 2.2).
    """
    rgb = np.asarray(rgba[:3], dtype=float) / 255.0
    luminance = float(np.dot(rgb ** 2.2, (0.2126, 0.7152, 0.0722)))
    if luminance > 0.18:
        shade = rgb * 0.35
        alpha = 190
    else:
        shade = rgb + (1.0 - rgb) * 0.6
        alpha = 170
    r, g, b = (int(round(c * 255)) for c in shade)
    return (r, g, b, alpha)


def qcolor(hex_color: str, alpha: int = 255) -> QtGui.QColor:
    """A run colour "#rrggbb" as a QColor with ``alpha``."""
    color = QtGui.QColor(hex_color)
    color.setAlpha(alpha)
    return color


def gl_color(hex_color: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    """A run colour "#rrggbb" as an (r, g, b, a) float tuple for pyqtgraph.opengl items."""
    color = QtGui.QColor(hex_color)
    return (color.redF(), color.greenF(), color.blueF(), alpha)
