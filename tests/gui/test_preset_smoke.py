"""Every built-in lesson opens in the real window and renders, in a fresh process (like pyqtgraph's
example tests): exit 0, no exception or traceback on stderr, and a PNG of the window size that shows the race:
every run's colour is drawn (paths, racers, legend) and, for two or more variables, the surface's colour map
fills a good part of it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QColor, QImage

from explorer import builtin_presets
from widgets.export import qimage_to_rgb

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.gl
@pytest.mark.parametrize("name", sorted(builtin_presets()))
def test_builtin_preset_renders_in_a_subprocess(name, tmp_path):
    out = tmp_path / f"{name}.png"
    done = subprocess.run([sys.executable, str(ROOT / "main.py"), "render", name, "--png", str(out),
                           "--size", "1280x800"], capture_output=True, text=True, timeout=180, cwd=ROOT,
                          env={**os.environ, "PYTHONWARNINGS": "default"})
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "Exception" not in done.stderr, done.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1280, 800)
    rgb = qimage_to_rgb(image)   # a copy: a view on a converted image's memory dangles
    from explorer.model import Comparison
    from explorer.preset import load_preset

    lesson = Comparison.from_preset(load_preset(builtin_presets()[name]), simulate=lambda *a, **k: None)
    for i in range(len(lesson.runs)):
        color = QColor(lesson.color_of(i))
        exact = np.all(rgb == [color.red(), color.green(), color.blue()], axis=-1)
        assert exact.sum() >= 20, f"{name}: run {i} ({lesson.color_of(i)}) is not drawn"
    if lesson.ndim == 1:    # the graph of f: a curve, no colour map (its runs' colours are checked above)
        return
    viridis = _near_viridis(rgb)
    # a 1:1 map of a tall box (feature-scaling) leaves room beside it: 5 % is still a 300-pixel-square map
    assert viridis.mean() > 0.05, f"{name}: the surface's colour map covers {viridis.mean():.0%} of the window"


def _near_viridis(rgb: np.ndarray) -> np.ndarray:
    """Pixels within a few units of the viridis colour map (the map and the 3-D surface are drawn with it)."""
    from widgets.colors import lookup_table

    table = lookup_table()[::4, :3].astype(int)
    small = rgb[::4, ::4].reshape(-1, 1, 3).astype(int)
    return (np.abs(small - table[None]).sum(axis=-1).min(axis=1) < 24).reshape(rgb[::4, ::4].shape[:2])
