"""EngineService: commands run on its worker threads, and every result, error and ending
comes back as an event (the engine is a real Assistant with a fake embedder, or a stub
where the subject is the order of events)."""

from __future__ import annotations

import queue
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from engine.answer.answering import Answer, AnswerText, Timings
from engine.answer.conversation import Conversation, ConversationStore, Turn
from engine.answer.export import conversation_markdown
from engine.answer.suggestions import SuggestedQuestion
from engine.assistant import Assistant
from engine.errors import ModelNotFoundError, UserInputError
from engine.service.engine_service import EngineService
from engine.service.protocol import Failure
from tests.fakes import FakeEmbedder

WAIT_S = 60


class Events:
    """The service's emit: a queue to wait on."""

    def __init__(self) -> None:
        self.queue: queue.Queue[tuple[str, tuple[Any, ...]]] = queue.Queue()
        self.seen: list[tuple[str, tuple[Any, ...]]] = []

    def __call__(self, event: str, args: tuple[Any, ...]) -> None:
        self.queue.put((event, args))

    def until(self, wanted: str) -> tuple[Any, ...]:
        """The arguments of the next `wanted` event not returned before (waits for it)."""
        while True:
            for at in range(len(self.seen)):
                if self.seen[at][0] == wanted:
                    self.seen[at] = (f"{wanted} (read)", self.seen[at][1])
                    return self.seen[at][1]
            event, args = self.queue.get(timeout=WAIT_S)
            self.seen.append((event, args))

    def names(self) -> list[str]:
        return [event.removesuffix(" (read)") for event, _ in self.seen]


class NoModelAssistant(Assistant):
    """The real engine without a language model: loading it fails at once."""

    def preload(self, cancel: Any = None) -> None:
        raise ModelNotFoundError("no model in this test")


@pytest.fixture()
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "boiler.txt").write_text("The boiler is inspected every October.\n")
    (folder / "lease.txt").write_text("The lease ends on 31 March 2027.\n")
    return folder


def test_start_adds_the_sample_folder_indexes_it_and_reports_the_model(tmp_path, docs):
    events = Events()
    service = EngineService(
        lambda: NoModelAssistant(tmp_path / "home", embedder=FakeEmbedder()), events
    )
    try:
        service.dispatch("start", 1, (str(docs),))
        report = events.until("index_finished")[0]
        assert report.added == 2 and not report.failures
        while events.until("status_changed")[0].indexed != 2:  # the last one says it
            pass
        assert events.until("model_state") == ("loading", "")
        assert events.until("model_state") == ("failed", "no model in this test")
        (failure,) = events.until("failed")
        assert failure == Failure(
            "start", 1, "loading the model", "ModelNotFoundError", "no model in this test"
        )
        names = events.names()
        assert names.index("settings_loaded") < names.index("index_finished")
        service.dispatch("add_folder", 2, (str(tmp_path / "nowhere"),))
        (failure,) = events.until("failed")
        assert (failure.command, failure.request, failure.kind) == (
            "add_folder",
            2,
            "UserInputError",
        )
        assert "nowhere" in failure.message
    finally:
        service.shutdown()


def test_an_unknown_command_is_refused():
    service = EngineService(lambda: None, Events())
    try:
        with pytest.raises(ValueError, match="format_the_disk"):
            service.dispatch("format_the_disk", 1, ())
    finally:
        service.shutdown()


def test_data_that_cannot_open_is_reported_for_every_later_command(tmp_path):
    def refuse() -> Any:
        raise UserInputError(f"{tmp_path}/settings.toml: n_ctx must be a number")

    events = Events()
    service = EngineService(refuse, events)
    try:
        service.dispatch("start", 1, ())
        (failure,) = events.until("failed")
        assert (failure.what, failure.kind, failure.message) == (
            "opening your Docent data",
            "UserInputError",
            f"{tmp_path}/settings.toml: n_ctx must be a number",
        )
        service.dispatch("index", 2, ())
        while True:  # the start's own jobs fail first, then the index command
            (failure,) = events.until("failed")
            if failure.request == 2:
                assert failure.command == "index" and "n_ctx" in failure.message
                break
    finally:
        service.shutdown()


class ScriptedAssistant:
    """Just enough engine for asking: `ask_in` plays `script`, conversations are real."""

    def __init__(self, root: Path, script: list[Any] | Exception) -> None:
        self.script = script
        self.conversations = ConversationStore(root / "conversations")
        self.settings = SimpleNamespace()
        self.paths = SimpleNamespace(data_dir=root)
        self.voices = SimpleNamespace(entries=lambda: [])
        self.asked: list[list[str]] = []  # the turns each question was asked after

    def status(self) -> str:
        return "status"

    def folders(self) -> list[str]:
        return ["a folder"]  # not a first run: no sample folder

    def start_watching(self, **_kwargs: Any) -> None:
        pass

    def index(self, **_kwargs: Any) -> str:
        return "report"

    def preload(self) -> None:
        pass

    def suggest_questions(self) -> list[Any]:
        return []

    def export_conversation(self, conversation_id: str) -> str:
        return conversation_markdown(self.conversations.load(conversation_id))

    @property
    def generator(self) -> Any:
        return SimpleNamespace(model_id="scripted")

    def close(self) -> None:
        pass

    def ask_in(self, conversation: Conversation, question: str, cancel: Any) -> Iterator[Any]:
        if isinstance(self.script, Exception):
            raise self.script
        self.asked.append([turn.question for turn in conversation.turns])
        for event in self.script:
            if isinstance(event, Answer):
                conversation.turns.append(Turn(question, event.text))
            yield event


def _answer(text: str) -> Answer:
    timings = Timings(1.0, 10, 5.0, 4.0, 3, 30.0, 9.0)
    return Answer(question="q", text=text, sources=(), timings=timings)


@pytest.mark.parametrize(
    "script", [[AnswerText("In "), AnswerText("October.")], ModelNotFoundError("model gone")]
)
def test_an_answer_ends_with_answer_finished_whatever_happens(tmp_path, script):
    if isinstance(script, list):
        script = [*script, _answer("In October.")]
    events = Events()
    service = EngineService(lambda: ScriptedAssistant(tmp_path, script), events)
    try:
        service.dispatch("start", 1, ())
        events.until("model_state")
        service.dispatch("ask", 7, (None, "When is the boiler inspected?"))
        assert events.until("answer_finished") == (7,)
        asked = [args for event, args in events.seen if event.startswith("answer_event")]
        if isinstance(script, Exception):
            assert asked == []
            (failure,) = events.until("failed")
            assert failure == Failure("ask", 7, "answering", "ModelNotFoundError", "model gone")
        else:
            assert [args[1] for args in asked] == script
            names = events.names()
            assert names.index("turn_saved") < names.index("answer_finished")
    finally:
        service.shutdown()


def test_the_engine_owns_the_conversation_and_sends_back_only_the_new_turn(tmp_path):
    script = [AnswerText("In October."), _answer("In October.")]
    assistant = ScriptedAssistant(tmp_path, script)
    events = Events()
    service = EngineService(lambda: assistant, events)
    try:
        service.dispatch("start", 1, ())
        service.dispatch("ask", 2, (None, "When is the boiler inspected?", "/docs"))
        request, conversation_id, turn = events.until("turn_saved")
        assert (request, turn) == (2, Turn("When is the boiler inspected?", "In October."))
        service.dispatch("ask", 3, (conversation_id, "And the lease?", "/docs"))
        assert events.until("turn_saved")[:2] == (3, conversation_id)
        service.dispatch("ask", 4, (conversation_id, "And the lease?", "/docs", True))
        assert events.until("turn_saved")[:2] == (4, conversation_id)
        events.until("answer_finished")
        first = "When is the boiler inspected?"
        # the follow-up saw the first turn; regenerating answered it again in place
        assert assistant.asked == [[], [first], [first]]
        saved = assistant.conversations.load(conversation_id)
        assert [t.question for t in saved.turns] == [first, "And the lease?"]
        assert saved.scope == "/docs"
        service.dispatch("ask", 5, (None, "Something new?"))
        assert events.until("turn_saved")[1] != conversation_id  # None starts a new one
    finally:
        service.shutdown()

    # a later engine answers in a saved conversation named by its id, turns and all
    assistant = ScriptedAssistant(tmp_path, script)
    events = Events()
    service = EngineService(lambda: assistant, events)
    try:
        service.dispatch("start", 1, ())
        service.dispatch("ask", 2, (conversation_id, "Who signed it?"))
        assert events.until("turn_saved")[:2] == (2, conversation_id)
        assert assistant.asked == [[first, "And the lease?"]]
    finally:
        service.shutdown()


def test_questions_are_suggested_from_the_documents_once_they_are_indexed(tmp_path, docs):
    events = Events()
    service = EngineService(
        lambda: NoModelAssistant(tmp_path / "home", embedder=FakeEmbedder()), events
    )
    try:
        service.dispatch("start", 1, (str(docs),))
        (suggested,) = events.until("questions_suggested")
        assert suggested == (
            SuggestedQuestion("What is the boiler?", str(docs / "boiler.txt"), "the boiler"),
            SuggestedQuestion("What is the lease?", str(docs / "lease.txt"), "the lease"),
        )
        names = events.names()
        assert names.index("index_finished") < names.index("questions_suggested")
        service.dispatch("remove_folder", 2, (str(docs),))
        assert events.until("questions_suggested") == ((),)  # nothing indexed: none
    finally:
        service.shutdown()


def test_a_saved_conversation_is_exported_as_markdown(tmp_path):
    script = [_answer("In October.")]
    events = Events()
    service = EngineService(lambda: ScriptedAssistant(tmp_path, script), events)
    try:
        service.dispatch("start", 1, ())
        service.dispatch("ask", 2, (None, "When is the boiler inspected?"))
        _request, conversation_id, _turn = events.until("turn_saved")
        service.dispatch("export_conversation", 3, (conversation_id,))
        request, exported_id, markdown = events.until("conversation_exported")
        assert (request, exported_id) == (3, conversation_id)
        assert markdown.splitlines()[0] == "# When is the boiler inspected?"
        assert "In October." in markdown.splitlines()
        service.dispatch("export_conversation", 4, ("no-such-conversation",))
        (failure,) = events.until("failed")
        assert (failure.command, failure.request, failure.kind) == (
            "export_conversation",
            4,
            "UserInputError",
        )
    finally:
        service.shutdown()
