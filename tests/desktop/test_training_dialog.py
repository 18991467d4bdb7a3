"""The training dialog in an installation without the training stack (the lean package):
it says how to get training and offers nothing to start."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal

from desktop.dialogs import TrainingDialog

LEAN = "Training a voice needs the full Docent package: this is the lean one, without PyTorch."


class QuietBridge(QObject):
    """The bridge's training signals, and a record of what was asked of it."""

    training_progress = Signal(object)
    training_finished = Signal(int, object)
    failed = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[tuple[str, str]] = []

    def train_adapter(self, samples: str, name: str) -> int:
        self.asked.append((samples, name))
        return len(self.asked)


def test_without_the_training_stack_the_dialog_says_how_to_get_it(qtbot, tmp_path):
    bridge = QuietBridge()
    dialog = TrainingDialog(bridge, None, LEAN)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    assert dialog.state.text() == LEAN
    assert not dialog.start_button.isEnabled() and not dialog.samples.isEnabled()
    dialog.samples.setText(str(tmp_path))
    dialog.name.setText("mine")
    dialog.start()
    assert bridge.asked == [] and not dialog.running
    assert dialog.cancel_button.text() == "Close"
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()


def test_with_the_training_stack_the_dialog_starts_training(qtbot, tmp_path):
    bridge = QuietBridge()
    dialog = TrainingDialog(bridge, None)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    assert dialog.start_button.isEnabled()
    dialog.samples.setText(str(tmp_path))
    dialog.name.setText("mine")
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert bridge.asked == [(str(tmp_path), "mine")] and dialog.running
