"""Every built-in lesson opens in the real window and renders, in a fresh process (like pyqtgraph's
example tests): exit 0, a PNG of the window size, and no exception or traceback on stderr."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from explorer import builtin_presets

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
