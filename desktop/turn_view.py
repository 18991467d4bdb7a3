"""One turn of the chat: the question, the answer in Markdown with its citation markers as
links (the cited passage shows on hover), a note when there is something to say about
it, a footer (sources used, time, voice, OCR and "matched by Docent"), and Copy and
Regenerate."""

from __future__ import annotations

import html
import math
import re
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import (
    QCursor,
    QFont,
    QGuiApplication,
    QPalette,
    QResizeEvent,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QTextBrowser,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from engine.answer.citations import Citation
from engine.answer.export import source_line

_MARKER = re.compile(r"\[(\d+(?:\s*[,\-–]\s*\d+)*)\]")
TOOLTIP_PASSAGE_CHARS = 600  # of the cited passage, shown on a marker
PENDING = "…"
MARKDOWN = (
    QTextDocument.MarkdownFeature.MarkdownDialectGitHub
    | QTextDocument.MarkdownFeature.MarkdownNoHTML  # a document's HTML is shown, not run
)


@dataclass(slots=True)
class ShownTurn:
    """A turn as the chat shows it."""

    question: str
    answer: str = ""
    note: str = ""  # "stopped", "not in your documents", ...
    voice: str = ""  # "warm ×1"; "" for none
    pending: bool = True
    citations: tuple[Citation, ...] = ()
    seconds: float | None = None  # from the question to the whole answer
    attributed: bool = False  # Docent, not the model, matched sentences to sources

    @property
    def cited(self) -> set[int]:
        return {citation.n for citation in self.citations}

    def citation(self, n: int) -> Citation | None:
        return next((c for c in self.citations if c.n == n), None)


def linked_markers(text: str) -> str:
    """`[2]` and `[1, 3]` become links cite:N that the panel turns into source selection."""

    def link(match: re.Match[str]) -> str:
        numbers = re.findall(r"\d+", match.group(1))
        return "".join(f"[\\[{n}\\]](cite:{n})" for n in numbers)

    return _MARKER.sub(link, text)


def cited_where(citation: Citation) -> str:
    """'equipment.md, page 4': the file's name and the place in it."""
    name = Path(citation.path).name
    return f"{name}, {citation.place}" if citation.place else name


def marker_tooltip(citation: Citation) -> str:
    """What hovering over marker [n] shows: where the passage is, and the passage."""
    passage = " ".join(citation.text.split())
    if len(passage) > TOOLTIP_PASSAGE_CHARS:
        passage = passage[:TOOLTIP_PASSAGE_CHARS].rsplit(" ", 1)[0] + " …"
    ocr = " (read by OCR)" if citation.ocr else ""
    return (
        f"<p><b>[{citation.n}] {html.escape(cited_where(citation), quote=False)}</b>{ocr}</p>"
        f"<p>{html.escape(passage, quote=False)}</p>"
    )


def footer_parts(turn: ShownTurn) -> list[str]:
    """The footer's facts, as plain text: sources used, time, voice, notes."""
    parts = []
    if turn.citations:
        parts.append("Sources: " + ", ".join(f"[{c.n}] {cited_where(c)}" for c in turn.citations))
    if turn.seconds is not None:
        parts.append(f"{turn.seconds:.1f} s")
    if turn.voice:
        parts.append(f"voice: {turn.voice}")
    read_by_ocr = [c for c in turn.citations if c.ocr]
    if read_by_ocr:
        parts.append("read by OCR: " + ", ".join(f"[{c.n}]" for c in read_by_ocr))
    if turn.attributed:
        parts.append("sources matched by Docent")
    return parts


def footer_html(turn: ShownTurn) -> str:
    """The footer as rich text: each source a link that selects it."""
    parts = [html.escape(part) for part in footer_parts(turn)]
    if turn.citations:
        links = ", ".join(
            f'<a href="cite:{c.n}">[{c.n}] {html.escape(cited_where(c))}</a>'
            for c in turn.citations
        )
        parts[0] = f"Sources: {links}"
    return " · ".join(parts)


def copy_text(turn: ShownTurn) -> str:
    """What Copy puts on the clipboard: the answer, then its sources as Markdown."""
    lines = [turn.answer.strip()]
    if turn.citations:
        lines += ["", "Sources:", *(f"- {source_line(c)}" for c in turn.citations)]
    return "\n".join(lines)


class AnswerText(QTextBrowser):
    """A read-only Markdown view as tall as its text (the transcript scrolls, not it)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.document().setDocumentMargin(0)
        self.document().documentLayout().documentSizeChanged.connect(self._fit)

    def _fit(self, _size: object = None) -> None:
        """Take the text's height (on a change of text, or of width)."""
        height = math.ceil(self.document().size().height()) + 2 * self.frameWidth()
        self.setFixedHeight(max(self.fontMetrics().height(), height))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), self.height())


class TurnView(QFrame):
    """One question and its answer, separated from the others by its frame."""

    citation_clicked = Signal(int)
    regenerate = Signal()

    def __init__(self, turn: ShownTurn, number: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.turn = turn
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.Base)
        self.setAccessibleName(f"Question and answer {number}")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        spacing = self.fontMetrics().height() // 3

        self.question = QLabel()
        self.question.setTextFormat(Qt.TextFormat.PlainText)
        self.question.setWordWrap(True)
        self.question.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.question.setAutoFillBackground(True)
        self.question.setBackgroundRole(QPalette.ColorRole.AlternateBase)
        self.question.setMargin(spacing * 2)
        self.question.setAccessibleName("Your question")
        bold = QFont(self.question.font())
        bold.setBold(True)
        self.question.setFont(bold)

        self.answer = AnswerText()
        self.answer.setAccessibleName("Docent's answer")
        self.answer.anchorClicked.connect(self._anchor)
        self.answer.highlighted.connect(self._hovered)
        self.note = QLabel()
        self.note.setWordWrap(True)
        italic = QFont(self.note.font())
        italic.setItalic(True)
        self.note.setFont(italic)
        self.note.setAccessibleName("Note on the answer")
        self.footer = QLabel()
        self.footer.setWordWrap(True)
        self.footer.setTextFormat(Qt.TextFormat.RichText)
        self.footer.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.footer.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        small = QFont(self.footer.font())
        small.setPointSizeF(small.pointSizeF() * 0.9)
        self.footer.setFont(small)
        self.footer.setAccessibleName("About the answer")
        self.footer.linkActivated.connect(lambda link: self._anchor(QUrl(link)))
        self.copy_button = QToolButton()
        self.copy_button.setText("Copy")
        self.copy_button.setToolTip("Copy the answer and its sources")
        self.copy_button.setAccessibleName(f"Copy answer {number}")
        self.copy_button.setAutoRaise(True)
        self.copy_button.clicked.connect(self.copy)
        self.regenerate_button = QToolButton()
        self.regenerate_button.setText("Regenerate")
        self.regenerate_button.setToolTip("Answer this question again (Ctrl+R)")
        self.regenerate_button.setAccessibleName(f"Regenerate answer {number}")
        self.regenerate_button.setAutoRaise(True)
        self.regenerate_button.clicked.connect(self.regenerate)

        actions = QHBoxLayout()
        actions.addWidget(self.footer, 1)
        actions.addWidget(self.copy_button)
        actions.addWidget(self.regenerate_button)
        body = QVBoxLayout()
        body.setContentsMargins(spacing * 2, spacing, spacing * 2, spacing)
        body.setSpacing(spacing)
        body.addWidget(self.answer)
        body.addWidget(self.note)
        body.addLayout(actions)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.question)
        layout.addLayout(body)
        self.set_regenerable(False)
        self.refresh()

    def refresh(self) -> None:
        """Show the turn as it is now (called again as the answer streams in)."""
        turn = self.turn
        self.question.setText(turn.question)
        if turn.answer:
            self.answer.document().setMarkdown(linked_markers(turn.answer), MARKDOWN)
        else:
            self.answer.setPlainText(PENDING if turn.pending else "")
        self.note.setText(turn.note)
        self.note.setVisible(bool(turn.note))
        self.footer.setText(footer_html(turn))
        self.footer.setVisible(not turn.pending and bool(footer_parts(turn)))
        self.copy_button.setVisible(not turn.pending and bool(turn.answer))

    def set_regenerable(self, regenerable: bool) -> None:
        self.regenerate_button.setVisible(regenerable and not self.turn.pending)

    def plain_text(self) -> str:
        """Everything the turn shows, as text (for accessibility tools and tests)."""
        parts = [self.turn.question, self.answer.toPlainText()]
        if self.turn.note:
            parts.append(self.turn.note)
        if not self.turn.pending:
            parts.extend(footer_parts(self.turn))
        return "\n".join(parts)

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(copy_text(self.turn))

    def tooltip_for(self, url: QUrl) -> str:
        """The hover text of a marker link (cite:N): the cited passage; '' for others."""
        if url.scheme() != "cite" or not url.path().isdigit():
            return ""
        citation = self.turn.citation(int(url.path()))
        return marker_tooltip(citation) if citation is not None else ""

    def _hovered(self, url: QUrl) -> None:
        text = self.tooltip_for(url)
        if not text:
            QToolTip.hideText()
            return
        viewport = self.answer.viewport()
        under_mouse = viewport.rect().contains(viewport.mapFromGlobal(QCursor.pos()))
        where = (
            QCursor.pos()
            if under_mouse
            else viewport.mapToGlobal(self.answer.cursorRect().bottomLeft())
        )  # reached by Tab: next to the link
        QToolTip.showText(where, text, self.answer)

    def _anchor(self, url: QUrl) -> None:
        if url.scheme() == "cite" and url.path().isdigit():
            self.citation_clicked.emit(int(url.path()))
