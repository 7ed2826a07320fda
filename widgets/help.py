"""Help ▸ Keyboard Shortcuts and Help ▸ First Five Minutes.

The shortcut sheet is made from the window's own menus at the moment it is opened, so it lists exactly
the shortcuts that work (nothing to keep in step by hand), plus the mouse gestures on the map.
"""

from __future__ import annotations

import html

from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMenu, QTextBrowser, QVBoxLayout

MOUSE = (
    ("Click on the map", "move the selected run's start there"),
    ("Shift+click on the map", "add a run starting there"),
    ("Drag a start ring", "move that start; the run follows as you drag"),
    ("Click a start ring", "select that run"),
    ("Drag on the map, mouse wheel", "pan, zoom (View ▸ Reset Camera puts the 3-D view back)"),
    ("Drag in the 3-D view", "turn the surface"),
)

FIRST_FIVE_MINUTES = """
<h2>Your first five minutes</h2>
<ol>
<li><b>Open a lesson.</b> File ▸ Open from Gallery (<b>Ctrl+G</b>) lists the built-in lessons with a
picture of each surface. Pick one and press Open. Its title and what to notice are on the <i>Lesson</i>
card on the right.</li>
<li><b>Play it.</b> Press <b>Space</b>. The runs race over the map (left) and the 3-D surface (right) in
step; the loss plot below shows who is ahead. <b>← →</b> step one at a time, <b>Home</b>/<b>End</b> jump
to the start or the end. These keys work wherever you are, except while you are typing in a field.</li>
<li><b>Move a start.</b> Click anywhere on the map: the selected run now starts there and is recomputed at
once. Shift+click adds a new run there. Made a mistake? <b>Ctrl+Z</b> undoes it; Edit ▸ Reset Lesson puts
everything back as it was opened.</li>
<li><b>Change the surface.</b> Type a formula in the field at the top, e.g. <code>x^2 + 10 y^2</code>,
and press <b>Enter</b> (Esc puts the old one back). Any other letter becomes a parameter with a slider:
try <code>a x^2 + b y^2</code> and open the <i>Sliders</i> tab.</li>
<li><b>Tune a run.</b> Select it in the <i>Runs</i> tab: change its optimizer, learning rate (the slider is
logarithmic) or momentum. View ▸ Overlays shows the gradient, the update and the local quadratic model
at the current step.</li>
<li><b>Present.</b> <b>F11</b> switches to presentation mode: full screen, large type, thick lines, the
legend on the map. File ▸ Export ▸ Export Animation… makes a GIF or MP4 of the map for slides.</li>
</ol>
<p>Help ▸ Keyboard Shortcuts lists every key.</p>
"""


def shortcut_rows(menus) -> list[tuple[str, str, str]]:
    """(menu, action, shortcut text) for every action with a shortcut in ``menus`` (QMenus, recursively)."""
    rows = []

    def walk(menu: QMenu, path: str) -> None:
        for action in menu.actions():
            if action.menu() is not None:
                walk(action.menu(), f"{path} ▸ {action.menu().title().replace('&', '')}")
            elif not action.isSeparator():
                keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()
                        if not k.isEmpty()]
                if keys:
                    rows.append((path, action.text().replace("&", "").replace("…", "").strip(), ", ".join(keys)))

    for menu in menus:
        walk(menu, menu.title().replace("&", ""))
    return rows


def shortcut_html(menus) -> str:
    rows = "".join(f"<tr><td><b>{html.escape(keys)}</b></td><td>{html.escape(name)}</td>"
                   f"<td style='color:gray'>{html.escape(where)}</td></tr>"
                   for where, name, keys in shortcut_rows(menus))
    mouse = "".join(f"<tr><td><b>{html.escape(a)}</b></td><td colspan='2'>{html.escape(b)}</td></tr>"
                    for a, b in MOUSE)
    return ("<h2>Keyboard shortcuts</h2><p>Playback keys work anywhere in the window except while you are typing "
            "in a field (Enter or Esc ends typing; Esc also brings the keyboard back to the map).</p>"
            f"<table cellspacing='6'>{rows}</table><h3>Mouse</h3><table cellspacing='6'>{mouse}</table>")


class HelpDialog(QDialog):
    """A scrollable page of help text."""

    def __init__(self, title: str, text: str, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.resize(640, 620)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setHtml(text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)

    def text(self) -> str:
        return self.browser.toPlainText()
