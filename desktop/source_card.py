"""One source card: a retrieved passage as a person reads it.

The card names the file (its full path as the tooltip), where in it the passage is
(`SearchHit.place`, worded by the engine), the heading, the lines that hold the question's
words with those words highlighted, a plain-language relevance label
(engine.answer.relevance), whether the page was read by OCR and whether the answer cites
it. Colours come from the palette's roles, so a card reads in light and dark themes; the
one colour of its own, the highlight, sets both its background and its text.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QEvent, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from engine.answer.excerpts import excerpt
from engine.answer.relevance import Relevance, RelevanceLabel
from engine.search.keywords import query_terms, stem
from engine.search.retrieval import SearchHit

EXCERPT_SENTENCES = 2  # the card shows the passage's sentences that best hold the question
EXCERPT_CHARS = 280  # ...cut to about this many characters around the first matching word
OCR_NOTE = "Read by OCR"
OCR_TOOLTIP = "This page is an image: its text was read by OCR and may hold mistakes."
CITED_NOTE = "Cited in the answer"
_WORD_PIECES = re.compile(r"(\w+)")


@dataclass(frozen=True, slots=True)
class TextColours:
    """Colours for rich text, which cannot name palette roles itself."""

    mark_background: str  # behind a highlighted word
    mark_text: str  # a highlighted word
    muted: str  # context around a passage


# Amber marks with their own text colour: black on light amber (contrast about 15:1) in a
# light theme, white on dark amber (about 5:1) in a dark one.
LIGHT_COLOURS = TextColours("#ffe58a", "#000000", "#707070")
DARK_COLOURS = TextColours("#8a6d00", "#ffffff", "#a0a0a0")


MUTED_TEXT_SHARE = 0.6  # muted text: this much of the text colour, the rest background


def text_colours(palette: QPalette) -> TextColours:
    """The highlight that reads on this palette, and its muted text colour (rich text
    drops a colour's transparency, so the muted one is mixed here, opaque)."""
    text, base = palette.color(QPalette.ColorRole.Text), palette.color(QPalette.ColorRole.Base)
    chosen = DARK_COLOURS if base.lightness() < 128 else LIGHT_COLOURS
    share = MUTED_TEXT_SHARE
    muted = QColor(
        round(share * text.red() + (1 - share) * base.red()),
        round(share * text.green() + (1 - share) * base.green()),
        round(share * text.blue() + (1 - share) * base.blue()),
    )
    return TextColours(chosen.mark_background, chosen.mark_text, muted.name())


def question_stems(question: str) -> set[str]:
    """The loose stems of the question's key words, as search matches them."""
    return {stem(term) for term in query_terms(question)}


def highlight(text: str, terms: set[str], colours: TextColours = LIGHT_COLOURS) -> str:
    """`text` as HTML, each word whose loose stem is in `terms` marked."""
    parts = []
    for piece in _WORD_PIECES.split(text):
        escaped = html.escape(piece)
        if piece and piece[0].isalnum() and stem(piece.lower()) in terms:
            escaped = (
                f"<span style='background-color: {colours.mark_background}; "
                f"color: {colours.mark_text}'>{escaped}</span>"
            )
        parts.append(escaped)
    return "".join(parts)


def card_excerpt(text: str, question: str, limit: int = EXCERPT_CHARS) -> str:
    """The passage's sentences that hold most of the question's words (picked by
    engine.answer.excerpts), on one line, cut to about `limit` characters around the
    first word of the question they hold."""
    picked = " ".join(excerpt(text, question, EXCERPT_SENTENCES).split())
    if len(picked) <= limit:
        return picked
    terms = question_stems(question)
    first = next(
        (m.start() for m in re.finditer(r"\w+", picked) if stem(m.group().lower()) in terms), 0
    )
    start = max(0, first - limit // 4)
    if start > 0:  # begin at a word
        start = picked.find(" ", start) + 1 or start
    end = start + limit
    if end < len(picked) and (space := picked.rfind(" ", start, end)) > start:
        end = space  # end at a word
    cut = picked[start:end].strip()
    return f"{'…' if start > 0 else ''}{cut}{'…' if end < len(picked) else ''}"


class SourceCard(QFrame):
    """A selectable card for source [number]. It is focusable: Up/Down/Home/End ask the
    panel to move, Enter/Return/Space or a click ask it to select this card."""

    chosen = Signal(int)  # the card's number: select it
    step_requested = Signal(int, int)  # the card's number, how far to move (+1 down)

    def __init__(
        self,
        number: int,
        hit: SearchHit,
        relevance: Relevance,
        question: str,
        cited: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.number = number
        self.hit = hit
        self.relevance = relevance
        self.question = question
        self.cited = cited
        self.selected = False
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self._build()
        self.refresh()

    def _build(self) -> None:
        hit = self.hit
        self.name_label = self._label(bold=True)
        self.name_label.setToolTip(hit.path)
        self.place_label = self._label(muted=True)
        self.place_label.setVisible(bool(hit.place))
        self.heading_label = self._label(muted=True)
        self.heading_label.setVisible(bool(hit.heading))
        self.excerpt_label = self._label(rich=True)
        self.relevance_label = self._label(bold=self.relevance.label is RelevanceLabel.STRONG)
        self.relevance_label.setToolTip(self.relevance.explanation)
        self.ocr_label = self._label(muted=True)
        self.ocr_label.setText(OCR_NOTE)
        self.ocr_label.setToolTip(OCR_TOOLTIP)
        self.ocr_label.setVisible(hit.ocr)
        self.cited_label = self._label(bold=True)
        self.cited_label.setText(CITED_NOTE)
        self.cited_label.setForegroundRole(QPalette.ColorRole.Link)
        self.cited_label.setVisible(self.cited)

        title = QHBoxLayout()
        title.addWidget(self.name_label, 1)
        title.addWidget(self.place_label, 0, Qt.AlignmentFlag.AlignTop)
        footer = QHBoxLayout()
        footer.setSpacing(12)
        footer.addWidget(self.relevance_label)
        footer.addWidget(self.ocr_label)
        footer.addStretch(1)
        footer.addWidget(self.cited_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(3)
        layout.addLayout(title)
        layout.addWidget(self.heading_label)
        layout.addWidget(self.excerpt_label)
        layout.addLayout(footer)

    def _label(self, bold: bool = False, muted: bool = False, rich: bool = False) -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        if bold:
            font = label.font()
            font.setBold(True)
            label.setFont(font)
        if muted:
            label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        return label

    def refresh(self) -> None:
        """Fill the labels for the current palette (the highlight's colours follow it)."""
        hit = self.hit
        name = Path(hit.path).name or hit.path
        self.name_label.setText(f"[{self.number}]  {name}")
        self.place_label.setText(hit.place)
        self.heading_label.setText(hit.heading)
        colours = text_colours(self.palette())
        shown = card_excerpt(hit.text, self.question)
        self.excerpt_label.setText(highlight(shown, question_stems(self.question), colours))
        self.relevance_label.setText(self.relevance.label.value)
        where = f", {hit.place}" if hit.place else ""
        notes = [self.relevance.label.value]
        if hit.ocr:
            notes.append("read by OCR")
        if self.cited:
            notes.append("cited in the answer")
        self.setAccessibleName(f"Source {self.number}: {name}{where}. {', '.join(notes)}.")
        self.setAccessibleDescription(f"{self.relevance.explanation} {shown}")

    def set_selected(self, selected: bool) -> None:
        if selected != self.selected:
            self.selected = selected
            self.update()

    # -- events ------------------------------------------------------------------------------

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self.refresh()
        super().changeEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.setFocus(Qt.FocusReason.MouseFocusReason)
            self.chosen.emit(self.number)
            event.accept()
            return
        super().mousePressEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        steps = {
            Qt.Key.Key_Up: -1,
            Qt.Key.Key_Down: 1,
            Qt.Key.Key_Home: -1_000_000,
            Qt.Key.Key_End: 1_000_000,
        }
        key = Qt.Key(event.key())
        if key in steps:
            self.step_requested.emit(self.number, steps[key])
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.chosen.emit(self.number)
        else:
            super().keyPressEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:
        self.update()
        super().focusInEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self.update()
        super().focusOutEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        """A rounded card on the palette's base colour; the selected one framed in the
        highlight colour, the focused one with a dashed inner line."""
        palette = self.palette()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        role = QPalette.ColorRole
        fill = palette.color(role.AlternateBase if self.selected else role.Base)
        edge = palette.color(role.Highlight if self.selected else role.Mid)
        width = 2.0 if self.selected else 1.0
        rect = QRectF(self.rect()).adjusted(width / 2, width / 2, -width / 2, -width / 2)
        painter.setPen(QPen(edge, width))
        painter.setBrush(fill)
        painter.drawRoundedRect(rect, 6.0, 6.0)
        if self.hasFocus():
            focus = QPen(palette.color(role.Highlight), 1.0, Qt.PenStyle.DashLine)
            painter.setPen(focus)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect.adjusted(3, 3, -3, -3), 4.0, 4.0)
        painter.end()
