"""The engine's protocol with a front end in another process, declared once.

In: `(command, request, args)`: a command from COMMANDS, the request id the front end
gave it (every command has one), its arguments. Out: `(event, args)` with an event from
EVENTS. A command that fails comes back as `failed(Failure)`: the command and request it
answers and the error's kind (the `DocentError` subclass), so a front end decides by
command, request and kind, never by the wording of a message.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.errors import DocentError

COMMANDS = frozenset(
    {
        "start",
        "describe",
        "add_folder",
        "remove_folder",
        "index",
        "cancel_indexing",
        "save_settings",
        "ask",
        "cancel_answer",
        "open_conversation",
        "delete_conversation",
        "export_conversation",
        "suggest_questions",
        "choose_model",
        "apply_voice",
        "list_adapters",
        "add_adapter",
        "train_adapter",
        "cancel_training",
    }
)
"""What a front end may send (`shutdown` is the host's own)."""

SHUTDOWN = "shutdown"

EVENTS: dict[str, str] = {
    "failed": "Failure",
    "status_changed": "engine.assistant.Status",
    "index_progress": "engine.jobs.IndexProgress",
    "index_finished": "engine.index.indexer.IndexReport",
    "model_state": '"loading" | "ready" | "failed", detail',
    "answer_event": "request id, SourcesFound | AnswerText | Answer",
    "answer_finished": "request id (after its last event, or after an error)",
    "voice_applied": "tuple[AdapterChoice, ...]",
    "adapters_listed": "list[LibraryEntry]",
    "training_progress": "engine.training.TrainingProgress",
    "training_finished": "request id, TrainingResult | None (cancelled)",
    "conversations_listed": "list[SavedConversation], newest first",
    "conversation_opened": "Conversation, to show (the engine keeps it)",
    "turn_saved": "request id, conversation id, the new Turn (the engine kept it)",
    "settings_loaded": "Settings, data dir",
    "engine_described": "request id, engine.service.engine_service.EngineFacts",
    "conversation_exported": "request id, conversation id, the conversation as Markdown",
    "questions_suggested": "tuple[SuggestedQuestion, ...] the indexed documents answer",
}
"""What the engine sends back, and what each carries (the desktop bridge's signals)."""

CLOSED = "closed"  # the host's last word: the engine saved and closed

NO_REQUEST = 0  # failures of the engine's own work (watching the folders, a crash)
UNEXPECTED = "unexpected"  # the kind of an error that is not a DocentError: a bug


@dataclass(frozen=True, slots=True)
class Failure:
    """A command that failed: which, for whom, what kind of error, and the message."""

    command: str  # from COMMANDS, or the engine's own work ("watch", "engine")
    request: int  # the id the front end gave the command; NO_REQUEST for its own work
    what: str  # what was being done, in words ("adding /home/me/notes")
    kind: str  # the DocentError subclass's name, or UNEXPECTED
    message: str

    @classmethod
    def of(cls, command: str, request: int, what: str, error: BaseException) -> Failure:
        if isinstance(error, DocentError):
            return cls(command, request, what, type(error).__name__, str(error))
        return cls(command, request, what, UNEXPECTED, f"unexpected error: {error!r}")

    def __str__(self) -> str:
        return f"{self.what}: {self.message}"
