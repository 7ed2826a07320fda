"""The runs: a list (add, duplicate, remove, show/hide, colour) and an editor for the selected run.

The editor shows the optimizer and its hyperparameters under their torch.optim names (the learning rate on
a log-scale slider with an exact number box beside it), the start point, step budget, colour, gradient
noise, learning-rate schedule and minibatches over the data (:mod:`widgets.batch_editor`). Every edit
replaces the run in the model (``model.set_run``), which recomputes that run's trajectory; the editor follows
the model, never the other way round.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QDoubleValidator, QIcon, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from explorer.model import Comparison
from explorer.runs import Noise, RunSpec, Schedule

LR_MIN, LR_MAX, LR_TICKS = 1e-5, 10.0, 600   # log slider: 100 ticks per decade
SCHEDULE_DEFAULTS: dict[str, dict[str, Any]] = {   # torch.optim.lr_scheduler arguments, torch defaults
    "step": {"step_size": 100, "gamma": 0.1},
    "exponential": {"gamma": 0.99},
    "cosine": {"T_max": 500, "eta_min": 0.0},
    "linear": {"start_factor": 1 / 3, "end_factor": 1.0, "total_iters": 5},
}
INVALID_STYLE = "QLineEdit { border: 2px solid #d62728; }"


# ---------------------------------------------------------------------------------------------- optimizers
def optimizer_names() -> list[str]:
    from explorer.optimizers import OPTIMIZERS

    return list(OPTIMIZERS)


def optimizer_info(name: str) -> tuple[str, dict[str, Any]]:
    """(one-line description, hyperparameter defaults under torch names) of a registered optimizer."""
    from explorer.optimizers import OPTIMIZERS

    info = OPTIMIZERS.get(name)
    if info is None:
        return f"unknown optimizer '{name}'", {}
    defaults = next((getattr(info, a) for a in ("defaults", "hyperparams", "hyperparameters")
                     if isinstance(getattr(info, a, None), dict)), {})
    tunable = getattr(info, "tunable", None)
    if tunable:
        defaults = {k: v for k, v in defaults.items() if k in tunable or k == "lr"}
    return str(getattr(info, "description", "")), dict(defaults)


def lr_to_tick(lr: float) -> int:
    lr = min(max(lr, LR_MIN), LR_MAX)
    return round(LR_TICKS * math.log(lr / LR_MIN) / math.log(LR_MAX / LR_MIN))


def tick_to_lr(tick: int) -> float:
    lr = LR_MIN * (LR_MAX / LR_MIN) ** (tick / LR_TICKS)
    return float(f"{lr:.3g}")   # three significant digits: what a person would type


def format_value(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return ", ".join(format_value(v) for v in value)
    if isinstance(value, float):
        return f"{value:.10g}"
    return "" if value is None else str(value)


def parse_value(text: str, default: Any) -> Any:
    """Read a typed hyperparameter the way its default is shaped; raises ValueError."""
    text = text.strip()
    if isinstance(default, (tuple, list)):
        values = tuple(float(t) for t in text.replace("(", "").replace(")", "").split(","))
        if len(values) != len(default):
            raise ValueError(f"expected {len(default)} numbers")
        return values
    if isinstance(default, int) and not isinstance(default, bool):
        return int(text)
    if isinstance(default, float):
        return float(text)
    if default is None and text:
        try:
            return float(text)
        except ValueError:
            return text
    return text or None


def swatch(color: str, size: int = 18) -> QIcon:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(color))
    return QIcon(pixmap)


class RunPanel(QWidget):
    """Run list plus the selected run's editor, bound to a :class:`Comparison`."""

    def __init__(self, model: Comparison, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._syncing = False
        self._param_editors: dict[str, QWidget] = {}

        # --- the list of runs
        self.list = QListWidget()
        self.list.setIconSize(QPixmap(18, 18).size())
        self.list.setMinimumHeight(110)
        self.list.setMaximumHeight(210)   # room for 8 runs; the editor below gets the rest
        self.list.currentRowChanged.connect(self._on_row)
        self.list.itemChanged.connect(self._on_item_changed)
        self.add_button = QPushButton("Add")
        self.duplicate_button = QPushButton("Duplicate")
        self.remove_button = QPushButton("Remove")
        self.add_button.setToolTip("Add a run (Ctrl+Shift+N); Shift+click on the contour adds one there")
        self.add_button.clicked.connect(self.add_run)
        self.duplicate_button.clicked.connect(self.duplicate_run)
        self.remove_button.clicked.connect(self.remove_run)
        buttons = QHBoxLayout()
        for b in (self.add_button, self.duplicate_button, self.remove_button):
            buttons.addWidget(b)

        # --- the selected run
        self.label_edit = QLineEdit()
        self.label_edit.editingFinished.connect(lambda: self._commit(label=self.label_edit.text().strip()
                                                                     or self._run().label))
        self.optimizer = QComboBox()
        self.optimizer.currentTextChanged.connect(self._on_optimizer)
        self.description = QLabel()
        self.description.setWordWrap(True)
        italic = self.description.font()
        italic.setItalic(True)
        self.description.setFont(italic)
        self.color_button = QPushButton()
        self.color_button.setToolTip("Choose this run's colour")
        self.color_button.clicked.connect(self._pick_color)

        from widgets.start_editor import StartEditor

        self.start_editor = StartEditor()      # one number per variable, named after it
        self.start_editor.edited.connect(lambda start: self._commit(start=start))
        self.steps = QSpinBox()
        self.steps.setRange(0, 100_000)
        self.steps.setKeyboardTracking(False)
        self.steps.valueChanged.connect(lambda v: self._commit(steps=v or None))

        self.lr_slider = QSlider(Qt.Orientation.Horizontal)
        self.lr_slider.setRange(0, LR_TICKS)
        self.lr_slider.setAccessibleName("learning rate (log scale)")
        self.lr_slider.valueChanged.connect(self._on_lr_slider)
        self.lr_edit = QLineEdit()
        self.lr_edit.setValidator(QDoubleValidator(0.0, 1e9, 12))
        self.lr_edit.setMaximumWidth(110)
        self.lr_edit.setAccessibleName("learning rate")
        self.lr_edit.editingFinished.connect(self._on_lr_edit)
        lr_row = QHBoxLayout()
        lr_row.addWidget(self.lr_slider, 1)
        lr_row.addWidget(self.lr_edit)

        self.params_box = QGroupBox("Hyperparameters (torch.optim names)")
        self.params_form = QFormLayout(self.params_box)

        self.noise_std = self._number_box(0.0, 1e6, 4)
        self.noise_seed = QSpinBox()
        self.noise_seed.setRange(0, 2**31 - 1)
        self.noise_seed.setKeyboardTracking(False)
        self.noise_std.valueChanged.connect(self._on_noise)
        self.noise_seed.valueChanged.connect(self._on_noise)
        noise = QHBoxLayout()
        noise.addWidget(QLabel("std"))
        noise.addWidget(self.noise_std)
        noise.addWidget(QLabel("seed"))
        noise.addWidget(self.noise_seed)

        self.schedule_kind = QComboBox()
        self.schedule_kind.addItems(["none", *SCHEDULE_DEFAULTS])
        self.schedule_kind.currentTextChanged.connect(self._on_schedule_kind)
        self.schedule_args = QLineEdit()
        self.schedule_args.setPlaceholderText("e.g. gamma=0.99")
        self.schedule_args.editingFinished.connect(self._on_schedule_args)

        self.status = QLabel()
        self.status.setWordWrap(True)

        form = QFormLayout()
        form.addRow("Label", self.label_edit)
        form.addRow("Optimizer", self.optimizer)
        form.addRow("", self.description)
        form.addRow("Colour", self.color_button)
        form.addRow("Start", self.start_editor)
        form.addRow("Steps", self.steps)
        form.addRow("lr", lr_row)
        form.addRow(self.params_box)
        form.addRow("Noise", noise)
        form.addRow("Schedule", self.schedule_kind)
        form.addRow("", self.schedule_args)
        from widgets.batch_editor import BatchEditor

        self.batch_editor = BatchEditor(model)     # minibatches over the data (issue 12)
        form.addRow("Batches", self.batch_editor)
        form.addRow("Status", self.status)
        self.editor = QWidget()
        self.editor.setLayout(form)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.editor)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.noise_std.setMinimumWidth(70)
        self.noise_std.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        layout.addWidget(scroll, 1)

        try:
            self.optimizer.addItems(optimizer_names())
        except ImportError:   # the engine is not installed: the combo stays empty, edits still work
            pass
        model.runs_changed.connect(self._rebuild_list)
        model.run_changed.connect(self._on_run_changed)
        model.selection_changed.connect(self._on_selection)
        model.trajectories_changed.connect(self._show_status)
        model.step_changed.connect(self._show_status)
        self._rebuild_list()

    # ------------------------------------------------------------------ actions
    def add_run(self) -> None:
        m = self._model
        base = self._run() if m.selected >= 0 else None
        optimizer = base.optimizer if base else (self.optimizer.itemText(0) or "sgd")
        params = {"lr": base.params["lr"]} if base and "lr" in base.params else {}
        start = base.start if base else tuple((lo + hi) / 2 for lo, hi in m.ranges)
        m.add_run(RunSpec(f"Run {len(m.runs) + 1}", optimizer, tuple(start), params))

    def duplicate_run(self) -> None:
        if self._model.selected >= 0:
            self._model.duplicate_run(self._model.selected)

    def remove_run(self) -> None:
        if self._model.selected >= 0:
            self._model.remove_run(self._model.selected)

    # ------------------------------------------------------------------ helpers
    def _run(self) -> RunSpec:
        return self._model.runs[self._model.selected]

    def _commit(self, **changes) -> None:
        if self._syncing or self._model.selected < 0:
            return
        self._model.set_run(self._model.selected, replace(self._run(), **changes))

    @staticmethod
    def _number_box(low: float, high: float, decimals: int) -> QDoubleSpinBox:
        box = QDoubleSpinBox()
        box.setRange(low, high)
        box.setDecimals(decimals)
        box.setKeyboardTracking(False)
        box.setSingleStep(0.1)
        return box

    # ------------------------------------------------------------------ model -> widgets
    def _rebuild_list(self) -> None:
        m = self._model
        self._syncing = True
        self.list.clear()
        for i, run in enumerate(m.runs):
            item = QListWidgetItem(swatch(m.color_of(i)), f"{run.label}  ·  {run.optimizer}")
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if run.visible else Qt.CheckState.Unchecked)
            item.setToolTip("tick to show this run, untick to hide it")
            self.list.addItem(item)
        self.list.setCurrentRow(m.selected)
        self._syncing = False
        for b in (self.duplicate_button, self.remove_button):
            b.setEnabled(m.selected >= 0)
        self._load_editor()

    def _on_run_changed(self, i: int) -> None:
        m = self._model
        item = self.list.item(i)
        if item is not None:
            self._syncing = True
            run = m.runs[i]
            item.setText(f"{run.label}  ·  {run.optimizer}")
            item.setIcon(swatch(m.color_of(i)))
            item.setCheckState(Qt.CheckState.Checked if run.visible else Qt.CheckState.Unchecked)
            self._syncing = False
        if i == m.selected:
            self._load_editor()

    def _on_selection(self, i: int) -> None:
        self._syncing = True
        self.list.setCurrentRow(i)
        self._syncing = False
        for b in (self.duplicate_button, self.remove_button):
            b.setEnabled(i >= 0)
        self._load_editor()

    def _load_editor(self) -> None:
        m = self._model
        self.editor.setEnabled(m.selected >= 0)
        if m.selected < 0:
            return
        run = self._run()
        self._syncing = True
        try:
            self.label_edit.setText(run.label)
            if self.optimizer.findText(run.optimizer) < 0:
                self.optimizer.addItem(run.optimizer)
            self.optimizer.setCurrentText(run.optimizer)
            description, defaults = optimizer_info(run.optimizer)
            self.description.setText(description)
            self.description.setVisible(bool(description))
            color = m.color_of(m.selected)
            self.color_button.setIcon(swatch(color, 22))
            self.color_button.setText(color)
            self.start_editor.show_start(m.variables, run.start)
            self.steps.setSpecialValueText(f"default ({m.default_steps})")
            self.steps.setValue(run.steps or 0)
            lr = run.params.get("lr", defaults.get("lr", 1e-3))
            self.lr_edit.setText(format_value(float(lr)))
            self.lr_edit.setStyleSheet("")
            self.lr_slider.setValue(lr_to_tick(float(lr)))
            self._build_params(run, defaults)
            noise = run.noise or Noise()
            self.noise_std.setValue(noise.std)
            self.noise_seed.setValue(noise.seed)
            kind = run.schedule.kind if run.schedule else "none"
            self.schedule_kind.setCurrentText(kind)
            self.schedule_args.setText(", ".join(f"{k}={format_value(v)}" for k, v in
                                                 (run.schedule.args.items() if run.schedule else ())))
            self.schedule_args.setEnabled(kind != "none")
        finally:
            self._syncing = False
        self._show_status()

    def _build_params(self, run: RunSpec, defaults: dict[str, Any]) -> None:
        names = [k for k in defaults if k != "lr"]
        if list(self._param_editors) != names:
            while self.params_form.rowCount():
                self.params_form.removeRow(0)
            self._param_editors = {}
            for name in names:
                default = defaults[name]
                if isinstance(default, bool):
                    editor = QCheckBox()
                    editor.toggled.connect(lambda on, n=name: self._on_param(n, on))
                else:
                    editor = QLineEdit()
                    editor.setPlaceholderText(format_value(default) or "none")
                    editor.editingFinished.connect(lambda n=name: self._on_param_text(n))
                editor.setToolTip(f"{name} (torch default: {format_value(default) or 'None'})")
                editor.setAccessibleName(name)
                self._param_editors[name] = editor
                self.params_form.addRow(name, editor)
        for name, editor in self._param_editors.items():
            value = run.params.get(name, defaults[name])
            if isinstance(editor, QCheckBox):
                editor.setChecked(bool(value))
            else:
                editor.setText(format_value(value))
                editor.setStyleSheet("")
        self.params_box.setVisible(bool(names))

    def _show_status(self, *_args) -> None:
        m = self._model
        if m.selected < 0:
            self.status.clear()
            return
        error = m.errors[m.selected]
        traj = m.trajectories[m.selected]
        if error:
            self.status.setText(f"<span style='color:#d62728'>{error}</span>")
        elif traj is not None:
            from explorer.summary import outcome_words

            words = outcome_words(traj.status, traj.stop_step)
            reason = traj.message.split(": ", 1)[1] if traj.status == "diverged" and ": " in traj.message else ""
            self.status.setText(words + (f" ({reason})" if reason else ""))
        else:
            self.status.setText("computing…" if m.surface is not None else "no surface yet")

    # ------------------------------------------------------------------ widgets -> model
    def _on_row(self, row: int) -> None:
        if not self._syncing and row >= 0:
            self._model.select(row)

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        if self._syncing:
            return
        i = self.list.row(item)
        visible = item.checkState() == Qt.CheckState.Checked
        if self._model.runs[i].visible != visible:
            self._model.set_run(i, replace(self._model.runs[i], visible=visible))

    def _on_optimizer(self, name: str) -> None:
        if self._syncing or not name or name == self._run().optimizer:
            return
        _, defaults = optimizer_info(name)
        params = {k: v for k, v in self._run().params.items() if k in defaults}
        self._commit(optimizer=name, params=params)

    def _pick_color(self) -> None:
        color = QColorDialog.getColor(QColor(self._model.color_of(self._model.selected)), self, "Run colour")
        if color.isValid():
            self._commit(color=color.name())

    def set_lr(self, lr: float) -> None:
        """Set the selected run's learning rate (as typing it in the exact box would)."""
        self._commit(params={**self._run().params, "lr": float(lr)})

    def _on_lr_slider(self, tick: int) -> None:
        if not self._syncing:
            self.set_lr(tick_to_lr(tick))

    def _on_lr_edit(self) -> None:
        try:
            lr = float(self.lr_edit.text())
        except ValueError:
            self.lr_edit.setStyleSheet(INVALID_STYLE)
            return
        self.lr_edit.setStyleSheet("")
        self.set_lr(lr)

    def _on_param(self, name: str, value: Any) -> None:
        self._commit(params={**self._run().params, name: value})

    def _on_param_text(self, name: str) -> None:
        editor = self._param_editors[name]
        _, defaults = optimizer_info(self._run().optimizer)
        try:
            value = parse_value(editor.text(), defaults.get(name))
        except ValueError:
            editor.setStyleSheet(INVALID_STYLE)
            return
        editor.setStyleSheet("")
        self._on_param(name, value)

    def _on_noise(self) -> None:
        std, seed = self.noise_std.value(), self.noise_seed.value()
        self._commit(noise=Noise(std, seed) if std > 0 or seed else None)

    def _on_schedule_kind(self, kind: str) -> None:
        if self._syncing:
            return
        self.schedule_args.setEnabled(kind != "none")
        self._commit(schedule=None if kind == "none" else Schedule(kind, dict(SCHEDULE_DEFAULTS[kind])))

    def _on_schedule_args(self) -> None:
        run = self._run()
        if self._syncing or run.schedule is None:
            return
        try:
            args = {}
            for part in filter(None, (p.strip() for p in self.schedule_args.text().split(","))):
                key, text = (s.strip() for s in part.split("=", 1))
                default = SCHEDULE_DEFAULTS[run.schedule.kind].get(key, 0.0)
                args[key] = parse_value(text, float(default) if isinstance(default, float) else default)
        except (ValueError, KeyError):
            self.schedule_args.setStyleSheet(INVALID_STYLE)
            return
        self.schedule_args.setStyleSheet("")
        self._commit(schedule=Schedule(run.schedule.kind, args))
