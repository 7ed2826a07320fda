"""The slice panel: how the map and the 3-D view cut a surface of three or more variables.

A small form (meant for a dock) bound to ``model.view.slice`` (a :class:`~explorer.slicing.SliceSpec`):

- *Directions*: two of the variables (the others held at the anchor), the PCA plane of the racers' paths, the
  Hessian's eigenvectors at the anchor (most and least curved), or two random directions (seeded);
- the two variables (for "two variables") or the seed (for "random");
- *Through*: the selected racer's point at the current step (the default: the slice follows playback), a
  given racer's point, or one of the critical points found;
- what the slice is now, in words: the plane's description, its directions in the variables, the anchor and
  the seed (what exports print too).

Every change is an edit of the lesson (``model.view`` is saved in the preset's ``[view.slice]``), so it can be
undone. :func:`install_slice_menu` puts the four methods in a menu as radio actions.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import QComboBox, QFormLayout, QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from explorer.events import Bindings
from explorer.slicing import MAX_SEED, SliceSpec, format_point

METHODS = (("coordinates", "Two variables"), ("pca", "PCA of the racers' paths"),
           ("eigen", "Hessian eigenvectors (most, least curved)"), ("random", "Two random directions"))
DETAILS_MS = 250          # the description follows a slice moving with playback at most this often
KIND_WORDS = {"minimum": "minimum", "maximum": "maximum", "saddle": "saddle", "degenerate": "degenerate point"}


def anchor_key(spec: SliceSpec) -> str:
    """The anchor choice's key in the panel: "racer" (the selected one), "racer 2", "critical 0", "point"."""
    if spec.anchor == "racer":
        return "racer" if spec.racer is None else f"racer {spec.racer}"
    if spec.anchor == "critical":
        return f"critical {spec.critical}"
    return "point"


def with_method(spec: SliceSpec, method: str) -> SliceSpec:
    """``spec`` with another method (keeping its anchor, variables and seed)."""
    from dataclasses import replace

    return replace(spec, method=method)


class SlicePanel(QWidget):
    """See the module docstring."""

    def __init__(self, model, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._syncing = False
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.method = QComboBox()
        for key, text in METHODS:
            self.method.addItem(text, key)
        self.method.setAccessibleName("slice directions")
        self.across, self.up = QComboBox(), QComboBox()
        # the side column is ~340 px at 1280: combos sized for their longest entry would widen the panel past
        # it, and the wrapped texts would be cut off at the column's edge
        for combo, letters in ((self.method, 16), (self.across, 4), (self.up, 4)):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(letters)
        self.across.setAccessibleName("variable across")
        self.up.setAccessibleName("variable up")
        self.pair = QWidget()
        row = QHBoxLayout(self.pair)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.across, 1)
        row.addWidget(QLabel("and"))
        row.addWidget(self.up, 1)
        self.seed = QSpinBox(minimum=0, maximum=min(MAX_SEED, 2**31 - 1))
        self.seed.setKeyboardTracking(False)
        self.seed.setAccessibleName("random seed")
        self.anchor = QComboBox()
        self.anchor.setAccessibleName("slice through")
        self.anchor.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.anchor.setMinimumContentsLength(12)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.form = QFormLayout()
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.form.addRow("Directions", self.method)
        self.form.addRow("Variables", self.pair)
        self.form.addRow("Seed", self.seed)
        self.form.addRow("Through", self.anchor)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(self.form)
        layout.addWidget(self.details)
        layout.addStretch(1)

        self._details_timer = QTimer(self, singleShot=True, interval=DETAILS_MS)
        self._details_timer.timeout.connect(self._show_details)
        self.method.currentIndexChanged.connect(self._on_method)
        self.across.currentIndexChanged.connect(self._on_variables)
        self.up.currentIndexChanged.connect(self._on_variables)
        self.seed.valueChanged.connect(self._on_seed)
        self.anchor.currentIndexChanged.connect(self._on_anchor)
        self._bindings = Bindings(((model.view.events.slice, self._sync), (model.surface_changed, self._sync),
                                   (model.runs_changed, self._sync), (model.run_changed, self._sync_anchors),
                                   (model.analysis.critical_changed, self._sync),
                                   (model.projection.changed, self._details_soon)))
        self._sync()

    def disconnect_model(self) -> None:
        self._bindings.disconnect()

    def _details_soon(self, *_args) -> None:
        # the slice moves with playback: its text (the anchor's numbers) need not be laid out every frame
        if not self._details_timer.isActive():
            self._details_timer.start()

    # ------------------------------------------------------------------ model -> widgets
    def _sync(self, *_args) -> None:
        m = self._model
        spec = m.view.slice
        sliced = m.surface is not None and m.ndim >= 3
        self._syncing = True
        try:
            for widget in (self.method, self.pair, self.seed, self.anchor):
                widget.setEnabled(sliced)
            if not sliced:
                self.intro.setText("f has one variable: the map shows its graph." if m.ndim == 1 else
                                   "f has two variables: the map and the 3-D view show all of it. "
                                   "Slices are for three or more (the variables field beside the formula).")
            else:
                self.intro.setText(f"f has {m.ndim} variables; the map and the 3-D view show f on a plane through "
                                   "one point: a slice.")
            self.method.setCurrentIndex(max(self.method.findData(spec.method), 0))
            names = list(m.variables) if m.surface is not None else []
            for box in (self.across, self.up):
                box.clear()
                box.addItems(names)
            chosen = spec.variables or tuple(names[:2])
            if len(names) >= 2:
                self.across.setCurrentIndex(max(names.index(chosen[0]) if chosen[0] in names else 0, 0))
                self.up.setCurrentIndex(max(names.index(chosen[1]) if chosen[1] in names else 1, 0))
            self.seed.setValue(min(spec.seed, self.seed.maximum()))
            self._set_row_visible(self.pair, spec.method == "coordinates")
            self._set_row_visible(self.seed, spec.method == "random")
            self._fill_anchors()
        finally:
            self._syncing = False
        self._show_details()

    def _sync_anchors(self, *_args) -> None:
        self._syncing = True
        try:
            self._fill_anchors()
        finally:
            self._syncing = False

    def _set_row_visible(self, widget: QWidget, on: bool) -> None:
        widget.setVisible(on)
        label = self.form.labelForField(widget)
        if label is not None:
            label.setVisible(on)

    def _fill_anchors(self) -> None:
        """The anchor choices: the selected racer, each racer, each critical point (as the list orders them)."""
        m = self._model
        spec = m.view.slice
        self.anchor.clear()
        self.anchor.addItem("the selected racer's point, now", "racer")
        for i, run in enumerate(m.runs):
            self.anchor.addItem(f"{run.label}'s point, now", f"racer {i}")
        critical = m.analysis.critical if m.surface is not None and m.ndim >= 3 else None
        for j, c in enumerate(critical or []):
            where = format_point(c.xy)
            index = f", index {c.index}" if c.kind == "saddle" else ""
            self.anchor.addItem(f"the {KIND_WORDS.get(c.kind, c.kind)} at {where}{index}", f"critical {j}")
        if spec.anchor == "point" and spec.point is not None:
            self.anchor.addItem(f"the point {format_point(spec.point)}", "point")
        self.anchor.setCurrentIndex(max(self.anchor.findData(anchor_key(spec)), 0))

    def _show_details(self, *_args) -> None:
        proj = self._model.projection
        if proj.kind != "slice":
            self.details.setText("")
            return
        lines = [html.escape(line) for line in proj.summary()]
        if proj.error:
            lines.insert(0, f'<span style="color:#d62728">{html.escape(proj.error)}</span>')
        self.details.setText("<br>".join(lines))

    # ------------------------------------------------------------------ widgets -> model
    def _set(self, spec: SliceSpec) -> None:
        if spec != self._model.view.slice:
            self._model.view.update({"slice": spec})

    def _on_method(self, _index: int) -> None:
        if not self._syncing:
            self._set(with_method(self._model.view.slice, self.method.currentData()))

    def _on_variables(self, _index: int) -> None:
        if self._syncing:
            return
        a, b = self.across.currentText(), self.up.currentText()
        if not a or not b:
            return
        if a == b:     # the same variable twice: swap the other one in
            names = list(self._model.variables)
            b = next(n for n in names if n != a)
        from dataclasses import replace

        self._set(replace(self._model.view.slice, variables=(a, b)))

    def _on_seed(self, value: int) -> None:
        if not self._syncing:
            from dataclasses import replace

            self._set(replace(self._model.view.slice, seed=int(value)))

    def _on_anchor(self, _index: int) -> None:
        if self._syncing or self.anchor.currentData() is None:
            return
        from dataclasses import replace

        kind, _, index = self.anchor.currentData().partition(" ")
        spec = self._model.view.slice
        if kind == "racer":
            self._set(replace(spec, anchor="racer", racer=int(index) if index else None, point=None))
        elif kind == "critical":
            self._set(replace(spec, anchor="critical", critical=int(index), racer=None, point=None))


def install_slice_menu(menu, model) -> dict[str, QAction]:
    """One radio action per slice method in ``menu``; they follow ``model.view.slice`` and are enabled for a
    surface of three or more variables. Returns method -> QAction."""
    group = QActionGroup(menu)
    actions: dict[str, QAction] = {}
    for key, text in METHODS:
        action = QAction(f"Slice: {text}", menu, checkable=True)
        action.triggered.connect(lambda _on=False, k=key: model.view.update(
            {"slice": with_method(model.view.slice, k)}))
        group.addAction(action)
        menu.addAction(action)
        actions[key] = action

    def follow(*_args) -> None:
        actions[model.view.slice.method].setChecked(True)
        for action in actions.values():
            action.setEnabled(model.surface is not None and model.ndim >= 3)

    model.view.events.slice.connect(follow)
    model.surface_changed.connect(follow)

    def forget(*_args) -> None:
        model.view.events.slice.disconnect(follow)
        model.surface_changed.disconnect(follow)

    menu.destroyed.connect(forget)
    follow()
    return actions
