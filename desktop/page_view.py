"""A PDF page inside Docent, with the cited passage highlighted and page navigation.

Pages are rendered by `desktop.page_render` in a worker thread (one private pool thread,
so requests run in order and libpdfium is never entered twice at once); the GUI thread
only paints the finished image. Each request carries a ticket: a request overtaken by a
newer one (the person paging quickly) is skipped before it starts, and a result that
arrives late is dropped. The page is rendered at the width it is shown, in device pixels
(devicePixelRatio aware), and rendered again when the view is resized.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import (
    QCoreApplication,
    QEvent,
    QObject,
    QRectF,
    QRunnable,
    Qt,
    QThreadPool,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QImage, QKeySequence, QPainter, QPaintEvent, QPen, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop.page_render import Box, PageRenderError, RenderedPage, render_page

log = logging.getLogger(__name__)

RENDERING = "Rendering page…"
NOT_LOCATED = "The passage's words could not be located on this page's text layer."
PARTLY_LOCATED = "Parts of the passage are highlighted; the rest could not be located."
MIN_RENDER_WIDTH = 200  # logical pixels: a narrower view still gets a legible page
RESIZE_SETTLE_MS = 150  # re-render once a resize has paused this long
RERENDER_CHANGE = 0.03  # ...and only if the width changed by more than this share
HIGHLIGHT_FILL = QColor(255, 205, 0, 100)  # amber, see-through: the words stay readable
HIGHLIGHT_EDGE = QColor(214, 110, 0, 230)  # darker edge: visible on white and dark pages


def is_pdf(path: str | Path) -> bool:
    """Whether the page view shows this file (by name only: nothing is read here)."""
    return Path(path).suffix.lower() == ".pdf"


@dataclass(frozen=True, slots=True)
class _Request:
    ticket: int
    path: str
    page: int
    passage: str | None
    width_px: int
    pixel_ratio: float


class _Tickets:
    """The newest request's ticket, read by the worker to skip overtaken requests."""

    def __init__(self) -> None:
        self.latest = 0


class _RenderedEvent(QEvent):
    """A finished render, posted from the worker to the GUI thread's inbox."""

    TYPE = QEvent.Type(QEvent.registerEventType())

    def __init__(self, ticket: int, image: QImage | None, outcome: RenderedPage | str) -> None:
        super().__init__(self.TYPE)
        self.ticket, self.image, self.outcome = ticket, image, outcome


class _RenderInbox(QObject):
    """Receives finished renders on the GUI thread: the worker posts an event to it."""

    def __init__(self, deliver: Callable[[int, QImage | None, object], None], parent: QObject):
        super().__init__(parent)
        self._deliver = deliver

    def customEvent(self, event: QEvent) -> None:
        if isinstance(event, _RenderedEvent):
            self._deliver(event.ticket, event.image, event.outcome)


class _RenderJob(QRunnable):
    """Renders one page in the pool thread and posts the outcome to the inbox."""

    def __init__(self, request: _Request, tickets: _Tickets, inbox: _RenderInbox) -> None:
        super().__init__()
        self.request = request
        self.tickets = tickets
        self.inbox = inbox

    def run(self) -> None:
        request = self.request
        if request.ticket != self.tickets.latest:
            return  # overtaken before it started: nobody wants this page any more
        image: QImage | None = None
        outcome: RenderedPage | str
        try:
            outcome = render_page(request.path, request.page, request.passage, request.width_px)
            image = QImage(
                outcome.pixels,
                outcome.width,
                outcome.height,
                outcome.bytes_per_line,
                QImage.Format.Format_RGBX8888,
            ).copy()  # own the pixels: a QImage over Python bytes does not keep them alive
            image.setDevicePixelRatio(request.pixel_ratio)
        except PageRenderError as error:
            outcome = f"Could not show {Path(error.path).name}: {error.reason}"
        except Exception as error:  # a bug: log it with its traceback, tell the person
            log.exception("rendering %s page %s failed", request.path, request.page)
            outcome = f"Could not show {Path(request.path).name}: {error}"
        QCoreApplication.postEvent(self.inbox, _RenderedEvent(request.ticket, image, outcome))


class _PageCanvas(QWidget):
    """Paints the page image scaled to the canvas, and the highlight boxes over it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self.boxes: tuple[Box, ...] = ()
        self.setAccessibleName("Page image")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def show_image(self, image: QImage | None, boxes: tuple[Box, ...]) -> None:
        self.image, self.boxes = image, boxes
        self.update()

    def fit_width(self, width: int) -> None:
        """Size the canvas to `width` logical pixels, keeping the page's proportions."""
        if self.image is None or self.image.isNull():
            self.setFixedSize(0, 0)
            return
        height = round(width * self.image.height() / max(1, self.image.width()))
        self.setFixedSize(max(1, width), max(1, height))

    def image_scale(self) -> float:
        """Logical pixels of the canvas per pixel of the image."""
        if self.image is None or self.image.width() == 0:
            return 1.0
        return self.width() / self.image.width()

    def highlight_rects(self) -> list[QRectF]:
        """The highlight boxes in the canvas's logical coordinates, padded a little."""
        scale = self.image_scale()
        rects = []
        for box in self.boxes:
            pad = max(1.0, 0.15 * (box.bottom - box.top) * scale)
            rect = QRectF(
                box.left * scale,
                box.top * scale,
                (box.right - box.left) * scale,
                (box.bottom - box.top) * scale,
            )
            rects.append(rect.adjusted(-pad, -pad, pad, pad))
        return rects

    def paintEvent(self, event: QPaintEvent) -> None:
        if self.image is None:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(QRectF(self.rect()), self.image)  # a plain copy when sizes match
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(HIGHLIGHT_EDGE, 1.5))
        painter.setBrush(HIGHLIGHT_FILL)
        for rect in self.highlight_rects():
            painter.drawRoundedRect(rect, 2.0, 2.0)
        painter.end()


class PageView(QWidget):
    """One page of a PDF, the passage highlighted, with previous/next page controls.

    `show_pdf(path, page, passage)` shows a page (the passage is highlighted on that page
    only); `clear()` empties the view. Rendering never runs on the GUI thread.
    """

    page_rendered = Signal(int, int)  # page, page count: a page is on screen
    render_failed = Signal(str)  # the message shown in place of the page

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # The pool is created before the inbox so that, when the view is deleted, it is
        # destroyed first: its destructor waits for a running render to finish.
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._inbox = _RenderInbox(self._rendered, self)
        self._tickets = _Tickets()
        self._path: str | None = None
        self._page = 0
        self._page_count = 0
        self._cited_page = 0
        self._passage: str | None = None
        self._rendered_width = 0  # logical width the current image was rendered for...
        self._rendered_ratio = 1.0  # ...and at this many device pixels per logical pixel
        self._scroll_share: float | None = None  # where to scroll back to after a re-render
        self._build()
        self._resize_timer = QTimer(self)
        self._resize_timer.setSingleShot(True)
        self._resize_timer.setInterval(RESIZE_SETTLE_MS)
        self._resize_timer.timeout.connect(self._rerender_for_width)
        self._update_controls()

    def _build(self) -> None:
        self.previous_button = QPushButton("◀ Previous")
        self.previous_button.setAccessibleName("Previous page")
        self.previous_button.setToolTip("Previous page (Page Up)")
        self.previous_button.clicked.connect(self.previous_page)
        self.next_button = QPushButton("Next ▶")
        self.next_button.setAccessibleName("Next page")
        self.next_button.setToolTip("Next page (Page Down)")
        self.next_button.clicked.connect(self.next_page)
        self.page_label = QLabel()
        self.page_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.page_label.setAccessibleName("Page number")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Page status")
        self.status.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        # one line kept even when empty, so the page does not jump as messages come and go
        self.status.setMinimumHeight(self.status.fontMetrics().height())
        self.canvas = _PageCanvas()
        self.scroll = QScrollArea()
        self.scroll.setAccessibleName("Page")
        self.scroll.setWidget(self.canvas)
        self.scroll.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # always on: a scroll bar appearing would narrow the page and render it again
        self.scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.scroll.viewport().installEventFilter(self)
        row = QHBoxLayout()
        row.addWidget(self.previous_button)
        row.addWidget(self.page_label, 1)
        row.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(self.scroll, 1)
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        for key, slot in (
            (Qt.Key.Key_PageUp, self.previous_page),
            (Qt.Key.Key_PageDown, self.next_page),
        ):
            shortcut = QShortcut(QKeySequence(key), self)
            shortcut.setContext(context)
            shortcut.activated.connect(slot)

    # -- public ------------------------------------------------------------------------------

    @property
    def path(self) -> str | None:
        return self._path

    @property
    def page(self) -> int:
        """The 1-based page shown or being rendered (0 when empty)."""
        return self._page

    @property
    def page_count(self) -> int:
        """Pages in the document (0 until the first page has rendered)."""
        return self._page_count

    def highlight_rects(self) -> list[QRectF]:
        """Where the passage is highlighted, in the page canvas's coordinates."""
        return self.canvas.highlight_rects()

    def show_pdf(self, path: str | Path, page: int, passage: str | None = None) -> None:
        """Show 1-based `page` of the PDF with `passage` (its text as indexed) highlighted."""
        path = str(path)
        if path != self._path:
            self._page_count = 0
            self.canvas.show_image(None, ())
            self.canvas.fit_width(0)
        self._path = path
        self._cited_page = page
        self._passage = passage
        self._request(page)

    def clear(self) -> None:
        """Show nothing; a render still under way is dropped when it arrives."""
        self._tickets.latest += 1
        self._path, self._passage = None, None
        self._page = self._page_count = self._cited_page = 0
        self.canvas.show_image(None, ())
        self.canvas.fit_width(0)
        self.status.clear()
        self._update_controls()

    def go_to_page(self, page: int) -> None:
        """Show another page of the same document (kept within its pages)."""
        if self._path is None:
            return
        if self._page_count:
            page = min(max(1, page), self._page_count)
        if page != self._page:
            self._request(max(1, page))

    def next_page(self) -> None:
        self.go_to_page(self._page + 1)

    def previous_page(self) -> None:
        self.go_to_page(self._page - 1)

    # -- rendering ---------------------------------------------------------------------------

    def _target_width(self) -> int:
        return max(MIN_RENDER_WIDTH, self.scroll.viewport().width())

    def _request(self, page: int, keep_scroll: bool = False) -> None:
        assert self._path is not None
        bar = self.scroll.verticalScrollBar()
        self._scroll_share = bar.value() / bar.maximum() if keep_scroll and bar.maximum() else None
        self._tickets.latest += 1
        self._page = page
        width = self._target_width()
        ratio = self.devicePixelRatioF()
        passage = self._passage if page == self._cited_page else None
        request = _Request(
            self._tickets.latest, self._path, page, passage, round(width * ratio), ratio
        )
        self._rendered_width, self._rendered_ratio = width, ratio
        self.status.setText(RENDERING)
        self._update_controls()
        self._pool.start(_RenderJob(request, self._tickets, self._inbox))

    def _rendered(self, ticket: int, image: QImage | None, outcome: object) -> None:
        if ticket != self._tickets.latest:
            return  # a newer request is on its way
        if isinstance(outcome, RenderedPage) and image is not None:
            self._page, self._page_count = outcome.page, outcome.page_count
            self.canvas.show_image(image, outcome.highlights)
            self.canvas.fit_width(self._target_width())
            self.status.setText(self._match_note(outcome))
            self._update_controls()
            self._restore_scroll()
            self.page_rendered.emit(outcome.page, outcome.page_count)
        else:
            message = str(outcome)
            self.canvas.show_image(None, ())
            self.canvas.fit_width(0)
            self.status.setText(message)
            self._update_controls()
            self.render_failed.emit(message)

    def _match_note(self, page: RenderedPage) -> str:
        if self._page != self._cited_page or not (self._passage or "").strip():
            return ""
        if page.passage_found == 0:
            return NOT_LOCATED
        return PARTLY_LOCATED if page.passage_found < 1 else ""

    def _restore_scroll(self) -> None:
        """Back where the person was after a re-render for a new width; else to the first
        highlight, or the top of the page."""
        rects = self.canvas.highlight_rects()
        bar = self.scroll.verticalScrollBar()
        if self._scroll_share is not None:
            bar.setValue(round(self._scroll_share * bar.maximum()))
        elif not rects:
            bar.setValue(0)
            return
        # the passage's first line a third of the way down the view
        top = rects[0].top() - self.scroll.viewport().height() / 3
        bar.setValue(max(0, round(top)))

    def _update_controls(self) -> None:
        has_page = self._path is not None
        if not has_page:
            self.page_label.setText("")
        elif self._page_count:
            self.page_label.setText(f"Page {self._page} of {self._page_count}")
        else:
            self.page_label.setText(f"Page {self._page}")
        self.page_label.setAccessibleDescription(self.page_label.text())
        self.previous_button.setEnabled(has_page and self._page > 1)
        self.next_button.setEnabled(has_page and 0 < self._page < self._page_count)

    # -- resizing ----------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.scroll.viewport() and event.type() == QEvent.Type.Resize:
            self.canvas.fit_width(self._target_width())  # scaled now, sharp once re-rendered
            self._resize_timer.start()
        return super().eventFilter(watched, event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.DevicePixelRatioChange:  # moved to another screen
            self._resize_timer.start()
        return super().event(event)

    def _rerender_for_width(self) -> None:
        if self._path is None or self.canvas.image is None:
            return
        width = self._target_width()
        resized = abs(width - self._rendered_width) > RERENDER_CHANGE * max(1, self._rendered_width)
        if resized or self.devicePixelRatioF() != self._rendered_ratio:
            self._request(self._page, keep_scroll=True)
