"""The window on a fake engine bridge: what the window itself must get right, whatever
the engine does (the real engine process is exercised in test_main_window)."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject, QSettings, Signal

from desktop.bridge import EngineBridge
from desktop.dialogs import TrainingDialog
from desktop.main_window import NO_ANSWER_NOTE, MainWindow
from desktop.sources_panel import CONTEXT_CHARS, PREVIEW_READ_CHARS, preview_html
from engine.errors import AdapterError, GenerationError
from engine.search.retrieval import SearchHit
from engine.service.engine_service import EngineFacts
from engine.service.protocol import EVENTS, Failure

_SIGNALS = {name: value for name, value in vars(EngineBridge).items() if isinstance(value, Signal)}


class FakeBridge(QObject):
    """EngineBridge's signals; every command is recorded instead of sent, and gets a
    request id as the real one's do."""

    locals().update(_SIGNALS)

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[tuple[str, tuple[Any, ...]]] = []
        self._requests = 0

    def _send(self, name: str, *args: Any) -> int:
        self._requests += 1
        self.sent.append((name, args))
        return self._requests

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args: self._send(name, *args)


@pytest.fixture()
def window(qtbot, tmp_path) -> MainWindow:
    settings = QSettings(str(tmp_path / "desktop.ini"), QSettings.Format.IniFormat)
    window = MainWindow(FakeBridge(), settings)  # type: ignore[arg-type]
    qtbot.addWidget(window)
    return window


def test_the_bridge_has_one_signal_per_event_of_the_protocol():
    assert set(_SIGNALS) == set(EVENTS)


def test_a_refused_voice_puts_the_voice_menu_back_whatever_the_wording(window):
    window.voice.addItem("warm", "warm")
    window.voice.setCurrentIndex(window.voice.findData("warm"))
    refused = AdapterError("some message in any words")
    window.bridge.failed.emit(Failure.of("apply_voice", 3, "switching", refused))
    assert window.voice.currentData() is None  # back to the voice the engine kept
    assert "some message in any words" in window.errors.label.text()


def test_a_training_dialog_reacts_only_to_its_own_request(window):
    window.train_voice()
    dialog = window._training_dialog
    dialog.samples.setText("/samples")
    dialog.name.setText("mine")
    dialog.start()
    assert dialog.running and dialog.request is not None
    other = Failure.of("add_adapter", dialog.request + 100, "adding", AdapterError("no"))
    window.bridge.failed.emit(other)
    assert dialog.running
    window.bridge.training_finished.emit(dialog.request + 100, None)
    assert dialog.running
    bad = AdapterError("bad samples")
    window.bridge.failed.emit(Failure.of("train_adapter", dialog.request, "training", bad))
    assert not dialog.running and dialog.state.text() == "bad samples"


def test_a_question_that_fails_does_not_stay_pending(window):
    window.ask("What does the lease say about pets?")
    request = window.request
    assert window.chat.turns[-1].pending
    damaged = GenerationError("the model file is damaged")
    window.bridge.failed.emit(Failure.of("ask", request, "answering", damaged))
    window.bridge.answer_finished.emit(request)  # no Answer came before it
    turn = window.chat.turns[-1]
    assert not turn.pending and turn.note == NO_ANSWER_NOTE
    assert "…" not in window.chat.transcript_text()
    assert window.chat.send_button.isEnabled()


def test_the_training_dialog_is_one_per_window(window):
    window.train_voice()
    window.train_voice()
    assert len(window.findChildren(TrainingDialog)) == 1


def _hit(path: Path, start: int, end: int, text: str) -> SearchHit:
    return SearchHit(str(path), None, "", text, 0.0, 0.5, start, end, None, None, (1,))


def test_the_preview_reads_no_more_of_a_file_than_it_shows(tmp_path, monkeypatch):
    passage = "The boiler is inspected every October."
    head = "Intro line.\n" * 100
    path = tmp_path / "big.txt"
    path.write_text(head + passage + "\n" + "filler text\n" * 800_000)  # about 9.6 MB
    asked: list[int] = []
    real_open = builtins.open

    class Spy:
        def __init__(self, file: Any) -> None:
            self.file = file

        def read(self, size: int = -1) -> str:
            asked.append(size)
            return self.file.read(size)

        def __enter__(self) -> Spy:
            return self

        def __exit__(self, *exc: object) -> None:
            self.file.close()

    monkeypatch.setattr(builtins, "open", lambda *a, **k: Spy(real_open(*a, **k)))
    monkeypatch.setattr(Path, "read_text", lambda *a, **k: pytest.fail("whole file read"))
    start = len(head)
    shown = preview_html(_hit(path, start, start + len(passage), passage), "boiler")
    assert "Intro line." in shown and "filler text" in shown  # context on both sides
    assert asked and all(0 < size <= start + len(passage) + CONTEXT_CHARS for size in asked)

    far = PREVIEW_READ_CHARS + 10
    asked.clear()
    alone = preview_html(_hit(path, far, far + len(passage), passage), "boiler")
    assert asked == [] and "boiler" in alone  # the passage alone, nothing read


def test_about_shows_only_for_its_own_describe_request(window, monkeypatch):
    shown: list[str] = []
    monkeypatch.setattr(
        "desktop.main_window.QMessageBox.about", lambda _parent, _title, text: shown.append(text)
    )
    facts = EngineFacts(1234, "/data", "/models/m.gguf", True, (), ("warm",), "applied")
    window.bridge.engine_described.emit(99, facts)  # asked by someone else
    assert shown == []
    window.show_about()
    window.bridge.engine_described.emit(window._about_request, facts)
    assert len(shown) == 1 and "/models/m.gguf" in shown[0]


def _answer(question: str, lookups: tuple[Any, ...]) -> Any:
    from engine.answer.answering import Answer, Timings

    timings = Timings(1.0, 10, 5.0, 4.0, 3, 10.0, 20.0)
    return Answer(question, "Leeds [2].", (), timings, uncited=False, lookups=lookups)


def test_an_answer_that_took_several_searches_says_what_was_looked_up(window):
    from engine.search.multistep import LookupStep

    question = "Where is the plumber who installed the heater based?"
    window.ask(question)
    request = window.request
    steps = (
        LookupStep(question, "the question", ("/d/heater.md",)),
        LookupStep("Marta Kowalski based", "follow", ("/d/marta.md",), "Marta Kowalski"),
    )
    window.bridge.answer_event.emit(request, _answer(question, steps))
    window.bridge.answer_finished.emit(request)
    assert window.chat.turns[-1].note == "Looked up: 'Marta Kowalski'."


def test_the_window_names_the_engines_conversation_and_only_that(window):
    window.ask("When is the kiln fired?")
    first = window.request
    assert window.bridge.sent[-1] == ("ask", ("When is the kiln fired?", None, None, False))
    window.bridge.turn_saved.emit(first, "c0ffee", object())
    window.bridge.answer_finished.emit(first)
    assert window.conversation_id == "c0ffee"
    window.ask("And on Sundays?")  # a follow-up names the conversation the engine kept
    assert window.bridge.sent[-1] == ("ask", ("And on Sundays?", "c0ffee", None, False))
    window.bridge.answer_finished.emit(window.request)
    window.regenerate()
    assert window.bridge.sent[-1] == ("ask", ("And on Sundays?", "c0ffee", None, True))
    window.bridge.answer_finished.emit(window.request)
    window.new_conversation()
    window.ask("Who looks after the boiler?")
    assert window.bridge.sent[-1][1][1] is None  # a new conversation: the engine starts one
