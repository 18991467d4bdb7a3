"""The chat area: the welcome pane until the first question, then the conversation, one
framed turn per question (desktop.turn_view), the answer streaming into the last one,
and the question box (Enter sends, Shift+Enter starts a new line)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop.turn_view import ShownTurn, TurnView, linked_markers
from desktop.welcome import WelcomePane
from engine.answer.citations import Citation

__all__ = ["ChatPanel", "ShownTurn", "linked_markers"]

RENDER_INTERVAL_MS = 50  # streamed text is re-rendered at most this often
INPUT_LINES = 4  # the question box grows to this many lines


class ChatPanel(QWidget):
    send = Signal(str)
    stop = Signal()
    regenerate = Signal()
    new_conversation = Signal()
    citation_clicked = Signal(int)
    add_folder_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.welcome = WelcomePane()
        self.welcome.question_chosen.connect(self._ask_suggested)
        self.welcome.add_folder_requested.connect(self.add_folder_requested)
        self._turn_box = QVBoxLayout()
        spacing = self.fontMetrics().height() // 2
        self._turn_box.setSpacing(spacing)
        self._turn_box.setContentsMargins(spacing, spacing, spacing, spacing)
        self._turn_box.addStretch(1)
        turns_page = QWidget()
        turns_page.setLayout(self._turn_box)
        self.transcript = QScrollArea()
        self.transcript.setWidgetResizable(True)
        self.transcript.setFrameShape(QFrame.Shape.NoFrame)
        self.transcript.setAccessibleName("Conversation")
        self.transcript.setWidget(turns_page)
        self.transcript.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        bar = self.transcript.verticalScrollBar()
        bar.rangeChanged.connect(self._keep_at_end)
        bar.valueChanged.connect(self._note_position)
        self._follow = True  # keep the end in view while it grows
        self.pages = QStackedWidget()
        self.pages.addWidget(self.welcome)
        self.pages.addWidget(self.transcript)

        self.input = QPlainTextEdit()
        self.input.setPlaceholderText(
            "Ask about your documents  (Enter sends, Shift+Enter for a new line)"
        )
        self.input.setAccessibleName("Question")
        self.input.setTabChangesFocus(True)
        lines = self.input.fontMetrics().lineSpacing() * INPUT_LINES
        margins = self.input.contentsMargins()
        frame = 2 * (self.input.frameWidth() + round(self.input.document().documentMargin()))
        self.input.setMaximumHeight(lines + frame + margins.top() + margins.bottom())
        self.input.installEventFilter(self)
        self.send_button = QPushButton("Send")
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self._send)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop the answer (Esc)")
        self.stop_button.clicked.connect(self.stop)
        self.stop_button.setEnabled(False)
        self.new_button = QPushButton("New conversation")
        self.new_button.setToolTip("Start over (Ctrl+N)")
        self.new_button.clicked.connect(self.new_conversation)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.hint, 1)
        for button in (self.new_button, self.stop_button, self.send_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.input)
        layout.addLayout(buttons)
        self.turns: list[ShownTurn] = []
        self.views: list[TurnView] = []
        self._busy = False
        self._render_timer = QTimer(self)
        self._render_timer.setSingleShot(True)
        self._render_timer.setInterval(RENDER_INTERVAL_MS)
        self._render_timer.timeout.connect(self._render_last)

    # -- what the window tells it --------------------------------------------------------

    def begin(self, question: str, voice: str = "") -> None:
        self._follow = True
        self._add_view(ShownTurn(question, voice=voice))
        self.set_busy(True)

    def append(self, text: str) -> None:
        if self.turns:
            self.turns[-1].answer += text
            if not self._render_timer.isActive():
                self._render_timer.start()

    def finish(
        self,
        text: str,
        note: str = "",
        citations: Sequence[Citation] = (),
        seconds: float | None = None,
        attributed: bool = False,
        voice: str | None = None,
    ) -> None:
        """The answer is complete: its final text, a note, and its footer's facts (`voice`:
        the one it was given in, when the engine said)."""
        if self.turns:
            turn = self.turns[-1]
            turn.answer, turn.note, turn.pending = text, note, False
            turn.citations, turn.seconds, turn.attributed = tuple(citations), seconds, attributed
            if voice is not None:
                turn.voice = voice
        self._render_timer.stop()
        self.set_busy(False)
        self._render_last()

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.stop_button.setEnabled(busy)
        self.send_button.setEnabled(not busy)
        for at, view in enumerate(self.views):
            view.set_regenerable(not busy and at == len(self.views) - 1)

    def show_turns(self, turns: list[ShownTurn]) -> None:
        """Show these turns instead (a conversation reopened, or none: the welcome)."""
        for view in self.views:
            self._turn_box.removeWidget(view)
            view.deleteLater()
        self.turns, self.views = [], []
        self._follow = True
        for turn in turns:
            self._add_view(turn)
        self.pages.setCurrentWidget(self.transcript if self.turns else self.welcome)
        self.set_busy(False)

    def drop_last_turn(self) -> None:
        """Forget the last turn (it is about to be answered again)."""
        if self.views:
            view = self.views.pop()
            self.turns.pop()
            self._turn_box.removeWidget(view)
            view.deleteLater()
        self.pages.setCurrentWidget(self.transcript if self.turns else self.welcome)

    def show_status(self, status: Any) -> None:
        """The engine's status (engine.assistant.Status): the welcome names the folders."""
        self.welcome.show_folders(status.folders)

    def show_suggestions(self, suggestions: Sequence[Any]) -> None:
        self.welcome.show_suggestions(suggestions)

    def refresh(self) -> None:
        """Show every turn as it is now (after the palette changed, for one)."""
        for view in self.views:
            view.refresh()

    def transcript_text(self) -> str:
        """The conversation as shown, in plain text (for accessibility tools and tests)."""
        return "\n\n".join(view.plain_text() for view in self.views)

    # -- inside ----------------------------------------------------------------------

    def _add_view(self, turn: ShownTurn) -> None:
        view = TurnView(turn, len(self.views) + 1)
        view.citation_clicked.connect(self.citation_clicked)
        view.regenerate.connect(self.regenerate)
        self.turns.append(turn)
        self.views.append(view)
        self._turn_box.insertWidget(self._turn_box.count() - 1, view)  # above the stretch
        self.pages.setCurrentWidget(self.transcript)

    def _render_last(self) -> None:
        if self.views:
            self.views[-1].refresh()

    def _keep_at_end(self, _minimum: int, maximum: int) -> None:
        if self._follow:
            self.transcript.verticalScrollBar().setValue(maximum)

    def _note_position(self, value: int) -> None:
        self._follow = value >= self.transcript.verticalScrollBar().maximum() - 4

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.refresh()  # links and rendered Markdown take the new palette's colours

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

    def _ask_suggested(self, question: str) -> None:
        if not self._busy:
            self.send.emit(question)
