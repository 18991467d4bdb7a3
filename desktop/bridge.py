"""The one place the desktop app calls the engine: off the GUI thread, results by signal.

Two worker threads, each taking jobs in order from its own queue:
- the *model* worker: loading, answering, switching voices, training, listing adapters
  (one at a time: they share one llama.cpp context);
- the *index* worker: adding and removing folders, indexing passes, status.
The live watcher's own threads report through the same signals. Every signal is emitted
from a worker thread; Qt delivers it to the widgets on the GUI thread (queued), so the
event loop never waits on the engine. Engine errors arrive as `failed(what, message)`.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from engine.adapters import AdapterChoice
from engine.answering import Answer
from engine.conversation import Conversation
from engine.errors import DocentError
from engine.jobs import CancelToken

log = logging.getLogger(__name__)

Job = Callable[[], None]


class _Worker:
    """A thread running queued jobs one after another."""

    def __init__(self, name: str, on_error: Callable[[str, BaseException], None]) -> None:
        self._jobs: queue.Queue[tuple[str, Job] | None] = queue.Queue()
        self._on_error = on_error
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, what: str, job: Job) -> None:
        self._jobs.put((what, job))

    def stop(self, timeout: float = 10.0) -> None:
        self._jobs.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            item = self._jobs.get()
            if item is None:
                return
            what, job = item
            try:
                job()
            except DocentError as exc:
                self._on_error(what, exc)
            except Exception as exc:  # a bug: logged with its traceback, shown, app goes on
                log.exception("%s failed", what)
                self._on_error(what, exc)


class EngineBridge(QObject):
    """Engine calls for the widgets; every result comes back as a signal."""

    failed = Signal(str, str)  # what was being done, the engine's message
    status_changed = Signal(object)  # engine.assistant.Status
    index_progress = Signal(object)  # engine.jobs.IndexProgress
    index_finished = Signal(object)  # engine.indexer.SyncReport
    model_state = Signal(str, str)  # "loading" | "ready" | "failed", detail
    answer_event = Signal(int, object)  # request id, SourcesFound | AnswerText | Answer
    answer_finished = Signal(int)  # request id (after its last event, or after an error)
    voice_applied = Signal(object)  # tuple[AdapterChoice, ...]
    adapters_listed = Signal(object)  # list[LibraryEntry]
    training_progress = Signal(object)  # engine.training.TrainingProgress
    training_finished = Signal(object)  # TrainingResult | None (cancelled)
    conversations_listed = Signal(object)  # list[SavedConversation], newest first
    conversation_opened = Signal(object)  # Conversation
    settings_loaded = Signal(object, str)  # Settings, data dir

    def __init__(self, assistant_factory: Callable[[], Any]) -> None:
        super().__init__()
        self._factory = assistant_factory
        self._assistant: Any = None
        self._ready = threading.Event()
        self._requests = itertools.count(1)
        self._answer_cancel: CancelToken | None = None
        self._index_cancel: CancelToken | None = None
        self._training_cancel: CancelToken | None = None
        self._model = _Worker("docent-model", self._report_error)
        self._index = _Worker("docent-index", self._report_error)

    # -- lifecycle -----------------------------------------------------------------------

    @property
    def assistant(self) -> Any:
        """The engine facade (waits until it is open; call from worker jobs only)."""
        self._ready.wait()
        return self._assistant

    def _open(self) -> None:
        try:
            self._assistant = self._factory()
        finally:
            self._ready.set()
        self.status_changed.emit(self._assistant.status())
        self.conversations_listed.emit(self._assistant.conversations.list())
        self.settings_loaded.emit(self._assistant.settings, str(self._assistant.paths.data_dir))

    def start(self, add_sample_folder: Path | None = None) -> None:
        """Open the data, add the sample folder on a first run, index, watch, load the model.

        Call it once the widgets are connected: what opening reports (status, saved
        conversations, settings) is emitted then, and would be lost before.
        """
        self._index.submit("opening your Docent data", self._open)
        self._index.submit("indexing your folders", lambda: self._start(add_sample_folder))
        self._model.submit("loading the model", self._preload)

    def _start(self, sample: Path | None) -> None:
        assistant = self.assistant
        if sample is not None and not assistant.folders() and sample.is_dir():
            assistant.add_folder(sample)
        assistant.start_watching(on_sync=self._watched, on_error=self._watch_error)
        self._sync(assistant)

    def _preload(self) -> None:
        self.model_state.emit("loading", "")
        try:
            self.assistant.preload()
        except DocentError as exc:
            self.model_state.emit("failed", str(exc))
            raise
        self.model_state.emit("ready", self.assistant.generator.model_id)
        self.adapters_listed.emit(self.assistant.adapters())

    def shutdown(self) -> None:
        """Cancel what runs, stop the workers, save and close the engine."""
        for token in (self._answer_cancel, self._index_cancel, self._training_cancel):
            if token is not None:
                token.cancel()
        self._model.stop()
        self._index.stop()
        if self._assistant is not None:
            self._assistant.close()

    # -- folders and indexing ------------------------------------------------------------

    def add_folder(self, path: str) -> None:
        def job() -> None:
            self.assistant.add_folder(path)
            self.status_changed.emit(self.assistant.status())
            self._sync(self.assistant)

        self._index.submit(f"adding {path}", job)

    def remove_folder(self, path: str) -> None:
        def job() -> None:
            self.assistant.remove_folder(path)
            self.status_changed.emit(self.assistant.status())

        self._index.submit(f"removing {path}", job)

    def reindex(self) -> None:
        self._index.submit("indexing your folders", lambda: self._sync(self.assistant))

    def cancel_indexing(self) -> None:
        if self._index_cancel is not None:
            self._index_cancel.cancel()

    def _sync(self, assistant: Any) -> None:
        cancel = CancelToken()
        self._index_cancel = cancel
        report = assistant.sync(progress=self.index_progress.emit, cancel=cancel)
        self.index_finished.emit(report)
        self.status_changed.emit(assistant.status())

    def _watched(self, report: Any) -> None:
        if report.changed or report.failures:
            self.index_finished.emit(report)
            self.status_changed.emit(self.assistant.status())

    def _watch_error(self, exc: BaseException) -> None:
        self._report_error("watching your folders", exc)

    # -- answers -------------------------------------------------------------------------

    def ask(self, conversation: Conversation, question: str) -> int:
        """Answer in `conversation` (its turns, scope, voice); returns the request id."""
        request = next(self._requests)
        cancel = CancelToken()
        self._answer_cancel = cancel

        def job() -> None:
            try:
                for event in self.assistant.ask_in(conversation, question, cancel):
                    self.answer_event.emit(request, event)
                    if isinstance(event, Answer):
                        break
            finally:
                self.answer_finished.emit(request)

        self._model.submit("answering", job)
        return request

    def cancel_answer(self) -> None:
        if self._answer_cancel is not None:
            self._answer_cancel.cancel()

    def save_settings(self, changes: dict[str, Any]) -> None:
        """Write changed settings to settings.toml (used from the next start)."""

        def job() -> None:
            import dataclasses

            from engine.settings import save_settings

            assistant = self.assistant
            updated = dataclasses.replace(assistant.settings, **changes)
            save_settings(assistant.paths, updated)
            self.settings_loaded.emit(updated, str(assistant.paths.data_dir))

        self._index.submit("saving the settings", job)

    # -- conversations -------------------------------------------------------------------

    def save_conversation(self, conversation: Conversation) -> None:
        self._change_conversations("saving the conversation", lambda s: s.save(conversation))

    def open_conversation(self, conversation_id: str) -> None:
        def job() -> None:
            self.conversation_opened.emit(self.assistant.conversations.load(conversation_id))

        self._index.submit("opening the conversation", job)

    def delete_conversation(self, conversation_id: str) -> None:
        self._change_conversations("deleting the conversation", lambda s: s.delete(conversation_id))

    def _change_conversations(self, what: str, change: Callable[[Any], None]) -> None:
        """Change the conversation store, then report the new listing."""

        def job() -> None:
            store = self.assistant.conversations
            change(store)
            self.conversations_listed.emit(store.list())

        self._index.submit(what, job)

    def choose_model(self, path: str) -> None:
        """Answer with another GGUF file: checked, loaded, then `model_state` "ready"."""

        def job() -> None:
            assistant = self.assistant
            assistant.use_model(path)  # a bad file raises here; the current model stays
            self.voice_applied.emit(())
            self._preload()

        self._model.submit(f"switching to the model {Path(path).name}", job)

    # -- voices and adapters -------------------------------------------------------------

    def apply_voice(self, voice: Sequence[AdapterChoice]) -> None:
        """Switch adapters now (hot swap); `voice_applied` confirms, `failed` refuses."""
        chosen = tuple(voice)

        def job() -> None:
            self.voice_applied.emit(self.assistant.use_voice(chosen))

        self._model.submit("switching the voice", job)

    def list_adapters(self) -> None:
        self._model.submit(
            "listing adapters", lambda: self.adapters_listed.emit(self.assistant.adapters())
        )

    def add_adapter(self, path: str) -> None:
        def job() -> None:
            self.assistant.add_adapter(path)
            self.adapters_listed.emit(self.assistant.adapters())

        self._model.submit(f"adding the adapter {Path(path).name}", job)

    def train_adapter(self, samples: str, name: str, config: Any = None) -> None:
        cancel = CancelToken()
        self._training_cancel = cancel

        def job() -> None:
            result = self.assistant.train_adapter(
                samples, name, config, self.training_progress.emit, cancel
            )
            self.training_finished.emit(result)
            self.adapters_listed.emit(self.assistant.adapters())

        self._model.submit(f"training {name}", job)

    def cancel_training(self) -> None:
        if self._training_cancel is not None:
            self._training_cancel.cancel()

    # -- errors --------------------------------------------------------------------------

    def _report_error(self, what: str, exc: BaseException) -> None:
        message = str(exc) if isinstance(exc, DocentError) else f"unexpected error: {exc!r}"
        self.failed.emit(what, message)
