"""The selected run's minibatch settings, in the run panel: full batch, or batches of a size, shuffled each
epoch or not, the last short batch dropped or not, and the shuffle seed (issue 12's semantics, see
:class:`explorer.runs.Batch`).

Only a comparison with data has minibatches; without data the editor is disabled and says so. The batch
size runs from 1 to the number of rows. Every change replaces the run (``model.set_run``), which recomputes
it and is one undoable edit.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import QCheckBox, QGridLayout, QLabel, QSpinBox, QWidget

from explorer.events import Bindings
from explorer.runs import Batch

DEFAULT_SIZE = 8


class BatchEditor(QWidget):
    """Minibatch settings of the model's selected run (see the module docstring)."""

    def __init__(self, model, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._syncing = False
        self.enabled = QCheckBox("minibatches of")
        self.enabled.setToolTip("Off: every step uses every row (full batch)")
        self.size = QSpinBox()
        self.size.setKeyboardTracking(False)
        self.size.setAccessibleName("batch size")
        self.size.setSuffix(" rows")
        self.shuffle = QCheckBox("shuffle each epoch")
        self.drop_last = QCheckBox("drop the last short batch")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setKeyboardTracking(False)
        self.seed.setAccessibleName("shuffle seed")
        self.note = QLabel()
        self.note.setWordWrap(True)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.enabled, 0, 0)
        grid.addWidget(self.size, 0, 1)
        grid.addWidget(self.shuffle, 1, 0)
        grid.addWidget(QLabel("seed"), 1, 1)
        grid.addWidget(self.seed, 1, 2)
        grid.addWidget(self.drop_last, 2, 0, 1, 3)
        grid.addWidget(self.note, 3, 0, 1, 3)
        self.enabled.toggled.connect(self._commit)
        self.size.valueChanged.connect(self._commit)
        self.shuffle.toggled.connect(self._commit)
        self.drop_last.toggled.connect(self._commit)
        self.seed.valueChanged.connect(self._commit)
        self._bindings = Bindings(((model.selection_changed, self._load), (model.run_changed, self._load),
                                   (model.runs_changed, self._load), (model.data_changed, self._load),
                                   (model.surface_changed, self._load), (model.loaded, self._load)))
        self._load()

    def disconnect_model(self) -> None:
        self._bindings.disconnect()

    def rows(self) -> int:
        spec = self._model.dataspec
        return len(spec.dataset) if spec is not None else 0

    def _load(self, *_args) -> None:
        m = self._model
        n = self.rows()
        uses = n > 0 and m.surface is not None and bool(m.surface.columns)
        has_run = 0 <= m.selected < len(m.runs)
        self.setEnabled(uses and has_run)
        self._syncing = True
        try:
            batch = m.runs[m.selected].batch if has_run else None
            self.size.setRange(1, max(n, 1))
            self.enabled.setChecked(batch is not None)
            self.size.setValue(batch.size if batch is not None else min(DEFAULT_SIZE, max(n, 1)))
            self.shuffle.setChecked(batch.shuffle if batch is not None else True)
            self.drop_last.setChecked(batch.drop_last if batch is not None else False)
            self.seed.setValue(batch.seed if batch is not None else 0)
            for w in (self.size, self.shuffle, self.drop_last, self.seed):
                w.setEnabled(batch is not None)
        finally:
            self._syncing = False
        if not uses:
            self.note.setText("Minibatches need a loss over data rows (File ▸ Open Data…).")
        elif batch is None:
            self.note.setText(f"Full batch: every step uses all {n:,} rows.")
        else:
            per_epoch = n // batch.size if batch.drop_last else -(-n // batch.size)
            self.note.setText(f"{per_epoch:,} step{'s' if per_epoch != 1 else ''} per epoch over {n:,} rows.")

    def _commit(self, *_args) -> None:
        m = self._model
        if self._syncing or not 0 <= m.selected < len(m.runs):
            return
        batch = None
        if self.enabled.isChecked():
            batch = Batch(size=int(self.size.value()), shuffle=self.shuffle.isChecked(),
                          drop_last=self.drop_last.isChecked(), seed=int(self.seed.value()))
        run = m.runs[m.selected]
        if run.batch != batch:
            m.set_run(m.selected, replace(run, batch=batch))
