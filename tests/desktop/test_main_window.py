"""The desktop window, offscreen, on the real engine (embedder, index, model, adapters)
running in its own process, as in the app."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys

import pytest
from PySide6.QtCore import QSettings, Qt, QUrl

from desktop.bridge import EngineBridge
from desktop.main_window import MainWindow
from engine.answer.answering import Answer, AnswerText, SourcesFound
from engine.service.engine_service import EngineFacts
from tests.conftest import SAMPLE_DOCS
from tests.engine.answer.test_suggestions import SAMPLE_SUGGESTIONS

# every test here starts the real engine process (except the last, a subprocess)
pytestmark = pytest.mark.slow

LONG = 180_000  # ms: model loading and answering on a busy 2-core machine


def open_window(qtbot, root) -> MainWindow:
    bridge = EngineBridge(root / "home")
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
def window(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path)
    yield window
    window.bridge.shutdown()


def facts(qtbot, window) -> EngineFacts:
    """What the engine process runs now (after the work queued before)."""
    request: list[int] = []

    def mine(answered: int, _facts: EngineFacts) -> bool:
        return answered == request[0]

    with qtbot.waitSignal(
        window.bridge.engine_described, timeout=LONG, check_params_cb=mine
    ) as described:
        request.append(window.bridge.describe())
    return described.args[1]


def ask(qtbot, window, question: str) -> list:
    events: list = []
    window.bridge.answer_event.connect(lambda _r, e: events.append(e))
    with qtbot.waitSignal(window.bridge.answer_finished, timeout=LONG):
        window.chat.input.setPlainText(question)
        qtbot.keyClick(window.chat.input, Qt.Key.Key_Return)
    return events


def test_add_folder_index_ask_and_follow_a_citation(qtbot, window, tmp_path, monkeypatch):
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
    # the welcome offers questions drawn from the folder, refreshed once it is indexed
    qtbot.waitUntil(lambda: bool(window.chat.welcome.suggested_questions()), timeout=LONG)
    assert window.chat.welcome.suggested_questions() == [q for q, _ in SAMPLE_SUGGESTIONS]
    assert str(docs) in window.chat.welcome.folders.text()

    events = ask(qtbot, window, "How much does membership cost per month?")
    kinds = [type(e) for e in events]
    assert kinds[0] is SourcesFound and kinds[-1] is Answer
    assert kinds.count(AnswerText) > 1  # the answer streamed in pieces
    answer = events[-1]
    assert "35" in answer.text and answer.citations
    assert "35" in window.chat.transcript_text()
    cited = answer.citations[0].n
    shown = window.chat.views[-1]
    assert f"cite:{cited}" in shown.answer.toHtml()
    assert answer.citations[0].text[:40] in shown.tooltip_for(QUrl(f"cite:{cited}"))
    shown.answer.anchorClicked.emit(QUrl(f"cite:{cited}"))
    assert window.sources.current_number() == cited
    assert window.sources.hits[cited - 1].path == answer.citations[0].path
    assert window.sources.where.text().startswith(answer.citations[0].path)
    assert "background-color" in window.sources.preview.toHtml()  # the question's terms

    # File > Export: the engine's Markdown, the citation resolved to the file
    exported = tmp_path / "membership.md"
    monkeypatch.setattr(
        "desktop.conversation_export.QFileDialog.getSaveFileName",
        lambda *_args: (str(exported), ""),
    )
    with qtbot.waitSignal(window.bridge.conversation_exported, timeout=LONG):
        window.export_conversation()
    lines = exported.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# How much does membership cost per month?"
    assert f"- [{cited}] `{answer.citations[0].path}`" in lines


def test_voice_switch_bad_adapter_and_cancel(qtbot, window, tmp_path):
    qtbot.waitUntil(lambda: window.voice.findData("concise") >= 0, timeout=LONG)
    with qtbot.waitSignal(window.bridge.voice_applied, timeout=LONG):
        window.select_voice("concise", 1.0)
    assert [c.name for c in window.applied_voice] == ["concise"]
    assert facts(qtbot, window).voice == window.applied_voice  # the reader is not a voice
    assert facts(qtbot, window).reader.startswith("applied")

    bad = tmp_path / "notes.gguf"
    bad.write_text("not an adapter")
    with qtbot.waitSignal(window.bridge.failed, timeout=LONG) as refused:
        request = window.bridge.add_adapter(str(bad))
    failure = refused.args[0]
    expected = ("add_adapter", request, "AdapterError")
    assert (failure.command, failure.request, failure.kind) == expected
    assert window.errors.isVisible()
    assert (
        "not a GGUF file" in window.errors.label.text() and str(bad) in window.errors.label.text()
    )
    assert [c.name for c in window.applied_voice] == ["concise"]  # the voice stayed

    docs = tmp_path / "docs"
    shutil.copytree(SAMPLE_DOCS, docs)
    with qtbot.waitSignal(window.bridge.index_finished, timeout=LONG):
        window.folders.add_requested.emit(str(docs))
    events: list = []  # appended on the worker thread (signals to plain functions run there)
    window.bridge.answer_event.connect(lambda _r, e: events.append(e))
    window.chat.input.setPlainText("Tell me everything about the pottery kiln and its rules.")
    qtbot.keyClick(window.chat.input, Qt.Key.Key_Return)
    # stop while the prompt is evaluated: the reader's answers are short, and a decline
    # comes whole, so waiting for the first words could leave nothing to stop
    qtbot.waitUntil(lambda: window.chat.stop_button.isEnabled(), timeout=LONG)
    qtbot.mouseClick(window.chat.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.request is None, timeout=LONG)
    final = events[-1]
    assert isinstance(final, Answer) and final.cancelled
    assert "stopped" in window.chat.transcript_text()
    assert window.chat.send_button.isEnabled()


def test_the_conversation_is_kept_and_reopened(qtbot, tmp_path):
    first = open_window(qtbot, tmp_path)
    docs = tmp_path / "docs"
    shutil.copytree(SAMPLE_DOCS, docs)
    with qtbot.waitSignal(first.bridge.index_finished, timeout=LONG):
        first.folders.add_requested.emit(str(docs))
    question = "When is the workshop open on Saturdays?"
    ask(qtbot, first, question)
    qtbot.waitUntil(lambda: first.history.count() == 1, timeout=10_000)
    first.close()
    engine = first.bridge.engine_pid
    first.bridge.shutdown()
    with pytest.raises(ProcessLookupError):
        os.kill(engine, 0)  # the engine process has ended

    second = open_window(qtbot, tmp_path)
    try:
        qtbot.waitUntil(lambda: question in second.chat.transcript_text(), timeout=10_000)
        assert second.conversation_id is not None  # the engine's, reopened
        assert second.history.count() == 1
        assert second.settings.value("geometry") is not None  # the first window saved it

        second.history.setCurrentRow(0)
        second.delete_conversation()  # Conversation > Delete, or Delete in the list
        qtbot.waitUntil(lambda: second.history.count() == 0, timeout=LONG)
        assert question not in second.chat.transcript_text()  # a fresh one is open
        assert not list((tmp_path / "home").rglob("conversations/*.json"))
    finally:
        second.bridge.shutdown()


def test_settings_are_saved_for_the_next_start(qtbot, window, tmp_path):
    from desktop.dialogs import SettingsDialog

    qtbot.waitUntil(lambda: getattr(window, "engine_settings", None) is not None)
    dialog = SettingsDialog(window.engine_settings, window.data_dir, window)
    qtbot.addWidget(dialog)
    dialog.n_ctx.setValue(2048)
    dialog.ignore.setPlainText("*.tmp\ndrafts/")
    assert dialog.reader.isChecked()  # on by default
    dialog.reader.setChecked(False)
    assert dialog.ocr.isChecked()  # on by default
    dialog.ocr.setChecked(False)
    with qtbot.waitSignal(window.bridge.settings_loaded, timeout=LONG):
        window.bridge.save_settings(dialog.changes())
    saved = (tmp_path / "home" / "config" / "settings.toml").read_text()
    assert "n_ctx = 2048" in saved and '"drafts/"' in saved
    assert "reader = false" in saved and "ocr = false" in saved
    assert window.engine_settings.n_ctx == 2048


def test_training_a_voice_from_the_app_can_be_cancelled(qtbot, window, tmp_path):
    from desktop.dialogs import TrainingDialog

    samples = tmp_path / "writing"
    samples.mkdir()
    (samples / "notes.md").write_text(
        "\n\n".join(f"Entry {n}: the lighthouse lamp was cleaned and logged." for n in range(16))
    )
    dialog = TrainingDialog(window.bridge, window)
    qtbot.addWidget(dialog)
    dialog.samples.setText(str(samples))
    dialog.name.setText("lighthouse")

    seen: list = []  # appended on the worker thread
    window.bridge.training_progress.connect(seen.append)
    with qtbot.waitSignal(window.bridge.training_finished, timeout=LONG) as finished:
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(
            lambda: any(p.phase == "training" and p.step >= 1 for p in seen), timeout=LONG
        )
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert finished.args == [dialog.request, None]
    assert dialog.state.text() == "Cancelled: no voice was added."
    assert "lighthouse" not in facts(qtbot, window).adapters
    assert {"concise", "warm"} <= set(facts(qtbot, window).adapters)


def test_choosing_another_model_file(qtbot, window, tmp_path, model_path):
    before = facts(qtbot, window)
    bad = tmp_path / "notes.gguf"
    bad.write_text("not a model")
    with qtbot.waitSignal(window.bridge.failed, timeout=LONG) as refused:
        window.bridge.choose_model(str(bad))
    assert refused.args[0].command == "choose_model"
    assert "not a GGUF file" in window.errors.label.text()
    assert facts(qtbot, window) == before  # the model is unchanged
    assert before.model_loaded

    other = tmp_path / "copy-of-the-model.gguf"
    shutil.copyfile(model_path, other)

    def ready(state: str, _detail: str) -> bool:
        return state == "ready"

    with qtbot.waitSignal(window.bridge.model_state, timeout=LONG, check_params_cb=ready):
        window.bridge.choose_model(str(other))
    assert window.model_label.text() == "Model: copy-of-the-model.gguf"
    now = facts(qtbot, window)
    assert now.model_path == str(other) and now.model_loaded
    assert now.reader.startswith("not applied")  # built for the bundled model only
    saved = (tmp_path / "home" / "config" / "settings.toml").read_text()
    assert str(other) in saved
    events = ask(qtbot, window, "Is anything indexed yet?")
    assert isinstance(events[-1], Answer) and events[-1].model in (None, other.name)


def test_a_crashed_engine_is_reported_and_the_window_stays(qtbot, window):
    os.kill(window.bridge.engine_pid, signal.SIGKILL)
    qtbot.waitUntil(window.errors.isVisible, timeout=LONG)
    assert "stopped unexpectedly" in window.errors.label.text()
    assert window.isVisible() and window.chat.input.isEnabled()


def test_the_gui_process_does_not_import_the_heavy_engine_parts():
    code = (
        "import sys, desktop.app, desktop.bridge, desktop.main_window, desktop.dialogs;"
        "print([m for m in ('torch', 'transformers', 'sentence_transformers', 'llama_cpp',"
        " 'peft') if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]"
