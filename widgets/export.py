"""Exports: PNG of a view or the window, GIF / MP4 of the playback, trajectories and summary as CSV.

:func:`export_animation` steps the model through the playback and grabs a widget (the window, the contour
view or the 3-D view) at each frame; it works headless (``python main.py render PRESET --gif OUT``) and from
the File ▸ Export menu, where a :class:`QProgressDialog` with Cancel follows it.

- GIF: Pillow directly (imageio's own GIF writer is Pillow too, but keeps every frame as RGB until the end):
  one global 255-colour palette taken from the final frame (every path drawn), frames stored as 1 byte per
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
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QImage
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QProgressDialog, QWidget

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
    """(h, w, 3) uint8 picture of ``widget`` (3-D views included: Qt renders QOpenGLWidget children),
    scaled down to ``width`` pixels when it is wider."""
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


def export_animation(widget: QWidget, path: str | os.PathLike, fps: float = 30, size: tuple[int, int] | None = None,
                     progress: Callable[[int, int], None] | None = None, cancel: Callable[[], bool] | None = None,
                     *, model=None, max_frames: int | None = None) -> int:
    """Write the playback of ``model`` (default ``widget.model``) as grabbed from ``widget`` to a GIF or MP4.

    path : ``.gif`` or ``.mp4`` (``.m4v``/``.mov`` also go through ffmpeg).
    size : (width, height) to lay ``widget`` out at while grabbing (restored afterwards); None = as it is
        (GIFs are then scaled down to :data:`GIF_MAX_WIDTH`).
    progress : called as ``progress(frames_done, frames_total)``; cancel : polled before every frame.
    Returns the number of frames in the file (0 when cancelled: the file is then not written).
    The model's current step is restored afterwards.
    """
    path = Path(path)
    model = model if model is not None else widget.model
    is_gif = path.suffix.lower() == ".gif"
    limit = max_frames or (GIF_MAX_FRAMES if is_gif else MP4_MAX_FRAMES)
    wait_for_trajectories(model)
    steps = animation_steps(model.max_step, limit)
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
            written = _write_gif(temp, frames(), fps, palette_from=grab_rgb(widget, width))
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


def _write_gif(path: Path, frames, fps: float, palette_from: np.ndarray) -> int:
    from PIL import Image

    palette = Image.fromarray(palette_from).quantize(colors=255, method=Image.Quantize.MEDIANCUT)
    duration = max(20, round(1000 / fps))   # browsers treat < 20 ms as 100 ms
    images, durations, previous = [], [], None
    for rgb in frames:
        frame = Image.fromarray(rgb).quantize(palette=palette, dither=Image.Dither.NONE)
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
    """Every step of every computed run, with :data:`explorer.cli.CSV_HEADER`; returns the runs written."""
    from explorer.cli import write_trajectories_csv

    wait_for_trajectories(model)
    trajectories = [t for t in model.trajectories if t is not None]
    write_trajectories_csv(trajectories, path)
    return len(trajectories)


def render_animation(preset, out: str | os.PathLike, *, fps: float = 30, size: tuple[int, int] = (1600, 1000),
                     theme: str = "light", max_frames: int | None = None) -> int:
    """Headless: open the window on ``preset`` (name, path, Preset or Comparison) and export its playback.

    For ``python main.py render PRESET --gif OUT / --mp4 OUT [--fps N] [--size WxH]``; run under Xvfb so the
    3-D view is drawn. Returns the frames written.
    """
    from widgets.render import offscreen_window

    with offscreen_window(preset, size, theme=theme) as (_app, window):
        return export_animation(window, out, fps=fps, max_frames=max_frames)


# ---------------------------------------------------------------------------------------------------------
# The File ▸ Export menu


class Exporter(QObject):
    """Fills ``menu`` (Document.export_menu) with the export actions for ``window`` and its ``model``.

    Looks for ``window.contour_view`` and ``window.surface_view`` for the per-view PNGs.
    """

    def __init__(self, window: QWidget, model, menu, *, summary=None) -> None:
        super().__init__(window)
        self.window, self.model, self.menu, self.summary = window, model, menu, summary
        entries = [("&Window as PNG…", lambda: self._png(self.window, "window.png"))]
        if getattr(window, "contour_view", None) is not None:
            entries.append(("&Contour View as PNG…", lambda: self._png(self.window.contour_view, "contour.png")))
        if getattr(window, "surface_view", None) is not None:
            entries.append(("&3-D View as PNG…", lambda: self._png(self.window.surface_view, "surface.png")))
        entries += [(None, None),
                    ("Animation as &GIF…", lambda: self._animation("GIF images (*.gif)", ".gif")),
                    ("Animation as &MP4…", lambda: self._animation("MP4 videos (*.mp4)", ".mp4")),
                    (None, None),
                    ("&Trajectories as CSV…", self._trajectories_csv),
                    ("&Summary as CSV…", self._summary_csv)]
        self.actions: dict[str, QAction] = {}
        for text, slot in entries:
            if text is None:
                menu.addSeparator()
                continue
            action = menu.addAction(text)
            action.triggered.connect(lambda _checked=False, s=slot: s())
            self.actions[text.replace("&", "")] = action

    # dialogs, replaced in tests
    def _save_path_dialog(self, caption: str, name: str, filter_: str) -> str:
        path, _ = QFileDialog.getSaveFileName(self.window, caption, name, filter_)
        return path

    def _inform(self, title: str, text: str) -> None:
        QMessageBox.warning(self.window, title, text)

    def _png(self, widget: QWidget, name: str) -> None:
        path = self._save_path_dialog("Export PNG", name, "PNG images (*.png)")
        if path:
            try:
                export_png(widget, path)
            except OSError as err:
                self._inform("Could not export", str(err))

    def _animation(self, filter_: str, suffix: str) -> int:
        path = self._save_path_dialog("Export animation", "playback" + suffix, filter_)
        if not path:
            return 0
        dialog = QProgressDialog("Drawing frames…", "Cancel", 0, 100, self.window)
        dialog.setWindowTitle("Export animation")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(500)   # only shown for exports that take more than a moment

        def progress(done: int, total: int) -> None:
            dialog.setMaximum(total)
            dialog.setValue(done)

        try:
            return export_animation(self.window, path, progress=progress, cancel=dialog.wasCanceled,
                                    model=self.model)
        except (OSError, RuntimeError) as err:
            self._inform("Could not export", f"Could not write {path}: {err}")
            return 0
        finally:
            dialog.reset()
            dialog.deleteLater()

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
