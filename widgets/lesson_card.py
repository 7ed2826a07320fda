"""The lesson card: the comparison's title, what the lesson is about, and what to notice while it plays.

A lesson's description may end with a paragraph that starts "What to notice:"; the card shows it apart,
highlighted, because that is what a teacher points at. The card follows the model (a lesson opened, a title
changed) and draws itself into exports too (:meth:`LessonCard.render_image`).
"""

from __future__ import annotations

import html
import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QImage, QPainter, QPalette, QTextDocument
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

NOTICE = re.compile(r"\s*what to notice\s*[:：]\s*", re.IGNORECASE)


def lesson_parts(description: str) -> tuple[str, str]:
    """(what the lesson is about, what to notice) from a description; the second is "" when not given."""
    match = NOTICE.search(description or "")
    if match is None:
        return (description or "").strip(), ""
    return description[:match.start()].strip(), description[match.end():].strip()


def card_html(title: str, description: str, *, size: float = 12.0, accent: str = "#c77700") -> str:
    """The card as rich text (the same on screen and in exports)."""
    about, notice = lesson_parts(description)
    parts = [f"<div style='font-size:{size * 1.35:.0f}pt; font-weight:bold'>{html.escape(title or 'Untitled')}</div>"]
    if about:
        parts.append(f"<p style='font-size:{size:.0f}pt'>{html.escape(about)}</p>")
    if notice:
        parts.append(f"<p style='font-size:{size:.0f}pt'><b style='color:{accent}'>What to notice:</b> "
                     f"{html.escape(notice)}</p>")
    if not about and not notice:
        parts.append(f"<p style='font-size:{size:.0f}pt; color:gray'>No description. A lesson file's "
                     "description (and a closing “What to notice:” paragraph) is shown here.</p>")
    return "".join(parts)


class LessonCard(QScrollArea):
    """The card for ``model`` (title and description), scrolling when the text is long."""

    def __init__(self, model, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        inner = QWidget()
        layout = QVBoxLayout(inner)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addWidget(self.label)
        layout.addStretch(1)
        self.setWidget(inner)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        model.settings_changed.connect(self.refresh)
        model.session.changed.connect(self.refresh)
        self.refresh()

    def refresh(self, *_args) -> None:
        size = self.font().pointSizeF()
        self.label.setText(card_html(self._model.title, self._model.description, size=size))

    def text(self) -> str:
        """The card's plain text (for tests)."""
        doc = QTextDocument()
        doc.setHtml(self.label.text())
        return doc.toPlainText()

    def changeEvent(self, event) -> None:
        if event.type() in (event.Type.FontChange, event.Type.PaletteChange):
            self.refresh()
        super().changeEvent(event)


def render_card(title: str, description: str, width: int, *, size: float = 13.0,
                palette: QPalette | None = None) -> QImage:
    """The card drawn on its own, ``width`` pixels wide, as tall as its text needs (for exports)."""
    doc = QTextDocument()
    font = QFont()
    font.setPointSizeF(size)
    doc.setDefaultFont(font)
    doc.setTextWidth(width - 24)
    palette = palette or QPalette()
    text = palette.color(QPalette.ColorRole.WindowText).name()
    doc.setHtml(f"<div style='color:{text}'>{card_html(title, description, size=size)}</div>")
    image = QImage(width, int(doc.size().height()) + 20, QImage.Format.Format_RGB32)
    image.fill(palette.color(QPalette.ColorRole.Window))
    painter = QPainter(image)
    painter.translate(12, 10)
    doc.drawContents(painter)
    painter.end()
    return image
