"""The chat's first screen: what Docent does, the folders it watches, and a few questions
drawn from the indexed documents to try (one click asks); with no folder yet, what to do."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QIcon
from PySide6.QtWidgets import (
    QCommandLinkButton,
    QFrame,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

WHAT_DOCENT_DOES = (
    "Ask questions about the documents in your folders. Docent answers from the passages "
    "it finds and shows which file and page each answer comes from. It keeps up as your "
    "files change, and nothing leaves this computer."
)
NO_FOLDER = (
    "No folder yet. Add a folder of documents you want to ask about (PDF, Word, "
    "OpenDocument, text and Markdown, slides, spreadsheets, e-books, e-mail): Docent "
    "reads them here and keeps its index up to date as they change."
)
OPENING = "Opening your Docent data…"
WAITING_FOR_SUGGESTIONS = "Questions to try appear here once your documents are indexed."
NO_SUGGESTIONS = "Ask anything about your documents in the box below."


class WelcomePane(QScrollArea):
    """Shown in place of the conversation while it has no turn."""

    question_chosen = Signal(str)
    add_folder_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAccessibleName("Welcome")
        page = QWidget()
        self.title = QLabel("Ask your documents")
        title_font = QFont(self.title.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.5)
        title_font.setBold(True)
        self.title.setFont(title_font)
        self.title.setAccessibleName("Welcome to Docent")
        self.about = _paragraph(WHAT_DOCENT_DOES)
        self.folders_heading = _heading("Folders Docent watches")
        self.folders = _paragraph(OPENING)
        self.folders.setTextFormat(Qt.TextFormat.PlainText)
        self.folders.setAccessibleName("Watched folders")
        self.add_folder_button = QPushButton("Add a folder…")
        self.add_folder_button.setToolTip("Choose a folder of documents to ask about (Ctrl+O)")
        self.add_folder_button.clicked.connect(self.add_folder_requested)
        self.add_folder_button.hide()
        self.suggestions_heading = _heading("Try asking")
        self.suggestions_state = _paragraph(WAITING_FOR_SUGGESTIONS)
        self.suggestion_buttons: list[QCommandLinkButton] = []
        self._suggestion_box = QVBoxLayout()
        self._suggestion_box.setContentsMargins(0, 0, 0, 0)

        spacing = self.fontMetrics().height()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(spacing, spacing, spacing, spacing)
        layout.setSpacing(spacing // 2)
        layout.addWidget(self.title)
        layout.addWidget(self.about)
        layout.addSpacing(spacing // 2)
        layout.addWidget(self.folders_heading)
        layout.addWidget(self.folders)
        layout.addWidget(self.add_folder_button, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addSpacing(spacing // 2)
        layout.addWidget(self.suggestions_heading)
        layout.addWidget(self.suggestions_state)
        layout.addLayout(self._suggestion_box)
        layout.addStretch(1)
        self.setWidget(page)
        self._folders: tuple[Any, ...] | None = None  # None until the engine says
        self._suggested: tuple[Any, ...] | None = None  # None until the engine says
        self._show_state()

    def show_folders(self, folders: Sequence[Any]) -> None:
        """The watched folders (engine.assistant.FolderInfo), or what to do without one."""
        self._folders = tuple(folders)
        if folders:
            self.folders.setText("\n".join(_folder_line(folder) for folder in folders))
        else:
            self.folders.setText(NO_FOLDER)
        self.add_folder_button.setVisible(not folders)
        self._show_state()

    def show_suggestions(self, suggestions: Sequence[Any]) -> None:
        """Questions to try (engine.answer.suggestions.SuggestedQuestion), one button each."""
        self._suggested = tuple(suggestions)
        for button in self.suggestion_buttons:
            self._suggestion_box.removeWidget(button)
            button.deleteLater()
        self.suggestion_buttons = []
        for suggestion in suggestions:
            source = Path(suggestion.path).name
            button = QCommandLinkButton(suggestion.question, f"from {source}")
            button.setIcon(QIcon())  # the style's arrow is drawn black, lost on a dark palette
            button.setAccessibleName(suggestion.question)
            button.setAccessibleDescription(f"Ask this question; it comes from {source}")
            button.setToolTip(f"Ask this (drawn from {suggestion.path})")
            button.clicked.connect(
                lambda _checked=False, q=suggestion.question: self.question_chosen.emit(q)
            )
            self._suggestion_box.addWidget(button)
            self.suggestion_buttons.append(button)
        self._show_state()

    def suggested_questions(self) -> list[str]:
        return [button.text() for button in self.suggestion_buttons]

    def _show_state(self) -> None:
        """The suggestions part: the buttons, why there are none yet, or nothing at all
        while there is no folder to draw them from."""
        folders = self._folders or ()
        self.suggestions_heading.setVisible(bool(folders))
        indexed = any(folder.documents for folder in folders)
        waiting = self._suggested is None or not indexed
        self.suggestions_state.setText(WAITING_FOR_SUGGESTIONS if waiting else NO_SUGGESTIONS)
        self.suggestions_state.setVisible(bool(folders) and not self.suggestion_buttons)


def _folder_line(folder: Any) -> str:
    count = f"{folder.documents} document{'s' if folder.documents != 1 else ''}"
    missing = "" if folder.exists else " (not found: an unplugged drive? Its index is kept)"
    return f"{folder.path}  ·  {count}{missing}"


def _paragraph(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    font = QFont(label.font())
    font.setBold(True)
    label.setFont(font)
    return label
