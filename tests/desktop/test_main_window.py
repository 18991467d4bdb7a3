"""The desktop window, offscreen, on the real engine (embedder, index, model, adapters)."""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import QSettings, Qt, QUrl

from desktop.bridge import EngineBridge
from desktop.chat_panel import linked_markers
from desktop.main_window import MainWindow
from engine.answering import Answer, AnswerText, SourcesFound
from engine.assistant import Assistant
from tests.conftest import SAMPLE_DOCS

LONG = 180_000  # ms: model loading and answering on a busy 2-core machine


def open_window(qtbot, root, embedder, generator) -> MainWindow:
    bridge = EngineBridge(lambda: Assistant(root / "home", embedder=embedder, generator=generator))
    settings = QSettings(str(root / "desktop.ini"), QSettings.Format.IniFormat)
    window = MainWindow(bridge, settings)
    qtbot.addWidget(window)
    window.show()

    def ready(state: str, _detail: str) -> bool:
        return state == "ready"

    with qtbot.waitSignal(bridge.model_state, timeout=LONG, check_params_cb=ready):
        bridge.start(None)
    return window


@pytest.fixture()
def window(qtbot, tmp_path, embedder, generator):
    window = open_window(qtbot, tmp_path, embedder, generator)
    yield window
    window.bridge.shutdown()


def ask(qtbot, window, question: str) -> list:
    events: list = []
    window.bridge.answer_event.connect(lambda _r, e: events.append(e))
    with qtbot.waitSignal(window.bridge.answer_finished, timeout=LONG):
        window.chat.input.setPlainText(question)
        qtbot.keyClick(window.chat.input, Qt.Key.Key_Return)
    return events


def test_add_folder_index_ask_and_follow_a_citation(qtbot, window, tmp_path):
    docs = tmp_path / "docs"
    shutil.copytree(SAMPLE_DOCS, docs)
    progress = []
    window.bridge.index_progress.connect(progress.append)
    with qtbot.waitSignal(window.bridge.index_finished, timeout=LONG):
        window.folders.add_requested.emit(str(docs))
    qtbot.waitUntil(lambda: window.folders.folders.count() == 1, timeout=10_000)
    assert progress and progress[-1].files_done == progress[-1].files_total
    assert window.folders.state.text().startswith("Up to date")
    assert window.scope.count() == 2  # all folders, and this one

    events = ask(qtbot, window, "How much does membership cost per month?")
    kinds = [type(e) for e in events]
    assert kinds[0] is SourcesFound and kinds[-1] is Answer
    assert kinds.count(AnswerText) > 1  # the answer streamed in pieces
    answer = events[-1]
    assert "35" in answer.text and answer.citations
    assert "35" in window.chat.transcript.toPlainText()
    cited = answer.citations[0].n
    assert f"cite:{cited}" in window.chat.transcript.toHtml()
    window.chat.transcript.anchorClicked.emit(QUrl(f"cite:{cited}"))
    assert window.sources.current_number() == cited
    assert window.sources.hits[cited - 1].path == answer.citations[0].path
    assert window.sources.where.text().startswith(answer.citations[0].path)
    assert "background-color" in window.sources.preview.toHtml()  # the question's terms


def test_voice_switch_bad_adapter_and_cancel(qtbot, window, tmp_path):
    qtbot.waitUntil(lambda: window.voice.findData("concise") >= 0, timeout=LONG)
    with qtbot.waitSignal(window.bridge.voice_applied, timeout=LONG):
        window.select_voice("concise", 1.0)
    assert [c.name for c in window.applied_voice] == ["concise"]
    assert [a.name for a in window.bridge.assistant.generator.adapters] == ["concise"]

    bad = tmp_path / "notes.gguf"
    bad.write_text("not an adapter")
    with qtbot.waitSignal(window.bridge.failed, timeout=LONG):
        window.bridge.add_adapter(str(bad))
    assert window.errors.isVisible()
    assert (
        "not a GGUF file" in window.errors.label.text() and str(bad) in window.errors.label.text()
    )
    assert [c.name for c in window.applied_voice] == ["concise"]  # the voice stayed

    docs = tmp_path / "docs"
    shutil.copytree(SAMPLE_DOCS, docs)
    with qtbot.waitSignal(window.bridge.index_finished, timeout=LONG):
        window.folders.add_requested.emit(str(docs))
    stopped: list = []

    def stop_on_first_piece(_request, event):
        if isinstance(event, AnswerText) and not stopped:
            stopped.append(event)
            qtbot.mouseClick(window.chat.stop_button, Qt.MouseButton.LeftButton)

    window.bridge.answer_event.connect(stop_on_first_piece)
    events = ask(qtbot, window, "Tell me everything about the pottery kiln and its rules.")
    final = events[-1]
    assert isinstance(final, Answer) and final.cancelled
    assert "stopped" in window.chat.transcript.toPlainText()
    assert window.chat.send_button.isEnabled()


def test_citation_markers_become_links():
    assert linked_markers("Fee is 12 euros [2].") == "Fee is 12 euros [\\[2\\]](cite:2)."
    assert linked_markers("[1, 3]") == "[\\[1\\]](cite:1)[\\[3\\]](cite:3)"


def test_the_conversation_is_kept_and_reopened(qtbot, tmp_path, embedder, generator):
    first = open_window(qtbot, tmp_path, embedder, generator)
    docs = tmp_path / "docs"
    shutil.copytree(SAMPLE_DOCS, docs)
    with qtbot.waitSignal(first.bridge.index_finished, timeout=LONG):
        first.folders.add_requested.emit(str(docs))
    question = "When is the workshop open on Saturdays?"
    ask(qtbot, first, question)
    qtbot.waitUntil(lambda: first.history.count() == 1, timeout=10_000)
    first.close()
    first.bridge.shutdown()

    second = open_window(qtbot, tmp_path, embedder, generator)
    try:
        qtbot.waitUntil(lambda: question in second.chat.transcript.toPlainText(), timeout=10_000)
        assert second.conversation.turns[0].question == question
        assert second.history.count() == 1
        assert second.saveGeometry() is not None
    finally:
        second.bridge.shutdown()
