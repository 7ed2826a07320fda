"""f, its gradient and its Hessian typeset as mathematics (matplotlib mathtext, no raw LaTeX on screen).

Each line (``f(x, y) = …``, ``∂f/∂x = …``, ``∂²f/∂x∂y = …``) is built from the surface's sympy expressions
with :func:`sympy.latex` and rasterised by matplotlib's Agg mathtext backend. A long line is cut into its
terms (``+ …``, ``− …``), each typeset on its own, and the terms flow onto as many rows as the panel's width
needs, like words in a paragraph: the loss of a case study written out over a dozen strings is readable, not a
thin unreadable strip. A single term wider than the panel shrinks to fit (down to :data:`MIN_SHRINK`) and
the panel scrolls beyond that; the full plain-text formula is in each line's tooltip. mathtext is a subset of
TeX: it has no ``matrix``/``cases`` environments, so the gradient and Hessian are shown component by
component, a few commands are rewritten (:func:`sanitize_latex`), and a line mathtext still cannot parse is
shown as plain text with a note.

Typesetting takes 50 ms to seconds for big formulas: it runs on the job runner (``busy`` until done).
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

import numpy as np
import sympy
from pyqtgraph.Qt import QtCore, QtGui, QtWidgets

from widgets import jobs

FONT_PT = 15.0
SPLIT_CHARS = 70           # a line whose LaTeX is longer than this is cut into its terms
INDENT = 24                # continuation rows of a wrapped formula start this far in
LONG_DERIVATIVE = 2500     # a derivative longer than this (LaTeX characters) is summarised, not typeset
TOOLTIP_CHARS = 3000
MIN_SHRINK = 0.55
MAX_LATEX_CHARS = 4000     # beyond this a line is shown as plain text (mathtext gets slow and unreadable)

_REWRITES = (
    (re.compile(r"\\[dt]?frac\b"), r"\\dfrac"),     # display-size fractions: legible on a projector
    (re.compile(r"\\left\s*\|"), "|"),                # mathtext sizes \left| … \right| bars too small
    (re.compile(r"\\right\s*\|"), "|"),
    (re.compile(r"\\text(?:rm|normal)?\s*\{"), r"\\mathrm{"),
    (re.compile(r"\\(?:displaystyle|textstyle|limits|nolimits)\b"), ""),
    (re.compile(r"\\:"), r"\\;"),
)


def sanitize_latex(tex: str) -> str:
    """Rewrite sympy LaTeX into the subset matplotlib's mathtext parses (``\\dfrac`` → ``\\frac``, …)."""
    for pattern, repl in _REWRITES:
        tex = pattern.sub(repl, tex)
    return tex


_PARSER_LOCK = threading.Lock()   # matplotlib's parser is not thread-safe: one typesetting at a time


@lru_cache(maxsize=1)
def _parser():
    """matplotlib's mathtext parser, imported at the first formula (on the typesetting job, not at start-up:
    matplotlib's import is ~0.2 s of the first window)."""
    from matplotlib.mathtext import MathTextParser

    return MathTextParser("agg")


@lru_cache(maxsize=256)
def _raster(text: str, size: float, dpi: float) -> tuple[np.ndarray, float]:
    """Rasterise ``text`` (mathtext when it contains $…$) -> (alpha mask (h, w) uint8, baseline depth px)."""
    from matplotlib.font_manager import FontProperties

    with _PARSER_LOCK:
        parsed = _parser().parse(text, dpi=dpi, prop=FontProperties(size=size))
        return np.asarray(parsed.image, dtype=np.uint8), float(parsed.depth)


def typeset(tex: str, color: QtGui.QColor, *, size: float = FONT_PT, dpi: float = 96.0,
            fallback: str | None = None) -> tuple[QtGui.QImage, bool]:
    """Typeset the mathtext ``tex`` (without $) as a QImage in ``color``.

    Returns (image, ok); when mathtext cannot parse ``tex`` the image shows ``fallback`` (or ``tex``) as
    plain text and ok is False.
    """
    ok = len(tex) <= MAX_LATEX_CHARS
    mask = None
    if ok:
        try:
            mask, _ = _raster(f"${sanitize_latex(tex)}$", size, dpi)
        except Exception:   # pyparsing's ParseException and friends: show plain text instead
            ok = False
    if mask is None:
        plain = (fallback or tex)[:MAX_LATEX_CHARS].replace("$", r"\$")
        try:
            mask, _ = _raster(plain, size * 0.9, dpi)
        except Exception:
            return _plain_image(fallback or tex, color, size, dpi), False
    h, w = mask.shape
    rgba = np.empty((h, w, 4), dtype=np.uint8)
    rgba[..., 0], rgba[..., 1], rgba[..., 2] = color.red(), color.green(), color.blue()
    rgba[..., 3] = mask
    image = QtGui.QImage(rgba.data, w, h, 4 * w, QtGui.QImage.Format.Format_RGBA8888).copy()
    return image, ok


def _plain_image(text: str, color: QtGui.QColor, size: float, dpi: float) -> QtGui.QImage:
    """Text drawn with Qt's own font machinery (the last resort when matplotlib cannot lay it out)."""
    font = QtGui.QFont()
    font.setPixelSize(max(8, round(size * dpi / 72 * 0.9)))
    metrics = QtGui.QFontMetrics(font)
    text = text[:MAX_LATEX_CHARS]
    image = QtGui.QImage(max(1, metrics.horizontalAdvance(text)), metrics.height(),
                         QtGui.QImage.Format.Format_RGBA8888)
    image.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QtGui.QPainter(image)
    painter.setFont(font)
    painter.setPen(color)
    painter.drawText(0, metrics.ascent(), text)
    painter.end()
    return image


def _var(v) -> str:
    return sympy.latex(v)


def _terms(expr, sign: str = "") -> list[str]:
    """The LaTeX of ``expr`` cut into pieces of about :data:`SPLIT_CHARS` characters where it can be cut:
    between the terms of a sum (each with its sign in front), and inside a long bracket — ``(a + b)^2`` or
    ``c (a + b)`` — between the terms in the bracket, the bracket opening in the first piece and closing in
    the last. A piece that cannot be cut further is kept whole."""
    whole = sympy.latex(expr)
    if len(whole) <= SPLIT_CHARS:
        return [sign + whole]
    if isinstance(expr, sympy.Add):
        terms = expr.as_ordered_terms()
        out = _terms(terms[0], sign)
        for term in terms[1:]:
            out += _terms(-term, "- ") if term.could_extract_minus_sign() else _terms(term, "+ ")
        return out
    if isinstance(expr, sympy.Pow) and isinstance(expr.base, sympy.Add):
        inner = _terms(expr.base)
        if len(inner) > 1:
            inner[0] = f"{sign}(" + inner[0]
            inner[-1] = f"{inner[-1]})^{{{sympy.latex(expr.exp)}}}"
            return inner
    if isinstance(expr, sympy.Mul):
        coeff, rest = expr.as_coeff_Mul()
        factors = rest.as_ordered_factors()
        sums = [f for f in factors if isinstance(f, sympy.Add)]
        if len(sums) == 1:
            others = sympy.Mul(coeff, *[f for f in factors if f is not sums[0]])
            inner = _terms(sums[0])
            if len(inner) > 1:
                head = "" if others == 1 else ("-" if others == -1 else sympy.latex(others))
                inner[0] = f"{sign}{head}(" + inner[0]
                inner[-1] = inner[-1] + ")"
                return inner
        if len(factors) > 1:    # a long product: one piece per factor (a sum in brackets, cut inside)
            out = []
            for k, factor in enumerate(factors):
                pieces = _terms(factor)
                if isinstance(factor, sympy.Add):
                    pieces[0], pieces[-1] = "(" + pieces[0], pieces[-1] + ")"
                if k > 0:
                    pieces[0] = r"\cdot " + pieces[0]
                out += pieces
            head = "" if coeff == 1 else ("-" if coeff == -1 else sympy.latex(coeff) + " ")
            out[0] = sign + head + out[0]
            return out
    return [sign + whole]


def _derivative(expr) -> list[str]:
    """The pieces of a derivative, or a one-piece summary when it is too long to be worth typesetting."""
    text = sympy.latex(expr)
    if len(text) <= LONG_DERIVATIVE:
        return _terms(expr)
    n = len(sympy.Add.make_args(expr))
    return [rf"\mathrm{{a\ long\ expression\ ({n}\ terms,\ {len(text):,}\ characters)}}".replace(",", "{,}")]


def formula_lines(surface, part: str = "all") -> list[tuple[str, str, list[str], str]]:
    """(heading, left-hand side, right-hand side as a list of term pieces, plain-text) for f, each ∂f/∂v and
    each ∂²f/∂u∂v (u ≤ v); the pieces are mathtext without $. ``part``: "f", "derivatives" or "all"."""
    names = [_var(v) for v in surface.variables]
    plain_names = [str(v) for v in surface.variables]
    lines = []
    if part in ("f", "all"):
        lines.append(("f", f"f({', '.join(names)}) =", _terms(surface.expr),
                      f"f({', '.join(plain_names)}) = {surface.expr}"))
    if part == "f":
        return lines
    for v, pv, g in zip(names, plain_names, surface.gradient_exprs, strict=True):
        lines.append(("∇f", rf"\partial f/\partial {v} =", _derivative(g), f"df/d{pv} = {g}"))
    hess = surface.hessian_exprs
    for i, (u, pu) in enumerate(zip(names, plain_names, strict=True)):
        for j in range(i, len(names)):
            v, pv = names[j], plain_names[j]
            lhs = (rf"\partial^2 f/\partial {u}^2" if i == j else rf"\partial^2 f/\partial {u}\,\partial {v}")
            lines.append(("H", f"{lhs} =", _derivative(hess[i][j]), f"d2f/d{pu}d{pv} = {hess[i][j]}"))
    return lines


def typeset_surface(surface, color: QtGui.QColor, dpi: float, cancelled=lambda: False, part: str = "all"):
    """(heading, [piece images], ok, plain text) per line of :func:`formula_lines` (safe on a worker).

    The first piece of a line carries its left-hand side (``f(x, y) = first term``)."""
    out = []
    for head, lhs, pieces, plain in formula_lines(surface, part):
        if len(plain) > TOOLTIP_CHARS:
            plain = plain[:TOOLTIP_CHARS] + " …"
        if cancelled():
            return out
        images, ok = [], True
        texts = [f"{lhs} {pieces[0]}", *pieces[1:]]
        for k, tex in enumerate(texts):
            image, good = typeset(tex, color, dpi=dpi, fallback=plain if len(texts) == 1 else None)
            if not good and len(texts) > 1:    # one piece failed: show the whole line as plain text instead
                image, good = typeset(plain, color, dpi=dpi, fallback=plain)
                images = [image]
                ok = False
                break
            images.append(image)
            ok = ok and good
            if k == 0 and not good:
                break
        out.append((head, images, ok, plain))
    return out


class _Flow(QtWidgets.QLayout):
    """Lays its items out left to right and wraps them onto new rows, like words (Qt's FlowLayout example)."""

    def __init__(self, parent=None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._items: list[QtWidgets.QLayoutItem] = []
        self._spacing = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int):
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int):
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self):
        return QtCore.Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._place(QtCore.QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect) -> None:
        super().setGeometry(rect)
        self._place(rect, move=True)

    def sizeHint(self):
        return self.minimumSize()

    def minimumSize(self):
        size = QtCore.QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        return size

    def _place(self, rect, *, move: bool) -> int:
        x, y, row_height = rect.x(), rect.y(), 0
        indent = INDENT
        for item in self._items:
            hint = item.sizeHint()
            if x + hint.width() > rect.right() + 1 and row_height > 0:
                x, y = rect.x() + indent, y + row_height + self._spacing // 2
                row_height = 0
            if move:
                item.setGeometry(QtCore.QRect(QtCore.QPoint(x, y), hint))
            x += hint.width() + self._spacing
            row_height = max(row_height, hint.height())
        return y + row_height - rect.y()


class _Piece(QtWidgets.QLabel):
    """One typeset piece; shrinks its pixmap to the available width (down to MIN_SHRINK)."""

    def __init__(self, image: QtGui.QImage, tooltip: str, dpr: float):
        super().__init__()
        self._image = image
        self._dpr = dpr
        self.setToolTip(tooltip)
        self.setSizePolicy(QtWidgets.QSizePolicy.Policy.Fixed, QtWidgets.QSizePolicy.Policy.Fixed)
        self.fit(10_000)

    def natural_width(self) -> float:
        return self._image.width() / self._dpr

    def fit(self, width: int) -> None:
        scale = min(1.0, max(MIN_SHRINK, width / max(self.natural_width(), 1.0)))
        w = max(1, round(self._image.width() * scale))
        h = max(1, round(self._image.height() * scale))
        scaled = self._image.scaled(w, h, QtCore.Qt.AspectRatioMode.IgnoreAspectRatio,
                                    QtCore.Qt.TransformationMode.SmoothTransformation)
        pixmap = QtGui.QPixmap.fromImage(scaled)
        pixmap.setDevicePixelRatio(self._dpr)
        self.setPixmap(pixmap)
        self.setFixedSize(round(w / self._dpr), round(h / self._dpr) + 4)


class _Formula(QtWidgets.QWidget):
    """One formula line: its pieces flowing over as many rows as the width needs."""

    def __init__(self, images, tooltip: str, dpr: float):
        super().__init__()
        self.pieces = [_Piece(image, tooltip, dpr) for image in images]
        flow = _Flow(self)
        for piece in self.pieces:
            flow.addWidget(piece)
        policy = QtWidgets.QSizePolicy(QtWidgets.QSizePolicy.Policy.Ignored, QtWidgets.QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def fit(self, width: int) -> None:
        for k, piece in enumerate(self.pieces):
            piece.fit(width if k == 0 else width - INDENT)   # continuation rows are indented
        self.setMinimumWidth(max((p.width() + (INDENT if k else 0) for k, p in enumerate(self.pieces)), default=1))
        self.layout().invalidate()
        self.setFixedHeight(self.layout().heightForWidth(max(width, self.minimumWidth())))


class MathView(QtWidgets.QScrollArea):
    """Shows the model surface's f, ∇f and Hessian; re-typesets when the formulas change."""

    HEADINGS = {"f": "Function", "∇f": "Gradient ∇f", "H": "Hessian (symmetric: ∂²f/∂x∂y = ∂²f/∂y∂x)"}

    def __init__(self, model, parent=None):
        super().__init__(parent)
        self._model = model
        self._shown: tuple | None = None
        self._pending: tuple | None = None
        self.ok = True                 # False when some line fell back to plain text
        self.setWidgetResizable(True)
        self.setFrameShape(QtWidgets.QFrame.Shape.NoFrame)
        self._timer = QtCore.QTimer(self, singleShot=True, interval=0)
        self._timer.timeout.connect(self.refresh)
        self._lines: list = []
        self._lines_more: list | None = None
        self._more_pending: tuple | None = None
        self.channel = jobs.channel(self, "typeset")          # f first: it is what people read
        self.channel.finished.connect(self._on_typeset)
        self.channel.failed.connect(lambda exc: self._on_typeset((self._pending, exc)))
        self.more = jobs.channel(self, "typeset-derivatives")  # then ∇f and the Hessian
        self.more.finished.connect(self._on_more)
        self.more.failed.connect(lambda exc: self._on_more((self._more_pending, [])))
        model.surface_changed.connect(self._schedule)
        self.refresh()

    def disconnect_model(self) -> None:
        self._model.surface_changed.disconnect(self._schedule)

    def closeEvent(self, event):
        self.disconnect_model()
        super().closeEvent(event)

    def _schedule(self) -> None:
        # typesetting is the slow part of a typed change: let the plots redraw first
        self._timer.start()

    def changeEvent(self, event):
        if event.type() == QtCore.QEvent.Type.PaletteChange:
            self.refresh()
        super().changeEvent(event)

    def resizeEvent(self, event):
        super().resizeEvent(event)
        self._fit()

    def viewportEvent(self, event) -> bool:
        if event.type() == QtCore.QEvent.Type.Resize:   # e.g. a scroll bar came or went
            QtCore.QTimer.singleShot(0, self._fit)
        return super().viewportEvent(event)

    def _fit(self) -> None:
        width = self.viewport().width() - 20
        for line in self.findChildren(_Formula):
            line.fit(width)

    def image(self) -> QtGui.QImage:
        """The typeset content as one image (for tests and screenshots)."""
        return self.widget().grab().toImage() if self.widget() is not None else QtGui.QImage()

    @property
    def busy(self) -> bool:
        """True while a typesetting job for the current surface is still running."""
        return self._pending is not None or self._more_pending is not None

    def refresh(self) -> None:
        """Typeset the current surface on the worker (skipped when formulas and colours are unchanged)."""
        surface = self._model.surface
        color = self.palette().color(QtGui.QPalette.ColorRole.WindowText)
        dpr = self.devicePixelRatioF()
        key = (None if surface is None else str(surface.expr), color.rgba(), dpr)
        if key in (self._shown, self._pending):
            return
        if surface is None:
            self._pending = self._more_pending = None
            self._lines = []
            self._show(key, [])
            return
        self._pending = self._more_pending = key
        ink = QtGui.QColor(color)
        self.channel.submit(lambda progress, cancelled: (key, typeset_surface(surface, ink, 96.0 * dpr,
                                                                              cancelled, "f")))
        self.more.submit(lambda progress, cancelled: (key, typeset_surface(surface, ink, 96.0 * dpr,
                                                                           cancelled, "derivatives")))

    def _on_typeset(self, payload) -> None:
        key, result = payload
        if key != self._pending:
            return                      # a newer surface was requested meanwhile
        self._pending = None
        if isinstance(result, BaseException):
            plain = str(self._model.surface.expr) if self._model.surface is not None else ""
            image, _ = typeset(plain, self.palette().color(QtGui.QPalette.ColorRole.WindowText))
            result = [("f", [image], False, plain)]
        self._lines = list(result)
        self._show(key, self._lines, more=self._more_pending == key)

    def _on_more(self, payload) -> None:
        key, result = payload
        if key != self._more_pending:
            return
        self._more_pending = None
        if self._pending == key:          # f is not there yet: it will show both
            self._lines_more = list(result)
            return
        self._show(key, [*self._lines, *result])

    def _show(self, key, lines, *, more: bool = False) -> None:
        if not more and getattr(self, "_lines_more", None):
            lines, self._lines_more = [*lines, *self._lines_more], None
        self._shown = key
        dpr = key[2]
        content = QtWidgets.QWidget()
        layout = QtWidgets.QVBoxLayout(content)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(2)
        self.ok = True
        if key[0] is None:
            layout.addWidget(QtWidgets.QLabel("No surface yet: type an expression."))
        heading = None
        for head, images, ok, plain in lines:
            if head != heading:
                heading = head
                title = QtWidgets.QLabel(self.HEADINGS[head])
                title.setWordWrap(True)          # a narrow panel wraps the heading rather than scrolling
                font = QtGui.QFont(self.font())
                font.setBold(True)
                font.setPointSizeF(12.0)
                title.setFont(font)
                layout.addSpacing(4)
                layout.addWidget(title)
            layout.addWidget(_Formula(images, plain, dpr))
            if not ok:
                self.ok = False
                note = QtWidgets.QLabel("(shown as plain text: mathtext cannot typeset this formula)")
                note.setWordWrap(True)
                note.setEnabled(False)
                layout.addWidget(note)
        if more:
            note = QtWidgets.QLabel("typesetting ∇f and the Hessian…")
            note.setEnabled(False)
            layout.addWidget(note)
        layout.addStretch(1)
        self.setWidget(content)
        self._fit()
