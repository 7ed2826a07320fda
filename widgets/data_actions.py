"""What a person does to a comparison's data from the menus: open a CSV, start from a few points, pick one of
the one-click models, standardise the features, average or sum the loss over the rows, remove the data.

:class:`DataActions` owns the actions (the window puts them in File and Data, the data pane on its tool row)
and carries them out on the model, each as one undoable edit. A file that cannot be read is refused with a
message naming the row and the column (:class:`explorer.data.DataError`), and the comparison stays as it was.
Compiling a one-click model's loss runs on the job runner (``data-model`` channel), like the formula field's.

Opening data whose columns fit the formula in use swaps the rows under it; other data (or data opened onto
a formula without data) start with a one-click model: logistic regression when the second column is a 0/1
label, linear regression otherwise, on the first two columns.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from explorer.data import DataError, Dataset, read_csv
from explorer.data_models import TEMPLATES, prediction_fits
from explorer.runs import RunSpec
from widgets import jobs

CSV_FILTER = "CSV files (*.csv *.txt);;All files (*)"
COMPILE_TIMEOUT = 5.0
#: the points File ▸ New Points to Fit starts from: y ≈ 0.8 x + 1 with a little scatter
STARTER_POINTS = ((0.5, 1.1), (1.3, 2.4), (2.0, 2.2), (2.9, 3.6), (3.6, 3.7), (4.4, 4.8), (5.1, 4.9))
TEMPLATE_TITLES = {"linear": "&Linear Regression (Mean Squared Error)",
                   "logistic": "L&ogistic Regression (Log-Loss, Labels 0/1)",
                   "distance": "&Distance to Points (the Depot)"}


def _compile(text, variables, data, reduction, parameters):
    from explorer.surface import compile_surface

    return compile_surface(text, dict(parameters), variables=variables, data=data, reduction=reduction,
                           timeout=COMPILE_TIMEOUT)


def with_reduction(surface, reduction: str):
    """The same loss combined over the rows by ``reduction`` ("mean" or "sum"; no symbolic work)."""
    return replace(surface, reduction=reduction, evaluator=replace(surface.evaluator, reduction=reduction))


def features(model) -> tuple[str, ...]:
    """The columns "Standardise features" rescales: the inputs the prediction uses linearly (none without a
    prediction; see :func:`explorer.fit.scalable_inputs`)."""
    spec = model.dataspec
    if spec is None or spec.prediction is None or model.surface is None:
        return ()
    from explorer.fit import scalable_inputs

    return scalable_inputs(spec.prediction, model.variables, tuple(model.parameters), spec.columns)


class DataActions(QObject):
    """The data actions of one window (see the module docstring). ``parent`` is a widget (dialogs' parent)."""

    message = Signal(str)      # what happened, for the status bar
    applied = Signal()         # a one-click model or new data is in use

    def __init__(self, model, parent: QWidget) -> None:
        super().__init__(parent)
        self.model = model
        self._widget = parent
        self.channel = jobs.channel(self, "data-model")
        self.channel.finished.connect(self._on_compiled)
        self.channel.failed.connect(lambda e: self._inform("Could not use this model", str(e)))
        self._create_actions()
        model.data_changed.connect(self._sync)
        model.surface_changed.connect(self._sync)
        model.loaded.connect(self._sync)
        self._sync()

    # ------------------------------------------------------------------ actions
    def _action(self, text: str, slot, *, shortcut=None, checkable=False, tip: str = "") -> QAction:
        action = QAction(text, self)
        action.setCheckable(checkable)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        action.triggered.connect(slot)
        return action

    def _create_actions(self) -> None:
        self.open_data_action = self._action("Open &Data…", lambda: self.open_data(), shortcut="Ctrl+Shift+O",
                                             tip="Read a CSV file (a header row of names, then numbers) as "
                                                 "the data the loss is averaged over")
        self.new_points_action = self._action("&New Points to Fit", self.new_points,
                                              tip="Seven points and a line to fit through them: click to "
                                                  "add points, drag them, right-click to delete")
        self.template_actions = {key: self._action(TEMPLATE_TITLES[key], lambda _=False, k=key: self.use_model(k),
                                                   tip=TEMPLATES[key].description) for key in TEMPLATES}
        self.standardise_action = self._action("&Standardise Features", self.set_standardised, checkable=True,
                                               tip="Rescale the model's inputs to mean 0 and standard "
                                                   "deviation 1: the contours get rounder")
        self.reduction_group = QActionGroup(self)
        self.mean_action = self._action("Loss Is the &Mean over Rows", lambda: self.set_reduction("mean"),
                                        checkable=True)
        self.sum_action = self._action("Loss Is the S&um over Rows", lambda: self.set_reduction("sum"),
                                       checkable=True)
        for a in (self.mean_action, self.sum_action):
            self.reduction_group.addAction(a)
        self.remove_data_action = self._action("&Remove Data", self.remove_data,
                                               tip="Detach the data (only when the formula uses no column)")

    def fill_menu(self, menu) -> None:
        """The Data menu: open, new points, the one-click models, standardise, mean/sum, remove."""
        menu.addAction(self.open_data_action)
        menu.addAction(self.new_points_action)
        menu.addSeparator()
        for action in self.template_actions.values():
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.standardise_action)
        menu.addAction(self.mean_action)
        menu.addAction(self.sum_action)
        menu.addSeparator()
        menu.addAction(self.remove_data_action)

    def _sync(self, *_args) -> None:
        m = self.model
        has = m.dataspec is not None and m.surface is not None
        for action in (*self.template_actions.values(), self.mean_action, self.sum_action):
            action.setEnabled(has)
        self.standardise_action.setEnabled(has and bool(features(m)))
        self.standardise_action.setChecked(has and bool(m.dataspec.standardise))
        reduction = getattr(m.surface, "reduction", "mean")
        (self.sum_action if reduction == "sum" else self.mean_action).setChecked(True)
        self.remove_data_action.setEnabled(has and not m.surface.columns)

    # ------------------------------------------------------------------ dialogs (replaced in tests)
    def _inform(self, title: str, text: str) -> None:
        QMessageBox.warning(self._widget.window(), title, text)

    def _open_path_dialog(self) -> str:
        folder = os.path.dirname(self.model.data_file) if self.model.data_file else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self._widget.window(), "Open data", folder, CSV_FILTER)
        return path

    # ------------------------------------------------------------------ doing it
    def open_data(self, path: str | os.PathLike | None = None) -> bool:
        """Read the CSV at ``path`` (asks when None) and use it; False when nothing changed."""
        path = self._open_path_dialog() if path is None else os.fspath(path)
        if not path:
            return False
        try:
            dataset = read_csv(path)
        except DataError as err:
            self._inform("Could not open data", f"{err}\n\nThe comparison keeps its data.")
            return False
        if len(dataset) == 0:
            self._inform("Could not open data", f"{path}: the file has a header but no rows of numbers.")
            return False
        m = self.model
        taken = [c for c in dataset.columns if c in m.parameters and c not in (m.surface.columns if m.surface else ())]
        name = Path(path).name
        if m.surface is not None and m.dataspec is not None and set(m.surface.columns) <= set(dataset.columns) \
                and m.surface.columns and not taken and not set(dataset.columns) & set(m.variables):
            old = m.dataspec
            show = old.show if old.show and set(old.show) <= set(dataset.columns) else None
            on_map = old.on_map if old.on_map and set(old.on_map) <= set(dataset.columns) else None
            prediction = old.prediction if old.prediction and prediction_fits(
                old.prediction, m.variables, tuple(m.parameters), dataset.columns) else None
            spec = replace(old, dataset=dataset, file=os.path.abspath(path), show=show, on_map=on_map,
                           prediction=prediction, standardise=tuple(c for c in old.standardise
                                                                    if c in dataset.columns))
            with m.edit(f"Open data {name}"):
                m.set_data_spec(spec)
            self.message.emit(f"{name}: {len(dataset):,} rows under the same loss")
            self.applied.emit()
            return True
        if len(dataset.columns) < 2:
            self._inform("Could not open data", f"{path}: a model needs at least two columns (an input and a "
                                                f"target); this file has {len(dataset.columns)}.")
            return False
        x, y = dataset.columns[:2]
        key = "logistic" if _is_label(dataset.column(y)) else "linear"
        self.use_model(key, dataset=dataset, file=os.path.abspath(path), text=f"Open data {name}")
        self.message.emit(f"{name}: {len(dataset):,} rows; {TEMPLATES[key].title.lower()} of {y} on {x} "
                          "(Data menu: other models)")
        return True

    def new_points(self) -> None:
        """Seven points on a rough line, fitted by linear regression: a start for clicking and dragging."""
        dataset = Dataset(("x", "y"), np.array(STARTER_POINTS))
        self.use_model("linear", dataset=dataset, text="New points to fit")

    def use_model(self, key: str, *, dataset: Dataset | None = None, file: str | None = None,
                  text: str | None = None) -> None:
        """Apply the one-click model ``key`` to the data's shown columns (or to ``dataset``'s first two)."""
        from explorer.fit import template_setup
        from explorer.preset_schema import DataSpec

        m = self.model
        if dataset is None:
            if m.dataspec is None:
                self._inform("No data", "Open a CSV file (File ▸ Open Data…) or start from new points first.")
                return
            spec = m.dataspec
        else:
            spec = DataSpec(dataset, file)
        x, y = spec.shown
        if x == y:
            self._inform("Cannot use this model", "The model needs two different columns: an input and a target.")
            return
        standardise = tuple(c for c in spec.standardise if c == x)
        setup = template_setup(key, spec.dataset, x, y, standardise)
        spec = replace(spec, prediction=setup.prediction, show=setup.show, on_map=setup.on_map,
                       standardise=standardise)
        reduction = getattr(m.surface, "reduction", "mean") if m.surface is not None else "mean"
        title = text or f"Use {TEMPLATES[key].title.split(' (')[0].lower()}"
        rows, variables = spec.model_dataset, setup.variables
        self.channel.submit(lambda progress, cancelled: (
            title, spec, setup, _compile(setup.expression, variables, rows, reduction, {})))

    def _on_compiled(self, payload) -> None:
        title, spec, setup, surface = payload
        m = self.model
        with m.edit(title):
            m.minima = ()
            m.set_surface(surface, ranges=setup.ranges)
            m.set_data_spec(spec)
            if not m.runs:
                m.add_run(RunSpec("Gradient descent", "sgd", setup.start, {"lr": 0.1}))
            for i, run in enumerate(list(m.runs)):
                if run.batch is not None and run.batch.size > len(spec.dataset):
                    run = replace(run, batch=None)
                m.set_run(i, replace(run, start=setup.start))
        self.applied.emit()

    def set_standardised(self, on: bool) -> None:
        m = self.model
        if m.dataspec is None:
            return
        wanted = features(m) if on else ()
        if tuple(wanted) == tuple(m.dataspec.standardise):
            return
        with m.edit("Standardise the features" if wanted else "Use the features as given"):
            m.set_data_spec(replace(m.dataspec, standardise=tuple(wanted)))

    def set_reduction(self, reduction: str) -> None:
        m = self.model
        if m.surface is None or m.dataspec is None or m.surface.reduction == reduction:
            return
        with m.edit("Sum the loss over the rows" if reduction == "sum" else "Average the loss over the rows"):
            m.set_surface(with_reduction(m.surface, reduction))

    def remove_data(self) -> None:
        m = self.model
        if m.surface is None or m.dataspec is None:
            return
        if m.surface.columns:
            names = ", ".join(m.surface.columns)
            self._inform("Cannot remove the data", f"The formula uses the data ({names}): type a formula "
                                                   "without them first.")
            return
        with m.edit("Remove the data"):
            m.set_data_spec(None)


def _is_label(values) -> bool:
    v = np.asarray(values, dtype=float)
    return v.size > 0 and bool(np.all((v == 0) | (v == 1)))
