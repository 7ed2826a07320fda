"""Who is who: a legend of the runs (colour, label, optimizer, learning rate) on the map and in the 3-D view.

Both legends follow the model (runs, visibility, colours, ``view.show_legend``, presentation mode) and are
part of the views, so they are in every export and stay in presentation mode, where the runs panel is folded
away. The map's legend sits inside the map, in the corner its paths cross least (it can be dragged elsewhere),
on a translucent panel; the 3-D view's is a small panel of the labels in its top-left corner.
"""

from __future__ import annotations

import html

import numpy as np
import pyqtgraph as pg
import shiboken6
from PySide6.QtCore import QObject, QPointF, Qt, QTimer
from PySide6.QtGui import QFont, QFontMetricsF, QPalette
from PySide6.QtWidgets import QLabel

from explorer.summary import for_people
from widgets.colors import OUTLINE, qcolor

FONT_PT = 11
MIN_FONT_PT = 9.0
PRESENTATION_FONT_PT = 16

OPTIMIZER_NAMES = {"sgd": "SGD", "adam": "Adam", "adamw": "AdamW", "nadam": "NAdam", "radam": "RAdam",
                   "adamax": "Adamax", "rmsprop": "RMSProp", "adagrad": "AdaGrad", "adadelta": "Adadelta",
                   "newton": "Newton", "lbfgs": "L-BFGS", "lion": "Lion", "qhm": "QHM", "qhadam": "QHAdam"}


_SAYS_SGD = ("sgd", "gd", "gradient descent", "momentum", "nesterov", "heavy ball")


def run_parts(run) -> tuple[str, list[str]]:
    """(label, [optimizer, β, lr] parts the label does not already say)."""
    label = run.label.strip()
    low = label.lower()
    parts = []
    name = OPTIMIZER_NAMES.get(run.optimizer, run.optimizer)
    says = _SAYS_SGD if run.optimizer == "sgd" else (run.optimizer, name.lower())
    if not any(word in low for word in says):
        parts.append(name)
    if run.optimizer == "sgd" and run.params.get("momentum") and "momentum" not in low and "β" not in low:
        parts.append(f"β {for_people(float(run.params['momentum']))}")
    lr = run.params.get("lr")
    if lr is not None and "lr" not in low:
        parts.append(f"lr {for_people(float(lr))}")
    return label, parts


def run_caption(run) -> str:
    """"label · optimizer, lr 0.01" without repeating what the label already says."""
    label, parts = run_parts(run)
    return label + (f" · {', '.join(parts)}" if parts else "")


def legend_entries(model) -> list[tuple[str, str]]:
    """(colour, caption) of every visible run, in run order."""
    return [(model.color_of(i), run_caption(run)) for i, run in enumerate(model.runs) if run.visible]


def legend_rows(model) -> tuple[str, list[tuple[str, str]]]:
    """(heading, [(colour, caption)]): what every visible run shares (e.g. "all: SGD, lr 0.01") is said once in
    the heading, so each row only says what tells the runs apart."""
    shown = [(model.color_of(i), *run_parts(run)) for i, run in enumerate(model.runs) if run.visible]
    if len(shown) < 2:
        return "", [(c, label + (f" · {', '.join(parts)}" if parts else "")) for c, label, parts in shown]
    common = [part for part in shown[0][2] if all(part in parts for _c, _l, parts in shown)]
    rows = []
    for color, label, parts in shown:
        own = [part for part in parts if part not in common]
        rows.append((color, label + (f" · {', '.join(own)}" if own else "")))
    return (f"all: {', '.join(common)}" if common else ""), rows


class MapLegend(QObject):
    """The runs' legend in the corner of a :class:`~widgets.contour_view.ContourView`."""

    def __init__(self, model, contour_view, parent: QObject | None = None) -> None:
        super().__init__(parent or contour_view)
        self._model = model
        self._view = contour_view
        self._plot = contour_view.getPlotItem()
        self._vb = self._plot.getViewBox()
        self.item = pg.LegendItem(verSpacing=-6, horSpacing=10)
        self.item.setParentItem(self._vb)
        self.item.setZValue(50)
        self.entries: list[tuple[str, str]] = []
        self.corner = (0, 0)
        self._moved_by_hand = False
        for signal in (model.runs_changed, model.run_changed, model.view.changed, model.session.changed,
                       model.surface_changed):
            signal.connect(self.refresh)
        model.trajectories_changed.connect(self._place_soon)
        model.projection.changed.connect(self._on_projection)
        self._frame = None
        model.step_changed.connect(self._on_step)
        self._vb.sigResized.connect(self._on_resized)
        self._replace = QTimer(self, singleShot=True, interval=60)   # after a pan, zoom or reframe: once
        self._replace.timeout.connect(self._place)
        self._vb.sigRangeChanged.connect(lambda *_: self._replace.start())
        self._sized_for = FONT_PT
        self._drawn: tuple | None = None
        contour_view.installEventFilter(self)
        self.refresh()

    def eventFilter(self, watched, event) -> bool:
        if event.type() == event.Type.PaletteChange:
            self.refresh()
        return False

    def _inputs(self) -> tuple:
        """Everything :meth:`refresh` draws from. Dragging a start changes none of it: the legend's items are
        then kept (rebuilding them cost ~25 ms at every mouse move of a drag)."""
        m = self._model
        palette = self._view.palette()
        return (m.view.show_legend, bool(m.runs), bool(m.minima), m.session.presentation, self._font_size(),
                round(self._side_room_px()), round(self._box_width_px()),
                palette.color(QPalette.ColorRole.WindowText).rgba(), palette.color(QPalette.ColorRole.Window).rgba(),
                legend_rows(m), len(self._view.minima_positions()))

    def refresh(self, *_args) -> None:
        m = self._model
        inputs = self._inputs()
        if inputs == self._drawn:
            return
        self._drawn = inputs
        self.item.clear()
        shown = m.view.show_legend and (m.runs or m.minima)
        self.item.setVisible(bool(shown))
        if not shown:
            self.entries = []
            return
        big = m.session.presentation
        size = self._font_size()
        self._sized_for = size
        palette = self._view.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        back = palette.color(QPalette.ColorRole.Window)
        back.setAlpha(200)
        self.item.setBrush(pg.mkBrush(back))
        self.item.setPen(pg.mkPen(text.red(), text.green(), text.blue(), 80))
        self.item.setLabelTextColor(text)
        self.item.setLabelTextSize(f"{size}pt")
        heading, self.entries = legend_rows(m)
        width = 6 if big else 4
        side = self._side_room_px()
        if side > 160:            # room beside the box: make the legend fit there (smaller type, then elision)
            widest = max((QFontMetricsF(_font(size)).horizontalAdvance(c) for _c, c in self.entries), default=0)
            while size > (12.0 if big else 10.0) and widest + 70 > side:   # not smaller: a projector
                size -= 0.5
                widest = max(QFontMetricsF(_font(size)).horizontalAdvance(c) for _c, c in self.entries)
            self.item.setLabelTextSize(f"{size}pt")
        metrics = QFontMetricsF(_font(size))
        room = max(self._box_width_px(), side) - 70    # the box or the room beside it, less sample and margins
        if heading:
            self.item.addItem(pg.PlotDataItem(pen=None), heading)     # no sample: the heading row
        for color, caption in self.entries:
            if room > 80 and metrics.horizontalAdvance(caption) > room:   # a long label: shorten the label,
                label, sep, rest = caption.partition(" · ")                  # keep what follows it (the lr)
                tail = sep + rest
                keep = room - metrics.horizontalAdvance(tail)
                caption = (metrics.elidedText(label, Qt.TextElideMode.ElideRight, keep) + tail if keep > 40
                           else metrics.elidedText(caption, Qt.TextElideMode.ElideMiddle, room))
            sample = pg.PlotDataItem([0, 1], [0, 0], pen=pg.mkPen(qcolor(color), width=width), symbol="o",
                                     symbolSize=13 if big else 10, symbolBrush=qcolor(color),
                                     symbolPen=pg.mkPen(OUTLINE, width=1.5))
            self.item.addItem(sample, caption)
        if len(self._view.minima_positions()):       # the stars the map draws (on a slice: those on it)
            star = pg.ScatterPlotItem(symbol="star", size=16, brush=pg.mkBrush("w"), pen=pg.mkPen(OUTLINE, width=1.5))
            self.item.addItem(star, "known minimum")
            self.entries = [*self.entries, ("#ffffff", "known minimum")]
        self._place_soon()

    def _side_room_px(self) -> float:
        """The widest margin beside the surface's box inside the map, in pixels (0 when the box fills it)."""
        (x0, x1), (y0, _y1) = self._model.projection.x_range, self._model.projection.y_range
        left = self._vb.mapFromScene(self._vb.mapViewToScene(QPointF(x0, y0))).x()
        right = self._visible_width() - self._vb.mapFromScene(self._vb.mapViewToScene(QPointF(x1, y0))).x()
        return max(left, right, 0.0) if self._vb.width() > 50 else 0.0

    def _visible_width(self) -> float:
        """How much of the view box the map widget shows, from its left edge (a plot laid out wider than its
        widget is cut off on the right)."""
        shown = self._view.mapToScene(self._view.viewport().rect()).boundingRect()
        return min(self._vb.width(), self._vb.mapFromScene(shown).boundingRect().right())

    def _box_width_px(self) -> float:
        """The width of the surface's box on screen, in pixels."""
        (x0, x1) = self._model.projection.x_range
        a = self._vb.mapViewToScene(QPointF(x0, 0.0))
        b = self._vb.mapViewToScene(QPointF(x1, 0.0))
        width = abs(b.x() - a.x())
        return width if width > 50 else 10_000.0

    def _on_projection(self, _frame: bool = True, paths: bool = True) -> None:
        """The map shows another box (a new surface or slice) or the paths moved on it: place again (not for
        a slice that only moves with playback, which would move the legend every frame)."""
        proj = self._model.projection
        frame = (proj.kind, proj.x_range, proj.y_range)
        if paths or frame != self._frame:
            self._frame = frame
            self._place_soon()

    def _on_step(self, *_args) -> None:
        # the corner is chosen by the paths drawn so far: at the start of a race and at its end
        if self._model.step in (0, self._model.max_step):
            self._place_soon()

    def _font_size(self) -> float:
        """Points for the captions: smaller on a small map (a 1024-pixel window), large in presentation mode."""
        width = self._visible_width()
        if self._model.session.presentation:
            return float(min(PRESENTATION_FONT_PT, max(12.0, width / 32.0))) if width > 50 else PRESENTATION_FONT_PT
        return float(min(FONT_PT, max(MIN_FONT_PT, width / 40.0))) if width > 50 else FONT_PT

    def _on_resized(self, *_args) -> None:
        if self.item.isVisible() and abs(self._font_size() - self._sized_for) >= 0.5:
            self.refresh()
        else:
            self._place_soon()

    def _place_soon(self, *_args) -> None:
        """Place once the legend has laid its labels out (its size is only known then)."""
        QTimer.singleShot(0, self._place)

    def _place(self, *_args) -> None:
        """Put the legend beside the surface's box when the margin there is wide enough; else in the corner of
        the box that the paths, starts, minima and end points cross least."""
        if not self.item.isVisible() or not shiboken6.isValid(self.item):
            return
        m = self._model
        proj = m.projection
        (x0, x1), (y0, y1) = proj.x_range, proj.y_range
        rect = self.item.boundingRect()
        top_left = self._vb.mapFromScene(self._vb.mapViewToScene(QPointF(x0, y1)))
        bottom_right = self._vb.mapFromScene(self._vb.mapViewToScene(QPointF(x1, y0)))
        room_right = self._visible_width() - bottom_right.x()
        room_left = top_left.x()
        if max(room_left, room_right) >= rect.width() + 4:     # the locked aspect ratio left room: use it
            self.corner = ("outside", "right" if room_right >= room_left else "left")
            x = bottom_right.x() + 2 if room_right >= room_left else top_left.x() - rect.width() - 2
            self.item.setPos(x, max(top_left.y(), 0))
            return
        # where things are drawn on the map (for a slice: projected; for one variable: on the curve)
        paths = {i: proj.path(i) for i, r in enumerate(m.runs) if r.visible}
        important = [proj.start(i) for i in paths if proj.start(i) is not None]
        important += list(self._view.minima_positions())
        important += [p[-1] for p in paths.values() if p is not None]   # where the racers end: what the class watches
        points = [p for p in important for _ in range(25)]     # each counts as much as 25 path points
        spec = getattr(m, "dataspec", None)     # data drawn on the map (the depot's customers) must stay seen
        if spec is not None and getattr(spec, "on_map", None):
            columns = list(spec.dataset.columns)
            rows = np.asarray(spec.dataset.rows, dtype=float)
            points += list(rows[:, [columns.index(c) for c in spec.on_map]])
        for pts in paths.values():
            if pts is not None:
                points.extend(pts[:: max(1, len(pts) // 200)])
        pts = np.array(points, dtype=float).reshape(-1, 2)
        # the legend's share of the box, in data units, from its size in pixels
        px = np.abs(np.array(self._vb.viewPixelSize(), dtype=float))
        w = min(rect.width() * px[0], x1 - x0)
        h = min(rect.height() * px[1], y1 - y0)
        best, corner = None, (0, 0)
        for cx, cy in ((0, 0), (1, 0), (0, 1), (1, 1)):   # (left/right, top/bottom)
            lo_x = x0 if cx == 0 else x1 - w
            hi_y = y1 if cy == 0 else y0 + h
            inside = np.sum((pts[:, 0] >= lo_x) & (pts[:, 0] <= lo_x + w)
                            & (pts[:, 1] <= hi_y) & (pts[:, 1] >= hi_y - h)) if len(pts) else 0
            if best is None or inside < best:
                best, corner = inside, (cx, cy)
        self.corner = corner
        # anchor the legend's corner to the box's corner, in the view box's own coordinates (the box may not
        # fill the view box: the locked aspect ratio leaves a margin)
        corner_xy = QPointF(x0 if corner[0] == 0 else x1, y1 if corner[1] == 0 else y0)
        at = self._vb.mapFromScene(self._vb.mapViewToScene(corner_xy))
        inset = 6
        x = at.x() + inset if corner[0] == 0 else at.x() - rect.width() - inset
        y = at.y() + inset if corner[1] == 0 else at.y() - rect.height() - inset
        # never past what the widget shows (the box can reach beyond a plot laid out wider than its widget)
        x = min(x, self._visible_width() - rect.width() - inset)
        self.item.setPos(max(x, 0), max(y, 0))

    def texts(self) -> list[str]:
        """The captions shown (for tests and exports)."""
        return [label.text for _sample, label in self.item.items] if self.item.isVisible() else []


def _font(points: float) -> QFont:
    font = QFont()
    font.setPointSizeF(points)
    return font


class SurfaceLegend(QLabel):
    """The same legend as a small panel in the top-left corner of the 3-D view."""

    def __init__(self, model, surface_view) -> None:
        super().__init__(surface_view)
        self._model = model
        self._refreshing = False
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.move(8, 8)
        for signal in (model.runs_changed, model.run_changed, model.view.changed, model.session.changed):
            signal.connect(self.refresh)
        self.refresh()

    def refresh(self, *_args) -> None:
        m = self._model
        entries = [(c, r.label) for c, r in zip((m.color_of(i) for i in range(len(m.runs))), m.runs, strict=True)
                   if r.visible]
        self.setVisible(bool(m.view.show_legend and entries))
        size = 12 if m.session.presentation else FONT_PT - 1   # the 3-D legend only names: small
        palette = self.parentWidget().palette()
        text = palette.color(QPalette.ColorRole.WindowText).name()
        back = palette.color(QPalette.ColorRole.Window)
        rows = "".join(f"<tr><td style='color:{c}; font-size:{size + 2}pt'>●</td>"
                       f"<td style='color:{text}; font-size:{size}pt'>&nbsp;{html.escape(t)}</td></tr>"
                       for c, t in entries)
        text = f"<table cellspacing='0' cellpadding='1'>{rows}</table>"
        style = (f"QLabel {{ background: rgba({back.red()}, {back.green()}, {back.blue()}, 210); "
                 f"border: 1px solid rgba(128, 128, 128, 120); border-radius: 4px; padding: 4px; }}")
        if (text, style) == (self.text(), self.styleSheet()):    # e.g. a start dragged: nothing to lay out again
            return
        self.setText(text)
        self.setStyleSheet(style)
        self.adjustSize()

    def changeEvent(self, event) -> None:
        if event.type() == event.Type.PaletteChange and not self._refreshing:
            self._refreshing = True
            try:
                self.refresh()
            finally:
                self._refreshing = False
        super().changeEvent(event)
