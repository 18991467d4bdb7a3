"""The chat in the window, on a fake engine bridge: a suggestion asks, answers get their
footer (also when reopened), File > Export writes the engine's Markdown, and View >
Appearance switches palettes and is kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt, QUrl
from PySide6.QtGui import QAction, QPalette
from PySide6.QtWidgets import QApplication

from desktop.appearance import dark_palette, light_palette
from desktop.main_window import MainWindow
from engine.adapters import AdapterChoice
from engine.answer.answering import Answer, Timings
from engine.answer.citations import Citation
from engine.answer.conversation import Conversation, Turn
from engine.answer.suggestions import SuggestedQuestion
from engine.assistant import FolderInfo, Status
from tests.desktop.test_window_fragile_spots import FakeBridge

LEASE = Citation(2, "/docs/lease.pdf", 4, 0, 90, None, "Pets need written consent.", "page 4")


@pytest.fixture()
def window(qtbot, tmp_path) -> MainWindow:
    settings = QSettings(str(tmp_path / "desktop.ini"), QSettings.Format.IniFormat)
    window = MainWindow(FakeBridge(), settings)  # type: ignore[arg-type]
    qtbot.addWidget(window)
    window.show()
    return window


def _status(*folders: FolderInfo) -> Status:
    return Status("/data", "e", folders, 3, 3, 0, 0, 9, ())


def test_the_welcome_shows_the_engines_folders_and_a_suggestion_click_asks_it(qtbot, window):
    window.bridge.status_changed.emit(_status(FolderInfo("/docs", 3, True)))
    assert window.chat.welcome.folders.text() == "/docs  ·  3 documents"
    question = "What does the lease say about pets?"
    window.bridge.questions_suggested.emit((SuggestedQuestion(question, "/docs/lease.pdf", "t"),))
    button = window.chat.welcome.suggestion_buttons[0]
    qtbot.waitUntil(button.isVisible)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert window.bridge.sent[-1] == ("ask", (question, None, None, False))
    assert window.chat.pages.currentWidget() is window.chat.transcript
    assert window.chat.turns[-1].question == question and window.chat.turns[-1].pending


def test_an_answer_gets_its_footer_from_the_engines_answer(window):
    window.ask("What does the lease say about pets?")
    timings = Timings(10.0, 100, 500.0, 400.0, 30, 12.0, 3150.0)
    answer = Answer(
        "What does the lease say about pets?",
        "Pets need written consent [2].",
        (),
        timings,
        citations=(LEASE,),
        uncited=False,
        citations_attributed=True,
        voice=(AdapterChoice("warm", 0.5),),
    )
    window.bridge.answer_event.emit(window.request, answer)
    window.bridge.answer_finished.emit(window.request)
    turn = window.chat.turns[-1]
    assert turn.note == ""  # "matched by Docent" is the footer's to say
    assert window.chat.views[-1].plain_text().splitlines()[-4:] == [
        "Sources: [2] lease.pdf, page 4",
        "3.1 s",
        "voice: warm ×0.5",
        "sources matched by Docent",
    ]


def test_a_reopened_conversation_shows_footers_and_marker_passages(window):
    conversation = Conversation(id="c0ffee")
    conversation.turns.append(
        Turn("Pets?", "With consent [2].", (LEASE,), (AdapterChoice("warm", 1.0),), 2.0)
    )
    window.bridge.conversation_opened.emit(conversation)
    view = window.chat.views[0]
    assert view.plain_text().splitlines()[-3:] == [
        "Sources: [2] lease.pdf, page 4",
        "2.0 s",
        "voice: warm ×1",
    ]
    assert "Pets need written consent." in view.tooltip_for(QUrl("cite:2"))


def test_export_writes_the_engines_markdown_where_the_person_chose(window, tmp_path, monkeypatch):
    chosen = tmp_path / "out" / "pets"
    chosen.parent.mkdir()
    offered: list[str] = []

    def save_dialog(_parent, _title, suggested, _filter):
        offered.append(suggested)
        return str(chosen), "Markdown (*.md)"

    monkeypatch.setattr("desktop.conversation_export.QFileDialog.getSaveFileName", save_dialog)
    window.export_conversation()  # nothing asked yet: nothing to export
    assert offered == [] and "Nothing to export" in window.statusBar().currentMessage()

    window.ask("What does the lease say about pets?")
    request = window.request
    window.bridge.turn_saved.emit(request, "c0ffee", object())
    window.bridge.answer_finished.emit(request)
    export = next(a for a in window.findChildren(QAction) if a.text() == "&Export conversation…")
    assert export.shortcut().toString() == "Ctrl+E"
    export.trigger()
    assert Path(offered[0]).name == "What does the lease say about pets.md"
    assert window.bridge.sent[-1] == ("export_conversation", ("c0ffee",))
    markdown = "# What does the lease say about pets?\n\n- [2] `/docs/lease.pdf`, page 4\n"
    window.bridge.conversation_exported.emit(99, "c0ffee", "someone else's")
    window.bridge.conversation_exported.emit(window.bridge._requests, "c0ffee", markdown)
    written = chosen.with_suffix(".md")
    assert written.read_text(encoding="utf-8").splitlines() == [
        "# What does the lease say about pets?",
        "",
        "- [2] `/docs/lease.pdf`, page 4",
    ]
    assert str(written) in window.statusBar().currentMessage()


def test_an_export_that_cannot_be_written_is_shown_in_the_error_bar(window, tmp_path, monkeypatch):
    target = tmp_path / "missing-folder" / "talk.md"
    monkeypatch.setattr(
        "desktop.conversation_export.QFileDialog.getSaveFileName",
        lambda *_args: (str(target), ""),
    )
    window.conversation_id = "c0ffee"
    window.export_conversation()
    window.bridge.conversation_exported.emit(window.bridge._requests, "c0ffee", "# x\n")
    assert window.errors.isVisible()
    assert "exporting the conversation" in window.errors.label.text()
    assert str(target) in window.errors.label.text()


def test_appearance_switches_palettes_and_is_kept(window, qtbot, tmp_path):
    app = QApplication.instance()
    system = QPalette(app.palette())
    try:
        names = [a.data() for a in window.appearance.actions.actions()]
        assert names == ["system", "light", "dark"] and window.appearance.chosen == "system"
        window.appearance.actions.actions()[2].trigger()
        assert app.palette().color(QPalette.ColorRole.Window) == dark_palette().color(
            QPalette.ColorRole.Window
        )
        assert window.settings.value("appearance") == "dark"
        settings = QSettings(str(tmp_path / "desktop.ini"), QSettings.Format.IniFormat)
        again = MainWindow(FakeBridge(), settings)  # type: ignore[arg-type]
        qtbot.addWidget(again)
        assert again.appearance.chosen == "dark"  # applied at the next start
        window.appearance.choose("light")
        base = app.palette().color(QPalette.ColorRole.Base)
        assert base == light_palette().color(QPalette.ColorRole.Base)
        for palette in (light_palette(), dark_palette()):  # selected text stays readable
            highlight = palette.color(QPalette.ColorRole.Highlight)
            text = palette.color(QPalette.ColorRole.HighlightedText)
            assert abs(highlight.lightness() - text.lightness()) > 100
    finally:
        window.appearance.choose("system")
    assert app.palette().color(QPalette.ColorRole.Window) == system.color(QPalette.ColorRole.Window)
