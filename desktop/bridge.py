"""The one place the desktop app talks to the engine: a child process, results by signal.

The engine (`engine.service.engine_service.EngineService`) runs in its own process, started by
`start()`. Commands go down a pipe; a reader thread here turns each event coming back
into the signal of the same name, which Qt delivers to the widgets on the GUI thread.
So the GUI process never imports torch, transformers, sentence-transformers or
llama.cpp (importing them holds the interpreter lock for hundreds of milliseconds), and
a native crash in the engine is reported instead of taking the window down.
Engine errors arrive as `failed(Failure)`, naming the command and request they answer;
every command method returns its request id (engine.service.protocol).

The engine process is started with multiprocessing's spawn, so a script that starts the
app must guard its own code with `if __name__ == "__main__":` (the real entries do, and
call `freeze_support()` for packaged builds).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import itertools
import logging
import multiprocessing
import threading
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

# The classes the engine's events carry: imported here, before the window shows, so
# unpickling an event on the reader thread never imports a module mid-session.
import engine.answer.answering  # SourcesFound, AnswerText, Answer
import engine.answer.conversation  # Conversation, Turn, SavedConversation
import engine.answer.suggestions  # SuggestedQuestion
import engine.assistant  # Status, FolderInfo
import engine.index.indexer  # IndexReport
import engine.training  # noqa: F401  TrainingProgress, TrainingResult
from engine.adapters import AdapterChoice
from engine.errors import EngineGoneError
from engine.service.engine_service import EngineFacts  # noqa: F401  (carried by engine_described)
from engine.service.host import serve
from engine.service.protocol import CLOSED, EVENTS, NO_REQUEST, SHUTDOWN, Failure

log = logging.getLogger(__name__)


class EngineBridge(QObject):
    """Engine commands for the widgets; every result comes back as a signal."""

    # one signal per event of engine.service.protocol.EVENTS (a test checks they match)
    failed = Signal(object)  # Failure: command, request, what, kind, message
    status_changed = Signal(object)  # engine.assistant.Status
    index_progress = Signal(object)  # engine.jobs.IndexProgress
    index_finished = Signal(object)  # engine.index.indexer.IndexReport
    model_state = Signal(str, str)  # "loading" | "ready" | "failed", detail
    answer_event = Signal(int, object)  # request id, SourcesFound | AnswerText | Answer
    answer_finished = Signal(int)  # request id (after its last event, or after an error)
    voice_applied = Signal(object)  # tuple[AdapterChoice, ...]
    adapters_listed = Signal(object)  # list[LibraryEntry]
    training_progress = Signal(object)  # engine.training.TrainingProgress
    training_finished = Signal(int, object)  # request id, TrainingResult | None (cancelled)
    conversations_listed = Signal(object)  # list[SavedConversation], newest first
    conversation_opened = Signal(object)  # Conversation, to show (the engine keeps it)
    turn_saved = Signal(int, str, object)  # request id, conversation id, the new Turn
    settings_loaded = Signal(object, str)  # Settings, data dir
    engine_described = Signal(int, object)  # request id, EngineFacts
    conversation_exported = Signal(int, str, str)  # request id, conversation id, Markdown
    questions_suggested = Signal(object)  # tuple[SuggestedQuestion, ...]

    def __init__(self, home: str | Path | None = None) -> None:
        super().__init__()
        self._home = str(home) if home is not None else None
        self._requests = itertools.count(1)
        self._send_lock = threading.Lock()
        self._connection: Connection | None = None
        self._process: BaseProcess | None = None
        self._reader: threading.Thread | None = None
        self._closing = False
        self._answering: int | None = None  # the request in flight, finished on a crash
        self._training: int | None = None  # the training request in flight
        self._at_exit: Callable[[], None] = lambda: None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self, add_sample_folder: Path | None = None) -> None:
        """Start the engine process: open the data, add the sample folder on a first run,
        index, watch and load the model.

        Call it once the widgets are connected: what opening reports (status, saved
        conversations, settings) is emitted then, and would be lost before.
        """
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        process = context.Process(target=serve, args=(theirs, self._home), name="docent-engine")
        process.start()
        theirs.close()
        self._process, self._connection, self._closing = process, ours, False
        # If this process exits without shutdown() (a crash, a failed test), closing the
        # pipe first lets the engine close itself before multiprocessing joins it.
        self._at_exit = functools.partial(_stop_engine, ours, process)
        atexit.register(self._at_exit)
        self._reader = threading.Thread(
            target=self._read, args=(ours, process), name="docent-engine-events", daemon=True
        )
        self._reader.start()
        self._send("start", str(add_sample_folder) if add_sample_folder else None)

    @property
    def engine_pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def shutdown(self, timeout: float = 60.0) -> None:
        """Cancel what runs, let the engine save and close, end its process."""
        process, connection = self._process, self._connection
        if process is None or connection is None:
            return
        self._closing = True
        self._send(SHUTDOWN)
        if self._reader is not None:
            self._reader.join(timeout)
        atexit.unregister(self._at_exit)
        _stop_engine(connection, process)
        self._process = self._connection = self._reader = None

    def _send(self, command: str, *args: Any) -> int:
        """Send `command` with a new request id; returns the id its replies will carry."""
        request = next(self._requests)
        connection = self._connection
        if connection is None:
            self._gone(command, request)
            return request
        with self._send_lock:
            try:
                connection.send((command, request, args))
            except (BrokenPipeError, OSError):
                if not self._closing:
                    self._gone(command, request)
        return request

    def _gone(self, command: str, request: int) -> None:
        error = EngineGoneError("the engine is not running")
        self.failed.emit(Failure.of(command, request, "talking to the engine", error))

    def _read(self, connection: Connection, process: BaseProcess) -> None:
        """Reader thread: each event from the engine becomes its signal."""
        while True:
            try:
                event, args = connection.recv()
            except (EOFError, OSError):
                break
            if event == CLOSED:
                return
            if event not in EVENTS:
                log.warning("unknown event %r from the engine", event)
                continue
            if event == "answer_finished" and args[0] == self._answering:
                self._answering = None
            elif event == "training_finished" and args[0] == self._training:
                self._training = None
            getattr(self, event).emit(*args)
        if not self._closing:
            self._engine_died(process)

    def _engine_died(self, process: BaseProcess) -> None:
        process.join(5)
        detail = (
            f"the engine process stopped unexpectedly (exit code {process.exitcode}); "
            "restart Docent to go on"
        )
        log.error(detail)
        if self._answering is not None:
            self.answer_finished.emit(self._answering)
            self._answering = None
        if self._training is not None:
            self.training_finished.emit(self._training, None)
            self._training = None
        self.model_state.emit("failed", detail)
        gone = EngineGoneError(detail)
        self.failed.emit(Failure.of("engine", NO_REQUEST, "running the engine", gone))

    # -- folders and indexing ------------------------------------------------------------

    def add_folder(self, path: str) -> int:
        return self._send("add_folder", path)

    def remove_folder(self, path: str) -> int:
        return self._send("remove_folder", path)

    def index(self) -> int:
        return self._send("index")

    def cancel_indexing(self) -> int:
        return self._send("cancel_indexing")

    def save_settings(self, changes: dict[str, Any]) -> int:
        """Write changed settings to settings.toml (used from the next start)."""
        return self._send("save_settings", changes)

    def describe(self) -> int:
        """Ask for `engine_described` (model, voice, library), after the queued work."""
        return self._send("describe")

    # -- answers -------------------------------------------------------------------------

    def ask(
        self,
        question: str,
        conversation_id: str | None = None,
        scope: str | None = None,
        regenerate: bool = False,
    ) -> int:
        """Answer in the engine's conversation `conversation_id` (None: a new one), kept to
        `scope`, in the voice applied; returns the request id. `turn_saved` names the
        conversation once the turn is kept."""
        request = self._send("ask", conversation_id, question, scope, regenerate)
        self._answering = request
        return request

    def cancel_answer(self) -> int:
        return self._send("cancel_answer")

    # -- conversations -------------------------------------------------------------------

    def open_conversation(self, conversation_id: str) -> int:
        return self._send("open_conversation", conversation_id)

    def delete_conversation(self, conversation_id: str) -> int:
        return self._send("delete_conversation", conversation_id)

    def export_conversation(self, conversation_id: str) -> int:
        """Ask for the saved conversation in Markdown (`conversation_exported`)."""
        return self._send("export_conversation", conversation_id)

    def suggest_questions(self) -> int:
        """Ask for `questions_suggested` now (they also come after each indexing pass)."""
        return self._send("suggest_questions")

    # -- model, voices and adapters ------------------------------------------------------

    def choose_model(self, path: str) -> int:
        """Answer with another GGUF file: checked, loaded, then `model_state` "ready"."""
        return self._send("choose_model", path)

    def apply_voice(self, voice: Sequence[AdapterChoice]) -> int:
        """Switch adapters now (hot swap); `voice_applied` confirms, `failed` refuses."""
        return self._send("apply_voice", tuple(voice))

    def list_adapters(self) -> int:
        return self._send("list_adapters")

    def add_adapter(self, path: str) -> int:
        return self._send("add_adapter", path)

    def train_adapter(self, samples: str, name: str, config: Any = None) -> int:
        self._training = self._send("train_adapter", samples, name, config)
        return self._training

    def cancel_training(self) -> int:
        return self._send("cancel_training")


def _stop_engine(connection: Connection, process: BaseProcess) -> None:
    """Ask the engine to close (if shutdown() has not) and end its process."""
    with contextlib.suppress(OSError, ValueError):
        connection.send((SHUTDOWN, NO_REQUEST, ()))
    connection.close()
    process.join(30)
    if process.is_alive():
        log.warning("the engine did not stop in time; terminating it")
        process.terminate()
        process.join(5)
