"""Basins of attraction over the contour map, computed off the GUI thread.

:class:`BasinView` is a small panel (meant for a dock): resolution, step budget, colouring mode, a Compute
button, a progress bar with Cancel. It runs :func:`explorer.basins.basin_map` for the selected run's optimizer
and hyperparameters on the job runner (newest request wins) and lays the result over the contour view as a
semi-transparent :class:`pyqtgraph.ImageItem`, with one categorical colour per minimum, a letter on each
minimum and a legend in the corner of the map. ``model.session.show_basins`` shows or hides the map (looking
at basins is not an edit: it is never saved and never marks the comparison modified); while it is shown, a
change of surface, ranges or the selected run's settings recomputes it. How it is coloured
(``model.view.basin_mode``) belongs to the lesson.

For three or more variables the map is drawn on the slice the map shows (``model.projection``): every cell is
the start p(u) of the plane, and the optimizer runs from there in all the variables
(:func:`explorer.slice_runs.slice_basin_map`), free to leave the plane; a slice that moves with playback is
mapped again once it has stood still for :data:`SLICE_SETTLE_MS`. One variable has no plane to colour.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from explorer.basins import DIVERGED, OTHER, basin_map
from widgets import jobs

# Tableau 10 (Stone, "Tableau 10", 2016): distinct from the Okabe-Ito racer colours and from viridis.
BASIN_COLORS = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                "#9c755f", "#bab0ac")
OTHER_RGBA = (235, 235, 235, 110)     # not converged within the step budget (saddle, plateau, still moving)
DIVERGED_RGBA = (15, 15, 15, 190)     # left the view far behind
BASIN_ALPHA = 150
MODES = (("minimum", "By minimum reached"), ("steps", "Steps to converge"), ("diverged", "Diverged or not"))
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LARGE_GRID = 250 * 250 * 500          # cells × steps above which the progress bar is worth showing
SLICE_SETTLE_MS = 400                 # a moving slice's basins are computed once it stood still this long


def _rgba(hex_color: str, alpha: int) -> tuple[int, int, int, int]:
    h = hex_color.lstrip("#")
    return (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16), alpha)


def basin_image(result, mode: str) -> np.ndarray:
    """(rows, cols, 4) uint8 RGBA for a :class:`~explorer.basins.BasinMap` (row i ↔ y[i], bottom row first).

    mode : "minimum" (categorical colour per minimum), "steps" (plasma over steps to converge, cells that
    did not converge left clear) or "diverged" (dark where the start diverged, clear elsewhere).
    """
    labels = np.asarray(result.labels)
    out = np.zeros(labels.shape + (4,), dtype=np.uint8)
    if mode == "minimum":
        out[labels == OTHER] = OTHER_RGBA
        for k in range(len(result.minima)):
            out[labels == k] = _rgba(BASIN_COLORS[k % len(BASIN_COLORS)], BASIN_ALPHA)
        out[labels == DIVERGED] = DIVERGED_RGBA
    elif mode == "steps":
        steps = np.asarray(result.steps, dtype=float)
        conv = np.asarray(result.converged)
        top = max(float(steps[conv].max()) if conv.any() else 1.0, 1.0)
        table = pg.colormap.get("plasma").getLookupTable(0.0, 1.0, 256, alpha=True).astype(np.uint8)
        index = np.clip(np.rint(steps / top * 255), 0, 255).astype(np.intp)
        rgba = table[index]
        rgba[..., 3] = 175
        out[conv] = rgba[conv]
        out[np.asarray(result.diverged)] = DIVERGED_RGBA
    else:
        out[np.asarray(result.diverged)] = (200, 20, 20, 170)
        out[np.asarray(result.converged)] = (40, 200, 90, 90)
    return out


class BasinView(QWidget):
    """Controls for the basin map and the overlay it draws on ``contour_view`` (see the module docstring)."""

    def __init__(self, model, contour_view, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._plot = contour_view.getPlotItem()
        self.result = None            # the last BasinMap shown
        self.legend_labels: list[str] = []

        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setZValue(-7)      # over the colour image (-10), under iso-lines (-5) and paths
        self._plot.addItem(self.image)
        self._letters: list[pg.TextItem] = []
        self.legend = pg.LegendItem(offset=(10, -10), labelTextSize="13pt", brush=pg.mkBrush(0, 0, 0, 160),
                                    labelTextColor="w", pen=pg.mkPen(255, 255, 255, 90))
        self.legend.setParentItem(self._plot.getViewBox())
        self.legend.setZValue(40)

        self.resolution = QSpinBox(minimum=20, maximum=1000, singleStep=20, value=200)
        self.steps = QSpinBox(minimum=1, maximum=100_000, singleStep=100, value=500)
        self.mode = QComboBox()
        for key, text in MODES:
            self.mode.addItem(text, key)
        self.compute_button = QPushButton("Compute basins")
        self.cancel_button = QPushButton("Cancel")
        self.hide_button = QPushButton("Hide")
        self.progress = QProgressBar(minimum=0, maximum=1000)
        self.status = QLabel("Runs the selected optimizer from every cell of a grid over the domain.")
        self.status.setWordWrap(True)

        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.addRow("Grid (per side)", self.resolution)
        form.addRow("Steps per start", self.steps)
        form.addRow("Colour by", self.mode)
        self.mode.setMinimumContentsLength(10)
        self.mode.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.compute_button.setText("Compute")
        self.compute_button.setToolTip("Run the selected optimizer from every cell of the grid")
        buttons = QHBoxLayout()
        for b in (self.compute_button, self.cancel_button, self.hide_button):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addStretch(1)

        self.runner = jobs.channel(self, "basins")
        self.runner.finished.connect(self._on_result)
        self.runner.failed.connect(lambda exc: self.status.setText(f"Could not compute the basins: {exc}"))
        self.runner.progress.connect(lambda f: self.progress.setValue(int(round(1000 * f))))
        self.runner.busy_changed.connect(self._on_busy)
        self.compute_button.clicked.connect(self._compute_clicked)
        self.cancel_button.clicked.connect(self.cancel)
        self.hide_button.clicked.connect(lambda: model.session.update({"show_basins": False}))
        self.mode.currentIndexChanged.connect(lambda _i: model.view.update({"basin_mode": self.mode.currentData()}))
        self._on_busy(False)

        model.surface_changed.connect(self._stale)
        self._settle = QTimer(self, singleShot=True, interval=SLICE_SETTLE_MS)
        self._settle.timeout.connect(self._stale)
        model.projection.changed.connect(self._on_projection)
        model.run_changed.connect(self._on_run_changed)
        model.selection_changed.connect(self._on_run_changed)
        model.view.changed.connect(self._on_view_changed)
        model.session.changed.connect(self._on_view_changed)
        self._sync_mode()
        self._show(model.session.show_basins)

    # ------------------------------------------------------------------ requests
    def request(self) -> bool:
        """Start computing the map for the selected run (replacing any running request); False if no run."""
        m = self._model
        if m.surface is None or not 0 <= m.selected < len(m.runs):
            self.status.setText("Select a run first: the map uses its optimizer and hyperparameters.")
            return False
        run = m.runs[m.selected]
        proj = m.projection
        if proj.kind == "curve":
            self.status.setText("Basins are coloured on a plane: f has one variable (the map is its graph).")
            return False
        surface, params, ranges = m.surface, dict(run.params), (m.x_range, m.y_range)
        minima = [np.asarray(p, dtype=float) for p in m.minima if len(p) == m.ndim] or None
        resolution, steps = self.resolution.value(), self.steps.value()
        tolerance = m.tolerance if m.tolerance > 0 else 1e-6
        self.progress.setVisible(resolution * resolution * steps >= LARGE_GRID)
        self.progress.setValue(0)
        where = " from every cell of the slice, in all the variables" if proj.kind == "slice" else ""
        self.status.setText(f"Computing {resolution}×{resolution} starts of {run.optimizer}{where} "
                            f"for up to {steps} steps…")
        plane, bounds = proj.plane, m.ranges

        def job(progress, cancelled):
            if plane is not None:     # the slice's cells are starts in all d variables
                from explorer.slice_runs import slice_basin_map

                return slice_basin_map(surface, plane, run.optimizer, params, bounds, resolution=resolution,
                                       steps=steps, tolerance=tolerance, minima=minima, progress=progress,
                                       cancel=cancelled).map
            return basin_map(surface, run.optimizer, params, *ranges, resolution=resolution, steps=steps,
                             tolerance=tolerance, minima=minima, progress=progress, cancel=cancelled)

        self._optimizer_label = f"{run.label or run.optimizer}"
        self._steps = steps
        self.runner.submit(job)
        return True

    def cancel(self) -> None:
        self.runner.cancel()
        self.status.setText("Cancelled.")

    def _compute_clicked(self) -> None:
        if self._model.session.show_basins:
            self.request()
        else:
            self._model.session.show_basins = True   # _on_view_changed requests

    def _stale(self, *_args) -> None:
        if self._model.session.show_basins:
            self.request()
        else:
            self.result = None

    def _on_projection(self, frame: bool = True, _paths: bool = True) -> None:
        """A slice that moved (playback moves it with its anchor): map it again once it stands still."""
        if frame and self._model.projection.kind == "slice" and self._model.session.show_basins:
            self._settle.start()

    def _on_run_changed(self, index) -> None:
        if index == self._model.selected:
            self._stale()

    def _on_view_changed(self, key: str) -> None:
        if key == "show_basins":
            self._show(self._model.session.show_basins)
        elif key == "basin_mode":
            self._sync_mode()
            self._draw()
        elif key == "presentation":
            self._draw()

    def _show(self, on: bool) -> None:
        self.image.setVisible(on)
        self.legend.setVisible(on)
        for t in self._letters:
            t.setVisible(on)
        if on and self.result is None and not self.runner.busy:
            self.request()

    def _sync_mode(self) -> None:
        mode = self._model.view.basin_mode
        index = self.mode.findData(mode)
        if index >= 0 and index != self.mode.currentIndex():
            self.mode.blockSignals(True)
            self.mode.setCurrentIndex(index)
            self.mode.blockSignals(False)

    def _on_busy(self, busy: bool) -> None:
        self.cancel_button.setEnabled(busy)
        if not busy:
            self.progress.setVisible(False)

    # ------------------------------------------------------------------ drawing
    def _on_result(self, result) -> None:
        self.result = result
        n = result.labels.size
        parts = [f"{LETTERS[k % 26]} {100 * result.fraction(k):.0f}%" for k in range(len(result.minima))]
        diverged, other = result.fraction(DIVERGED), result.fraction(OTHER)
        self.status.setText(f"{self._optimizer_label}: " + ", ".join(parts)
                            + (f", not converged in {self._steps} steps {100 * other:.0f}%" if other else "")
                            + (f", diverged {100 * diverged:.0f}%" if diverged else "")
                            + f" of {n:,} starts.")
        self._draw()

    def _draw(self) -> None:
        for t in self._letters:
            self._plot.removeItem(t)
        self._letters = []
        self.legend.clear()
        self.legend_labels = []
        result = self.result
        if result is None:
            self.image.clear()
            return
        mode = self._model.view.basin_mode
        self.image.setImage(basin_image(result, mode), levels=(0, 255))
        x, y = result.x, result.y
        dx = (x[-1] - x[0]) / max(len(x) - 1, 1)
        dy = (y[-1] - y[0]) / max(len(y) - 1, 1)
        self.image.setRect(QRectF(x[0] - dx / 2, y[0] - dy / 2, dx * len(x), dy * len(y)))
        shown = self._model.session.show_basins
        big = 20 if self._model.session.presentation else 15
        if mode == "minimum":
            for k, xy in enumerate(result.minima):
                color = BASIN_COLORS[k % len(BASIN_COLORS)]
                letter = LETTERS[k % 26]
                text = pg.TextItem(html=f'<span style="font-size:{big}pt; font-weight:bold; color:white">'
                                        f"{letter}</span>", anchor=(0.5, 1.15),
                                   fill=pg.mkBrush(*_rgba(color, 230)), border=pg.mkPen("w", width=1.5))
                text.setPos(float(xy[0]), float(xy[1]))
                text.setZValue(30)
                text.setVisible(shown)
                self._plot.addItem(text)
                self._letters.append(text)
                self._legend_entry(color, f"{letter}  ({xy[0]:.2f}, {xy[1]:.2f})  {100 * result.fraction(k):.0f}%")
            if np.any(result.labels == OTHER):
                self._legend_entry("#ebebeb", f"not converged in {getattr(self, '_steps', '?')} steps  "
                                              f"{100 * result.fraction(OTHER):.0f}%")
            if np.any(result.labels == DIVERGED):
                self._legend_entry("#0f0f0f", f"diverged  {100 * result.fraction(DIVERGED):.0f}%")
        elif mode == "steps":
            conv = np.asarray(result.converged)
            top = int(result.steps[conv].max()) if conv.any() else 0
            table = pg.colormap.get("plasma")
            for frac in (0.0, 0.5, 1.0):
                color = table.map(frac, mode="qcolor").name()
                self._legend_entry(color, f"converged in {int(round(frac * top))} steps")
            self._legend_entry("#0f0f0f", "diverged")
        else:
            self._legend_entry("#c81414", f"diverged  {100 * np.mean(result.diverged):.0f}%")
            self._legend_entry("#28c85a", f"converged  {100 * np.mean(result.converged):.0f}%")
        self.legend.setVisible(shown)

    def _legend_entry(self, color: str, text: str) -> None:
        sample = pg.ScatterPlotItem(symbol="s", size=16, brush=pg.mkBrush(color), pen=pg.mkPen("w", width=1))
        self.legend.addItem(sample, text)
        self.legend_labels.append(text)

    # ------------------------------------------------------------------ lifetime
    def closeEvent(self, event) -> None:
        self.runner.cancel()
        super().closeEvent(event)
