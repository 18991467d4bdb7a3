"""The main window: folders | chat | sources, a toolbar for model, voice and scope, and one
non-modal bar where every engine error appears. Widgets only: the engine is reached
through the bridge, and what comes back arrives by signal."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSlider,
    QSplitter,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from desktop.appearance import AppearanceMenu
from desktop.bridge import EngineBridge
from desktop.chat_panel import ChatPanel, ShownTurn
from desktop.conversation_export import ConversationExport
from desktop.dialogs import SettingsDialog, TrainingDialog
from desktop.error_bar import ErrorBar
from desktop.folders_panel import FoldersPanel
from desktop.sources_panel import SourcesPanel
from engine.adapters import AdapterChoice
from engine.answer.answering import Answer, AnswerText, SourcesFound
from engine.answer.conversation import Turn
from engine.answer.relevance import gate_from_settings
from engine.search.multistep import lookup_summary
from engine.service.protocol import Failure
from engine.training import training_unavailable

VOICE_DEBOUNCE_MS = 200


NO_ANSWER_NOTE = "No answer: the engine stopped on an error (the message above says what)."


class MainWindow(QMainWindow):
    def __init__(self, bridge: EngineBridge, settings: QSettings | None = None) -> None:
        super().__init__()
        self.bridge = bridge
        self.settings = settings or QSettings("Docent", "Docent")
        self.setWindowTitle("Docent")
        self.conversation_id: str | None = None  # the engine's; None: the next ask starts one
        self.request: int | None = None
        self.last_question = ""
        self.applied_voice: tuple[AdapterChoice, ...] = ()
        self._listed = False  # the first listing of saved conversations reopens the last

        self.folders = FoldersPanel()
        self.history = QListWidget()
        self.history.setAccessibleName("Earlier conversations")
        self.history.itemActivated.connect(self._open_selected)
        self.history.itemClicked.connect(self._open_selected)
        self.chat = ChatPanel()
        self.sources = SourcesPanel()
        self.errors = ErrorBar()
        left = QTabWidget()
        left.addTab(self.folders, "Folders")
        left.addTab(self.history, "Conversations")
        splitter = QSplitter()
        for panel, stretch in ((left, 2), (self.chat, 5), (self.sources, 5)):
            splitter.addWidget(panel)
            splitter.setStretchFactor(splitter.indexOf(panel), stretch)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.errors)
        layout.addWidget(splitter, 1)
        self.setCentralWidget(central)
        # why this installation cannot train (the lean package), or None; checked without
        # importing the training stack
        self.training_unavailable = training_unavailable()
        self._toolbar()
        self._actions()
        self.statusBar().showMessage("Opening your Docent data…")
        self._voice_timer = QTimer(self)
        self._voice_timer.setSingleShot(True)
        self._voice_timer.setInterval(VOICE_DEBOUNCE_MS)
        self._voice_timer.timeout.connect(self._apply_voice)
        self._about_request: int | None = None  # the describe request About waits for
        self._training_dialog: TrainingDialog | None = None
        self.exporter = ConversationExport(
            self, bridge, self.settings, self._say, self.errors.show_error
        )
        self._connect()
        self._restore()

    # -- layout --------------------------------------------------------------------------

    def _toolbar(self) -> None:
        bar = QToolBar("Answering")
        bar.setObjectName("answering")
        self.model_label = QLabel("Model: loading…")
        self.model_label.setAccessibleName("Model")
        self.voice = QComboBox()
        self.voice.setAccessibleName("Voice")
        self.voice.setToolTip("Answer in a style adapter's voice (switches instantly)")
        self.voice.addItem("none", None)
        self.strength = QSlider(Qt.Orientation.Horizontal)
        self.strength.setAccessibleName("Voice strength")
        self.strength.setRange(0, 200)
        self.strength.setValue(100)
        self.strength.setFixedWidth(self.fontMetrics().horizontalAdvance("M") * 10)
        self.strength.setToolTip("Strength of the voice: 0 to 2")
        self.strength_label = QLabel("1.0")
        self.scope = QComboBox()
        self.scope.setAccessibleName("Scope")
        self.scope.addItem("All folders", None)
        bar.addWidget(self.model_label)
        choose = QPushButton("Choose…")
        choose.setToolTip("Answer with another GGUF model file")
        choose.setAccessibleName("Choose model")
        choose.clicked.connect(self.choose_model)
        bar.addWidget(choose)
        bar.addSeparator()
        bar.addWidget(QLabel(" Voice "))
        bar.addWidget(self.voice)
        bar.addWidget(self.strength)
        bar.addWidget(self.strength_label)
        bar.addSeparator()
        bar.addWidget(QLabel(" Search in "))
        bar.addWidget(self.scope)
        self.addToolBar(bar)

    def _actions(self) -> None:
        menu = self.menuBar().addMenu("&File")
        self._action(
            menu, "&Add folder…", QKeySequence.StandardKey.Open, self.folders.choose_folder
        )
        self._action(
            menu, "&Export conversation…", QKeySequence("Ctrl+E"), self.export_conversation
        )
        self._action(menu, "&Settings…", QKeySequence("Ctrl+,"), self.open_settings)
        self._action(menu, "&Quit", QKeySequence.StandardKey.Quit, self.close)
        view = self.menuBar().addMenu("&View")
        self.appearance = AppearanceMenu(view.addMenu("&Appearance"), self.settings, self)
        talk = self.menuBar().addMenu("&Conversation")
        self._action(talk, "&Ask a question", QKeySequence("Ctrl+L"), self.focus_question)
        self._action(talk, "&New conversation", QKeySequence.StandardKey.New, self.new_conversation)
        self._action(talk, "&Stop answer", QKeySequence(Qt.Key.Key_Escape), self.stop_answer)
        self._action(talk, "&Regenerate", QKeySequence("Ctrl+R"), self.regenerate)
        self._action(talk, "&Delete conversation", QKeySequence(), self.delete_conversation)
        delete = QShortcut(QKeySequence.StandardKey.Delete, self.history)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)  # Delete in the list only
        delete.activated.connect(self.delete_conversation)
        voices = self.menuBar().addMenu("&Voice")
        self._action(voices, "&Add adapter file…", QKeySequence(), self.add_adapter_file)
        train = self._action(voices, "&Train a new voice…", QKeySequence(), self.train_voice)
        if self.training_unavailable is not None:  # the lean package: the dialog says why
            train.setStatusTip(self.training_unavailable)
        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "&About Docent", QKeySequence(), self.show_about)

    def _action(self, menu: Any, text: str, keys: Any, slot: Any) -> QAction:
        action = QAction(text, self)
        action.setShortcut(keys)
        action.triggered.connect(slot)
        menu.addAction(action)
        self.addAction(action)
        return action

    def _connect(self) -> None:
        b = self.bridge
        b.failed.connect(self.show_error)
        b.status_changed.connect(self.folders.show_status)
        b.status_changed.connect(self._update_scopes)
        b.status_changed.connect(self.chat.show_status)
        b.questions_suggested.connect(self.chat.show_suggestions)
        b.index_progress.connect(self.folders.show_progress)
        b.index_finished.connect(self.folders.show_finished)
        b.model_state.connect(self._model_state)
        b.answer_event.connect(self._answer_event)
        b.answer_finished.connect(self._answer_finished)
        b.voice_applied.connect(self._voice_applied)
        b.adapters_listed.connect(self._adapters_listed)
        b.conversations_listed.connect(self._conversations_listed)
        b.conversation_opened.connect(self._conversation_opened)
        b.turn_saved.connect(self._turn_saved)
        b.settings_loaded.connect(self._settings_loaded)
        b.engine_described.connect(self._engine_described)
        self.folders.add_requested.connect(b.add_folder)
        self.folders.remove_requested.connect(b.remove_folder)
        self.folders.index_requested.connect(b.index)
        self.folders.cancel_requested.connect(b.cancel_indexing)
        self.chat.send.connect(self.ask)
        self.chat.stop.connect(self.stop_answer)
        self.chat.regenerate.connect(self.regenerate)
        self.chat.new_conversation.connect(self.new_conversation)
        self.chat.citation_clicked.connect(self.sources.select)
        self.chat.add_folder_requested.connect(self.folders.choose_folder)
        self.voice.currentIndexChanged.connect(lambda _i: self._voice_timer.start())
        self.strength.valueChanged.connect(self._strength_moved)

    # -- asking --------------------------------------------------------------------------

    def ask(self, question: str, regenerate: bool = False) -> None:
        if self.request is not None:
            return
        self.last_question = question
        self.chat.begin(question, _voice_text(self.applied_voice))
        scope = self.scope.currentData()
        self.request = self.bridge.ask(question, self.conversation_id, scope, regenerate)

    def stop_answer(self) -> None:
        if self.request is not None:
            self.bridge.cancel_answer()

    def regenerate(self) -> None:
        if self.request is not None or not self.last_question:
            return
        self.chat.drop_last_turn()
        self.ask(self.last_question, regenerate=True)

    def new_conversation(self) -> None:
        self.stop_answer()
        self.conversation_id = None
        self.chat.show_turns([])
        self.sources.show_sources([], "")

    def _answer_event(self, request: int, event: Any) -> None:
        if request != self.request:
            return
        if isinstance(event, SourcesFound):
            self.sources.show_sources(event.sources, self.last_question)
        elif isinstance(event, AnswerText):
            self.chat.append(event.text)
        elif isinstance(event, Answer):
            note = ""
            if event.cancelled:
                note = "stopped"
            elif event.abstained:
                note = "Not in your documents: the closest passages are in Sources."
            elif event.unsupported:
                note = (
                    "Unsupported: no source given to the model holds this answer, so it is "
                    "not cited. Check it against the passages."
                )
            elif event.uncited and not event.citations_attributed:
                note = "This answer cites no source: check it against the passages."
            if (summary := lookup_summary(event.lookups)) and not event.cancelled:
                note = f"{note} {summary}." if note else f"{summary}."
            self.chat.finish(
                event.text,
                note,
                event.citations,
                event.timings.total_ms / 1000,
                event.citations_attributed,
                _voice_text(event.voice),
            )
            cited = {c.n for c in event.citations}
            self.sources.show_sources(event.sources, event.question, cited)

    def _answer_finished(self, request: int) -> None:
        if request == self.request:
            self.request = None
            if self.chat.turns and self.chat.turns[-1].pending:  # it ended without an answer
                turn = self.chat.turns[-1]
                self.chat.finish(turn.answer, NO_ANSWER_NOTE)
            self.chat.set_busy(False)

    def _turn_saved(self, request: int, conversation_id: str, _turn: Any) -> None:
        """The engine kept the new turn: later questions go on in that conversation."""
        if request == self.request:
            self.conversation_id = conversation_id
            self.settings.setValue("last_conversation", conversation_id)

    # -- earlier conversations -----------------------------------------------------------

    def _conversations_listed(self, saved: Any) -> None:
        first_listing, self._listed = not self._listed, True
        self.history.clear()
        for conversation in saved:
            item = QListWidgetItem(f"{conversation.title}  ·  {conversation.turns} turns")
            item.setData(Qt.ItemDataRole.UserRole, conversation.id)
            self.history.addItem(item)
        last = self.settings.value("last_conversation")
        if first_listing and last and any(c.id == last for c in saved):
            self.bridge.open_conversation(str(last))

    def delete_conversation(self) -> None:
        """Delete the conversation selected in the list (the open one starts afresh)."""
        item = self.history.currentItem()
        if item is None or self.request is not None:
            return
        conversation_id = item.data(Qt.ItemDataRole.UserRole)
        if conversation_id == self.conversation_id:
            self.new_conversation()
        self.bridge.delete_conversation(conversation_id)

    def _open_selected(self, item: QListWidgetItem) -> None:
        conversation_id = item.data(Qt.ItemDataRole.UserRole)
        if conversation_id and conversation_id != self.conversation_id and self.request is None:
            self.bridge.open_conversation(conversation_id)

    def _conversation_opened(self, conversation: Any) -> None:
        if self.request is not None:
            return
        self.conversation_id = conversation.id  # the toolbar's voice applies from now on
        self.last_question = conversation.turns[-1].question if conversation.turns else ""
        self.chat.show_turns([_shown(turn) for turn in conversation.turns])
        self.sources.show_sources([], "")
        self.settings.setValue("last_conversation", conversation.id)

    def export_conversation(self) -> None:
        """File > Export conversation: the open conversation as Markdown, its citations
        resolved to file and place, written where the person chooses."""
        title = self.chat.turns[0].question if self.chat.turns else ""
        self.exporter.start(self.conversation_id, title)

    def _say(self, message: str) -> None:
        self.statusBar().showMessage(message, 8000)

    def focus_question(self) -> None:
        self.chat.input.setFocus(Qt.FocusReason.ShortcutFocusReason)

    # -- voice ---------------------------------------------------------------------------

    def chosen_voice(self) -> tuple[AdapterChoice, ...]:
        name = self.voice.currentData()
        if not name:
            return ()
        return (AdapterChoice(name, self.strength.value() / 100),)

    def _strength_moved(self, value: int) -> None:
        self.strength_label.setText(f"{value / 100:.1f}")
        self._voice_timer.start()

    def _apply_voice(self) -> None:
        voice = self.chosen_voice()
        if voice != self.applied_voice:
            self.bridge.apply_voice(voice)

    def _voice_applied(self, voice: Any) -> None:
        self.applied_voice = tuple(voice)
        self.voice.blockSignals(True)
        name = self.applied_voice[0].name if self.applied_voice else None
        self.voice.setCurrentIndex(max(0, self.voice.findData(name)))
        self.voice.blockSignals(False)
        self.settings.setValue("voice", [[c.name, c.scale] for c in self.applied_voice])
        self.statusBar().showMessage(f"Voice: {_voice_text(self.applied_voice) or 'none'}", 4000)

    def _adapters_listed(self, entries: Any) -> None:
        current = self.voice.currentData()
        self.voice.blockSignals(True)
        self.voice.clear()
        self.voice.addItem("none", None)
        for entry in entries:
            if entry.usable:
                self.voice.addItem(entry.name, entry.name)
        index = self.voice.findData(current)
        self.voice.setCurrentIndex(max(0, index))
        self.voice.blockSignals(False)

    def select_voice(self, name: str | None, strength: float = 1.0) -> None:
        """Choose a voice as a person would in the toolbar (applied after a short pause)."""
        self.strength.setValue(round(strength * 100))
        self.voice.setCurrentIndex(max(0, self.voice.findData(name)))
        self._voice_timer.start()

    # -- dialogs -------------------------------------------------------------------------

    def _settings_loaded(self, settings: Any, data_dir: str) -> None:
        self.engine_settings, self.data_dir = settings, data_dir
        self.sources.set_relevance_gate(gate_from_settings(settings))

    def show_about(self) -> None:
        self._about_request = self.bridge.describe()  # answered by engine_described

    def _engine_described(self, request: int, facts: Any) -> None:
        if request != self._about_request:
            return  # someone else asked
        self._about_request = None
        voice = _voice_text(facts.voice) or "none"
        QMessageBox.about(
            self,
            "About Docent",
            "<b>Docent</b>: chat with your own folders, offline.<br><br>"
            f"Model: {facts.model_path}<br>Voice: {voice}<br>"
            f"Reader adapter: {html.escape(facts.reader)}<br>"
            f"Data: {facts.data_dir}<br>Engine process: {facts.pid}<br><br>"
            "Nothing leaves this machine.",
        )

    def open_settings(self) -> None:
        if getattr(self, "engine_settings", None) is None:
            return
        dialog = SettingsDialog(self.engine_settings, self.data_dir, self)
        if dialog.exec():
            self.bridge.save_settings(dialog.changes())
            self.statusBar().showMessage("Settings saved; they apply at the next start.", 6000)

    def choose_model(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a GGUF model", "", "GGUF (*.gguf)")
        if path:
            self.bridge.choose_model(path)

    def add_adapter_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Add a LoRA adapter (GGUF)", "", "GGUF (*.gguf)"
        )
        if path:
            self.bridge.add_adapter(path)

    def train_voice(self) -> None:
        """One training dialog per window, shown again while it lives: a dialog stays
        connected to the engine's training events, and a run may outlast its closing."""
        if self._training_dialog is None:
            self._training_dialog = TrainingDialog(self.bridge, self, self.training_unavailable)
        self._training_dialog.show()
        self._training_dialog.raise_()
        self._training_dialog.activateWindow()

    # -- state ---------------------------------------------------------------------------

    def show_error(self, failure: Failure) -> None:
        self.errors.show_error(failure.what, failure.message)
        if failure.command == "apply_voice":  # the engine kept the previous voice
            self.voice.blockSignals(True)
            name = self.applied_voice[0].name if self.applied_voice else None
            self.voice.setCurrentIndex(max(0, self.voice.findData(name)))
            self.voice.blockSignals(False)

    def _model_state(self, state: str, detail: str) -> None:
        if state == "loading":
            self.model_label.setText("Model: loading…")
            self.statusBar().showMessage("Loading the model in the background…")
        elif state == "ready":
            self.model_label.setText(f"Model: {detail}")
            self.statusBar().showMessage("Ready: ask a question about your documents.", 5000)
            saved = self.settings.value("voice", [])
            if saved and isinstance(saved, list):
                try:
                    name, scale = saved[0]
                    self.select_voice(str(name), float(scale))
                except (TypeError, ValueError):
                    pass
        else:
            self.model_label.setText("Model: not loaded")

    def _update_scopes(self, status: Any) -> None:
        current = self.scope.currentData()
        self.scope.blockSignals(True)
        self.scope.clear()
        self.scope.addItem("All folders", None)
        for folder in status.folders:
            self.scope.addItem(Path(folder.path).name, folder.path)
        self.scope.setCurrentIndex(max(0, self.scope.findData(current)))
        self.scope.blockSignals(False)

    def _restore(self) -> None:
        geometry = self.settings.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.sync()
        self.stop_answer()
        super().closeEvent(event)


def _voice_text(voice: tuple[AdapterChoice, ...]) -> str:
    return ", ".join(f"{c.name} ×{c.scale:g}" for c in voice)


def _shown(turn: Turn) -> ShownTurn:
    """A saved turn as the chat shows it, footer included."""
    return ShownTurn(
        turn.question,
        turn.answer,
        voice=_voice_text(turn.voice),
        pending=False,
        citations=turn.citations,
        seconds=turn.seconds,
        attributed=turn.citations_attributed,
    )
