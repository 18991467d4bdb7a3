"""The folders area: which folders are watched, indexing progress, and files that failed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class FoldersPanel(QWidget):
    add_requested = Signal(str)
    remove_requested = Signal(str)
    index_requested = Signal()
    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.folders = QListWidget()
        self.folders.setAccessibleName("Watched folders")
        self.state = QLabel("Opening…")
        self.state.setWordWrap(True)
        self.state.setAccessibleName("Indexing status")
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Indexing progress")
        self.progress.hide()
        self.current = QLabel()
        self.current.setWordWrap(True)
        self.cancel = QPushButton("Stop indexing")
        self.cancel.hide()
        self.cancel.clicked.connect(self.cancel_requested)
        self.failures = QListWidget()
        self.failures.setAccessibleName("Files that could not be indexed")
        self.failures_label = QLabel("Files that could not be indexed")
        add = QPushButton("Add…")
        add.setToolTip("Add a folder to watch (Ctrl+O); you can also drop folders here")
        add.clicked.connect(self.choose_folder)
        remove = QPushButton("Remove")
        remove.setToolTip("Stop watching the selected folder and forget its index")
        remove.clicked.connect(self._remove_selected)
        reindex = QPushButton("Re-index")
        reindex.clicked.connect(self.index_requested)
        buttons = QHBoxLayout()
        for button in (add, remove, reindex):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("<b>Folders</b>"))
        layout.addWidget(self.folders, 2)
        layout.addLayout(buttons)
        layout.addWidget(self.state)
        layout.addWidget(self.progress)
        layout.addWidget(self.current)
        layout.addWidget(self.cancel)
        layout.addWidget(self.failures_label)
        layout.addWidget(self.failures, 1)
        self._indexing = False

    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Add a folder to Docent")
        if path:
            self.add_requested.emit(path)

    def _remove_selected(self) -> None:
        item = self.folders.currentItem()
        if item is not None:
            self.remove_requested.emit(item.data(Qt.ItemDataRole.UserRole))

    # -- engine results ------------------------------------------------------------------

    def show_status(self, status: Any) -> None:
        selected = self.folders.currentItem()
        keep = selected.data(Qt.ItemDataRole.UserRole) if selected else None
        self.folders.clear()
        for folder in status.folders:
            missing = "" if folder.exists else " (missing)"
            item = QListWidgetItem(
                f"{Path(folder.path).name}  ·  {_count(folder.documents, 'file')}{missing}"
            )
            item.setToolTip(folder.path)
            item.setData(Qt.ItemDataRole.UserRole, folder.path)
            self.folders.addItem(item)
            if folder.path == keep:
                self.folders.setCurrentItem(item)
        self.failures.clear()
        for problem in status.problems:
            item = QListWidgetItem(f"{Path(problem.path).name}: {problem.reason}")
            item.setToolTip(f"{problem.path}\n{problem.status}: {problem.reason}")
            self.failures.addItem(item)
        self.failures_label.setText(f"Files that could not be indexed ({len(status.problems)})")
        if not self._indexing:
            self.state.setText(
                f"Up to date · watching {_count(len(status.folders), 'folder')} · "
                f"{_count(status.indexed, 'file')}, {_count(status.chunks, 'passage')}"
            )

    def show_progress(self, progress: Any) -> None:
        self._indexing = True
        self.progress.show()
        self.cancel.show()
        self.progress.setMaximum(max(1, progress.files_total))
        self.progress.setValue(progress.files_done)
        self.state.setText(f"Indexing {progress.files_done} of {progress.files_total} files…")
        self.current.setText(Path(progress.current).name if progress.current else "")

    def show_finished(self, report: Any) -> None:
        self._indexing = False
        self.progress.hide()
        self.cancel.hide()
        self.current.clear()
        done = "Indexing stopped" if report.cancelled else "Up to date"
        self.state.setText(
            f"{done} · {report.added} added, {report.updated} updated, {report.removed} removed"
        )

    # -- drag and drop -------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(Path(url.toLocalFile()).is_dir() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        for url in event.mimeData().urls():
            if Path(url.toLocalFile()).is_dir():
                self.add_requested.emit(url.toLocalFile())
        event.acceptProposedAction()


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" + ("" if number == 1 else "s")
