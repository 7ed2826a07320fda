"""Exports: PNG of a view or the window, GIF / MP4 of the playback, trajectories and summary as CSV.

:func:`export_animation` steps a model through the playback and grabs a widget at each frame; it works
headless (``python main.py render PRESET --gif OUT``) and from File ▸ Export ▸ Export Animation…, whose
:class:`ExportDialog` asks which view (the map, the 3-D view, the map with the loss plot, or the whole window),
the size, frames per second, the step range and whether to add the lesson card. The window's export never
plays the live window: it builds the chosen views on an :class:`ExportStage` off screen, bound to a
:meth:`~explorer.model.Comparison.display_copy` of the comparison (same trajectories, nothing recomputed),
and a :class:`QProgressDialog` with Cancel follows it.

- GIF: Pillow directly (imageio's own GIF writer is Pillow too, but keeps every frame as RGB until the end):
  one global palette taken from the final frame (every path drawn) *plus every run's exact colour*, so
  palette reduction never turns one racer's orange into another's yellow; frames stored as 1 byte per
  pixel, consecutive identical frames merged into one longer frame (Pillow would do so silently; doing it
  here keeps the returned frame count equal to the file's), the last frame held for a second.
  At most :data:`GIF_MAX_FRAMES` frames and :data:`GIF_MAX_WIDTH` pixels wide unless ``size`` is given.
- MP4: H.264 through imageio-ffmpeg's ``write_frames`` (its wheel carries ffmpeg), streamed frame by frame;
  width and height are cropped to even numbers as yuv420p requires.
Both are written to a temporary file next to the target and renamed over it: a cancelled or failed export
leaves nothing behind.
"""

from __future__ import annotations

import math
import os
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QImage, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressDialog,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

GIF_MAX_FRAMES = 150       # ~5 s at 30 fps; a few MB for a 800-pixel-wide window
GIF_MAX_WIDTH = 800
MP4_MAX_FRAMES = 1800      # one minute at 30 fps
END_HOLD_MS = 1000         # the final frame of a GIF stays this long


class ExportCancelled(Exception):
    """The user pressed Cancel; nothing was written."""


def animation_steps(max_step: int, max_frames: int) -> list[int]:
    """The playback steps to draw: 0 … max_step with a constant stride, at most ``max_frames`` of them.

    The stride is ceil(max_step / (max_frames − 1)); the last step is always included.
    """
    max_step, max_frames = max(int(max_step), 0), max(int(max_frames), 2)
    stride = max(1, math.ceil(max_step / (max_frames - 1)))
    steps = list(range(0, max_step + 1, stride))
    if steps[-1] != max_step:
        steps.append(max_step)
    return steps


def qimage_to_rgb(image: QImage) -> np.ndarray:
    """(h, w, 3) uint8 copy of ``image``."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, stride = image.width(), image.height(), image.bytesPerLine()
    data = np.frombuffer(image.constBits(), np.uint8, count=stride * h).reshape(h, stride)
    return data[:, :w * 3].reshape(h, w, 3).copy()


def grab_rgb(widget: QWidget, width: int | None = None) -> np.ndarray:
    """(h, w, 3) uint8 picture of ``widget`` (3-D views included: they draw their current scene into the
    grab, :mod:`widgets.gl_canvas`), scaled down to ``width`` pixels when it is wider."""
    image = widget.grab().toImage()
    if width is not None and image.width() > width:
        image = image.scaledToWidth(width, Qt.TransformationMode.SmoothTransformation)
    return qimage_to_rgb(image)


def wait_for_trajectories(model, timeout: float = 60.0) -> None:
    """Process events until background recomputation is done (no-op for a synchronous model)."""
    deadline = time.monotonic() + timeout
    while getattr(model, "pending", False) and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.005)


def _temp_beside(path: Path) -> Path:
    return path.with_name(f".{path.stem}.{secrets.token_hex(4)}.tmp{path.suffix}")


def run_colors(model) -> list[str]:
    """The visible runs' colours (kept exact in a GIF's palette)."""
    return [model.color_of(i) for i, r in enumerate(model.runs) if r.visible]


def export_animation(widget: QWidget, path: str | os.PathLike, fps: float = 30, size: tuple[int, int] | None = None,
                     progress: Callable[[int, int], None] | None = None, cancel: Callable[[], bool] | None = None,
                     *, model=None, max_frames: int | None = None, steps: tuple[int, int] | None = None) -> int:
    """Write the playback of ``model`` (default ``widget.model``) as grabbed from ``widget`` to a GIF or MP4.

    path : ``.gif`` or ``.mp4`` (``.m4v``/``.mov`` also go through ffmpeg).
    size : (width, height) to lay ``widget`` out at while grabbing (restored afterwards); None = as it is
        (GIFs are then scaled down to :data:`GIF_MAX_WIDTH`).
    steps : (first, last) step to play (default: all of them).
    progress : called as ``progress(frames_done, frames_total)``; cancel : polled before every frame.
    Returns the number of frames in the file (0 when cancelled: the file is then not written).
    The model's current step is restored afterwards.
    """
    path = Path(path)
    model = model if model is not None else widget.model
    is_gif = path.suffix.lower() == ".gif"
    limit = max_frames or (GIF_MAX_FRAMES if is_gif else MP4_MAX_FRAMES)
    wait_for_trajectories(model)
    first, last = steps if steps is not None else (0, model.max_step)
    first, last = max(0, min(int(first), model.max_step)), max(0, min(int(last), model.max_step))
    first, last = min(first, last), max(first, last)
    steps = [first + k for k in animation_steps(last - first, limit)]
    playback = getattr(widget, "playback", None)
    if playback is not None and hasattr(playback, "pause"):
        playback.pause()
    old_step, old_size = model.step, widget.size()
    if size is not None:
        widget.resize(*size)
    width = GIF_MAX_WIDTH if (is_gif and size is None) else None
    temp = _temp_beside(path)

    def frames():
        for done, step in enumerate(steps):
            if cancel is not None and cancel():
                raise ExportCancelled
            model.set_step(step)
            QApplication.processEvents()
            yield grab_rgb(widget, width)
            if progress is not None:
                progress(done + 1, len(steps))

    try:
        if is_gif:
            model.set_step(steps[-1])
            QApplication.processEvents()
            written = _write_gif(temp, frames(), fps, palette_from=grab_rgb(widget, width),
                                 keep=run_colors(model))
        else:
            written = _write_mp4(temp, frames(), fps)
        os.replace(temp, path)
        return written
    except ExportCancelled:
        return 0
    finally:
        temp.unlink(missing_ok=True)
        if size is not None:
            widget.resize(old_size)
        model.set_step(old_step)


def gif_palette(picture: np.ndarray, keep=()):
    """A Pillow palette image: the colours of ``picture`` (median cut) and, exactly, each of ``keep``.

    Median cut alone merges small areas of similar colour — a thin orange path and a yellow one — into one
    palette entry; the run colours are put in as they are, so the nearest-colour mapping keeps them apart.
    """
    from PIL import Image

    keep = list(dict.fromkeys(c.lower() for c in keep))[:64]
    base = Image.fromarray(picture).quantize(colors=255 - len(keep), method=Image.Quantize.MEDIANCUT)
    colors = base.getpalette()[: 3 * (255 - len(keep))]
    colors += [int(c[i:i + 2], 16) for c in keep for i in (1, 3, 5)]
    colors += [0] * (768 - len(colors))
    palette = Image.new("P", (1, 1))
    palette.putpalette(colors)
    return palette


def _write_gif(path: Path, frames, fps: float, palette_from: np.ndarray, keep=()) -> int:
    from PIL import Image

    palette = gif_palette(palette_from, keep)
    entries = np.array(palette.getpalette()[:768], dtype=np.uint8).reshape(-1, 3)
    exact = [(np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.uint8),) for c in keep]
    exact = [(rgb, int(np.flatnonzero(np.all(entries == rgb, axis=1))[-1])) for (rgb,) in exact]
    duration = max(20, round(1000 / fps))   # browsers treat < 20 ms as 100 ms
    images, durations, previous = [], [], None
    for rgb in frames:
        frame = Image.fromarray(rgb).quantize(palette=palette, dither=Image.Dither.NONE)
        if exact:
            # Pillow maps through a coarse colour cache: a run's exact colour can land on a neighbour entry.
            # Pixels that are exactly a run colour get that colour's own entry.
            index = np.asarray(frame).copy()
            for color, entry in exact:
                index[np.all(rgb == color, axis=-1)] = entry
            frame = Image.frombytes("P", (index.shape[1], index.shape[0]), index.tobytes())
            frame.putpalette(palette.getpalette())
        data = frame.tobytes()
        if data == previous:   # nothing moved: show the previous frame longer
            durations[-1] += duration
            continue
        images.append(frame)
        durations.append(duration)
        previous = data
    durations[-1] += END_HOLD_MS
    images[0].save(path, format="GIF", save_all=True, append_images=images[1:], duration=durations, loop=0,
                   optimize=False, disposal=1)
    return len(images)


def _write_mp4(path: Path, frames, fps: float) -> int:
    import imageio_ffmpeg

    writer, shape, count = None, None, 0
    try:
        for rgb in frames:
            if writer is None:
                h, w = rgb.shape[0] // 2 * 2, rgb.shape[1] // 2 * 2
                shape = (h, w)
                writer = imageio_ffmpeg.write_frames(str(path), (w, h), fps=fps, codec="libx264", quality=7,
                                                     macro_block_size=2, ffmpeg_log_level="error")
                writer.send(None)
            h, w = shape
            frame = rgb[:h, :w]
            if frame.shape[:2] != shape:   # the widget changed size mid-export: pad with black
                padded = np.zeros((h, w, 3), np.uint8)
                padded[:frame.shape[0], :frame.shape[1]] = frame
                frame = padded
            writer.send(np.ascontiguousarray(frame))
            count += 1
    finally:
        if writer is not None:
            writer.close()
    return count


def export_png(widget: QWidget, path: str | os.PathLike) -> Path:
    """Save a picture of ``widget`` as PNG; ``OSError`` if it cannot be written."""
    path = Path(path)
    if not widget.grab().save(str(path), "PNG"):
        raise OSError(f"could not write {path}")
    return path


def export_trajectories_csv(model, path: str | os.PathLike) -> int:
    """Every step of every computed run, with the columns ``simulate --csv`` writes for the same comparison
    (:func:`explorer.cli.csv_header`: one per variable, named after it; ``batch_loss`` when it has data);
    returns the runs written."""
    from explorer.cli import write_trajectories_csv

    wait_for_trajectories(model)
    trajectories = [t for t in model.trajectories if t is not None]
    write_trajectories_csv(trajectories, path, tuple(model.variables), model.data is not None)
    return len(trajectories)


def render_animation(preset, out: str | os.PathLike, *, fps: float = 30, size: tuple[int, int] = (1600, 1000),
                     theme: str = "light", max_frames: int | None = None, summary: list | None = None) -> int:
    """Headless: open the window on ``preset`` (name, path, Preset or Comparison) and export its playback.

    For ``python main.py render PRESET --gif OUT / --mp4 OUT [--fps N] [--size WxH]``; run under Xvfb so the
    3-D view is drawn. Returns the frames written. ``summary`` (a list) gets what the map shows at the last
    frame (a slice's method, directions, anchor, seed).
    """
    from widgets.render import offscreen_window

    with offscreen_window(preset, size, theme=theme) as (_app, window):
        frames = export_animation(window, out, fps=fps, max_frames=max_frames)
        if summary is not None:
            window.model.set_step(window.model.max_step)
            summary.extend(window.model.projection.summary())
        return frames


# ---------------------------------------------------------------------------------------------------------
# Exporting from the window: an off-screen stage, the options dialog and the File ▸ Export menu

VIEWS = (("map", "Map"), ("map+loss", "Map and loss plot"), ("surface", "3-D view"),
         ("window", "Whole window"))
SIZES = ((1280, 720), (1920, 1080), (1024, 768), (800, 600), (640, 480))


@dataclass
class ExportOptions:
    """What to export: ``view`` (see :data:`VIEWS`), ``size`` (w, h) in pixels, ``fps``, the step range,
    and whether the lesson card goes beside the view."""

    view: str = "map"
    size: tuple[int, int] = (1280, 720)
    fps: float = 30.0
    first_step: int = 0
    last_step: int | None = None
    lesson_card: bool = False
    format: str = "gif"          # "gif" | "mp4" | "png"


class ExportStage(QWidget):
    """The views chosen for an export, bound to a copy of the comparison, never shown on screen.

    For "window" it is a whole second :class:`~widgets.main_window.MainWindow` on the copy. The copy shares
    the live comparison's trajectories, so nothing is recomputed and the live window does not move.
    """

    def __init__(self, model, options: ExportOptions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)
        self.model = model.display_copy()
        self.model.session.presentation = model.session.presentation
        self.options = options
        self.window_copy = None
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self._views(options.view), 3)
        if options.lesson_card:
            from widgets.lesson_card import LessonCard

            self.card = LessonCard(self.model)
            row.addWidget(self.card, 1)
        self.resize(*options.size)

    def _views(self, view: str) -> QWidget:
        from widgets.contour_view import ContourView
        from widgets.legend import MapLegend
        from widgets.loss_plot import LossPlot
        from widgets.overlays import ContourOverlays, SurfaceOverlays
        from widgets.surface_view import SurfaceView

        if view == "window":
            from widgets.main_window import MainWindow

            self.window_copy = MainWindow(self.model, compute_in_background=False)
            self.window_copy.document.set_modified(False)
            return self.window_copy
        from widgets.curve_view import CurveLayer
        from widgets.slice_caption import SliceCaption, SurfaceCaption

        if view == "surface":
            self.surface_view = SurfaceView(self.model)
            self.surface_overlays = SurfaceOverlays(self.model, self.surface_view)
            self.surface_caption = SurfaceCaption(self.model, self.surface_view)   # a slice says what it is
            return self.surface_view
        self.contour_view = ContourView(self.model)
        self.curve_layer = CurveLayer(self.model, self.contour_view)       # one variable: the graph of f
        self.slice_caption = SliceCaption(self.model, self.contour_view)   # a slice: method, directions, seed
        self.map_legend = MapLegend(self.model, self.contour_view)
        self.contour_overlays = ContourOverlays(self.model, self.contour_view)
        if view == "map":
            return self.contour_view
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.contour_view, 3)
        self.loss_plot = LossPlot(self.model)
        column.addWidget(self.loss_plot, 1)
        return box

    def close_stage(self) -> None:
        if self.window_copy is not None:
            self.window_copy.document.set_modified(False)
            self.window_copy.close()
        self.close()
        self.deleteLater()


class ExportDialog(QDialog):
    """Asks for :class:`ExportOptions` (view, size, fps, step range, lesson card)."""

    def __init__(self, model, fmt: str = "gif", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export animation" if fmt != "png" else "Export picture")
        self.format = fmt
        self.view = QComboBox()
        for key, text in VIEWS:
            self.view.addItem(text, key)
        self.size = QComboBox()
        for w, h in SIZES:
            self.size.addItem(f"{w} × {h}", (w, h))
        self.fps = QSpinBox(minimum=1, maximum=60, value=30, suffix=" frames/s")
        last = max(model.max_step, 0)
        self.first = QSpinBox(minimum=0, maximum=last, value=0)
        self.last = QSpinBox(minimum=0, maximum=last, value=last)
        self.card = QCheckBox("Add the lesson card beside the view")
        self.card.setChecked(bool(model.description))
        form = QFormLayout(self)
        form.addRow("View", self.view)
        form.addRow("Size", self.size)
        if fmt != "png":
            form.addRow("Speed", self.fps)
            steps = QHBoxLayout()
            steps.addWidget(self.first)
            steps.addWidget(QLabel("to"))
            steps.addWidget(self.last)
            form.addRow("Steps", steps)
        form.addRow("", self.card)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def options(self) -> ExportOptions:
        return ExportOptions(view=self.view.currentData(), size=self.size.currentData(), fps=float(self.fps.value()),
                             first_step=self.first.value(), last_step=self.last.value(),
                             lesson_card=self.card.isChecked(), format=self.format)


def export_with_options(model, options: ExportOptions, path, *, progress=None, cancel=None) -> int:
    """Export ``model`` as ``options`` say to ``path`` off screen; returns frames written (1 for a PNG)."""
    stage = ExportStage(model, options)
    try:
        stage.show()
        _settle_stage()
        if options.format == "png":
            export_png(stage, path)
            return 1
        last = options.last_step if options.last_step is not None else stage.model.max_step
        return export_animation(stage, path, fps=options.fps, model=stage.model, size=options.size,
                                steps=(options.first_step, last), progress=progress, cancel=cancel)
    finally:
        stage.close_stage()


def _settle_stage() -> None:
    for _ in range(3):
        QApplication.processEvents()
        time.sleep(0.02)


class Exporter(QObject):
    """The File ▸ Export actions for ``window`` and its ``model`` (placed by :meth:`fill_menu`)."""

    def __init__(self, window: QWidget, model, *, summary=None) -> None:
        super().__init__(window)
        self.window, self.model, self.summary = window, model, summary
        entries = [("Export &Animation…", lambda: self.export_dialog("gif"), "Ctrl+E"),
                   ("Export &Picture…", lambda: self.export_dialog("png"), "Ctrl+Shift+E"),
                   (None, None, None),
                   ("&Window as PNG…", lambda: self._png(self.window, "window.png"), None),
                   ("&Trajectories as CSV…", self._trajectories_csv, None),
                   ("&Summary as CSV…", self._summary_csv, None)]
        self.entries = entries
        self.actions: dict[str, QAction] = {}
        for text, slot, shortcut in entries:
            if text is None:
                continue
            action = QAction(text, window)
            if shortcut:
                action.setShortcut(QKeySequence(shortcut))
            action.triggered.connect(lambda _checked=False, s=slot: s())
            self.actions[text.replace("&", "").rstrip("…")] = action

    def fill_menu(self, menu) -> None:
        for text, _slot, _shortcut in self.entries:
            if text is None:
                menu.addSeparator()
            else:
                menu.addAction(self.actions[text.replace("&", "").rstrip("…")])

    # dialogs, replaced in tests
    def _save_path_dialog(self, caption: str, name: str, filter_: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self.window, caption, name, filter_)
        return path

    def _options_dialog(self, fmt: str) -> ExportOptions | None:
        dialog = ExportDialog(self.model, fmt, self.window)
        return dialog.options() if dialog.exec() == QDialog.DialogCode.Accepted else None

    def _inform(self, title: str, text: str) -> None:
        QMessageBox.warning(self.window, title, text)

    def export_dialog(self, fmt: str = "gif") -> int:
        """Ask what to export, then where; export off screen with a progress dialog. Returns frames written."""
        options = self._options_dialog(fmt)
        if options is None:
            return 0
        if fmt == "gif":
            filters = "GIF images (*.gif);;MP4 videos (*.mp4)"
        else:
            filters = "PNG images (*.png)"
        stem = getattr(getattr(self.window, "document", None), "suggested_name", lambda: "export.toml")()
        path = self._save_path_dialog("Export", str(Path(stem).with_suffix("." + fmt)), filters)
        if not path:
            return 0
        if Path(path).suffix.lower() == ".mp4":
            options.format = "mp4"
        dialog = QProgressDialog("Drawing frames…", "Cancel", 0, 100, self.window)
        dialog.setWindowTitle("Export")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(500)   # only shown for exports that take more than a moment

        def progress(done: int, total: int) -> None:
            dialog.setMaximum(total)
            dialog.setValue(done)

        try:
            return export_with_options(self.model, options, path, progress=progress, cancel=dialog.wasCanceled)
        except (OSError, RuntimeError) as err:
            self._inform("Could not export", f"Could not write {path}: {err}")
            return 0
        finally:
            dialog.reset()
            dialog.deleteLater()

    def _png(self, widget: QWidget, name: str) -> None:
        path = self._save_path_dialog("Export PNG", name, "PNG images (*.png)")
        if path:
            try:
                export_png(widget, path)
            except OSError as err:
                self._inform("Could not export", str(err))

    def _trajectories_csv(self) -> None:
        path = self._save_path_dialog("Export trajectories", "trajectories.csv", "CSV files (*.csv)")
        if path:
            try:
                export_trajectories_csv(self.model, path)
            except OSError as err:
                self._inform("Could not export", f"Could not write {path}: {err.strerror or err}")

    def _summary_csv(self) -> None:
        from explorer.summary import summarize_comparison, write_summary_csv

        path = self._save_path_dialog("Export summary", "summary.csv", "CSV files (*.csv)")
        if path:
            try:
                write_summary_csv(summarize_comparison(self.model), path)
            except OSError as err:
                self._inform("Could not export", f"Could not write {path}: {err.strerror or err}")
