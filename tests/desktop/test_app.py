from __future__ import annotations

from desktop.app import summary_text


def test_placeholder_window_shows_engine_status(qtbot, home, tmp_path):
    from PySide6.QtWidgets import QLabel

    folder = tmp_path / "docs"
    folder.mkdir()
    from engine.assistant import Assistant

    with Assistant(home=home) as assistant:
        assistant.add_folder(folder)
    text = summary_text(str(home))
    assert str(home) in text and "<b>Folders:</b> 1" in text
    label = QLabel(text)
    qtbot.addWidget(label)
    assert "Docent" in label.text()
