"""The gallery of built-in lessons: title, one-line lesson and a small contour thumbnail for each preset.

The list fills at once from the TOML text (title, first sentence of the description); the thumbnails are
computed on the job runner (compiling a formula can take a moment) and cached per file and modification
time. A thumbnail is the surface sampled on a :data:`GRID` × :data:`GRID` grid, coloured by rank
(histogram equalisation, so a valley a thousand times lower than the walls still shows), with darkened
iso-lines between ten equal-rank bands, the known minima as white dots and the start points in the runs'
colours. No OpenGL, no pyqtgraph scene.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
)

from explorer.preset import builtin_presets
from explorer.runs import PALETTE
from widgets import jobs
from widgets.colors import rgba_bytes

GRID = 72
THUMB = 112
BANDS = 10
_cache: dict[tuple[str, int], QImage] = {}


def first_sentence(text: str) -> str:
    """The description's first sentence (up to the first . ! or ? followed by a space and a capital)."""
    text = " ".join(text.split())
    match = re.search(r"[.!?](?=\s+[A-Z(\"“])", text)
    return text[:match.end()] if match else text


def read_lesson(path: Path) -> dict:
    """The parsed TOML of a preset file (no validation: the gallery only shows it)."""
    with open(path, "rb") as fh:
        return tomllib.load(fh)


def thumbnail_data(path: str | Path) -> dict:
    """Sample a lesson's surface (runs on a worker): rank-coloured RGBA and marker positions.

    The file is loaded as the window loads it (its variables, parameters and data), so a loss over data shows
    its own bowl. Two variables: the map over the lesson's ranges; one: the graph of f, coloured below the
    curve; three or more: the slice through the first run's start along the first two variables.
    Returns {"rgba": (GRID, GRID, 4) uint8, row 0 = top, "minima": [(u, v)], "starts": [(u, v, colour)]} with
    u, v in [0, 1] from the top-left corner.
    """
    from explorer.preset import load_preset

    preset = load_preset(path)
    f = preset.build_surface()
    ranges = [tuple(map(float, r)) for r in preset.surface.ranges]
    d = len(ranges)
    anchor = np.array(preset.runs[0].start if preset.runs else [(lo + hi) / 2 for lo, hi in ranges], dtype=float)
    (x0, x1) = ranges[0]
    xs = np.linspace(x0, x1, GRID)
    if d == 1:
        with np.errstate(all="ignore"):
            fx = f.value(xs[:, None])
        finite = np.isfinite(fx)
        lo, hi = (float(np.min(fx[finite])), float(np.max(fx[finite]))) if finite.any() else (0.0, 1.0)
        pad = 0.08 * (hi - lo or 1.0)
        y0, y1 = lo - pad, hi + pad
        heights = np.linspace(y1, y0, GRID)[:, None]                  # row 0 = top
        below = heights <= np.where(finite, fx, -np.inf)[None, :]
        ranks = np.where(below, (heights - y0) / (y1 - y0), np.nan)
        with np.errstate(all="ignore"):
            rgba = rgba_bytes(ranks)
        rgba[~below] = (245, 245, 245, 255)
        rows = np.clip(np.round((y1 - np.where(finite, fx, y0)) / (y1 - y0) * (GRID - 1)), 0, GRID - 1).astype(int)
        rgba[rows[finite], np.arange(GRID)[finite]] = (20, 20, 20, 255)

        def uv(point) -> tuple[float, float]:
            x = float(point[0])
            with np.errstate(all="ignore"):
                fx0 = float(f.value(np.array([[x]]))[0])
            return (x - x0) / (x1 - x0), (y1 - fx0) / (y1 - y0)
    else:
        (y0, y1) = ranges[1]
        ys = np.linspace(y1, y0, GRID)
        grid = np.broadcast_to(anchor, (GRID, GRID, d)).copy()
        grid[..., 0], grid[..., 1] = np.meshgrid(xs, ys)
        with np.errstate(all="ignore"):
            z = f.value(grid)
            finite = np.isfinite(z)
            ranks = np.full(z.shape, np.nan)
            order = np.argsort(z[finite], kind="stable")
            r = np.empty(order.size)
            r[order] = np.arange(order.size) / max(order.size - 1, 1)
            ranks[finite] = r
            rgba = rgba_bytes(ranks)
            band = np.floor(np.nan_to_num(ranks) * BANDS)
        edge = np.zeros(z.shape, bool)
        edge[:, 1:] |= band[:, 1:] != band[:, :-1]
        edge[1:, :] |= band[1:, :] != band[:-1, :]
        rgba[edge, :3] = (rgba[edge, :3] * 0.55).astype(np.uint8)

        def uv(point) -> tuple[float, float]:
            return (float(point[0]) - x0) / (x1 - x0), (y1 - float(point[1])) / (y1 - y0)

    starts = [(*uv(run.start), run.color or PALETTE[i % len(PALETTE)]) for i, run in enumerate(preset.runs)]
    return {"rgba": rgba, "minima": [uv(m) for m in preset.surface.minima], "starts": starts}


def thumbnail_image(sample: dict, size: int = THUMB) -> QImage:
    """The QImage (size × size) of a :func:`thumbnail_data` result, markers drawn on top."""
    rgba = np.ascontiguousarray(sample["rgba"])
    h, w = rgba.shape[:2]
    image = QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()
    image = image.scaled(size, size, Qt.AspectRatioMode.IgnoreAspectRatio,
                         Qt.TransformationMode.SmoothTransformation)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor(20, 20, 20), 1.2))
    for u, v, color in sample["starts"]:
        if 0 <= u <= 1 and 0 <= v <= 1:
            painter.setBrush(QColor(color))
            painter.drawEllipse(int(u * size) - 4, int(v * size) - 4, 8, 8)
    painter.setBrush(QColor("white"))
    for u, v in sample["minima"]:
        if 0 <= u <= 1 and 0 <= v <= 1:
            painter.drawEllipse(int(u * size) - 3, int(v * size) - 3, 6, 6)
    painter.end()
    return image


#: The built-in lessons in the order a course meets them: one variable, the learning rate, curvature and its
#: traps, Newton, noise, then losses over data, and many parameters; lessons not listed follow by name.
COURSE = ("one-variable", "learning-rate-too-large", "ravine", "saddle-point", "plateau", "rosenbrock-race",
          "newton-vs-gradient-descent", "beale", "himmelblau", "rastrigin", "noisy-gradients", "line-fit",
          "feature-scaling", "batch-size", "patient-readmission", "delivery-depot", "black-scholes-calibration",
          "four-weights-least-squares", "hidden-valley-10d")


def course_order(presets: dict[str, Path]) -> list[tuple[str, Path]]:
    """``presets`` (name -> path) in :data:`COURSE` order, the others after them by name."""
    rank = {name: i for i, name in enumerate(COURSE)}
    return sorted(presets.items(), key=lambda item: (rank.get(item[0], len(COURSE)), item[0]))


class Gallery(QDialog):
    """Pick a built-in lesson; Open (or a double-click) loads it through ``document.open_path``.

    Built-in lessons open as templates (no file name), so Save asks where to keep a copy.
    """

    def __init__(self, document=None, parent=None, *, presets: dict[str, Path] | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.setWindowTitle("Lessons")
        self.resize(760, 640)
        self.list = QListWidget()
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.setSpacing(4)
        self.list.setWordWrap(True)
        self.list.setUniformItemSizes(True)
        self.list.itemActivated.connect(self._open_item)
        self.list.itemDoubleClicked.connect(self._open_item)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open
                                        | QDialogButtonBox.StandardButton.Close)
        self.buttons.accepted.connect(lambda: self._open_item(self.list.currentItem()))
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        intro = QLabel("Each lesson is a saved comparison that teaches one idea. Open one to watch it play.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.buttons)
        self.channel = jobs.channel(self, "thumbnails", latest_only=False)
        self.channel.finished.connect(lambda payload: self._thumbnail_ready(*payload))
        self._pending: set[str] = set()
        self._items: dict[str, QListWidgetItem] = {}
        self._placeholder = _placeholder_icon()
        self._populate(builtin_presets() if presets is None else presets)

    def _populate(self, presets: dict[str, Path]) -> None:
        for name, path in course_order(presets):
            try:
                data = read_lesson(path)
                title, lesson = str(data.get("title", name)), first_sentence(str(data.get("description", "")))
            except (OSError, ValueError) as err:
                data, title, lesson = None, name, f"(cannot be read: {err})"
            item = QListWidgetItem(f"{title}\n{lesson}")
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            item.setToolTip(str(path))
            item.setSizeHint(QSize(680, THUMB + 12))
            self.list.addItem(item)
            key = _cache_key(path)
            self._items[str(path)] = item
            if key in _cache:
                item.setIcon(QIcon(QPixmap.fromImage(_cache[key])))
            else:
                item.setIcon(self._placeholder)
                if data is not None:
                    self._pending.add(str(path))
                    self.channel.submit(lambda progress, cancelled, p=str(path): (p, _thumbnail(p)))
        if self.list.count():
            self.list.setCurrentRow(0)

    def _thumbnail_ready(self, path: str, result) -> None:
        self._pending.discard(path)
        item = self._items.get(path)
        if item is None or isinstance(result, Exception):
            return
        image = thumbnail_image(result)
        _cache[_cache_key(Path(path))] = image
        item.setIcon(QIcon(QPixmap.fromImage(image)))

    def thumbnails_done(self) -> bool:
        """True when every readable lesson has its thumbnail (for tests and screenshots)."""
        return not self._pending

    def _open_item(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        path = item.data(Qt.ItemDataRole.UserRole)
        if self.document is None or self.document.open_path(path, template=True):
            self.accept()

    def done(self, result: int) -> None:
        self.channel.cancel()
        super().done(result)


def _thumbnail(path: str):
    """thumbnail_data, or the exception: a broken preset shows no thumbnail, never breaks the gallery."""
    try:
        return thumbnail_data(path)
    except Exception as exc:
        return exc


def _cache_key(path: Path) -> tuple[str, int]:
    try:
        return str(path), Path(path).stat().st_mtime_ns
    except OSError:
        return str(path), 0


def _placeholder_icon() -> QIcon:
    pixmap = QPixmap(THUMB, THUMB)
    pixmap.fill(QColor("#d0d0d0"))
    return QIcon(pixmap)
