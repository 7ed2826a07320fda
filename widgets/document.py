"""The comparison as a document: File menu, unsaved-changes tracking, atomic saves, drag-and-drop, recovery.

``Document(window, model)`` is the only owner of file state: the file path, whether the comparison is modified,
the window title (``name.toml[*] — Gradient Descent Explorer``, or the comparison's title when it has no file)
and the recovery file. It makes the File actions (New, Open…, Open Recent, Gallery…, Save, Save As…; the
window places them with :meth:`Document.install_menu`) and keeps the comparison's undo history
(:class:`~widgets.undo.UndoHistory`): *modified* means the history is not at the point where the file was
opened or saved, so undoing back to it is unmodified again, and looking (playing, presentation mode, basins,
the camera) never counts. Opening a file loads it *into the same* :class:`~explorer.model.Comparison` (every
view stays bound, ``model.load``), after the file has validated: a file that fails shows the
:class:`~explorer.preset.PresetError` text and the current work is untouched. "Reset lesson" puts back the
comparison as it was opened, as one undoable step.

Nothing is lost (Qt's ``application.py`` example, napari's settings): saves go through
:func:`explorer.preset.save_preset` (temporary file, fsync, rename); while there are unsaved changes the
comparison is written every ``autosave_ms`` to ``recovery-<pid>.toml`` in the user data folder
(platformdirs); a clean exit, a save or a discard deletes it, and :meth:`Document.offer_recovery` at the
next start offers to restore what a crashed or killed process left behind.

Every dialog goes through :meth:`Document._ask`, :meth:`Document._inform`, :meth:`Document._open_path_dialog`
or :meth:`Document._save_path_dialog`, so tests replace them and never block.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMainWindow, QMenu, QMessageBox

from explorer.preset import Preset, PresetError, SurfaceSpec, dumps_preset, load_preset, save_preset
from explorer.runs import RunSpec
from widgets.undo import UndoHistory

APP_NAME = "Gradient Descent Explorer"
DATA_DIR_NAME = "gradient-descent-explorer"
RECENT_KEY = "document/recent_files"
MAX_RECENT = 8
FILE_FILTER = "Presets (*.toml);;All files (*)"
_RECOVERY_GLOB = "recovery-*.toml"
_HEADER = re.compile(r"^# recovery-of: (.*)$", re.MULTILINE)

Button = QMessageBox.StandardButton


def autosave_interval() -> int:
    """Milliseconds between recovery autosaves: 30 s, or ``GRADIENT_DESCENT_EXPLORER_AUTOSAVE`` seconds."""
    try:
        seconds = float(os.environ.get("GRADIENT_DESCENT_EXPLORER_AUTOSAVE", "30"))
    except ValueError:
        seconds = 30.0
    return int(min(max(seconds, 0.1), 3600.0) * 1000)


def default_recovery_dir() -> Path:
    """The user data folder (``platformdirs.user_data_dir("gradient-descent-explorer")``)."""
    import platformdirs

    return Path(platformdirs.user_data_dir(DATA_DIR_NAME, appauthor=False))


def new_preset() -> Preset:
    """What File ▸ New shows: the Rosenbrock valley with one plain gradient-descent run."""
    surface = SurfaceSpec("(1 - x)^2 + 100 (y - x^2)^2", ((-2.0, 2.0), (-1.0, 3.0)), minima=((1.0, 1.0),))
    return Preset(title="Untitled", description="", surface=surface,
                  runs=(RunSpec("GD", "sgd", (-1.5, 2.0), {"lr": 1e-3}),), steps=1000)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":   # os.kill(pid, 0) would terminate the process on Windows
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def write_recovery_file(folder: str | os.PathLike, preset: Preset, source: str | None,
                        pid: int | None = None) -> Path:
    """Atomically write ``preset`` to ``folder/recovery-<pid>.toml``; ``source`` is the file it came from."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"recovery-{os.getpid() if pid is None else pid}.toml"
    header = f"# recovery-of: {json.dumps(source)}\n# written: {time.strftime('%Y-%m-%d %H:%M:%S')}\n"
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with open(temp, "w", encoding="utf-8") as fh:
            fh.write(header + dumps_preset(preset))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return path


def recovery_source(path: Path) -> str | None:
    """The original file a recovery file was autosaved from (None if it was never saved)."""
    try:
        match = _HEADER.search(path.read_text(encoding="utf-8")[:4096])
        return json.loads(match[1]) if match else None
    except (OSError, ValueError):
        return None


class Document(QObject):
    """File handling for one window and its comparison (see the module docstring).

    window : a QMainWindow with a menu bar (its "&File" menu is used, or created).
    settings : where Open Recent is kept (default ``QSettings()``).
    recovery_dir : where the recovery file goes (default :func:`default_recovery_dir`).
    handle_close : intercept the window's close to ask about unsaved changes and delete the recovery file.
    """

    path_changed = Signal(str)     # "" when the comparison has no file
    opened = Signal(str)           # a file (or built-in lesson) was loaded
    loaded = Signal()              # any document was loaded: a file, a lesson, File ▸ New, a recovery
    saved = Signal(str)

    def __init__(self, window: QMainWindow, model, *, settings: QSettings | None = None,
                 recovery_dir: str | os.PathLike | None = None, file_menu: QMenu | None = None,
                 autosave_ms: int | None = None, handle_close: bool = True) -> None:
        super().__init__(window)
        self.window, self.model = window, model
        self.file_path: str | None = None
        self.settings = settings if settings is not None else QSettings()
        self.recovery_dir = Path(recovery_dir) if recovery_dir is not None else default_recovery_dir()
        self._recovery_stale = False
        self._handle_close = handle_close
        self.autosave_timer = QTimer(self)
        self.autosave_timer.setInterval(autosave_ms if autosave_ms is not None else autosave_interval())
        self.autosave_timer.timeout.connect(self._autosave)
        self.undo_stack = UndoHistory(model, self)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self.undo_stack.indexChanged.connect(self._on_history_moved)
        self._opened_state = model.state()      # what "Reset lesson" puts back

        self._create_actions()
        if file_menu is not None:
            self.install_menu(file_menu)
        model.settings_changed.connect(self._update_title)
        model.retitle_new_formula = True
        window.setAcceptDrops(True)
        window.installEventFilter(self)
        self._update_title()

    # ------------------------------------------------------------------ actions and menus
    def _action(self, text: str, slot, shortcut=None) -> QAction:
        action = QAction(text, self.window)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _create_actions(self) -> None:
        self.new_action = self._action("&New", self.new, QKeySequence.StandardKey.New)
        self.open_action = self._action("&Open…", self.open, QKeySequence.StandardKey.Open)
        self.gallery_action = self._action("Open from &Gallery…", self.show_gallery, "Ctrl+G")
        self.save_action = self._action("&Save", self.save, QKeySequence.StandardKey.Save)
        self.save_as_action = self._action("Save &As…", self.save_as, "Ctrl+Shift+S")
        self.clear_recent_action = self._action("&Clear Menu", self.clear_recent)
        self.undo_action = self.undo_stack.createUndoAction(self.window, "&Undo")
        self.undo_action.setShortcuts(QKeySequence.StandardKey.Undo)
        self.redo_action = self.undo_stack.createRedoAction(self.window, "&Redo")
        self.redo_action.setShortcuts(QKeySequence.StandardKey.Redo)
        self.reset_action = self._action("Reset &Lesson", self.reset_lesson, "Ctrl+Shift+R")
        self.reset_action.setToolTip("Put the comparison back as it was opened (one undoable step)")

    def install_menu(self, file_menu: QMenu) -> None:
        """Put the File actions at the top of ``file_menu`` (above what it holds, e.g. Quit)."""
        self.file_menu = file_menu
        ours = {a.shortcut().toString() for a in (self.open_action, self.save_action, self.save_as_action,
                                                  self.new_action)}
        for existing in file_menu.actions():   # superseded entries (same shortcut) would make it ambiguous
            if not existing.shortcut().isEmpty() and existing.shortcut().toString() in ours:
                file_menu.removeAction(existing)
                existing.setEnabled(False)
        self.recent_menu = QMenu("Open &Recent", file_menu)
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self.export_menu = QMenu("&Export", file_menu)   # filled by widgets.export.install_export_actions
        first = file_menu.actions()[0] if file_menu.actions() else None
        for item in (self.new_action, self.open_action, self.recent_menu, self.gallery_action, None,
                     self.save_action, self.save_as_action, self.export_menu, None):
            if item is None:
                file_menu.insertSeparator(first) if first is not None else file_menu.addSeparator()
            elif isinstance(item, QMenu):
                file_menu.insertMenu(first, item) if first is not None else file_menu.addMenu(item)
            else:
                file_menu.insertAction(first, item) if first is not None else file_menu.addAction(item)
        self._fill_recent_menu()

    # ------------------------------------------------------------------ dialogs (replaced in tests)
    def _ask(self, title: str, text: str, buttons, default):
        """Ask a question; returns the QMessageBox.StandardButton pressed."""
        return QMessageBox.question(self.window, title, text, buttons, default)

    def _inform(self, title: str, text: str) -> None:
        """Tell the user something went wrong (a warning box)."""
        QMessageBox.warning(self.window, title, text)

    def _open_path_dialog(self) -> str:
        path, _ = QFileDialog.getOpenFileName(self.window, "Open preset", self._dialog_folder(), FILE_FILTER)
        return path

    def suggested_name(self) -> str:
        """What Save As proposes: the file's own name, else one made from the comparison's title."""
        return Path(self.file_path).name if self.file_path else _slug(self.model.title or "untitled") + ".toml"

    def _save_path_dialog(self) -> str:
        name = self.suggested_name()
        path, _ = QFileDialog.getSaveFileName(self.window, "Save preset as", str(Path(self._dialog_folder()) / name),
                                              FILE_FILTER)
        return path

    def _dialog_folder(self) -> str:
        if self.file_path:
            return str(Path(self.file_path).parent)
        recent = self.recent_files()
        return str(Path(recent[0]).parent) if recent else str(Path.home())

    # ------------------------------------------------------------------ state
    def display_name(self) -> str:
        if self.file_path:
            return Path(self.file_path).name
        return self.model.title or "Untitled"

    def _update_title(self, *_args) -> None:
        self.window.setWindowTitle(f"{self.display_name()}[*] — {APP_NAME}")

    def is_modified(self) -> bool:
        return not self.undo_stack.isClean()

    def set_modified(self, modified: bool) -> None:
        """Mark the comparison saved (False: the history's current point is clean) or unsaved (True)."""
        if modified:
            self.undo_stack.resetClean()
        else:
            self.undo_stack.setClean()
        self._on_clean_changed(self.undo_stack.isClean())

    def _on_clean_changed(self, clean: bool) -> None:
        self.window.setWindowModified(not clean)
        if clean:
            self._recovery_stale = False
            self.autosave_timer.stop()
        else:
            self._recovery_stale = True
            if not self.autosave_timer.isActive():
                self.autosave_timer.start()

    def _on_history_moved(self, _index: int) -> None:
        if not self.undo_stack.isClean():
            self._recovery_stale = True
            if not self.autosave_timer.isActive():
                self.autosave_timer.start()

    def _set_path(self, path: str | None) -> None:
        self.file_path = str(Path(path).resolve()) if path else None
        # a typed formula over a lesson makes it "Untitled"; over one's own file the title stays
        self.model.retitle_new_formula = self.file_path is None
        self._update_title()
        self.path_changed.emit(self.file_path or "")

    def set_file_path(self, path: str | os.PathLike | None) -> None:
        """Name the file the current comparison came from (e.g. a path given on the command line)."""
        self._set_path(os.fspath(path) if path else None)
        if path:
            self.add_recent(os.fspath(path))

    # ------------------------------------------------------------------ File actions
    def maybe_save(self) -> bool:
        """True when it is fine to throw the current comparison away (saved, discarded or unmodified)."""
        if not self.is_modified():
            return True
        answer = self._ask("Unsaved changes",
                           f"“{self.display_name()}” has unsaved changes. Save them first?",
                           Button.Save | Button.Discard | Button.Cancel, Button.Save)
        if answer == Button.Save:
            return self.save()
        return answer == Button.Discard

    def new(self) -> bool:
        if not self.maybe_save():
            return False
        self.load(new_preset(), path=None)
        return True

    def open(self) -> bool:
        path = self._open_path_dialog()
        return bool(path) and self.open_path(path)

    def open_path(self, path: str | os.PathLike, *, template: bool = False) -> bool:
        """Validate and load the preset file at ``path``; on any problem show it and keep the current work.

        template : a built-in lesson — loaded without a file name, so Save asks where to put a copy.
        """
        try:
            preset = load_preset(path)
            surface = preset.build_surface()
        except PresetError as err:
            self._inform("Could not open preset", str(err))
            return False
        except (OSError, ValueError) as err:
            self._inform("Could not open preset", f"{path}: {err}")
            return False
        if not self.maybe_save():
            return False
        self.load(preset, path=None if template else str(path), surface=surface)
        if not template:
            self.add_recent(str(path))
        self.opened.emit(str(path))
        return True

    def load(self, preset: Preset, *, path: str | None, surface=None, modified: bool = False) -> None:
        """Show ``preset`` as the current document (no questions asked); the undo history starts afresh."""
        self.model.load(preset, surface)
        self._opened_state = self.model.state()
        self.undo_stack.clear()
        self.delete_recovery()
        self._set_path(path)
        self.set_modified(modified)
        self.loaded.emit()

    def reset_lesson(self) -> None:
        """Put the comparison back as it was opened (or last loaded): one undoable step."""
        with self.model.edit("Reset lesson"):
            self.model.restore(self._opened_state)

    def save(self) -> bool:
        if not self.file_path:
            return self.save_as()
        return self.save_to(self.file_path)

    def save_as(self) -> bool:
        path = self._save_path_dialog()
        if not path:
            return False
        if not Path(path).suffix:
            path += ".toml"
        return self.save_to(path)

    def save_to(self, path: str | os.PathLike) -> bool:
        """Write the comparison to ``path`` atomically; on failure say why (the old file stays intact)."""
        try:
            save_preset(self.model.to_preset(), path)
        except PresetError as err:
            self._inform("Could not save", f"The comparison cannot be saved as a preset:\n{err}")
            return False
        except OSError as err:
            self._inform("Could not save", f"Could not save {path}: {err.strerror or err}\n\n"
                                           f"The previous file, if any, is unchanged.")
            return False
        self._set_path(str(path))
        self.set_modified(False)
        self.delete_recovery()
        self.add_recent(str(path))
        self.saved.emit(self.file_path)
        return True

    def show_gallery(self):
        from widgets.gallery import Gallery

        gallery = Gallery(self, parent=self.window)
        gallery.finished.connect(self._back_to_the_map)
        gallery.open()
        return gallery

    def _back_to_the_map(self, *_args) -> None:
        """After the gallery: the keyboard goes to the map, so Space plays the lesson just opened (without a
        window manager nothing gave the window its focus back, and Space did nothing)."""
        window = self.window
        window.activateWindow()
        view = getattr(window, "contour_view", None)
        if view is not None:
            view.setFocus(Qt.FocusReason.OtherFocusReason)

    # ------------------------------------------------------------------ recent files
    def recent_files(self) -> list[str]:
        value = self.settings.value(RECENT_KEY, [])
        if isinstance(value, str):   # QSettings returns a one-element list as a plain string
            value = [value] if value else []
        return [str(v) for v in (value or [])]

    def add_recent(self, path: str) -> None:
        path = str(Path(path).resolve())
        files = [path] + [p for p in self.recent_files() if p != path]
        self.settings.setValue(RECENT_KEY, files[:MAX_RECENT])
        self._fill_recent_menu()

    def clear_recent(self) -> None:
        self.settings.setValue(RECENT_KEY, [])
        self._fill_recent_menu()

    def _fill_recent_menu(self) -> None:
        existing = [p for p in self.recent_files() if Path(p).is_file()]   # prune files that are gone
        if existing != self.recent_files():
            self.settings.setValue(RECENT_KEY, existing)
        self.recent_menu.clear()
        for number, path in enumerate(existing, start=1):
            action = self.recent_menu.addAction(f"&{number} {Path(path).name}")
            action.setToolTip(path)
            action.setData(path)
            action.triggered.connect(lambda _checked=False, p=path: self.open_path(p))
        if existing:
            self.recent_menu.addSeparator()
        self.recent_menu.addAction(self.clear_recent_action)
        self.recent_menu.setEnabled(bool(existing))

    # ------------------------------------------------------------------ recovery
    @property
    def recovery_path(self) -> Path:
        return self.recovery_dir / f"recovery-{os.getpid()}.toml"

    def write_recovery(self) -> Path | None:
        """Autosave the comparison now (None if it cannot be written; recovery must never interrupt work)."""
        try:
            path = write_recovery_file(self.recovery_dir, self.model.to_preset(), self.file_path)
        except (OSError, PresetError):
            return None
        self._recovery_stale = False
        return path

    def delete_recovery(self) -> None:
        self.recovery_path.unlink(missing_ok=True)

    def _autosave(self) -> None:
        if self.is_modified() and self._recovery_stale:
            self.write_recovery()

    def find_recovery(self) -> list[Path]:
        """Recovery files left by processes that are no longer running, newest first."""
        found = []
        for path in self.recovery_dir.glob(_RECOVERY_GLOB):
            match = re.fullmatch(r"recovery-(\d+)\.toml", path.name)
            if match and not _pid_alive(int(match[1])):   # ours, or another running instance's: skip
                found.append(path)
        return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)

    def offer_recovery(self, *, auto_accept: bool | None = None) -> bool:
        """At start-up: offer to restore work a crash left behind. Returns True if it was restored.

        auto_accept : True restores and False discards without asking; None asks with a message box.
        """
        candidates = self.find_recovery()
        if not candidates:
            return False
        newest, older = candidates[0], candidates[1:]
        source = recovery_source(newest)
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(newest.stat().st_mtime))
        if auto_accept is None:
            name = Path(source).name if source else "an unsaved comparison"
            answer = self._ask("Restore unsaved work?",
                               f"The app did not close normally. Restore the changes to {name} autosaved at "
                               f"{when}?", Button.Yes | Button.No, Button.Yes)
            auto_accept = answer == Button.Yes
        restored = False
        if auto_accept:
            try:
                preset = load_preset(newest)
            except PresetError as err:
                self._inform("Could not restore", str(err))
            else:
                self.load(preset, path=source, modified=True)
                self.write_recovery()
                restored = True
        for path in [newest, *older]:
            if path != self.recovery_path:
                path.unlink(missing_ok=True)
        return restored

    # ------------------------------------------------------------------ window events
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.window:
            kind = event.type()
            if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
                if _dropped_preset(event) is not None:
                    event.acceptProposedAction()
                    return True
            elif kind == QEvent.Type.Drop:
                path = _dropped_preset(event)
                if path is not None:
                    event.acceptProposedAction()
                    QTimer.singleShot(0, lambda: self.open_path(path))   # not inside the drag's event loop
                    return True
            elif kind == QEvent.Type.Close and self._handle_close:
                if not self.maybe_save():
                    event.ignore()
                    return True
                self.autosave_timer.stop()
                self.delete_recovery()
        return super().eventFilter(watched, event)


def _dropped_preset(event) -> str | None:
    mime = event.mimeData()
    if mime is None or not mime.hasUrls():
        return None
    for url in mime.urls():
        if url.isLocalFile() and url.toLocalFile().lower().endswith(".toml"):
            return url.toLocalFile()
    return None


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "untitled"


__all__ = ["Document", "default_recovery_dir", "new_preset", "recovery_source",
           "write_recovery_file"]
