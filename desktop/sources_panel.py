"""The sources area: the passages behind the current answer, with the question's terms
highlighted, a preview in the surrounding text, and Open in the system's app."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from engine.search.keywords import query_terms, stem

CONTEXT_CHARS = 600  # preview: this much of the file on each side of the passage
# The preview reads the file (on the GUI thread, at each selection) only this far: a
# passage further into a large file is shown without its context.
PREVIEW_READ_CHARS = 1_000_000


class SourcesPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setAccessibleName("Sources behind the answer")
        self.list.currentRowChanged.connect(self._show_row)
        self.preview = QTextBrowser()
        self.preview.setAccessibleName("Passage preview")
        self.open_button = QPushButton("Open")
        self.open_button.setToolTip("Open the file in its usual application")
        self.open_button.clicked.connect(self.open_current)
        self.open_button.setEnabled(False)
        self.where = QLabel()
        self.where.setWordWrap(True)
        row = QHBoxLayout()
        row.addWidget(self.where, 1)
        row.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Sources</b>"))
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        layout.addWidget(self.preview, 2)
        self.hits: list[Any] = []
        self.cited: set[int] = set()
        self.question = ""

    def show_sources(self, hits: Any, question: str, cited: set[int] | None = None) -> None:
        self.hits = list(hits)
        self.question = question
        self.cited = cited or set()
        self.list.clear()
        for n, hit in enumerate(self.hits, 1):
            page = f", page {hit.page}" if hit.page is not None else ""
            mark = "●" if n in self.cited else "○"
            item = QListWidgetItem(
                f"{mark} [{n}] {Path(hit.path).name}{page}  ·  similarity {hit.similarity:.2f}"
            )
            item.setToolTip(hit.path)
            self.list.addItem(item)
        if self.hits:
            self.list.setCurrentRow(0)
        else:
            self.preview.clear()
            self.where.clear()
            self.open_button.setEnabled(False)

    def select(self, n: int) -> None:
        """Show source [n] (1-based), as when its citation is clicked."""
        if 1 <= n <= len(self.hits):
            self.list.setCurrentRow(n - 1)

    def current_number(self) -> int | None:
        row = self.list.currentRow()
        return row + 1 if row >= 0 else None

    def open_current(self) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self.hits):
            QDesktopServices.openUrl(QUrl.fromLocalFile(self.hits[row].path))

    def _show_row(self, row: int) -> None:
        if not 0 <= row < len(self.hits):
            return
        hit = self.hits[row]
        page = f", page {hit.page}" if hit.page is not None else ""
        lines = f", lines {hit.line_start}-{hit.line_end}" if hit.line_start else ""
        self.where.setText(f"{hit.path}{page}{lines}")
        self.open_button.setEnabled(Path(hit.path).exists())
        self.preview.setHtml(preview_html(hit, self.question))


def preview_html(hit: Any, question: str) -> str:
    """The passage in bold with the question's terms highlighted, inside its context."""
    before = after = ""
    if hit.char_end + CONTEXT_CHARS <= PREVIEW_READ_CHARS:
        try:
            # only the start of the file up to the passage and its context is read
            with open(hit.path, encoding="utf-8", errors="replace") as file:
                text = file.read(hit.char_end + CONTEXT_CHARS)
            if text[hit.char_start : hit.char_end].strip() == hit.text.strip():
                before = text[max(0, hit.char_start - CONTEXT_CHARS) : hit.char_start]
                after = text[hit.char_end : hit.char_end + CONTEXT_CHARS]
        except (OSError, ValueError):
            pass  # a PDF or a file gone since: the passage alone
    terms = {stem(term) for term in query_terms(question)}
    body = highlight(hit.text, terms)
    return (
        f"<div style='white-space: pre-wrap'><span style='color: gray'>"
        f"{html.escape(before)}</span><b>{body}</b><span style='color: gray'>"
        f"{html.escape(after)}</span></div>"
    )


def highlight(text: str, terms: set[str]) -> str:
    parts = []
    for piece in re.split(r"(\w+)", text):
        escaped = html.escape(piece)
        if piece and piece[0].isalnum() and stem(piece.lower()) in terms:
            escaped = f"<span style='background-color: #ffe58a; color: black'>{escaped}</span>"
        parts.append(escaped)
    return "".join(parts)
