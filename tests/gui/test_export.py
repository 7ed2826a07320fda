"""Exports (GIF, MP4, PNG, CSV), the summary numbers and the summary table, the gallery of lessons."""

from __future__ import annotations

import csv

import imageio.v3 as iio
import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget

from explorer.cli import CSV_HEADER
from explorer.model import Comparison
from explorer.runs import RunSpec
from explorer.summary import SUMMARY_HEADER
from explorer.surface import compile_surface
from widgets.export import animation_steps, export_animation, export_png, export_trajectories_csv
from widgets.gallery import COURSE


def _bowl(steps: int = 40) -> Comparison:
    """x² + 4y²: GD at lr 0.1 contracts x by 0.8 and y by 0.2 per step; momentum; one run that diverges."""
    runs = [RunSpec("GD", "sgd", (1.5, 1.0), {"lr": 0.1}),
            RunSpec("Momentum", "sgd", (-1.5, 1.0), {"lr": 0.05, "momentum": 0.9}),
            RunSpec("Too large", "sgd", (0.5, 0.5), {"lr": 0.3})]
    model = Comparison(compile_surface("x^2 + 4 y^2"), runs, x_range=(-2, 2), y_range=(-2, 2), title="Bowl",
                       tolerance=1e-3, default_steps=steps)
    model.minima = ((0.0, 0.0),)
    return model


class StepPicture(QWidget):
    """A stand-in for the window: the contour view plus a label that shows the step (every frame differs)."""

    def __init__(self, model) -> None:
        from widgets.contour_view import ContourView

        super().__init__()
        self.model = model
        self.view = ContourView(model)
        self.label = QLabel()
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.label)
        model.step_changed.connect(lambda k: self.label.setText(f"step {k}"))
        self.resize(420, 360)


@pytest.fixture
def picture(qtbot):
    widget = StepPicture(_bowl())
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_animation_steps_stride():
    assert animation_steps(10, 150) == list(range(11))
    steps = animation_steps(600, 150)
    assert len(steps) <= 150 and steps[0] == 0 and steps[-1] == 600
    assert set(np.diff(steps[:-1])) == {5}
    assert animation_steps(0, 150) == [0]


def test_gif_has_one_frame_per_drawn_step(picture, tmp_path):
    model = picture.model
    out = tmp_path / "race.gif"
    calls = []
    n = export_animation(picture, out, fps=20, max_frames=25, progress=lambda d, t: calls.append((d, t)))
    expected = len(animation_steps(model.max_step, 25))
    assert n == expected == iio.imread(out, index=None).shape[0]
    assert calls[-1] == (expected, expected)
    assert model.step == 0                               # the step shown before the export is restored
    frames = iio.imread(out, index=None)
    assert frames.shape[1:3] == (picture.height(), picture.width())
    assert frames[-1].std() > 10                         # a picture, not a blank
    assert [p.name for p in tmp_path.iterdir()] == ["race.gif"]   # no temporary files left


def test_identical_frames_are_merged(qtbot, tmp_path):
    still = QLabel("nothing moves here")
    still.model = _bowl(10)
    qtbot.addWidget(still)
    out = tmp_path / "still.gif"
    assert export_animation(still, out) == 1 == iio.imread(out, index=None).shape[0]


def test_cancel_writes_nothing(picture, tmp_path):
    out = tmp_path / "cancelled.gif"
    polled = []

    def cancel() -> bool:
        polled.append(1)
        return len(polled) > 3

    assert export_animation(picture, out, cancel=cancel) == 0
    assert list(tmp_path.iterdir()) == []


def test_mp4_is_written(picture, tmp_path):
    out = tmp_path / "race.mp4"
    n = export_animation(picture, out, fps=30, size=(321, 241), max_frames=20)
    assert n == len(animation_steps(picture.model.max_step, 20))
    assert out.stat().st_size > 1000
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(out))   # closed explicitly: no leaked ffmpeg pipes
    try:
        meta = next(reader)
        first = np.frombuffer(next(reader), np.uint8)
    finally:
        reader.close()
    assert meta["size"] == (320, 240) and first.size == 320 * 240 * 3   # even sizes for yuv420p
    assert imageio_ffmpeg.count_frames_and_secs(str(out))[0] == n


def test_png_of_a_widget(picture, tmp_path):
    out = export_png(picture, tmp_path / "contour.png")
    image = iio.imread(out)
    assert out.stat().st_size > 1000 and image.shape[:2] == (picture.height(), picture.width())
    assert image[..., :3].std() > 10


def test_trajectories_csv_has_the_simulate_columns(tmp_path):
    model = _bowl(20)
    out = tmp_path / "runs.csv"
    assert export_trajectories_csv(model, out) == 3
    with open(out, newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == CSV_HEADER
    assert len(rows) - 1 == sum(t.stop_step + 1 for t in model.trajectories)


def test_summary_table_sorts_copies_and_exports(qtbot, tmp_path):
    from widgets.summary_table import COLUMNS, SummaryTable

    model = _bowl(40)
    table = SummaryTable(model)
    qtbot.addWidget(table)
    table.show()
    rows = table.visible_rows()
    assert [r[0] for r in rows] == ["GD", "Momentum", "Too large"]
    assert rows[0][1:3] == ["converged at step 36", "36"] and rows[2][2] == "never"
    assert rows[2][1].startswith("diverged at step ")
    table.table.sortByColumn(COLUMNS.index("Steps to tolerance"), Qt.SortOrder.DescendingOrder)
    assert [r[2] for r in table.visible_rows()] == ["never", "never", "36"]   # "never" counts as the most
    table.table.sortByColumn(COLUMNS.index("Final loss"), Qt.SortOrder.AscendingOrder)
    assert [r[0] for r in table.visible_rows()] == ["GD", "Momentum", "Too large"]   # numerically, not as text
    table.table.sortByColumn(COLUMNS.index("Steps to tolerance"), Qt.SortOrder.AscendingOrder)
    table.table.selectRow(0)
    table.table.setFocus()
    qtbot.keyClick(table.table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    lines = QApplication.clipboard().text().splitlines()
    assert lines[0].split("\t") == COLUMNS and len(lines) == 2
    model.set_run(0, RunSpec("GD", "sgd", (1.5, 1.0), {"lr": 0.2}))   # the table follows the model
    assert table.visible_rows()[0][2] != "36"
    out = tmp_path / "summary.csv"
    assert table.export_csv(str(out))
    with open(out, newline="") as fh:
        assert next(csv.reader(fh)) == SUMMARY_HEADER


# --------------------------------------------------------------------------------------------- gallery

def test_gallery_lists_every_lesson_with_a_thumbnail(qtbot):
    from explorer.preset import builtin_presets
    from widgets.gallery import Gallery, first_sentence

    opened = []

    class FakeDocument:
        def open_path(self, path, template=False):
            opened.append((path, template))
            return True

    gallery = Gallery(FakeDocument())
    qtbot.addWidget(gallery)
    assert gallery.list.count() == len(builtin_presets()) >= 12
    qtbot.waitUntil(gallery.thumbnails_done, timeout=30000)
    first = gallery.list.item(0)
    assert "\n" in first.text() and not first.icon().isNull()
    image = first.icon().pixmap(64, 64).toImage()
    assert len({image.pixel(x, y) for x in range(0, 64, 4) for y in range(0, 64, 4)}) > 5   # not a flat grey
    assert first.text().startswith("One variable")                       # a course starts with one variable
    assert set(COURSE) == set(builtin_presets())                          # every lesson has its place
    gallery._open_item(gallery.list.item(1))
    assert opened == [(str(builtin_presets()[COURSE[1]]), True)]
    assert first_sentence("One idea. Two ideas.") == "One idea."
    assert first_sentence("Minimum at (3, 0.5) here. Then more.") == "Minimum at (3, 0.5) here."


@pytest.mark.parametrize("name", ["batch-size", "line-fit", "delivery-depot", "rosenbrock-race"])
def test_gallery_thumbnails_show_each_lesson_s_own_loss(name):
    """The thumbnail is the surface the window opens (its variables and data): around the lesson's known
    minimum it has the colour map's lowest tenth. Data lessons were drawn in x and y with the data's column
    names as parameters: a tilted band with mid colours at the minimum."""
    from explorer.preset import builtin_presets
    from widgets.colors import lookup_table
    from widgets.gallery import thumbnail_data

    sample = thumbnail_data(builtin_presets()[name])
    rgb = sample["rgba"][..., :3].astype(int)
    h, w = rgb.shape[:2]
    (mu, mv), *_ = sample["minima"]
    row, col = int(round(mv * (h - 1))), int(round(mu * (w - 1)))
    near = rgb[max(row - 2, 0): row + 3, max(col - 2, 0): col + 3].reshape(-1, 1, 3)
    table = lookup_table()[:, :3].astype(int)
    lowest = np.abs(near - table[None, : len(table) // 10]).sum(axis=-1).min(axis=1) < 12
    assert lowest.any(), name
