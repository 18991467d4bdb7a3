"""The sources area: the passages behind the current answer as cards, a preview of the
chosen one, and Open in the system's app.

Cards (desktop.source_card) come in source-number order. Those for passages below the
relevance floor, too far from the question in meaning to count (engine.answer.relevance),
are folded under "Other passages (N)", collapsed until asked for. Choosing a card (a
click, the arrow keys, Enter, or a citation in the answer) previews it: a PDF page in the
page view (desktop.page_view) with the passage highlighted; anything else as text, the
passage at once and then inside its surrounding lines, which a pool thread reads from the
file, only as far as it shows.
"""

from __future__ import annotations

import contextlib
import html
from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop.page_view import PageView, is_pdf
from desktop.source_card import (
    LIGHT_COLOURS,
    SourceCard,
    TextColours,
    highlight,
    question_stems,
    text_colours,
)
from engine.answer.answering import RelevanceGate
from engine.answer.relevance import judge_relevance
from engine.search.retrieval import SearchHit

CONTEXT_CHARS = 600  # preview: this much of the file on each side of the passage
# The preview reads the file only this far: a passage further into a large file is shown
# without its context.
PREVIEW_READ_CHARS = 1_000_000
NO_SOURCES_NOTE = "The passages behind an answer appear here."
ALL_FOLDED_NOTE = (
    "No passage is close enough to the question. The nearest are under Other passages."
)
OTHER_PASSAGES_TOOLTIP = "Passages too far from the question in meaning to count as relevant."


def preview_html(
    hit: SearchHit,
    question: str,
    colours: TextColours = LIGHT_COLOURS,
    with_context: bool = True,
) -> str:
    """The passage in bold with the question's terms highlighted, inside its context.

    The context is read from the start of the file up to CONTEXT_CHARS past the passage,
    and only when that stays within PREVIEW_READ_CHARS; without `with_context`, or when
    the file no longer holds the passage there (a PDF, a file changed since), nothing
    is read or the passage is shown alone.
    """
    before = after = ""
    if with_context and hit.char_end + CONTEXT_CHARS <= PREVIEW_READ_CHARS:
        try:
            with open(hit.path, encoding="utf-8", errors="replace") as file:
                text = file.read(hit.char_end + CONTEXT_CHARS)
            if text[hit.char_start : hit.char_end].strip() == hit.text.strip():
                before = text[max(0, hit.char_start - CONTEXT_CHARS) : hit.char_start]
                after = text[hit.char_end : hit.char_end + CONTEXT_CHARS]
        except (OSError, ValueError):
            pass  # a file gone or unreadable since: the passage alone
    body = highlight(hit.text, question_stems(question), colours)
    muted = f"<span style='color: {colours.muted}'>"
    return (
        f"<div style='white-space: pre-wrap'>{muted}{html.escape(before)}</span>"
        f"<b>{body}</b>{muted}{html.escape(after)}</span></div>"
    )


class _PreviewSignals(QObject):
    ready = Signal(int, str)  # ticket, the preview's HTML


class _LatestTicket:
    """The newest preview request, read by the pool thread to skip overtaken ones."""

    def __init__(self) -> None:
        self.value = 0


class _PreviewJob(QRunnable):
    """Reads one passage's context in the pool thread; reports through a queued signal."""

    def __init__(
        self,
        ticket: int,
        latest: _LatestTicket,
        hit: SearchHit,
        question: str,
        colours: TextColours,
        signals: _PreviewSignals,
    ) -> None:
        super().__init__()
        self.ticket, self.latest = ticket, latest
        self.hit, self.question, self.colours = hit, question, colours
        self.signals = signals

    def run(self) -> None:
        if self.ticket != self.latest.value:
            return  # another card was chosen before this one's turn came
        shown = preview_html(self.hit, self.question, self.colours)
        with contextlib.suppress(RuntimeError):  # the panel was deleted meanwhile
            self.signals.ready.emit(self.ticket, shown)


class SourcesPanel(QWidget):
    """Source cards for the current answer, and a preview of the chosen one.

    `show_sources(hits, question, cited)` shows the passages numbered [1]..[n];
    `select(n)` chooses one (as its citation in the answer does); `current_number()`
    says which is chosen; `open_current()` opens its file; `set_relevance_gate(gate)`
    sets the bars (the engine's settings) that label and fold the passages.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # The pool is created before the signals it reports through: deleted first, it
        # waits for a running read before they go.
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._preview_signals = _PreviewSignals(self)
        self._preview_signals.ready.connect(self._preview_read)
        self._latest_preview = _LatestTicket()
        self.hits: list[SearchHit] = []
        self.cited: set[int] = set()
        self.question = ""
        self.gate = RelevanceGate()
        self.cards: list[SourceCard] = []  # cards[n - 1] is source [n]
        self._chosen: int | None = None
        self._build()
        self._show_cards()

    def _build(self) -> None:
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.main_cards = QVBoxLayout()
        self.main_cards.setSpacing(6)
        self.other_toggle = QToolButton()
        self.other_toggle.setCheckable(True)
        self.other_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.other_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.other_toggle.setAutoRaise(True)
        self.other_toggle.setToolTip(OTHER_PASSAGES_TOOLTIP)
        self.other_toggle.setAccessibleDescription(OTHER_PASSAGES_TOOLTIP)
        self.other_toggle.toggled.connect(self._other_toggled)
        self.other_box = QWidget()
        self.other_cards = QVBoxLayout(self.other_box)
        self.other_cards.setContentsMargins(0, 0, 0, 0)
        self.other_cards.setSpacing(6)
        self.other_box.setVisible(False)
        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(2, 2, 2, 2)
        column.addWidget(self.note)
        column.addLayout(self.main_cards)
        column.addWidget(self.other_toggle, 0, Qt.AlignmentFlag.AlignLeft)
        column.addWidget(self.other_box)
        column.addStretch(1)
        self.cards_area = QScrollArea()
        self.cards_area.setWidgetResizable(True)
        self.cards_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.cards_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.cards_area.setAccessibleName("Sources behind the answer")
        self.cards_area.setWidget(content)

        self.where = QLabel()
        self.where.setWordWrap(True)
        self.where.setAccessibleName("Where the passage is")
        self.open_button = QPushButton("Open")
        self.open_button.setToolTip("Open the file in its usual application")
        self.open_button.clicked.connect(self.open_current)
        self.open_button.setEnabled(False)
        self.preview = QTextBrowser()
        self.preview.setAccessibleName("Passage preview")
        self.page_view = PageView()
        self.page_view.setAccessibleName("Page preview")
        self.page_view.render_failed.connect(self._page_failed)
        self.preview_stack = QStackedWidget()
        self.preview_stack.addWidget(self.preview)
        self.preview_stack.addWidget(self.page_view)
        row = QHBoxLayout()
        row.addWidget(self.where, 1)
        row.addWidget(self.open_button)
        preview_area = QWidget()
        preview_column = QVBoxLayout(preview_area)
        preview_column.setContentsMargins(0, 0, 0, 0)
        preview_column.addLayout(row)
        preview_column.addWidget(self.preview_stack, 1)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.cards_area)
        splitter.addWidget(preview_area)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([2000, 3000])  # shared in this proportion once the panel is sized
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Sources</b>"))
        layout.addWidget(splitter, 1)

    # -- public ------------------------------------------------------------------------------

    def show_sources(
        self, hits: Iterable[SearchHit], question: str, cited: set[int] | None = None
    ) -> None:
        """Show `hits` as sources [1]..[n] for `question`; `cited` are the numbers the
        answer cites. The same passages again (the answer after its sources) keep the
        chosen card and the fold as they were."""
        hits = list(hits)
        same = hits == self.hits and question == self.question and bool(hits)
        kept = self._chosen if same else None
        unfolded = self.other_toggle.isChecked() if same else False
        self.hits, self.question, self.cited = hits, question, set(cited or ())
        self._show_cards()
        self.set_other_expanded(unfolded)
        if kept is not None:
            self._choose(kept, preview=False)
        elif first := next((c.number for c in self.cards if not c.relevance.below_floor), None):
            self._choose(first)
        else:
            self._clear_preview()

    def select(self, n: int) -> None:
        """Show source [n] (1-based), as when its citation is clicked."""
        if 1 <= n <= len(self.cards):
            self._choose(n)

    def current_number(self) -> int | None:
        return self._chosen

    def open_current(self) -> None:
        if self._chosen is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(self.hits[self._chosen - 1].path))

    def set_relevance_gate(self, gate: RelevanceGate) -> None:
        """Label and fold passages by `gate` (the engine's relevance settings)."""
        if gate != self.gate:
            self.gate = gate
            chosen, unfolded = self._chosen, self.other_toggle.isChecked()
            self._show_cards()
            self.set_other_expanded(unfolded)
            if chosen is not None:
                self._choose(chosen, preview=False)

    def other_expanded(self) -> bool:
        return self.other_toggle.isChecked()

    def set_other_expanded(self, expanded: bool) -> None:
        self.other_toggle.setChecked(expanded)
        self._other_toggled(expanded)

    def folded_cards(self) -> list[SourceCard]:
        return [card for card in self.cards if card.relevance.below_floor]

    def shown_cards(self) -> list[SourceCard]:
        """The cards a person can step through now, top to bottom."""
        above = [card for card in self.cards if not card.relevance.below_floor]
        return above + (self.folded_cards() if self.other_expanded() else [])

    # -- cards -------------------------------------------------------------------------------

    def _show_cards(self) -> None:
        for card in self.cards:
            card.setParent(None)
            card.deleteLater()
        self.cards = []
        self._chosen = None
        for n, hit in enumerate(self.hits, 1):
            relevance = judge_relevance(self.question, hit, self.gate)
            card = SourceCard(n, hit, relevance, self.question, n in self.cited)
            card.chosen.connect(self._choose)
            card.step_requested.connect(self._step)
            self.cards.append(card)
            section = self.other_cards if relevance.below_floor else self.main_cards
            section.addWidget(card)
            card.show()  # now, not on the next turn of the event loop: it can take focus
        folded = len(self.folded_cards())
        self.other_toggle.setText(f"Other passages ({folded})")
        self.other_toggle.setAccessibleName(f"Other passages, {folded}")
        self.other_toggle.setVisible(folded > 0)
        if not self.hits:
            self.note.setText(NO_SOURCES_NOTE)
        elif folded == len(self.hits):
            self.note.setText(ALL_FOLDED_NOTE)
        self.note.setVisible(not self.hits or folded == len(self.hits))

    def _other_toggled(self, expanded: bool) -> None:
        self.other_box.setVisible(expanded)
        arrow = Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow
        self.other_toggle.setArrowType(arrow)

    def _choose(self, n: int, preview: bool = True) -> None:
        card = self.cards[n - 1]
        if card.relevance.below_floor and not self.other_expanded():
            self.set_other_expanded(True)
        for other in self.cards:
            other.set_selected(other is card)
        self._chosen = n
        self.cards_area.ensureWidgetVisible(card)
        if preview:
            self._show_preview(card.hit)

    def _step(self, n: int, steps: int) -> None:
        shown = self.shown_cards()
        at = next((i for i, card in enumerate(shown) if card.number == n), None)
        if at is None:
            return
        target = shown[min(max(at + steps, 0), len(shown) - 1)]
        if target.number != n:
            self._choose(target.number)
            target.setFocus(Qt.FocusReason.OtherFocusReason)

    # -- preview -----------------------------------------------------------------------------

    def _show_preview(self, hit: SearchHit) -> None:
        place = f", {hit.place}" if hit.place else ""
        lines = f", lines {hit.line_start}-{hit.line_end}" if hit.line_start else ""
        self.where.setText(f"{hit.path}{place}{lines}")
        self.open_button.setEnabled(Path(hit.path).exists())
        colours = text_colours(self.preview.palette())
        # the passage at once; its context follows from the pool thread
        self.preview.setHtml(preview_html(hit, self.question, colours, with_context=False))
        self._latest_preview.value += 1
        if is_pdf(hit.path) and hit.page is not None:
            self.preview_stack.setCurrentWidget(self.page_view)
            # a page read by OCR has no text layer to find the passage in: no highlight
            self.page_view.show_pdf(hit.path, hit.page, None if hit.ocr else hit.text)
            return
        self.preview_stack.setCurrentWidget(self.preview)
        self.page_view.clear()
        job = _PreviewJob(
            self._latest_preview.value,
            self._latest_preview,
            hit,
            self.question,
            colours,
            self._preview_signals,
        )
        self._pool.start(job)

    def _preview_read(self, ticket: int, shown: str) -> None:
        if ticket == self._latest_preview.value:
            self.preview.setHtml(shown)

    def _page_failed(self, message: str) -> None:
        """The PDF page could not be shown: the passage as text, under the reason."""
        if self._chosen is None or not is_pdf(self.hits[self._chosen - 1].path):
            return
        hit = self.hits[self._chosen - 1]
        colours = text_colours(self.preview.palette())
        passage = preview_html(hit, self.question, colours, with_context=False)
        reason = f"<p style='color: {colours.muted}'>{html.escape(message)}</p>"
        self.preview.setHtml(reason + passage)
        self.preview_stack.setCurrentWidget(self.preview)

    def _clear_preview(self) -> None:
        self._latest_preview.value += 1
        self._chosen = None
        self.preview.clear()
        self.page_view.clear()
        self.preview_stack.setCurrentWidget(self.preview)
        self.where.clear()
        self.open_button.setEnabled(False)
