"""The engine as a service: commands in, events out, for a front end in another process.

`EngineService` owns one `Assistant` and two worker threads, each taking jobs in order:
- the *model* worker: loading, answering, switching voices, training, adapters (one at a
  time: they share one llama.cpp context);
- the *index* worker: opening, adding and removing folders, indexing, settings and
  conversations.
Commands arrive through `dispatch(command, request, args)`; every result is reported
through `emit(event, args)` (both declared in engine.service.protocol). Errors become
`failed(Failure)`, naming the command and request they answer. Cancelling is immediate:
the cancel commands only set a token. `engine.service.host` runs it in a child process,
so the GUI process never imports torch, transformers or llama.cpp.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.adapters import AdapterChoice
from engine.answer.answering import Answer
from engine.answer.conversation import Conversation
from engine.errors import DocentError
from engine.jobs import CancelToken
from engine.service.protocol import COMMANDS, NO_REQUEST, Failure
from engine.settings import save_settings

log = logging.getLogger(__name__)

Job = Callable[[], None]
Emit = Callable[[str, tuple[Any, ...]], None]
Origin = tuple[str, int]  # the command and request id a job answers


@dataclass(frozen=True, slots=True)
class EngineFacts:
    """What the engine is running right now (for About, diagnostics and tests)."""

    pid: int
    data_dir: str
    model_path: str
    model_loaded: bool
    voice: tuple[AdapterChoice, ...]
    adapters: tuple[str, ...]  # names in the library
    reader: str = ""  # the built-in reader adapter: applied, or why not


class _Worker:
    """A thread running queued jobs one after another."""

    def __init__(self, name: str, on_error: Callable[[Origin, str, BaseException], None]) -> None:
        self._jobs: queue.Queue[tuple[Origin, str, Job] | None] = queue.Queue()
        self._on_error = on_error
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, origin: Origin, what: str, job: Job) -> None:
        self._jobs.put((origin, what, job))

    def stop(self, timeout: float = 30.0) -> None:
        self._jobs.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            item = self._jobs.get()
            if item is None:
                return
            origin, what, job = item
            try:
                job()
            except DocentError as exc:
                self._on_error(origin, what, exc)
            except Exception as exc:  # a bug: logged with its traceback, shown, work goes on
                log.exception("%s failed", what)
                self._on_error(origin, what, exc)


class EngineService:
    """Engine commands run off the caller's thread; every result comes back by `emit`."""

    def __init__(self, open_assistant: Callable[[], Any], emit: Emit) -> None:
        self._open_assistant = open_assistant
        self._emit = emit
        self._assistant: Any = None
        self._open_error: BaseException | None = None
        self._ready = threading.Event()
        self._answer_cancel: CancelToken | None = None
        self._index_cancel: CancelToken | None = None
        self._training_cancel: CancelToken | None = None
        self._origin: Origin = ("engine", NO_REQUEST)  # the command being dispatched
        self._conversation: Conversation | None = None  # answered in last (model worker)
        self._model = _Worker("docent-model", self._report_error)
        self._index = _Worker("docent-index", self._report_error)

    def dispatch(self, command: str, request: int, args: tuple[Any, ...]) -> None:
        """Run `command` (from protocol.COMMANDS) for request `request`: what it reports,
        failures included, names that request."""
        if command not in COMMANDS:
            raise ValueError(f"unknown command {command!r}")
        self._origin = (command, request)
        try:
            getattr(self, command)(*args)
        finally:
            self._origin = ("engine", NO_REQUEST)

    def _model_job(self, what: str, job: Job) -> None:
        self._model.submit(self._origin, what, job)

    def _index_job(self, what: str, job: Job) -> None:
        self._index.submit(self._origin, what, job)

    # -- lifecycle -----------------------------------------------------------------------

    @property
    def assistant(self) -> Any:
        """The engine facade (waits until it is open; call from worker jobs only)."""
        self._ready.wait()
        if self._open_error is not None:
            raise self._open_error  # every later job reports why the data could not open
        return self._assistant

    def start(self, add_sample_folder: str | None = None) -> None:
        """Open the data, add the sample folder on a first run, index, watch, load the model."""
        self._index_job("opening your Docent data", self._open)
        self._index_job("indexing your folders", lambda: self._start(add_sample_folder))
        self._model_job("loading the model", self._preload)

    def _open(self) -> None:
        try:
            self._assistant = self._open_assistant()
        except BaseException as exc:
            self._open_error = exc
            raise
        finally:
            self._ready.set()
        assistant = self._assistant
        self._emit("status_changed", (assistant.status(),))
        self._emit("conversations_listed", (assistant.conversations.list(),))
        self._emit("settings_loaded", (assistant.settings, str(assistant.paths.data_dir)))

    def _start(self, sample: str | None) -> None:
        assistant = self.assistant
        if sample is not None and not assistant.folders() and Path(sample).is_dir():
            assistant.add_folder(sample)
        assistant.start_watching(on_indexed=self._watched, on_error=self._watch_error)
        self._index_folders(assistant)

    def _preload(self) -> None:
        self._emit("model_state", ("loading", ""))
        try:
            self.assistant.preload()
        except DocentError as exc:
            self._emit("model_state", ("failed", str(exc)))
            raise
        self._emit("model_state", ("ready", self.assistant.generator.model_id))
        self._emit("adapters_listed", (self.assistant.voices.entries(),))

    def shutdown(self) -> None:
        """Cancel what runs, stop the workers, save and close the engine."""
        for token in (self._answer_cancel, self._index_cancel, self._training_cancel):
            if token is not None:
                token.cancel()
        self._model.stop()
        self._index.stop()
        if self._assistant is not None:
            self._assistant.close()

    def describe(self) -> None:
        """Report `engine_described(request, EngineFacts)` once the work queued before it
        is done."""
        request = self._origin[1]

        def job() -> None:
            assistant = self.assistant
            generator = assistant.generator
            reader = assistant.reader
            self._emit(
                "engine_described",
                (
                    request,
                    EngineFacts(
                        pid=os.getpid(),
                        data_dir=str(assistant.paths.data_dir),
                        model_path=str(generator.path),
                        model_loaded=generator.loaded,
                        voice=assistant.voices.current,
                        adapters=tuple(assistant.voices.names()),
                        reader=("applied" if reader.applied else "not applied")
                        + f" ({reader.reason})",
                    ),
                ),
            )

        self._model_job("describing the engine", job)

    # -- folders and indexing ------------------------------------------------------------

    def add_folder(self, path: str) -> None:
        def job() -> None:
            self.assistant.add_folder(path)
            self._emit("status_changed", (self.assistant.status(),))
            self._index_folders(self.assistant)

        self._index_job(f"adding {path}", job)

    def remove_folder(self, path: str) -> None:
        def job() -> None:
            self.assistant.remove_folder(path)
            self._emit("status_changed", (self.assistant.status(),))
            self._refresh_suggestions()

        self._index_job(f"removing {path}", job)

    def index(self) -> None:
        self._index_job("indexing your folders", lambda: self._index_folders(self.assistant))

    def cancel_indexing(self) -> None:
        if self._index_cancel is not None:
            self._index_cancel.cancel()

    def _index_folders(self, assistant: Any) -> None:
        cancel = CancelToken()
        self._index_cancel = cancel
        report = assistant.index(
            progress=lambda p: self._emit("index_progress", (p,)), cancel=cancel
        )
        self._emit("index_finished", (report,))
        self._emit("status_changed", (assistant.status(),))
        self._refresh_suggestions()

    def _watched(self, report: Any) -> None:
        if report.changed or report.failures:
            self._emit("index_finished", (report,))
            self._emit("status_changed", (self.assistant.status(),))
        if report.changed:
            self._refresh_suggestions()

    def suggest_questions(self) -> None:
        """Report `questions_suggested`: questions the indexed documents answer."""
        self._index_job("suggesting questions", self._suggest)

    def _refresh_suggestions(self) -> None:
        """Suggest questions again once the queued index work is done (the index changed)."""
        self._index.submit(("engine", NO_REQUEST), "suggesting questions", self._suggest)

    def _suggest(self) -> None:
        self._emit("questions_suggested", (tuple(self.assistant.suggest_questions()),))

    def _watch_error(self, exc: BaseException) -> None:
        self._report_error(("watch", NO_REQUEST), "watching your folders", exc)

    def save_settings(self, changes: dict[str, Any]) -> None:
        """Write changed settings to settings.toml (used from the next start)."""

        def job() -> None:
            assistant = self.assistant
            updated = dataclasses.replace(assistant.settings, **changes)
            save_settings(assistant.paths, updated)
            self._emit("settings_loaded", (updated, str(assistant.paths.data_dir)))

        self._index_job("saving the settings", job)

    # -- answers -------------------------------------------------------------------------

    def ask(
        self,
        conversation_id: str | None,
        question: str,
        scope: str | None = None,
        regenerate: bool = False,
    ) -> None:
        """Answer `question` in the conversation `conversation_id` (None: a new one), kept
        to `scope`, in the voice applied now. The engine owns the conversation: it keeps
        the new turn and sends only that back (`turn_saved`). With `regenerate`, the last
        turn, when it asked the same question, is answered again in place.
        Every event names the request."""
        request = self._origin[1]
        cancel = CancelToken()
        self._answer_cancel = cancel

        def job() -> None:
            try:
                conversation = self._conversation_for(conversation_id)
                conversation.scope = scope
                turns = conversation.turns
                if regenerate and turns and turns[-1].question == question:
                    turns.pop()
                before = len(turns)
                for event in self.assistant.ask_in(conversation, question, cancel):
                    self._emit("answer_event", (request, event))
                    if isinstance(event, Answer):
                        break
                store = self.assistant.conversations
                store.save(conversation)
                if len(turns) > before:  # answered, not stopped
                    self._emit("turn_saved", (request, conversation.id, turns[-1]))
                self._emit("conversations_listed", (store.list(),))
            finally:
                self._emit("answer_finished", (request,))

        self._model_job("answering", job)

    def _conversation_for(self, conversation_id: str | None) -> Conversation:
        """The conversation to answer in (model worker only): the one answered in last
        when it is the one named, else a new one or the saved one of that id."""
        current = self._conversation
        if conversation_id is None:
            current = Conversation()
        elif current is None or current.id != conversation_id:
            current = self.assistant.conversations.load(conversation_id)
        self._conversation = current
        return current

    def cancel_answer(self) -> None:
        if self._answer_cancel is not None:
            self._answer_cancel.cancel()

    # -- conversations -------------------------------------------------------------------

    def open_conversation(self, conversation_id: str) -> None:
        """Send a saved conversation to show (`conversation_opened`); the engine keeps
        the turns and answers in it when a question names it."""

        def job() -> None:
            self._emit("conversation_opened", (self.assistant.conversations.load(conversation_id),))

        self._index_job("opening the conversation", job)

    def export_conversation(self, conversation_id: str) -> None:
        """Report `conversation_exported(request, id, markdown)`: the saved conversation
        in Markdown, its citations resolved to file and place (the front end writes it
        where the person chose)."""
        request = self._origin[1]

        def job() -> None:
            markdown = self.assistant.export_conversation(conversation_id)
            self._emit("conversation_exported", (request, conversation_id, markdown))

        self._index_job("exporting the conversation", job)

    def delete_conversation(self, conversation_id: str) -> None:
        self._change_conversations("deleting the conversation", lambda s: s.delete(conversation_id))

    def _change_conversations(self, what: str, change: Callable[[Any], None]) -> None:
        """Change the conversation store, then report the new listing."""

        def job() -> None:
            store = self.assistant.conversations
            change(store)
            self._emit("conversations_listed", (store.list(),))

        self._index_job(what, job)

    # -- model, voices and adapters ------------------------------------------------------

    def choose_model(self, path: str) -> None:
        """Answer with another GGUF file: checked, loaded, then `model_state` "ready"."""

        def job() -> None:
            self.assistant.use_model(path)  # a bad file raises here; the current model stays
            self._emit("voice_applied", ((),))
            self._preload()

        self._model_job(f"switching to the model {Path(path).name}", job)

    def apply_voice(self, voice: Sequence[AdapterChoice]) -> None:
        """Switch adapters now (hot swap); `voice_applied` confirms, `failed` refuses."""
        chosen = tuple(voice)

        def job() -> None:
            self._emit("voice_applied", (self.assistant.voices.use(chosen),))

        self._model_job("switching the voice", job)

    def list_adapters(self) -> None:
        def job() -> None:
            self._emit("adapters_listed", (self.assistant.voices.entries(),))

        self._model_job("listing adapters", job)

    def add_adapter(self, path: str) -> None:
        def job() -> None:
            self.assistant.voices.add(path)
            self._emit("adapters_listed", (self.assistant.voices.entries(),))

        self._model_job(f"adding the adapter {Path(path).name}", job)

    def train_adapter(self, samples: str, name: str, config: Any = None) -> None:
        cancel = CancelToken()
        self._training_cancel = cancel
        request = self._origin[1]

        def job() -> None:
            result = self.assistant.voices.train(
                samples, name, config, lambda p: self._emit("training_progress", (p,)), cancel
            )
            self._emit("training_finished", (request, result))
            self._emit("adapters_listed", (self.assistant.voices.entries(),))

        self._model_job(f"training {name}", job)

    def cancel_training(self) -> None:
        if self._training_cancel is not None:
            self._training_cancel.cancel()

    # -- errors --------------------------------------------------------------------------

    def _report_error(self, origin: Origin, what: str, exc: BaseException) -> None:
        command, request = origin
        self._emit("failed", (Failure.of(command, request, what, exc),))
