"""The chat area: the conversation rendered as Markdown, the answer streaming in, citation
markers as links, and the question box (Enter sends, Shift+Enter starts a new line)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

RENDER_INTERVAL_MS = 50  # streamed text is re-rendered at most this often
_MARKER = re.compile(r"\[(\d+(?:\s*[,\-–]\s*\d+)*)\]")


@dataclass(slots=True)
class ShownTurn:
    question: str
    answer: str = ""
    note: str = ""  # "stopped", "not in your documents", ...
    voice: str = ""
    pending: bool = True
    cited: set[int] = field(default_factory=set)


def linked_markers(text: str) -> str:
    """`[2]` and `[1, 3]` become links cite:N that the panel turns into source selection."""

    def link(match: re.Match[str]) -> str:
        numbers = re.findall(r"\d+", match.group(1))
        return "".join(f"[\\[{n}\\]](cite:{n})" for n in numbers)

    return _MARKER.sub(link, text)


class ChatPanel(QWidget):
    send = Signal(str)
    stop = Signal()
    regenerate = Signal()
    new_conversation = Signal()
    citation_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.transcript = QTextBrowser()
        self.transcript.setOpenLinks(False)
        self.transcript.setAccessibleName("Conversation")
        self.transcript.anchorClicked.connect(self._anchor)
        self.input = QPlainTextEdit()
        self.input.setPlaceholderText(
            "Ask about your documents  (Enter sends, Shift+Enter for a new line)"
        )
        self.input.setAccessibleName("Question")
        self.input.setMaximumHeight(96)
        self.input.installEventFilter(self)
        self.send_button = QPushButton("Send")
        self.send_button.clicked.connect(self._send)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop the answer (Esc)")
        self.stop_button.clicked.connect(self.stop)
        self.stop_button.setEnabled(False)
        self.regenerate_button = QPushButton("Regenerate")
        self.regenerate_button.clicked.connect(self.regenerate)
        self.regenerate_button.setEnabled(False)
        self.new_button = QPushButton("New conversation")
        self.new_button.setToolTip("Start over (Ctrl+N)")
        self.new_button.clicked.connect(self.new_conversation)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.hint, 1)
        for button in (self.new_button, self.regenerate_button, self.stop_button):
            buttons.addWidget(button)
        buttons.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.transcript, 1)
        layout.addWidget(self.input)
        layout.addLayout(buttons)
        self.turns: list[ShownTurn] = []
        self._render_timer = QTimer(self)
        self._render_timer.setSingleShot(True)
        self._render_timer.setInterval(RENDER_INTERVAL_MS)
        self._render_timer.timeout.connect(self.render)

    # -- what the window tells it --------------------------------------------------------

    def begin(self, question: str, voice: str = "") -> None:
        self.turns.append(ShownTurn(question, voice=voice))
        self.set_busy(True)
        self.render()

    def append(self, text: str) -> None:
        if self.turns:
            self.turns[-1].answer += text
            if not self._render_timer.isActive():
                self._render_timer.start()

    def finish(self, text: str, note: str = "", cited: set[int] | None = None) -> None:
        if self.turns:
            turn = self.turns[-1]
            turn.answer, turn.note, turn.pending = text, note, False
            turn.cited = cited or set()
        self.set_busy(False)
        self.render()

    def set_busy(self, busy: bool) -> None:
        self.stop_button.setEnabled(busy)
        self.send_button.setEnabled(not busy)
        self.regenerate_button.setEnabled(not busy and bool(self.turns))

    def show_turns(self, turns: list[ShownTurn]) -> None:
        self.turns = turns
        self.set_busy(False)
        self.render()

    def render(self) -> None:
        parts = []
        for turn in self.turns:
            parts.append(f"**You:** {_escape(turn.question)}\n")
            voice = f" *({turn.voice})*" if turn.voice else ""
            body = linked_markers(turn.answer) if turn.answer else ("…" if turn.pending else "")
            parts.append(f"**Docent**{voice}: {body}\n")
            if turn.note:
                parts.append(f"*{turn.note}*\n")
            parts.append("---\n")
        bar = self.transcript.verticalScrollBar()
        at_end = bar.value() >= bar.maximum() - 4
        self.transcript.setMarkdown("\n".join(parts))
        if at_end:
            bar.setValue(bar.maximum())

    # -- input ---------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.input
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and not (event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        ):
            self._send()
            return True
        return super().eventFilter(watched, event)

    def _send(self) -> None:
        text = self.input.toPlainText().strip()
        if text and self.send_button.isEnabled():
            self.input.clear()
            self.send.emit(text)

    def _anchor(self, url: QUrl) -> None:
        if url.scheme() == "cite" and url.path().isdigit():
            self.citation_clicked.emit(int(url.path()))


def _escape(text: str) -> str:
    return re.sub(r"([\\`*_{}\[\]<>#|])", r"\\\1", text)
