"""Dialogs: settings (model, context, threads, ignore patterns, data location) and training
a new voice from a folder of writing (progress, cancel). Both talk to the engine only
through the bridge."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from desktop.bridge import EngineBridge
from engine.service.protocol import Failure


class SettingsDialog(QDialog):
    """The settings a person changes; saved to settings.toml, used from the next start."""

    def __init__(self, settings: Any, data_dir: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Docent settings")
        self.model = QLineEdit(settings.model)
        self.model.setAccessibleName("Model file")
        model_row = _with_browse(self.model, self._choose_model)
        self.n_ctx = QSpinBox()
        self.n_ctx.setRange(512, 131072)
        self.n_ctx.setSingleStep(512)
        self.n_ctx.setValue(settings.n_ctx)
        self.n_ctx.setAccessibleName("Context size")
        self.threads = QSpinBox()
        self.threads.setRange(0, 256)
        self.threads.setSpecialValueText("automatic (one per core)")
        self.threads.setValue(settings.threads)
        self.threads.setAccessibleName("Threads")
        self.reader = QCheckBox("Use the built-in reader with the bundled model")
        self.reader.setChecked(settings.reader)
        self.reader.setAccessibleName("Reader adapter")
        self.reader.setToolTip(
            "The reader teaches the bundled model to answer briefly from your documents, "
            "cite them, and say when they do not hold the answer. It is never applied to "
            "a model of your own."
        )
        self.ocr = QCheckBox("Read scanned pages and images (OCR)")
        self.ocr.setChecked(settings.ocr)
        self.ocr.setAccessibleName("OCR")
        self.ocr.setToolTip(
            "PDF pages without a text layer and image files (PNG, JPEG, TIFF) are read by "
            "text recognition on this computer: a few seconds per page."
        )
        self.ignore = QPlainTextEdit("\n".join(settings.ignore_patterns))
        self.ignore.setAccessibleName("Ignore patterns")
        self.ignore.setPlaceholderText("one glob per line, e.g. *.tmp or drafts/")
        data = QLabel(data_dir)
        data.setAccessibleName("Data location")
        form = QFormLayout()
        form.addRow("Model (GGUF file)", model_row)
        form.addRow("Context size (tokens)", self.n_ctx)
        form.addRow("Threads", self.threads)
        form.addRow("Reader", self.reader)
        form.addRow("Scanned pages", self.ocr)
        form.addRow("Ignore patterns", self.ignore)
        form.addRow("Data location", data)
        note = QLabel("Changes apply the next time Docent starts.")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(buttons)

    def _choose_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a GGUF model", "", "GGUF (*.gguf)")
        if path:
            self.model.setText(path)

    def changes(self) -> dict[str, Any]:
        patterns = tuple(p.strip() for p in self.ignore.toPlainText().splitlines() if p.strip())
        return {
            "model": self.model.text().strip(),
            "n_ctx": self.n_ctx.value(),
            "threads": self.threads.value(),
            "reader": self.reader.isChecked(),
            "ocr": self.ocr.isChecked(),
            "ignore_patterns": patterns,
        }


class TrainingDialog(QDialog):
    """Train a voice: a samples folder, a name, then progress until done or cancelled.

    `unavailable`: why training cannot run in this installation and how to get it (the
    lean package has no training stack: engine.training.training_unavailable); the
    dialog then says so and offers nothing to start."""

    def __init__(
        self, bridge: EngineBridge, parent: QWidget | None = None, unavailable: str | None = None
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.setWindowTitle("Train a new voice")
        self.samples = QLineEdit()
        self.samples.setAccessibleName("Samples folder")
        self.samples.setPlaceholderText("a folder of your writing (.txt, .md) or pairs (.jsonl)")
        row = _with_browse(self.samples, self._choose)
        self.name = QLineEdit()
        self.name.setAccessibleName("Voice name")
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Training progress")
        self.state = QLabel("Training runs on this computer; it takes minutes.")
        self.state.setWordWrap(True)
        self.start_button = QPushButton("Train")
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        form = QFormLayout()
        form.addRow("Samples", row)
        form.addRow("Name", self.name)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.start_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.state)
        layout.addLayout(buttons)
        self.running = False
        self.request: int | None = None  # the training request this dialog started
        bridge.training_progress.connect(self._progress)
        bridge.training_finished.connect(self._finished)
        bridge.failed.connect(self._failed)
        if unavailable is not None:
            self.state.setText(unavailable)
            for widget in (self.samples, self.name, self.start_button, self.progress):
                widget.setEnabled(False)
            self.cancel_button.setText("Close")

    def _choose(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose a folder of samples")
        if path:
            self.samples.setText(path)

    def start(self) -> None:
        if not self.start_button.isEnabled():  # this installation cannot train
            return
        if self.running or not self.samples.text().strip() or not self.name.text().strip():
            return
        self.running = True
        self.start_button.setEnabled(False)
        self.state.setText("Starting…")
        self.request = self.bridge.train_adapter(
            self.samples.text().strip(), self.name.text().strip()
        )

    def cancel(self) -> None:
        if self.running:
            self.bridge.cancel_training()
            self.state.setText("Cancelling…")
        else:
            self.reject()

    def _progress(self, progress: Any) -> None:
        if progress.phase == "training" and progress.total_steps:
            self.progress.setMaximum(progress.total_steps)
            self.progress.setValue(progress.step)
            text = f"Step {progress.step} of {progress.total_steps}"
            if progress.validation_loss is not None:
                text += f" · held-out loss {progress.validation_loss:.3f}"
            if progress.remaining_s is not None:
                text += f" · about {int(progress.remaining_s // 60) + 1} min left"
            self.state.setText(text)
        else:
            self.state.setText(progress.phase.capitalize() + "…")

    def _finished(self, request: int, result: Any) -> None:
        if request != self.request:
            return
        self.running = False
        self.start_button.setEnabled(True)
        if result is None:
            self.state.setText("Cancelled: no voice was added.")
            return
        validation = result.report["validation"]
        self.state.setText(
            f"Added “{result.name}”: held-out perplexity {validation['perplexity_without']} → "
            f"{validation['perplexity_with']}. Choose it in the Voice menu."
        )
        self.cancel_button.setText("Close")

    def _failed(self, failure: Failure) -> None:
        if self.running and failure.request == self.request:
            self.running = False
            self.start_button.setEnabled(True)
            self.state.setText(failure.message)


def _with_browse(field: QLineEdit, choose: Any) -> QHBoxLayout:
    """A path field with a Choose… button beside it."""
    browse = QPushButton("Choose…")
    browse.clicked.connect(choose)
    row = QHBoxLayout()
    row.addWidget(field, 1)
    row.addWidget(browse)
    return row
