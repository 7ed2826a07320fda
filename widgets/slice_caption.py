"""What a slice is, said on the map itself: above the plot, in every picture and animation exported from it.

For a surface of three or more variables the map shows f on a plane (:mod:`explorer.slicing`). Three short
lines above the map say

1. through which point the slice goes and how its plane was chosen (method, explained variance, eigenvalues,
   seed): the plane's description;
2. for planes that are not two of the variables, what the two directions are in the variables
   ("PC1 (87 % var.) = 0.71·x1 − 0.71·x2");
3. how far each racer is off the slice at the current step, and — in red, with ⚠ — where the loss the map
   shows under a racer differs from the racer's own loss by more than
   :data:`~explorer.slice_surface.LOSS_GAP_WARNING` (the paths are drawn as their projections: a dot can sit
   on a colour that is not its loss).

Each line is cut to the map's width (the whole text is in the tooltip). For two variables and for the curve of
one there is nothing to say and the lines are hidden. :class:`SurfaceCaption` puts line 1 in the corner of the
3-D view.
"""

from __future__ import annotations

import html

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QFont, QFontMetricsF, QPalette
from PySide6.QtWidgets import QLabel

from explorer.events import Bindings
from explorer.slice_surface import LOSS_GAP_WARNING
from explorer.summary import for_people
from widgets.throttle import Throttle

CAPTION_PT = 10.5
PRESENTATION_PT = 14
WARNING_COLOR = "#e0302a"


def method_words(plane) -> str:
    """How the plane was chosen, briefly: "x1 and x2, the other 8 held", "PCA plane of the paths (99.7 % of their
    variance)", "most and least curved directions (λ = 100, 1)", "random directions (seed 3)"."""
    spec, d = plane.spec, plane.ndim
    if plane.axes is not None:
        held = "" if d == 2 else (", the other one held" if d == 3 else f", the other {d - 2} held")
        return f"{plane.labels[0]} and {plane.labels[1]}{held}"
    if spec.method == "pca":
        return f"PCA plane of the paths ({100 * float(np.sum(plane.explained)):.1f} % of their variance)"
    if spec.method == "eigen":
        lam = plane.eigenvalues
        return f"most and least curved directions (λ = {for_people(lam[0], 3)}, {for_people(lam[1], 3)})"
    return f"random directions (seed {spec.seed})"


def caption_lines(projection) -> list[list[tuple[str, str]]]:
    """The caption as lines of (text, colour or "") pieces (see the module docstring); empty unless
    ``projection.kind == "slice"``."""
    if projection.kind != "slice":
        return []
    plane = projection.plane
    model = projection.model
    lines = [[(f"Slice: {method_words(plane)} · through {plane.anchor_text}", "")]]
    if plane.axes is None:
        lines.append([(f"{plane.direction_text(0, 3)};  {plane.direction_text(1, 3)}", "")])
    if projection.error:
        lines.append([(f"could not show the slice asked for: {projection.error}", WARNING_COLOR)])
    racers = projection.racers()
    if racers:
        line = [("off the slice by:", "")]
        for r in racers:
            line += [("  ●", model.color_of(r.index)), (f" {for_people(r.off_plane, 2)}", "")]
            if r.warning:
                line.append((" ⚠", WARNING_COLOR))
        lines.append(line)
    warned = sorted((r for r in racers if r.warning), key=lambda r: (r.index != model.selected, -r.gap))
    if warned:
        r = warned[0]
        more = f" (and {len(warned) - 1} more)" if len(warned) > 1 else ""
        lines.append([("⚠ ", WARNING_COLOR), ("●", model.color_of(r.index)),
                      (f" {r.label}: the map shows f = {for_people(r.plane_loss, 3)} under it, its loss is "
                       f"{for_people(r.loss, 3)} (more than {LOSS_GAP_WARNING:.0%} apart){more}", WARNING_COLOR)])
    return lines


class SliceCaption(QObject):
    """The lines above a :class:`~widgets.contour_view.ContourView` (see the module docstring)."""

    MAX_LINES = 4

    def __init__(self, model, contour_view, parent: QObject | None = None) -> None:
        super().__init__(parent or contour_view)
        self._model = model
        self._view = contour_view
        self._plot = contour_view.getPlotItem()
        self.lines: list[list[tuple[str, str]]] = []
        self.text = ""
        self._throttled = Throttle(self.refresh, 100, self)   # playback moves it at up to 60 Hz
        self._bindings = Bindings(((model.projection.changed, self._throttled), (model.step_changed, self._throttled),
                                   (model.trajectories_changed, self._throttled),
                                   (model.run_changed, self._throttled), (model.runs_changed, self._throttled),
                                   (model.session.changed, self._throttled)))
        self._plot.getViewBox().sigResized.connect(self._throttled)
        contour_view.destroyed.connect(self._bindings.disconnect)
        self.refresh()

    def disconnect_model(self) -> None:
        self._bindings.disconnect()

    def refresh(self, *_args) -> None:
        self.lines = caption_lines(self._model.projection)
        self.text = "\n".join("".join(text for text, _color in line) for line in self.lines)
        label = self._plot.titleLabel
        if not self.lines:
            self._shown = None
            if label.isVisible():
                self._plot.setTitle(None)
            self._view.setToolTip("")
            return
        vb = self._plot.getViewBox()
        if vb is None:              # the map is gone (closed) and this is a late timer
            return
        big = self._model.session.presentation
        size = PRESENTATION_PT if big else CAPTION_PT
        font = QFont()
        font.setPointSizeF(size)
        metrics = QFontMetricsF(font)
        # the plot can be laid out wider than the widget shows (1:1 aspect, legend room): cut at what shows
        # the caption starts right of the left axis
        axis = self._plot.getAxis("left").width()
        width = max(min(vb.width(), self._view.width() - axis) - 12, 200.0)
        ink = self._view.palette().color(QPalette.ColorRole.WindowText).name()
        rows = []
        for line in self.lines[: self.MAX_LINES]:
            room, row = width, ""
            for text, color in line:     # cut the line at the map's width, piece by piece
                cut = metrics.elidedText(text, Qt.TextElideMode.ElideRight, room)
                row += f'<span style="color:{color or ink}">{html.escape(cut)}</span>'
                room -= metrics.horizontalAdvance(cut)
                if cut != text or room <= 0:
                    break
            rows.append(row)
        height = int(len(rows) * metrics.lineSpacing() + 8)
        shown = ("<br>".join(rows), size, height)
        if shown != getattr(self, "_shown", None) or not label.isVisible():   # re-laying out costs a frame
            self._shown = shown
            label.setText(shown[0], justify="left", size=f"{size}pt")
            label.setMaximumHeight(height)
            self._plot.layout.setRowFixedHeight(0, height)
            label.setVisible(True)
        self._view.setToolTip(self.text)


class SurfaceCaption(QLabel):
    """The slice's description in the bottom-left corner of the 3-D view."""

    def __init__(self, model, surface_view) -> None:
        super().__init__(surface_view)
        self._model = model
        self._style = None
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._throttled = Throttle(self.refresh, 250, self)
        self._bindings = Bindings(((model.projection.changed, self._throttled),
                                   (model.session.changed, self.refresh)))
        surface_view.installEventFilter(self)
        self.refresh()

    def disconnect_model(self) -> None:
        self._bindings.disconnect()

    def eventFilter(self, watched, event) -> bool:
        if event.type() in (QEvent.Type.Resize, QEvent.Type.PaletteChange):
            self._style = None
            self.refresh()
        return False

    def refresh(self, *_args) -> None:
        proj = self._model.projection
        if proj.kind != "slice":
            self.setVisible(False)
            return
        parent = self.parentWidget()
        palette = parent.palette()
        text = palette.color(QPalette.ColorRole.WindowText).name()
        back = palette.color(QPalette.ColorRole.Window)
        size = 12 if self._model.session.presentation else 10
        style = (f"QLabel {{ color: {text}; font-size: {size}pt; background: rgba({back.red()}, {back.green()}, "
                 f"{back.blue()}, 200); padding: 3px; border-radius: 3px; }}")
        if style != self._style:      # restyling re-polishes the widget: only when the theme or size changes
            self._style = style
            self.setStyleSheet(style)
            self.setFixedWidth(max(parent.width() - 16, 120))
        if self.text() == proj.plane.description and self.isVisible():
            return
        self.setText(proj.plane.description)
        self.adjustSize()
        self.move(8, max(parent.height() - self.height() - 8, 0))
        self.setVisible(True)
