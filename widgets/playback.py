"""The playback bar: play/pause, step, jump, scrub, speed and loop over precomputed trajectories.

All runs move in lockstep: the bar only changes ``model.step``; every view indexes its trajectories
with it, so stepping back is exact. A :class:`QTimer` ticks at the display rate and advances by
``speed × elapsed`` steps (fractional steps carry over), so 1–500 steps per second play smoothly.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QElapsedTimer, QEvent, QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QColor, QIcon, QKeySequence, QPainter, QPixmap, QPolygonF
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSlider, QToolButton, QWidget

from explorer.model import Comparison

MIN_SPEED, MAX_SPEED = 1.0, 500.0
_SPEED_TICKS = 1000   # the speed slider is logarithmic: tick t -> MIN * (MAX/MIN) ** (t / TICKS)
FRAME_MS = 16         # ~60 frames per second


def speed_from_tick(tick: int) -> float:
    return MIN_SPEED * (MAX_SPEED / MIN_SPEED) ** (tick / _SPEED_TICKS)


def tick_from_speed(speed: float) -> int:
    speed = min(max(speed, MIN_SPEED), MAX_SPEED)
    return round(_SPEED_TICKS * math.log(speed / MIN_SPEED) / math.log(MAX_SPEED / MIN_SPEED))


def media_icon(shape: str, color: QColor, size: int = 48) -> QIcon:
    """A media-control icon: ">" play, "||" pause, "<|"/"|>" step, "|<<"/">>|" jump to start/end."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color)
    s, m = size, size * 0.2   # m: margin

    def triangle(x0: float, x1: float) -> None:   # pointing from x0 towards x1
        p.drawPolygon(QPolygonF([QPointF(x0, m), QPointF(x0, s - m), QPointF(x1, s / 2)]))

    def bar(x: float, w: float = s * 0.12) -> None:
        p.drawRect(QRectF(x, m, w, s - 2 * m))

    if shape == ">":
        triangle(s * 0.28, s * 0.8)
    elif shape == "||":
        bar(s * 0.27, s * 0.16)
        bar(s * 0.57, s * 0.16)
    elif shape == "|>":
        triangle(s * 0.22, s * 0.62)
        bar(s * 0.66)
    elif shape == "<|":
        triangle(s * 0.78, s * 0.38)
        bar(s * 0.22)
    elif shape == ">>|":
        triangle(s * 0.12, s * 0.45)
        triangle(s * 0.42, s * 0.75)
        bar(s * 0.76)
    elif shape == "|<<":
        triangle(s * 0.88, s * 0.55)
        triangle(s * 0.58, s * 0.25)
        bar(s * 0.12)
    p.end()
    return QIcon(pixmap)


class PlaybackBar(QWidget):
    """Controls bound to ``model.step``; its QActions carry the keyboard shortcuts (Space, ←, →, Home, End).

    The actions are added to this widget (so they work in any window holding it) and the main window also
    lists them in its Run menu.
    """

    playing_changed = Signal(bool)

    def __init__(self, model: Comparison, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._carry = 0.0                 # fractional steps not yet taken
        self._clock = QElapsedTimer()
        self._timer = QTimer(self, interval=FRAME_MS, timerType=Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)

        self.play_action = self._action("Play", QKeySequence(Qt.Key.Key_Space), self.toggle_play,
                                        checkable=True)
        self.back_action = self._action("Step back", QKeySequence(Qt.Key.Key_Left), self.step_back)
        self.forward_action = self._action("Step forward", QKeySequence(Qt.Key.Key_Right), self.step_forward)
        self.start_action = self._action("Jump to start", QKeySequence(Qt.Key.Key_Home), self.to_start)
        self.end_action = self._action("Jump to end", QKeySequence(Qt.Key.Key_End), self.to_end)

        buttons = []
        for action in (self.start_action, self.back_action, self.play_action, self.forward_action,
                       self.end_action):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolTip(f"{action.text()} ({action.shortcut().toString()})")
            button.setIconSize(QSize(24, 24))
            button.setMinimumSize(38, 36)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)   # Space must reach the shortcut, not a button
            buttons.append(button)
        self.play_button = buttons[2]

        self.scrub = QSlider(Qt.Orientation.Horizontal)
        self.scrub.setAccessibleName("current step")
        self.scrub.setPageStep(10)
        self.scrub.setMinimumWidth(150)     # a usable scrubber at 1024 px wide, never a stub
        self.scrub.valueChanged.connect(model.set_step)
        self.step_label = QLabel()
        self.step_label.setToolTip("the step shown / the last step")
        # a fixed size: the text changes every frame of playback, and a label whose size hint may change asks the
        # whole window to lay itself out again (and repaint every dock) each time (set in _size_labels)

        self.speed = QSlider(Qt.Orientation.Horizontal)
        self.speed.setRange(0, _SPEED_TICKS)
        self.speed.setAccessibleName("speed in steps per second")
        self.speed.setToolTip("playback speed")
        self.speed.setMinimumWidth(56)
        self.speed.setMaximumWidth(160)
        self.speed.valueChanged.connect(self._show_speed)
        self.speed_label = QLabel()
        self.speed_label.setToolTip("playback speed in steps per second")
        self._size_labels()
        self.loop = QCheckBox("Loop")

        row = QHBoxLayout(self)
        row.setContentsMargins(6, 2, 6, 2)
        for button in buttons:
            row.addWidget(button)
        row.addWidget(self.scrub, 4)
        row.addWidget(self.step_label)
        row.addSpacing(8)
        row.addWidget(self.speed, 1)
        row.addWidget(self.speed_label)
        row.addWidget(self.loop)

        for slider in (self.scrub, self.speed):   # arrow keys belong to playback, not to a focused slider
            slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        self._paint_icons()
        model.step_changed.connect(self._sync)
        model.trajectories_changed.connect(self._sync)
        model.runs_changed.connect(self._sync)
        self.set_speed(30.0)
        self._sync()

    # ------------------------------------------------------------------ public API
    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    @property
    def steps_per_second(self) -> float:
        return speed_from_tick(self.speed.value())

    def set_speed(self, steps_per_second: float) -> None:
        self.speed.setValue(tick_from_speed(steps_per_second))
        self._show_speed()

    def play(self) -> None:
        if self.playing:
            return
        if self._model.step >= self._model.max_step:
            self._model.set_step(0)   # play from the start again
        self._carry = 0.0
        self._clock.start()
        self._timer.start()
        self._set_playing_ui(True)

    def pause(self) -> None:
        if not self.playing:
            return
        self._timer.stop()
        self._set_playing_ui(False)

    def toggle_play(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play()

    def step_forward(self) -> None:
        self.pause()
        self._model.set_step(self._model.step + 1)

    def step_back(self) -> None:
        self.pause()
        self._model.set_step(self._model.step - 1)

    def to_start(self) -> None:
        self.pause()
        self._model.set_step(0)

    def to_end(self) -> None:
        self.pause()
        self._model.set_step(self._model.max_step)

    # ------------------------------------------------------------------ internals
    def _action(self, text: str, shortcut: QKeySequence, slot, *, checkable: bool = False) -> QAction:
        action = QAction(text, self)
        action.setShortcut(shortcut)
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setCheckable(checkable)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _set_playing_ui(self, playing: bool) -> None:
        self.play_action.blockSignals(True)
        self.play_action.setChecked(playing)
        self.play_action.blockSignals(False)
        self.play_action.setText("Pause" if playing else "Play")
        self._paint_icons()
        self.play_button.setToolTip(f"{self.play_action.text()} (Space)")
        self.playing_changed.emit(playing)

    def _paint_icons(self) -> None:
        """Media icons drawn in the palette's text colour, so they read in the light and the dark theme."""
        color = self.palette().color(self.foregroundRole())
        playing = self.playing
        for action, shape in ((self.start_action, "|<<"), (self.back_action, "<|"),
                              (self.play_action, "||" if playing else ">"), (self.forward_action, "|>"),
                              (self.end_action, ">>|")):
            action.setIcon(media_icon(shape, color))

    def _size_labels(self) -> None:
        """Fixed widths for the font in use (presentation mode's larger type cut '1205 / 1205' short)."""
        self.step_label.setFixedSize(self.step_label.fontMetrics().horizontalAdvance("000000 / 000000"),
                                     self.step_label.sizeHint().height())
        self.speed_label.setMinimumWidth(self.speed_label.fontMetrics().horizontalAdvance("500/s"))

    def changeEvent(self, event) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self._paint_icons()
        elif event.type() == QEvent.Type.FontChange and hasattr(self, "speed_label"):
            self._size_labels()
        super().changeEvent(event)

    def _tick(self) -> None:
        elapsed = self._clock.restart() / 1000.0
        self._carry += elapsed * self.steps_per_second
        advance = int(self._carry)
        if advance < 1:
            return
        self._carry -= advance
        target = self._model.step + advance
        last = self._model.max_step
        if target > last:
            if self.loop.isChecked() and last > 0:
                target %= last + 1
            else:
                self._model.set_step(last)
                self.pause()
                return
        self._model.set_step(target)

    def _show_speed(self) -> None:
        speed = self.steps_per_second
        self.speed_label.setText(f"{speed:.0f}/s" if speed >= 10 else f"{speed:.1f}/s")

    def _sync(self, *_args) -> None:
        m = self._model
        self.scrub.blockSignals(True)
        self.scrub.setRange(0, m.max_step)
        self.scrub.setValue(m.step)
        self.scrub.blockSignals(False)
        self.step_label.setText(f"{m.step} / {m.max_step}")
