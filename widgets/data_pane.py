"""The data pane: the data on two chosen columns, the selected racer's model at the current step, residuals,
and the rows of the current minibatch — linked to playback like the map.

::

    Show [x ▾] vs [y ▾]                                  Model ▾   Rows
    ┌──────────────────────────────────────────────┐
    │   ·   ╱·      model (the selected run's colour)│
    │  ·│ ╱ ·       residuals: point to prediction   │
    │   ╱·  ◯       ◯ rows of this step's minibatch  │
    └──────────────────────────────────────────────┘
    Adam, step 37: loss 0.118 (mean over 30 rows) · batch of 8 (◯), epoch 10 …      ☐ Standardise

What is drawn follows :func:`explorer.fit.describe`: a line or sigmoid over the horizontal column (a
"curve"), a decision boundary when the prediction uses both columns, or, for data that live in the plane of
the two variables (the depot), the racer's point joined to every data point.

Mouse: drag a point to move it, click on empty space to add one (the other columns copy the nearest point;
0/1 labels stay 0 or 1), right-click a point to delete it. Every change recomputes the surface and the paths
and is one undoable edit (a drag is one step). The rows themselves are edited in the table (Rows ▸).
At most :data:`MAX_DRAWN` points are drawn (an even sample of larger data, said in the caption).
"""

from __future__ import annotations

import contourpy
import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSizePolicy,
    QSplitter,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from explorer.events import Bindings
from explorer.fit import FitLayout, binary, boundary_grid, curve, describe, moved_row, new_row, predictions
from explorer.summary import for_people
from widgets.colors import OUTLINE, qcolor

MAX_DRAWN = 2_000
POINT_SIZE = 11
BATCH_RING = 19
CURVE_SAMPLES = 241
BOUNDARY_GRID = 81
AXIS_FONT_PT = 11
POINT_FILL = (150, 150, 150)
LABEL_FILLS = ((150, 150, 150), (245, 245, 245))   # label 0 grey circle, label 1 white square
NO_RUN_COLOR = "#888888"


class DataPoints(pg.ScatterPlotItem):
    """Data points that can be dragged (``on_drag(row, x, y, finished)``) or right-clicked
    (``on_delete(row)``); a left click on a point is taken (it does not add a point under it)."""

    def __init__(self, on_drag, on_delete):
        super().__init__(pxMode=True, size=POINT_SIZE, hoverable=False)
        self._on_drag = on_drag
        self._on_delete = on_delete
        self._dragging: int | None = None

    def row_at(self, pos) -> int | None:
        points = self.pointsAt(pos)
        return int(points[0].data()) if len(points) else None

    def mouseClickEvent(self, ev):
        row = self.row_at(ev.pos())
        if row is None:
            ev.ignore()
            return
        ev.accept()
        if ev.button() == Qt.MouseButton.RightButton:
            self._on_delete(row)

    def mouseDragEvent(self, ev):
        if ev.button() != Qt.MouseButton.LeftButton:
            ev.ignore()
            return
        if ev.isStart():
            self._dragging = self.row_at(ev.buttonDownPos())
        if self._dragging is None:
            ev.ignore()
            return
        ev.accept()
        row = self._dragging
        if ev.isFinish():
            self._dragging = None
        self._on_drag(row, ev.pos().x(), ev.pos().y(), ev.isFinish())


def _over(color: QColor, background: QColor, alpha: float) -> QColor:
    """``color`` at opacity ``alpha`` painted over ``background``, as one opaque colour."""
    return QColor(*(round(alpha * a + (1 - alpha) * b) for a, b in zip(color.getRgb()[:3], background.getRgb()[:3],
                                                                       strict=True)))


class DataPane(QWidget):
    """The data pane bound to a :class:`~explorer.model.Comparison` (see the module docstring)."""

    def __init__(self, model, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from widgets.data_actions import DataActions
        from widgets.data_table import DataTable

        self._model = model
        self.layout_info: FitLayout | None = None
        self._drawn = np.empty(0, dtype=int)        # data rows drawn, in scatter order
        self._range_key = None                      # what the view range was fitted to
        self._drawn_for = None                      # (DataSpec, Symbolic) the points and layout were drawn for
        self.actions = DataActions(model, self)

        # --- the tool row
        self.h_combo, self.v_combo = QComboBox(), QComboBox()
        for combo, name in ((self.h_combo, "horizontal column"), (self.v_combo, "vertical column")):
            combo.setAccessibleName(name)
            combo.setToolTip(f"The {name} of the plot")
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            combo.activated.connect(self._on_columns_chosen)
        self.model_button = QToolButton()
        self.model_button.setText("Model")
        self.model_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        model_menu = QMenu(self.model_button)
        model_menu.addAction(self.actions.open_data_action)
        model_menu.addAction(self.actions.new_points_action)
        model_menu.addSeparator()
        for action in self.actions.template_actions.values():
            model_menu.addAction(action)
        model_menu.addSeparator()
        model_menu.addAction(self.actions.mean_action)
        model_menu.addAction(self.actions.sum_action)
        model_menu.addSeparator()
        model_menu.addAction(self.actions.remove_data_action)
        self.model_button.setMenu(model_menu)
        self.model_button.setToolTip("Open data, the one-click models, mean or sum over the rows")
        self.standardise = QCheckBox("Standardise")
        self.standardise.setToolTip(self.actions.standardise_action.toolTip())
        self.standardise.toggled.connect(self._on_standardise)
        self.rows_button = QToolButton()
        self.rows_button.setText("Rows")
        self.rows_button.setCheckable(True)
        self.rows_button.setToolTip("Show the rows in a table: edit, paste, add and delete")
        self.rows_button.toggled.connect(self._show_table)
        # a tool bar: when the pane is narrow (1280×720) what does not fit goes behind its » button
        tools = QToolBar()
        tools.setMovable(False)
        tools.setFloatable(False)
        tools.setStyleSheet("QToolBar { border: none; spacing: 4px; }")
        for w in (QLabel("Show "), self.h_combo, QLabel(" vs "), self.v_combo):
            tools.addWidget(w)
        tools.addSeparator()
        for w in (self.model_button, self.rows_button):
            tools.addWidget(w)
        self.tools = tools

        # --- the plot
        self.plot = pg.PlotWidget()
        self.plot.setBackground(None)
        item = self.plot.getPlotItem()
        item.hideButtons()
        item.setMenuEnabled(False)
        item.getViewBox().setMenuEnabled(False)
        item.showGrid(x=True, y=True, alpha=0.2)
        font = QFont()
        font.setPointSize(AXIS_FONT_PT)
        for side in ("bottom", "left"):
            axis = item.getAxis(side)
            axis.setStyle(tickFont=font)
            axis.enableAutoSIPrefix(False)
        self.residuals = pg.PlotCurveItem(connect="pairs")
        # drawn as separate lines (they are: one per row) with an opaque pen (see _draw_fit): Qt stroked the
        # 1,000-row path of pairs in 30 ms a repaint, the lines in 5
        self.residuals.setSegmentedLineMode("on")
        self.residuals.setZValue(1)
        self.fit_curve = pg.PlotCurveItem(connect="finite")
        self.fit_curve.setZValue(2)
        self.batch_rings = pg.ScatterPlotItem(pxMode=True, size=BATCH_RING, symbol="o", brush=pg.mkBrush(None))
        self.batch_rings.setZValue(3)
        self.points = DataPoints(self._drag_point, self.delete_point)
        self.points.setZValue(4)
        self.racer = pg.ScatterPlotItem(pxMode=True, size=17, symbol="o")
        self.racer.setZValue(5)
        for it in (self.residuals, self.fit_curve, self.batch_rings, self.points, self.racer):
            item.addItem(it)
        self.note = pg.TextItem(anchor=(0.5, 0.5))
        self.note.setParentItem(item.getViewBox())
        self.plot.scene().sigMouseClicked.connect(self._scene_clicked)
        self.plot.setMinimumHeight(90)
        self.plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.caption.setTextFormat(Qt.TextFormat.RichText)
        self.caption.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.table = DataTable(model)
        self.table.hide()
        top = QWidget()
        column = QVBoxLayout(top)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(tools)
        column.addWidget(self.plot, 1)
        # under the plot: what it shows now, and the scaling switch (shown when the model has inputs to scale)
        bottom = QHBoxLayout()
        bottom.setContentsMargins(0, 0, 0, 0)
        bottom.addWidget(self.caption, 1)
        bottom.addWidget(self.standardise, 0, Qt.AlignmentFlag.AlignTop)
        column.addLayout(bottom)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.table)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.splitter)

        self._bindings = Bindings(((model.data_changed, self._on_data_changed),
                                   (model.surface_changed, self._on_surface_changed),
                                   (model.loaded, self._on_loaded),
                                   (model.trajectories_changed, self._draw_fit),
                                   (model.step_changed, self._draw_fit),
                                   (model.selection_changed, self._draw_fit),
                                   (model.run_changed, self._draw_fit),
                                   (model.runs_changed, self._draw_fit),
                                   (model.session.changed, self._on_session)))
        self._on_loaded()

    # ------------------------------------------------------------------ model -> pane
    def disconnect_model(self) -> None:
        self._bindings.disconnect()
        self.table.disconnect_model()

    def _on_loaded(self) -> None:
        self._range_key = None
        self._on_data_changed()

    def _on_session(self, key: str) -> None:
        if key == "presentation":
            self._on_data_changed()

    def _on_surface_changed(self) -> None:
        """A new formula, parameters or reduction (the rows, if they changed, were drawn on data_changed)."""
        m = self._model
        if m.dataspec is not None and m.surface is not None and self._drawn_for == (m.dataspec, m.surface.symbolic):
            self._draw_fit()
        else:
            self._on_data_changed()

    def _on_data_changed(self, *_args) -> None:
        m = self._model
        spec = m.dataspec
        self._drawn_for = (spec, m.surface.symbolic if m.surface is not None else None)
        has = spec is not None and m.surface is not None
        for w in (self.h_combo, self.v_combo, self.rows_button):
            w.setEnabled(has)
        self.standardise.blockSignals(True)
        self.standardise.setEnabled(self.actions.standardise_action.isEnabled())
        self.standardise.setVisible(self.standardise.isEnabled())
        self.standardise.setChecked(has and bool(spec.standardise))
        self.standardise.blockSignals(False)
        if not has:
            self.layout_info = None
            self._drawn = np.empty(0, dtype=int)
            for it in (self.points, self.batch_rings, self.racer):
                it.setData([])
            self.residuals.setData([], [])
            self.fit_curve.setData([], [])
            self._set_note("No data. File ▸ Open Data… reads a CSV file;\nData ▸ New Points to Fit starts "
                           "from a few points.")
            self.caption.setText("")
            return
        self._set_note("")
        self.layout_info = describe(spec, m.surface)
        for combo, name in zip((self.h_combo, self.v_combo), self.layout_info.shown, strict=True):
            if [combo.itemText(i) for i in range(combo.count())] != list(spec.columns):
                combo.clear()
                combo.addItems(spec.columns)
            combo.setCurrentText(name)
        self._draw_points()
        self._fit_range()
        self._draw_fit()

    def _set_note(self, text: str) -> None:
        self.note.setText(text)
        self.note.setVisible(bool(text))
        if text:
            rect = self.plot.getPlotItem().getViewBox().boundingRect()
            self.note.setPos(rect.width() / 2, rect.height() / 2)
            self.note.setColor(self.palette().color(QPalette.ColorRole.WindowText))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._label_axes()

    def _label_axes(self) -> None:
        """Axis names beside and under the plot; the one under it only when the plot is tall enough (the
        horizontal column's combo names it too)."""
        item = self.plot.getPlotItem()
        names = self.layout_info.shown if self.layout_info is not None else ("", "")
        for side, name, room in (("bottom", names[0], self.plot.height() >= 180), ("left", names[1], True)):
            if room and name:
                item.setLabel(side, name)
            else:
                item.getAxis(side).showLabel(False)

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange and getattr(self, "layout_info", None) is not None:
            # a theme switch: the residuals are blended with the background
            self._draw_fit()

    def _big(self) -> bool:
        return self._model.session.presentation

    def _draw_points(self) -> None:
        m, info = self._model, self.layout_info
        spec = m.dataspec
        h, v = info.shown
        n = len(spec.dataset)
        drawn = np.arange(n) if n <= MAX_DRAWN else np.linspace(0, n - 1, MAX_DRAWN).round().astype(int)
        self._drawn = drawn
        xs, ys = spec.dataset.column(h)[drawn], spec.dataset.column(v)[drawn]
        size = POINT_SIZE * (1.5 if self._big() else 1.0)
        pen = pg.mkPen(OUTLINE, width=1.5)
        if info.colour_by is not None and binary(spec.dataset.column(info.colour_by)):
            labels = spec.dataset.column(info.colour_by)[drawn]
            symbols = np.where(labels > 0.5, "s", "o").tolist()
            brushes = [pg.mkBrush(*LABEL_FILLS[int(lab > 0.5)]) for lab in labels]
            self.points.setData(x=xs, y=ys, data=drawn, symbol=symbols, brush=brushes, pen=pen, size=size)
        else:
            self.points.setData(x=xs, y=ys, data=drawn, symbol="o", brush=pg.mkBrush(*POINT_FILL), pen=pen,
                                size=size)
        self._label_axes()

    def _fit_range(self) -> None:
        """Frame the data (once per data set and choice of columns: never while a point is being edited)."""
        m, info = self._model, self.layout_info
        spec = m.dataspec
        key = (spec.columns, info.shown, info.kind, m.variables)
        if key == self._range_key:
            return
        self._range_key = key
        h, v = info.shown
        xs, ys = spec.dataset.column(h), spec.dataset.column(v)
        if info.kind == "map":     # the racers move in the same plane: frame the map's box too
            xs = np.concatenate([xs, m.x_range])
            ys = np.concatenate([ys, m.y_range])
        box = []
        for values in (xs, ys):
            values = values[np.isfinite(values)]
            lo, hi = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
            pad = 0.08 * (hi - lo) if hi > lo else max(abs(lo) * 0.1, 1.0)
            box.append((lo - pad, hi + pad))
        if binary(spec.dataset.column(v)):
            box[1] = (-0.15, 1.15)
        vb = self.plot.getPlotItem().getViewBox()
        vb.setAspectLocked(info.kind == "map", ratio=1.0)
        vb.setRange(xRange=box[0], yRange=box[1], padding=0.0)

    def selected_point(self):
        """(run index, step, (d,) point) of the selected racer now, or None."""
        m = self._model
        i = m.selected
        if not 0 <= i < len(m.runs) or not m.runs[i].visible:
            return None
        traj = m.trajectories[i] if i < len(m.trajectories) else None
        k = min(int(m.step), traj.stop_step) if traj is not None else 0
        theta = np.asarray(m.point_at(i, k), dtype=float)
        if not np.all(np.isfinite(theta)):
            return None
        return i, k, theta

    def _draw_fit(self, *_args) -> None:
        m, info = self._model, self.layout_info
        if info is None or m.dataspec is None:
            return
        spec = m.dataspec
        h, v = info.shown
        current = self.selected_point()
        width = 3.0 * (1.8 if self._big() else 1.0)
        self.fit_curve.setData([], [])
        self.residuals.setData([], [])
        self.racer.setData([])
        self.batch_rings.setData([])
        if current is None:
            self.caption.setText(info.note or "Select a visible run to see its model.")
            return
        i, k, theta = current
        color = m.color_of(i)
        xs, ys = spec.dataset.column(h)[self._drawn], spec.dataset.column(v)[self._drawn]
        shadow = pg.mkPen(OUTLINE + (170,), width=width + 2.5)
        # the run colour at 2/3 over the pane's background as an opaque pen: the residuals are drawn line by
        # line, and a translucent pen would darken where two of them overlap
        residual_pen = pg.mkPen(_over(qcolor(color), self.plot.palette().color(QPalette.ColorRole.Window),
                                      170 / 255), width=1.6 * (1.5 if self._big() else 1.0))
        if info.kind == "curve":
            vb = self.plot.getPlotItem().getViewBox()
            (x0, x1), _ = vb.viewRange()
            lo = min(x0, float(np.nanmin(xs)) if xs.size else x0)
            hi = max(x1, float(np.nanmax(xs)) if xs.size else x1)
            grid = np.linspace(lo, hi, CURVE_SAMPLES)
            self.fit_curve.setData(grid, curve(info, spec, theta, m.parameters, grid))
            if v in info.targets:
                pred = predictions(info, spec, theta, m.parameters)[self._drawn]
                self._set_segments(self.residuals, xs, ys, xs, pred)
        elif info.kind == "boundary":
            vb = self.plot.getPlotItem().getViewBox()
            (x0, x1), (y0, y1) = vb.viewRange()
            gx, gy = np.linspace(x0, x1, BOUNDARY_GRID), np.linspace(y0, y1, BOUNDARY_GRID)
            z = boundary_grid(info, spec, theta, m.parameters, gx, gy)
            lines = contourpy.contour_generator(gx, gy, np.ma.masked_invalid(z),
                                                line_type=contourpy.LineType.ChunkCombinedNan).lines(0.5)[0][0]
            if lines is not None and len(lines):
                self.fit_curve.setData(lines[:, 0], lines[:, 1])
        elif info.kind == "map":   # on_map[j] is the coordinate of variable j
            px, py = theta[spec.on_map.index(h)], theta[spec.on_map.index(v)]
            self._set_segments(self.residuals, xs, ys, np.full_like(xs, px), np.full_like(ys, py))
            self.racer.setData(x=[px], y=[py], brush=pg.mkBrush(qcolor(color)), pen=pg.mkPen(OUTLINE, width=2.0),
                               size=17 * (1.4 if self._big() else 1.0))
        self.fit_curve.setPen(pg.mkPen(qcolor(color), width=width))
        self.fit_curve.setShadowPen(shadow)
        self.residuals.setPen(residual_pen)
        self._draw_batch(i, k, color)
        self.caption.setText(self._caption(i, k))

    @staticmethod
    def _set_segments(item, x0, y0, x1, y1) -> None:
        pairs = np.empty((2 * len(x0), 2))
        pairs[0::2, 0], pairs[0::2, 1] = x0, y0
        pairs[1::2, 0], pairs[1::2, 1] = x1, y1
        ok = np.all(np.isfinite(pairs.reshape(-1, 2, 2)), axis=(1, 2))
        pairs = pairs.reshape(-1, 2, 2)[ok].reshape(-1, 2)
        item.setData(pairs[:, 0], pairs[:, 1])

    def batch_rows(self) -> np.ndarray:
        """The data rows of the minibatch the selected run uses at the current step (empty: full batch)."""
        current = self.selected_point()
        if current is None:
            return np.empty(0, dtype=int)
        i, k, _theta = current
        traj = self._model.trajectories[i]
        record = getattr(traj, "batch", None) if traj is not None else None
        if record is None or k >= len(record.loss):
            return np.empty(0, dtype=int)
        return np.asarray(record.rows(k), dtype=int)

    def _draw_batch(self, i: int, k: int, color: str) -> None:
        rows = self.batch_rows()
        if not rows.size:
            self.batch_rings.setData([])
            return
        spec = self._model.dataspec
        h, v = self.layout_info.shown
        rows = rows[np.isin(rows, self._drawn)]
        size = BATCH_RING * (1.5 if self._big() else 1.0)
        self.batch_rings.setData(x=spec.dataset.column(h)[rows], y=spec.dataset.column(v)[rows], size=size,
                                 pen=pg.mkPen(qcolor(color), width=3.0), brush=pg.mkBrush(None))

    def _caption(self, i: int, k: int) -> str:
        m = self._model
        traj = m.trajectories[i]
        n = len(m.dataspec.dataset)
        reduction = "mean" if m.surface.reduction == "mean" else "sum"
        label = m.runs[i].label
        if traj is None:
            return f"{label}: computing…"
        parts = [f"<b>{label}</b>, step {k}: loss {for_people(float(traj.loss[k]), 3)} "
                 f"({reduction} over {n:,} rows)"]
        record = getattr(traj, "batch", None)
        if record is not None and k < len(record.loss):
            parts.append(f"batch of {int(record.count[k])} (◯), epoch {int(record.epoch[k]) + 1}, "
                         f"batch loss {for_people(float(record.loss[k]), 3)}")
        if len(self._drawn) < n:
            parts.append(f"drawing {len(self._drawn):,} of {n:,} rows")
        if self.layout_info.note:
            parts.append(self.layout_info.note)
        return " · ".join(parts)

    # ------------------------------------------------------------------ pane -> model
    def _on_columns_chosen(self, *_args) -> None:
        m = self._model
        if m.dataspec is None:
            return
        from dataclasses import replace

        show = (self.h_combo.currentText(), self.v_combo.currentText())
        if show != self.layout_info.shown:
            with m.edit(f"Show {show[0]} against {show[1]}"):
                m.set_data_spec(replace(m.dataspec, show=show))

    def _on_standardise(self, on: bool) -> None:
        self.actions.set_standardised(on)

    def _show_table(self, on: bool) -> None:
        self.table.setVisible(on)
        if on:
            h = self.splitter.height()
            self.splitter.setSizes([int(h * 0.6), int(h * 0.4)])

    def _drag_point(self, row: int, x: float, y: float, finished: bool) -> None:
        self.move_point(row, x, y)

    def move_point(self, row: int, x: float, y: float) -> None:
        """Move data row ``row`` to (x, y) on the shown columns (a drag makes one undo step)."""
        m = self._model
        spec = m.dataspec
        if spec is None or not (np.isfinite(x) and np.isfinite(y)):
            return
        values = moved_row(spec.dataset, row, self.layout_info.shown, x, y)
        if np.array_equal(values, spec.dataset.rows[row]):
            return
        with m.edit(f"Move data point {row + 1}", ("data", "move", row)):
            m.set_data(spec.dataset.with_row(row, values))

    def add_point(self, x: float, y: float) -> None:
        m = self._model
        spec = m.dataspec
        if spec is None or self.layout_info is None:
            return
        from explorer.data import MAX_ROWS

        if len(spec.dataset) >= MAX_ROWS:
            self.caption.setText(f"at most {MAX_ROWS:,} rows")
            return
        (x0, x1), (y0, y1) = self.plot.getPlotItem().getViewBox().viewRange()
        values = new_row(spec.dataset, self.layout_info.shown, x, y, (x1 - x0, y1 - y0))
        with m.edit("Add a data point"):
            m.set_data(spec.dataset.with_added(values))

    def delete_point(self, row: int) -> None:
        m = self._model
        spec = m.dataspec
        if spec is None:
            return
        if len(spec.dataset) <= 1:
            self.caption.setText("The last row stays: a loss over no rows is undefined.")
            return
        with m.edit(f"Delete data point {row + 1}"):
            m.set_data(spec.dataset.without(row))

    def _scene_clicked(self, ev) -> None:
        if ev.isAccepted() or ev.button() != Qt.MouseButton.LeftButton or ev.double():
            return
        vb = self.plot.getPlotItem().getViewBox()
        if not vb.sceneBoundingRect().contains(ev.scenePos()) or self._model.dataspec is None:
            return
        p = vb.mapSceneToView(ev.scenePos())
        ev.accept()
        self.add_point(p.x(), p.y())

    # ------------------------------------------------------------------ for tests and exports
    def point_positions(self) -> np.ndarray:
        """(m, 2) data coordinates of the drawn points."""
        x, y = self.points.getData()
        return np.column_stack([x, y]) if x is not None else np.empty((0, 2))

    def scene_pos_of(self, x: float, y: float):
        """Widget pixel position (QPoint) of data coordinates (x, y) in the plot."""
        from PySide6.QtCore import QPointF

        vb = self.plot.getPlotItem().getViewBox()
        return self.plot.mapFromScene(vb.mapViewToScene(QPointF(x, y)))
