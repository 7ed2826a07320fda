"""File handling: open, save (atomic), unsaved changes, recovery after a crash, drag-and-drop.

Built around a bare QMainWindow with a menu bar and the model, so they do not depend on the main window's
layout. Every dialog is replaced (``doc._ask`` / ``doc._inform`` / path dialogs): nothing blocks.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox

from explorer.model import Comparison
from explorer.preset import load_preset
from explorer.runs import RunSpec
from widgets.document import Document, write_recovery_file

Button = QMessageBox.StandardButton

SMALL = """\
format = "gradient-descent-explorer/preset"
version = 1
title = "Small bowl"
description = "A bowl. Both runs reach the bottom."
tolerance = 1e-6
steps = 80

[surface]
expression = "x^2 + 4 y^2"
x_range = [-2.0, 2.0]
y_range = [-2.0, 2.0]
minima = [[0.0, 0.0]]

[[runs]]
label = "GD"
optimizer = "sgd"
start = [1.5, 1.0]
params = { lr = 0.1 }

[[runs]]
label = "Momentum"
optimizer = "sgd"
start = [-1.5, 1.0]
color = "#56b4e9"
params = { lr = 0.05, momentum = 0.9 }

[view]
step = 5
log_levels = true
"""


class Recorder:
    """Stands in for the message boxes: records what would have been shown, answers as told."""

    def __init__(self, answer=Button.Discard) -> None:
        self.answer = answer
        self.asked: list[str] = []
        self.informed: list[str] = []

    def ask(self, title, text, buttons, default):
        self.asked.append(text)
        return self.answer

    def inform(self, title, text):
        self.informed.append(text)


def _start_model() -> Comparison:
    from explorer.surface import compile_surface

    return Comparison(compile_surface("(x - 1)^2 + (y + 1)^2"), [RunSpec("Adam", "adam", (0.0, 0.0), {"lr": 0.1})],
                      title="Start", default_steps=30)


@pytest.fixture
def make_doc(qtbot, tmp_path):
    made = []

    def make(model=None, recovery_dir=None):
        model = model or _start_model()
        window = QMainWindow()
        file_menu = window.menuBar().addMenu("&File")
        qtbot.addWidget(window)
        settings = QSettings(str(tmp_path / f"settings{len(made)}.ini"), QSettings.Format.IniFormat)
        doc = Document(window, model, settings=settings, recovery_dir=recovery_dir or tmp_path / "recovery",
                       file_menu=file_menu)
        file_menu.addAction("&Quit")
        rec = Recorder()
        doc._ask, doc._inform = rec.ask, rec.inform
        made.append(doc)
        return doc, rec

    return make


@pytest.fixture
def small_file(tmp_path) -> Path:
    path = tmp_path / "small.toml"
    path.write_text(SMALL, encoding="utf-8")
    return path


def test_menu_has_the_document_actions(make_doc):
    doc, _ = make_doc()
    texts = [a.text() for a in doc.file_menu.actions()]
    assert texts[:4] == ["&New", "&Open…", "Open &Recent", "Open from &Gallery…"]
    assert "&Save" in texts and "Save &As…" in texts and "&Export" in texts and "&Quit" in texts
    keys = {a.text(): a.shortcut().toString() for a in (doc.new_action, doc.open_action, doc.gallery_action,
                                                         doc.save_action, doc.save_as_action)}
    assert keys == {"&New": "Ctrl+N", "&Open…": "Ctrl+O", "Open from &Gallery…": "Ctrl+G", "&Save": "Ctrl+S",
                    "Save &As…": "Ctrl+Shift+S"}                   # each action its own, standard shortcut


def test_open_a_preset_file_loads_it_into_the_same_model(make_doc, small_file):
    doc, rec = make_doc()
    model = doc.model
    assert doc.open_path(small_file)
    assert rec.informed == []
    assert model.title == "Small bowl" and model.expression == "x^2 + 4 y^2"
    assert [r.label for r in model.runs] == ["GD", "Momentum"]
    assert all(t is not None for t in model.trajectories)
    assert model.step == 5 and model.view.contour_levels == "log"
    assert model.minima == ((0.0, 0.0),)
    assert not doc.window.isWindowModified()
    assert doc.window.windowTitle() == "small.toml[*] — Gradient Descent Explorer"
    assert doc.recent_files() == [str(small_file.resolve())]


def test_corrupt_file_keeps_the_current_work_and_says_why(make_doc, tmp_path):
    doc, rec = make_doc()
    before = doc.model.to_preset()
    bad = tmp_path / "bad.toml"
    bad.write_text(SMALL.replace('optimizer = "sgd"', 'optimizer = "sgdd"', 1), encoding="utf-8")
    assert not doc.open_path(bad)
    assert doc.model.to_preset() == before
    assert len(rec.informed) == 1
    message = rec.informed[0]
    assert str(bad) in message and "runs[0].optimizer" in message   # file, field …
    assert "sgdd" in message                                         # … and the problem
    truncated = tmp_path / "truncated.toml"
    truncated.write_text(SMALL[:40], encoding="utf-8")
    assert not doc.open_path(truncated)
    assert "not valid TOML" in rec.informed[1]
    assert doc.model.to_preset() == before and doc.file_path is None


def test_save_round_trips(make_doc, small_file, tmp_path):
    doc, _ = make_doc()
    doc.open_path(small_file)
    first = load_preset(small_file)
    out = tmp_path / "copy.toml"
    assert doc.save_to(out)
    again = load_preset(out)
    # the document comes back; the file's old "log_levels" is saved as contour_levels, the step is not saved
    assert again == dataclasses.replace(first, view={"contour_levels": "log"})
    assert doc.window.windowTitle().startswith("copy.toml[*]")
    # and once more through the app: open the copy, save it over itself, identical bytes
    data = out.read_bytes()
    assert doc.open_path(out) and doc.save()
    assert out.read_bytes() == data


def test_failed_save_leaves_the_old_file_byte_identical(make_doc, small_file, monkeypatch):
    doc, rec = make_doc()
    doc.open_path(small_file)
    original = small_file.read_bytes()
    doc.model.set_title("Changed")
    assert doc.window.isWindowModified()

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    assert not doc.save()
    monkeypatch.undo()
    assert small_file.read_bytes() == original
    assert len(rec.informed) == 1 and "No space left on device" in rec.informed[0]
    assert [p.name for p in small_file.parent.iterdir() if p.name.endswith(".tmp")] == []
    assert doc.window.isWindowModified()   # still unsaved


def test_edits_mark_the_window_modified_and_saving_clears_it(make_doc, small_file):
    doc, _ = make_doc()
    doc.open_path(small_file)
    window = doc.window
    assert "[*]" in window.windowTitle() and not window.isWindowModified()
    doc.model.set_step(3)                                   # playing is not an edit
    assert not window.isWindowModified()
    doc.model.set_run(0, dataclasses.replace(doc.model.runs[0], params={"lr": 0.05}))
    assert window.isWindowModified()
    assert doc.autosave_timer.isActive()
    assert doc.save()
    assert not window.isWindowModified() and not doc.autosave_timer.isActive()


def test_unsaved_changes_ask_before_open_and_cancel_keeps_everything(make_doc, small_file):
    doc, rec = make_doc()
    doc.model.set_title("My work")
    rec.answer = Button.Cancel
    assert not doc.open_path(small_file)
    assert doc.model.title == "My work" and len(rec.asked) == 1
    rec.answer = Button.Discard
    assert doc.open_path(small_file)
    assert doc.model.title == "Small bowl"


def test_close_with_unsaved_changes_asks(make_doc, qtbot):
    doc, rec = make_doc()
    doc.window.show()
    doc.model.set_title("My work")
    rec.answer = Button.Cancel
    assert not doc.window.close()
    assert doc.window.isVisible()
    rec.answer = Button.Discard
    assert doc.window.close()


def test_recovery_after_a_simulated_crash(make_doc, small_file, tmp_path):
    crashed, _ = make_doc()
    crashed.open_path(small_file)
    crashed.model.set_run(1, dataclasses.replace(crashed.model.runs[1], label="Heavy ball"))
    expected = crashed.model.to_preset()
    # the crashed process (a pid that is not running) left its autosave behind
    write_recovery_file(tmp_path / "recovery", expected, str(small_file), pid=2 ** 22 + 12345)

    doc, _ = make_doc()
    assert doc.offer_recovery(auto_accept=True)
    assert doc.model.to_preset() == expected
    assert doc.file_path == str(small_file) and doc.window.isWindowModified()
    assert list((tmp_path / "recovery").glob("recovery-*.toml")) == [doc.recovery_path]
    assert not doc.offer_recovery(auto_accept=True)     # nothing left from other processes


def test_autosave_writes_and_clean_close_deletes_the_recovery_file(make_doc, qtbot):
    doc, rec = make_doc()
    doc.autosave_timer.setInterval(10)
    doc.model.set_title("Autosaved")
    qtbot.waitUntil(doc.recovery_path.exists, timeout=2000)
    assert load_preset(doc.recovery_path).title == "Autosaved"
    rec.answer = Button.Discard
    doc.window.close()
    assert not doc.recovery_path.exists()


def test_recovery_is_offered_with_a_question(make_doc, tmp_path):
    write_recovery_file(tmp_path / "recovery", load_preset_text(SMALL, tmp_path), None, pid=2 ** 22 + 7)
    doc, rec = make_doc()
    rec.answer = Button.No
    assert not doc.offer_recovery()
    assert len(rec.asked) == 1 and "did not close normally" in rec.asked[0]
    assert doc.model.title == "Start" and doc.find_recovery() == []


def load_preset_text(text: str, folder: Path):
    path = folder / "tmp-preset.toml"
    path.write_text(text, encoding="utf-8")
    return load_preset(path)


def test_dropping_a_preset_file_opens_it(make_doc, small_file, qtbot):
    doc, _ = make_doc()
    window = doc.window
    window.show()
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(small_file))])
    actions = Qt.DropAction.CopyAction
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(window.rect().center(), actions, mime, buttons, mods)
    QApplication.sendEvent(window, enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(window.rect().center()), actions, mime, buttons, mods)
    QApplication.sendEvent(window, drop)
    qtbot.waitUntil(lambda: doc.model.title == "Small bowl", timeout=2000)
    assert doc.file_path == str(small_file.resolve())


def test_dragging_other_files_is_refused(make_doc, tmp_path):
    doc, _ = make_doc()
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(other))])
    enter = QDragEnterEvent(doc.window.rect().center(), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    enter.ignore()
    QApplication.sendEvent(doc.window, enter)
    assert not enter.isAccepted()


def test_open_recent_lists_files_and_prunes_missing_ones(make_doc, small_file, tmp_path):
    doc, _ = make_doc()
    gone = tmp_path / "gone.toml"
    gone.write_text(SMALL)
    doc.open_path(gone)
    doc.open_path(small_file)
    assert doc.recent_files() == [str(small_file.resolve()), str(gone.resolve())]
    gone.unlink()
    doc._fill_recent_menu()
    names = [a.text() for a in doc.recent_menu.actions() if a.data()]
    assert names == ["&1 small.toml"]
    assert doc.recent_files() == [str(small_file.resolve())]


def test_new_starts_an_untitled_comparison(make_doc, small_file):
    doc, _ = make_doc()
    doc.open_path(small_file)
    assert doc.new()
    assert doc.file_path is None and doc.model.title == "Untitled"
    assert doc.window.windowTitle() == "Untitled[*] — Gradient Descent Explorer"
    assert len(doc.model.runs) == 1
