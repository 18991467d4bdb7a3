"""File > Export conversation: the engine turns the saved conversation into Markdown
(engine.answer.export, citations resolved to file and place); this writes it where the
person chose."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSettings
from PySide6.QtWidgets import QFileDialog, QWidget

from desktop.bridge import EngineBridge

FOLDER_SETTING = "export_folder"  # where the last export went: the next one starts there
FILTER = "Markdown (*.md)"


def export_file_name(title: str) -> str:
    """A file name from the conversation's first question."""
    kept = "".join(c for c in title if c.isalnum() or c in " -_").strip()[:60].strip()
    return f"{kept or 'conversation'}.md"


class ConversationExport(QObject):
    """Asks where, asks the engine for the Markdown, writes it; reports in the window."""

    def __init__(
        self,
        window: QWidget,
        bridge: EngineBridge,
        settings: QSettings,
        say: Callable[[str], None],
        show_error: Callable[[str, str], None],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._bridge = bridge
        self._settings = settings
        self._say = say
        self._show_error = show_error
        self._pending: dict[int, Path] = {}  # export request -> the file it goes to
        bridge.conversation_exported.connect(self._exported)

    def start(self, conversation_id: str | None, title: str) -> None:
        if conversation_id is None:
            self._say("Nothing to export yet: ask a question first.")
            return
        folder = Path(str(self._settings.value(FOLDER_SETTING, str(Path.home()))))
        chosen, _ = QFileDialog.getSaveFileName(
            self._window, "Export conversation", str(folder / export_file_name(title)), FILTER
        )
        if not chosen:
            return
        path = Path(chosen)
        if not path.suffix:
            path = path.with_suffix(".md")
        self._settings.setValue(FOLDER_SETTING, str(path.parent))
        self._pending[self._bridge.export_conversation(conversation_id)] = path

    def _exported(self, request: int, _conversation_id: str, markdown: str) -> None:
        path = self._pending.pop(request, None)
        if path is None:
            return  # asked for by someone else
        try:
            path.write_text(markdown, encoding="utf-8")
        except OSError as exc:
            reason = exc.strerror or str(exc)
            self._show_error(
                "exporting the conversation", f"{path} could not be written ({reason})."
            )
            return
        self._say(f"Conversation exported to {path}")
