"""Dock tab bars: QMainWindow leaves earlier tab bars of a tab group visible where the group once was
(tabifying the docks one by one, restoreState); at 1280 x 720 one read "Runs | Sliders" over the playback
bar's speed slider; the Rosenbrock lesson's first start left one shifted sideways on the Runs dock's edge,
and presentation mode (F11) one over the playback bar. The window hides them. Also here: leaving F11 gives
the window its size back. Checked in a real app process (``create_app``'s style and fonts: under pytest-qt's
own QApplication neither the stale bars nor the growth appear)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys, time
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QTabBar
from widgets.app import create_app, start_window
app = create_app(["tabs"])
settings = QSettings(sys.argv[1] + "/settings.ini", QSettings.Format.IniFormat)

def spin(seconds):
    end = time.time() + seconds
    while time.time() < end:
        app.processEvents()
        time.sleep(0.01)

# the first start opens the default lesson; the second restores the first one's dock layout
for start, lesson in enumerate(["rosenbrock-race", "line-fit"]):
    window = start_window(lesson, settings=settings, recovery_dir=sys.argv[1] + "/recovery")
    window.resize(1280, 720)
    spin(1.5)
    bars = [b for b in window.findChildren(QTabBar) if b.parentWidget() is window and b.isVisible()]
    top = window.playback.mapTo(window, window.playback.rect().topLeft())
    playback = window.playback.rect().translated(top)
    over = [b.tabText(0) for b in bars if b.geometry().intersects(playback)]
    print(len(bars), len(over), flush=True)
    if True:                               # F11: presentation mode hides the docks, not their tab bars
        window.presentation_action.trigger()
        spin(1.5)
        bars = [b for b in window.findChildren(QTabBar) if b.parentWidget() is window and b.isVisible()]
        top = window.playback.mapTo(window, window.playback.rect().topLeft())
        playback = window.playback.rect().translated(top)
        print("presentation", len([b for b in bars if b.geometry().intersects(playback)]), flush=True)
        window.presentation_action.trigger()   # F11 again: back to the window's own size
        spin(1.5)
        print("size", window.width(), window.height(), flush=True)
    window.document.set_modified(False)
    window.close()
"""


def test_no_stale_tab_bar_at_1280x720_at_first_start_after_a_restart_or_in_presentation_mode_and_back(tmp_path):
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True,
                          timeout=300, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.split("\n")
    for line in lines[0:6:3]:
        bars, over = map(int, line.split())
        assert bars == 4, f"{bars} tab bars visible for the 4 tab groups"   # Lesson, Runs, Loss, Numbers
        assert over == 0, "a tab bar is drawn over the playback bar"
    assert lines[1:6:3] == ["presentation 0"] * 2, "in presentation mode a tab bar covers the playback bar"
    # leaving presentation mode, the window had grown to the large type's minimum size (1024 x 768 -> 1184 x 794)
    assert lines[2:6:3] == ["size 1280 720"] * 2
