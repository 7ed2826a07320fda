"""A pyqtgraph 3-D view drawn off screen and shown as an image: the window stays a raster window.

Why not ``pyqtgraph.opengl.GLViewWidget`` itself: it is a ``QOpenGLWidget``, and one ``QOpenGLWidget`` in a
window switches the *whole window* to OpenGL composition — every repaint of any widget (a label, the
map, the playback slider) uploads and composes the full window through OpenGL. Measured at 1600 x 1000 under
Xvfb (Mesa llvmpipe): updating one label cost 30 ms with a ``QOpenGLWidget`` in the window and 0.3 ms
without; in the app's playback that was most of each frame, 3-D view visible or not.

:class:`GLCanvas` keeps pyqtgraph's whole 3-D machinery (:class:`pyqtgraph.opengl.GLViewWidget`'s
``GLViewMixin``: items, camera, mouse, ``renderToArray``) but renders into a framebuffer object of an
off-screen context and paints the result as an image in an ordinary ``QWidget``: only the 3-D view's own
pixels are read back when it changes, and the rest of the window is flushed as plain raster. Widgets laid
over the view (its legend, captions) are ordinary children painted on top. Text items
(``pyqtgraph.opengl.GLTextItem``, which paint with a ``QPainter`` on the view) are placed during the GL pass
and written on the read-back image.

The 3-D view updates at its own, lower rate and never holds the map back: a repaint of the window shows the
previous 3-D image and the new one is rendered in a repaint of its own right after, so the map's new frame
reaches the screen first; when changes come faster than it renders (playback, a start dragged on the map),
a new image is rendered at most every 1/:data:`ANIMATION_SHARE`-th of the time, measured by what the last
render cost, and the newest scene is always drawn once the changes stop. Turning the camera with the mouse
renders every frame, and a grab (export, render) always draws the current scene.

When no OpenGL context can be made (Qt's ``offscreen`` platform, a machine without GL) the canvas says so
in words instead of crashing.
"""

from __future__ import annotations

import time

import numpy as np
import shiboken6
from OpenGL import GL
from pyqtgraph.opengl import GLTextItem
from pyqtgraph.opengl.GLViewWidget import GLViewMixin
from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTimer
from PySide6.QtGui import QImage, QOffscreenSurface, QOpenGLContext, QPainter, QSurfaceFormat, QVector3D
from PySide6.QtOpenGL import QOpenGLFramebufferObject, QOpenGLFramebufferObjectFormat
from PySide6.QtWidgets import QWidget

ANIMATION_SHARE = 1 / 3     # under a stream of changes, 3-D renders take at most this share of the time
INPUT_HOLD = 0.25           # seconds after a mouse event on the view during which every frame renders
NO_GL_TEXT = "The 3-D view needs OpenGL, which is not available here."


class GLCanvas(GLViewMixin, QWidget):
    """``GLViewWidget``'s behaviour on a raster widget (see the module docstring).

    Offers what the mixin and the items expect of a ``QOpenGLWidget``: :meth:`context`, :meth:`isValid`,
    :meth:`makeCurrent` (binds the view's framebuffer), :meth:`doneCurrent`, :meth:`defaultFramebufferObject`
    and :meth:`grabFramebuffer`.
    """

    def __init__(self, parent: QWidget | None = None, **kwargs) -> None:
        self._gl_context: QOpenGLContext | None = None
        self._gl_surface: QOffscreenSurface | None = None
        self._gl_fbo: QOpenGLFramebufferObject | None = None
        self._gl_resolve: QOpenGLFramebufferObject | None = None
        self._gl_pixels = None           # the buffer the last image points into (it does not own it)
        self._gl_initialized = False
        super().__init__(parent, **kwargs)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)   # the image covers every pixel
        self.frames = 0             # images rendered (a paint of an unchanged view reuses the last one)
        self.rendered_at = 0.0      # time.perf_counter() when the last one was
        self._gl_image: QImage | None = None
        self._gl_dirty = True
        self._gl_texts: list[tuple] = []
        self._gl_next_render = 0.0
        self._gl_last_input = -1.0
        self._gl_top: QWidget | None = None
        self._gl_screen_pass = False
        self._gl_later = QTimer(self, singleShot=True)
        self._gl_later.timeout.connect(self._gl_repaint_alone)
        self._gl_own_pass = False

    def showEvent(self, event) -> None:
        top = self.window()
        if top is not self._gl_top:          # the repaints of the window this view is in
            if self._gl_top is not None:
                self._gl_top.removeEventFilter(self)
            self._gl_top = top
            top.installEventFilter(self)
        super().showEvent(event)

    def eventFilter(self, watched, event) -> bool:
        # A paint during the window's UpdateRequest is the event loop's repaint for the screen: only that one
        # may show the previous image while animating. A grab (exports, renders) always draws the current one.
        if event.type() == QEvent.Type.UpdateRequest and watched is self._gl_top:
            self._gl_screen_pass = True
            QTimer.singleShot(0, self._gl_end_screen_pass)
        return False

    def _gl_repaint_alone(self) -> None:
        self._gl_own_pass = True
        self.update()

    def _gl_end_screen_pass(self) -> None:
        self._gl_screen_pass = False

    def addItem(self, item) -> None:
        if isinstance(item, GLTextItem):
            item.paint = lambda item=item: self._gl_queue_text(item)
        if self.isValid():
            self.makeCurrent()         # the item makes its GL objects now
        super().addItem(item)

    def _gl_queue_text(self, item) -> None:
        """A GLTextItem's paint: where its text goes, drawn on the image after the GL pass."""
        if item.text:
            position = item.align_text(item.compute_projection().map(QVector3D(*item.pos)).toPointF())
            self._gl_texts.append((position, item.text, item.font, item.color))

    # ------------------------------------------------------------------ what QOpenGLWidget offers
    def context(self) -> QOpenGLContext | None:
        return self._gl_context

    def isValid(self) -> bool:
        return self._gl_context is not None and self._gl_initialized

    def makeCurrent(self) -> bool:
        if not self._gl_ensure_context():
            return False
        self._gl_context.makeCurrent(self._gl_surface)
        self._gl_ensure_fbo()
        self._gl_fbo.bind()
        return True

    def doneCurrent(self) -> None:
        if self._gl_context is not None:
            self._gl_context.doneCurrent()

    def defaultFramebufferObject(self) -> int:
        return self._gl_fbo.handle() if self._gl_fbo is not None else 0

    def grabFramebuffer(self) -> QImage:
        """The view as an image of its device size, rendered now (a copy: it stays valid)."""
        image = self._gl_render()
        return image.copy() if image is not None else QImage()

    def shown_image(self) -> QImage:
        """A copy of the image the view painted last (what is on screen), without rendering."""
        return self._gl_image.copy() if self._gl_image is not None else QImage()

    def update(self, *args) -> None:
        self._gl_dirty = True
        super().update(*args)

    # ------------------------------------------------------------------ drawing
    def paintEvent(self, event) -> None:
        now = time.perf_counter()
        if (self._gl_dirty and self._gl_image is not None and self._gl_screen_pass and not self._gl_own_pass
                and now - self._gl_last_input > INPUT_HOLD):
            # the previous image now, the new one in a repaint of its own right after: whatever else changed in
            # this pass (the map) reaches the screen without waiting for the 3-D render; no sooner than the
            # share allows when changes keep coming
            self._gl_later.start(max(0, int((self._gl_next_render - now) * 1000)))
            image = self._gl_image
        else:
            self._gl_own_pass = False
            image = self._gl_render() if self._gl_dirty or self._gl_image is None else self._gl_image
        painter = QPainter(self)
        if image is None:
            painter.fillRect(self.rect(), self.palette().window())
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, NO_GL_TEXT)
        else:
            painter.drawImage(self.rect(), image)
        painter.end()

    def _gl_render(self) -> QImage | None:
        if not self.makeCurrent():
            return None
        if not self._gl_initialized:
            self._gl_initialized = True
            self.initializeGL()
        start = time.perf_counter()
        self._gl_later.stop()
        w, h = self._gl_fbo.width(), self._gl_fbo.height()
        GL.glViewport(0, 0, w, h)
        self._gl_texts = []
        self.paintGL()
        self._gl_image = self._gl_read_pixels(w, h)
        if self._gl_texts:
            painter = QPainter(self._gl_image)
            painter.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
            for position, text, font, color in self._gl_texts:
                painter.setPen(color)
                painter.setFont(font)
                painter.drawText(position, text)
            painter.end()
        self._gl_dirty = False
        self.frames += 1
        end = self.rendered_at = time.perf_counter()
        self._gl_next_render = end + (end - start) * (1 / ANIMATION_SHARE - 1)
        return self._gl_image

    def _gl_read_pixels(self, w: int, h: int) -> QImage:
        """The framebuffer as a QImage: one glReadPixels in the layout of Format_ARGB32_Premultiplied
        (QOpenGLFramebufferObject.toImage converts pixel by pixel: 25-40 ms at 500 x 560 under llvmpipe)."""
        if self._gl_resolve is not None:       # a multisampled framebuffer is resolved first
            QOpenGLFramebufferObject.blitFramebuffer(self._gl_resolve, self._gl_fbo)
            self._gl_resolve.bind()
        GL.glPixelStorei(GL.GL_PACK_ALIGNMENT, 4)
        pixels = GL.glReadPixels(0, 0, w, h, GL.GL_BGRA, GL.GL_UNSIGNED_BYTE, None)
        rows = np.frombuffer(pixels, dtype=np.uint8).reshape(h, w * 4)
        self._gl_pixels = np.ascontiguousarray(rows[::-1])     # GL's rows go bottom-up
        image = QImage(self._gl_pixels.data, w, h, 4 * w, QImage.Format.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(self.devicePixelRatioF())
        self._gl_fbo.bind()
        return image

    def _gl_ensure_context(self) -> bool:
        if self._gl_context is not None:
            return True
        shared = _shared_context()
        if shared is None:
            return False
        self._gl_context, self._gl_surface = shared
        return True

    def _gl_ensure_fbo(self) -> None:
        dpr = self.devicePixelRatioF()
        w, h = max(1, round(self.width() * dpr)), max(1, round(self.height() * dpr))
        if self._gl_fbo is not None and (self._gl_fbo.width(), self._gl_fbo.height()) == (w, h):
            return
        fmt = QOpenGLFramebufferObjectFormat()
        fmt.setAttachment(QOpenGLFramebufferObject.Attachment.CombinedDepthStencil)
        samples = max(0, self._gl_context.format().samples())
        fmt.setSamples(samples)
        self._gl_fbo = QOpenGLFramebufferObject(w, h, fmt)
        self._gl_resolve = QOpenGLFramebufferObject(w, h) if samples > 0 else None
        self._gl_dirty = True

    def mousePressEvent(self, ev) -> None:
        self._gl_last_input = time.perf_counter()
        super().mousePressEvent(ev)

    def mouseMoveEvent(self, ev) -> None:
        self._gl_last_input = time.perf_counter()
        super().mouseMoveEvent(ev)

    def wheelEvent(self, ev) -> None:
        self._gl_last_input = time.perf_counter()
        super().wheelEvent(ev)

    def resizeEvent(self, event) -> None:
        self._gl_dirty = True
        super().resizeEvent(event)

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.DevicePixelRatioChange:
            self._gl_dirty = True
        return super().event(event)


_SHARED: tuple[QOpenGLContext, QOffscreenSurface] | None = None
_NO_GL = False


def _shared_context() -> tuple[QOpenGLContext, QOffscreenSurface] | None:
    """One off-screen context (and surface) for every canvas, owned by the application: a canvas only owns its
    framebuffers, which are freed with the context still alive whenever the canvas goes (a context per canvas,
    deleted with it, left framebuffers to be freed against a context that was gone). None without OpenGL."""
    global _SHARED, _NO_GL
    app = QCoreApplication.instance()
    if _SHARED is not None and shiboken6.isValid(_SHARED[0]) and shiboken6.isValid(_SHARED[1]):
        return _SHARED
    if _NO_GL or app is None:
        return None
    fmt = QSurfaceFormat.defaultFormat()
    fmt.setDepthBufferSize(max(fmt.depthBufferSize(), 24))
    context = QOpenGLContext(app)
    context.setFormat(fmt)
    share = QOpenGLContext.globalShareContext()
    if share is not None:
        context.setShareContext(share)
    surface = QOffscreenSurface(None, app)
    surface.setFormat(fmt)
    surface.create()
    if not context.create() or not surface.isValid() or not context.makeCurrent(surface):
        _NO_GL = True
        return None
    _SHARED = (context, surface)
    return _SHARED
