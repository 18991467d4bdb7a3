"""The facade both front ends use: folders, indexing, live watching, search and answers.

Plain values in, frozen dataclasses (or iterators of them) out. Heavy parts (the
embedder, the vector index, the language model) load on first use, so opening an
Assistant is fast; `close()` saves what is pending. Two small sub-facades hang off it:
`voices` (the adapter library and the voice answers are given in) and `conversations`
(saved chats).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from engine.adapters import AdapterChoice, AdapterLibrary
from engine.adapters.bundled import install_bundled
from engine.adapters.reader import ReaderState, decline_policy, reader_state
from engine.adapters.voices import Voices
from engine.answer.answering import Answer, Answerer, AskEvent, RelevanceGate
from engine.answer.conversation import Conversation, ConversationStore, Turn, context_queries
from engine.answer.document_list import DocumentLister
from engine.answer.export import conversation_markdown
from engine.answer.prompting import FULL_SHAPE, READER_SHAPE, PromptBuilder, PromptShape
from engine.answer.query_proposal import ModelProposer
from engine.answer.suggestions import SUGGESTIONS, SuggestedQuestion, suggest_questions
from engine.errors import DocentError, UserInputError
from engine.index.indexer import Indexer, IndexReport
from engine.index.reembedding import check_embedder, reembed_store
from engine.index.vector_index import IndexParams, open_index
from engine.index.watcher import FolderWatcher
from engine.jobs import CancelToken, IndexProgressCallback
from engine.models.choice import resolve_model
from engine.models.embedder_choice import open_embedder
from engine.models.embedding import Embedder
from engine.models.generation import LlamaGenerator
from engine.resources import bundled_adapters
from engine.search.multistep import MODEL_BUDGET_S, RULES_BUDGET_S, MultiStepSearch
from engine.search.retrieval import Mode, Retriever, SearchHit
from engine.settings import Paths, Settings, load_settings, resolve_paths, save_settings
from engine.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FolderInfo:
    path: str
    documents: int
    exists: bool


@dataclass(frozen=True, slots=True)
class Problem:
    path: str
    status: str  # 'failed' or 'skipped'
    reason: str


@dataclass(frozen=True, slots=True)
class Status:
    data_dir: str
    embedder: str | None
    folders: tuple[FolderInfo, ...]
    documents: int
    indexed: int
    failed: int
    skipped: int
    chunks: int
    problems: tuple[Problem, ...]
    read_by_ocr: tuple[tuple[str, tuple[int, ...]], ...] = ()  # (path, its pages read by OCR)

    def to_dict(self) -> dict[str, object]:
        return {
            "data_dir": self.data_dir,
            "embedder": self.embedder,
            "folders": [
                {"path": f.path, "documents": f.documents, "exists": f.exists} for f in self.folders
            ],
            "documents": self.documents,
            "indexed": self.indexed,
            "failed": self.failed,
            "skipped": self.skipped,
            "chunks": self.chunks,
            "read_by_ocr": [
                {"path": path, "pages": list(pages)} for path, pages in self.read_by_ocr
            ],
            "failures": [
                {"path": p.path, "status": p.status, "reason": p.reason} for p in self.problems
            ],
        }


class Assistant:
    """One Docent home: its settings, store, index and (optionally) a live watcher."""

    def __init__(
        self,
        home: str | Path | None = None,
        settings: Settings | None = None,
        embedder: Embedder | None = None,
        generator: LlamaGenerator | None = None,
    ) -> None:
        self.paths: Paths = resolve_paths(home).ensure()
        self.settings = settings or load_settings(self.paths)
        self.store = Store(self.paths.database)
        self._embedder: Embedder | None = embedder
        self._generator: LlamaGenerator | None = generator
        self._answerer: Answerer | None = None
        self._indexer: Indexer | None = None
        self._retriever: Retriever | None = None
        self._watcher: FolderWatcher | None = None
        self._lock = threading.Lock()
        library = AdapterLibrary(self.paths.adapters_dir)
        install_bundled(library, bundled_adapters())
        self.voices = Voices(
            library, lambda: self.generator, lambda: self.reader, lambda: self.prompt_shape
        )
        self.conversations = ConversationStore(self.paths.data_dir / "conversations")

    # -- lazily built parts --------------------------------------------------------------

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = open_embedder(
                self.settings.embedder,
                self.settings.embedder_runtime,
                batch_size=self.settings.embed_batch_size,
            )
        return self._embedder

    def _parts(self) -> tuple[Indexer, Retriever]:
        with self._lock:
            if self._indexer is None or self._retriever is None:
                # before the vector index is opened: a store built by another embedder
                # (another dimension, even) is refused with the way out, not rebuilt
                check_embedder(self.store, self.embedder)
                params = IndexParams(
                    embedder=self.embedder.model_id,
                    dimension=self.embedder.dimension,
                    m=self.settings.hnsw_m,
                    ef_construction=self.settings.hnsw_ef_construction,
                )
                indexer_vectors, changed = open_index(
                    self.store, self.paths.index_dir, params, self.settings.hnsw_ef_search
                )
                self._indexer = Indexer(
                    self.store, self.embedder, indexer_vectors, self.settings, self.paths.index_dir
                )
                if changed:
                    self._indexer.mark_dirty()
                self._retriever = Retriever(
                    self.store,
                    self.embedder,
                    indexer_vectors,
                    rrf_k=self.settings.rrf_k,
                    dense_weight=self.settings.rrf_dense_weight,
                )
            return self._indexer, self._retriever

    @property
    def generator(self) -> LlamaGenerator:
        """The language model (checked now, loaded into llama.cpp on first use)."""
        with self._lock:
            if self._generator is None:
                self._generator = self._new_generator(self.settings.model)
            return self._generator

    def _new_generator(self, spec: str) -> LlamaGenerator:
        """A generator for a model setting value, with the answer settings (file checked)."""
        return LlamaGenerator(
            resolve_model(spec, self.paths.models_dir),
            n_ctx=self.settings.n_ctx,
            threads=self.settings.threads,
            chat_template=self.settings.chat_template or None,
            temperature=self.settings.temperature,
        )

    def use_model(self, spec: str | Path) -> LlamaGenerator:
        """Answer with another GGUF model from now on, kept in the settings.

        The file is checked before anything changes (ModelFileError / ModelNotFoundError
        leave the current model in place); it loads on first use. Adapters applied to the
        previous model are dropped with it.
        """
        replacement = self._new_generator(str(spec))
        with self._lock:
            previous, self._generator, self._answerer = self._generator, replacement, None
        if previous is not None:
            previous.close()
        model = str(replacement.path)
        self.settings = dataclasses.replace(self.settings, model=model)
        # Only the model changes in the file: changes saved there for the next start stay.
        save_settings(self.paths, dataclasses.replace(load_settings(self.paths), model=model))
        return replacement

    @property
    def relevance_gate(self) -> RelevanceGate:
        return RelevanceGate(
            self.settings.relevance_similarity,
            self.settings.relevance_coverage,
            self.settings.relevance_floor,
        )

    @property
    def reader(self) -> ReaderState:
        """Whether the built-in reader adapter applies to the model now answering."""
        generator = self.generator
        return reader_state(generator.path, generator.header, self.settings.reader)

    @property
    def prompt_shape(self) -> PromptShape:
        """The prompt the answering model reads: the reader's when it applies."""
        if not self.reader.applied:
            return FULL_SHAPE
        return replace(READER_SHAPE, sentences_per_source=max(0, self.settings.reader_sentences))

    @property
    def indexer(self) -> Indexer:
        return self._parts()[0]

    @property
    def retriever(self) -> Retriever:
        return self._parts()[1]

    @property
    def answerer(self) -> Answerer:
        """The answering pipeline for the model and index in use: built once, with the
        retriever it searches (use_model and reembed build it again)."""
        answerer = self._answerer
        if answerer is not None:
            return answerer
        # these read the generator and the index, which take the lock: before taking it
        generator = self.generator
        shape = self.prompt_shape
        decline = decline_policy(self.reader)
        retriever = self.retriever
        with self._lock:
            if self._answerer is None:
                builder = PromptBuilder(
                    generator,
                    self.settings.answer_tokens,
                    self.settings.history_turns,
                    shape,
                )
                # a model with a chat template can plan its own searches; the bundled
                # one cannot, and the rules do
                planner = ModelProposer(generator, builder) if builder.style == "chat" else None
                search = MultiStepSearch(
                    retriever,
                    self.settings.answer_sources,
                    self.settings.follow_up_weight,
                    max_extra=max(0, self.settings.lookup_steps),
                    budget_s=MODEL_BUDGET_S if planner else RULES_BUDGET_S,
                    proposer=planner,
                )
                gate = self.relevance_gate
                lister = DocumentLister(retriever, gate)
                self._answerer = Answerer(search, generator, builder, gate, decline, lister)
            return self._answerer

    # -- folders -------------------------------------------------------------------------

    def add_folder(self, path: str | Path) -> FolderInfo:
        """Add a folder to watch; its files are indexed by the next `index()`."""
        folder = Path(path).expanduser()
        if not folder.is_dir():
            raise UserInputError(f"{folder} is not a folder")
        resolved = str(folder.resolve())
        data = self.paths.data_dir.resolve()
        if data == Path(resolved) or Path(resolved) in data.parents:
            raise UserInputError(f"{resolved} holds Docent's own data dir; choose another folder")
        self.store.add_folder(resolved)
        if self._watcher is not None:
            try:
                self._watcher.watch(Path(resolved))
            except DocentError:  # e.g. the system's inotify limit: leave no half-added folder
                self.store.remove_folder(resolved)
                raise
        return self._folder_info(resolved)

    def remove_folder(self, path: str | Path) -> None:
        """Stop watching a folder and forget everything indexed from it."""
        resolved = str(Path(path).expanduser().resolve())
        known = {f.path for f in self.store.folders()}
        if resolved not in known and str(path) in known:
            resolved = str(path)  # the folder itself may be gone from disk
        if self._watcher is not None:
            self._watcher.unwatch(Path(resolved))
        removed = self.store.remove_folder(resolved)
        if removed and self._indexer is not None:
            self._indexer.vectors.remove(removed)
            self._indexer.mark_dirty()
        # Otherwise the saved index catches up with the store whenever it is next opened.

    def folders(self) -> list[FolderInfo]:
        return [self._folder_info(f.path) for f in self.store.folders()]

    def _folder_info(self, path: str) -> FolderInfo:
        return FolderInfo(path, len(self.store.documents_under(path)), Path(path).is_dir())

    # -- indexing ------------------------------------------------------------------------

    def index(
        self, progress: IndexProgressCallback | None = None, cancel: CancelToken | None = None
    ) -> IndexReport:
        """One reconcile pass over every watched folder."""
        indexer, _ = self._parts()
        return indexer.index_all(progress, cancel)

    def reembed(
        self, progress: IndexProgressCallback | None = None, cancel: CancelToken | None = None
    ) -> int:
        """Re-embed every passage with the configured embedder (after changing it).

        Until a re-embed completes, searching and indexing refuse to mix embedders.
        """
        with self._lock:
            if self._indexer is not None:
                self._indexer.close()
            self._indexer = self._retriever = self._answerer = None
        count = reembed_store(self.store, self.embedder, progress, cancel)
        self._parts()  # the manifest names the old embedder: the index is rebuilt
        return count

    def start_watching(
        self,
        on_indexed: Callable[[IndexReport], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Keep the index live: watch every folder, then reconcile what changed meanwhile."""
        indexer, _ = self._parts()
        if self._watcher is not None:
            return

        def on_batch(paths: set[Path]) -> None:
            report = indexer.index_paths(sorted(paths))
            if on_indexed is not None:
                on_indexed(report)

        watcher = FolderWatcher(
            on_batch,
            rules=indexer.rules,
            debounce_s=self.settings.debounce_ms / 1000,
            on_error=on_error,
        )
        for folder in self.store.folders():
            if Path(folder.path).is_dir():
                watcher.watch(Path(folder.path))
        watcher.start()
        self._watcher = watcher

    def stop_watching(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None

    # -- search and status ---------------------------------------------------------------

    def search(
        self,
        query: str,
        k: int | None = None,
        scope: str | Path | None = None,
        mode: Mode = "hybrid",
    ) -> list[SearchHit]:
        return self.search_many([query], k, scope, mode)[0]

    def search_many(
        self,
        queries: Sequence[str],
        k: int | None = None,
        scope: str | Path | None = None,
        mode: Mode = "hybrid",
    ) -> list[list[SearchHit]]:
        """Search several queries with one embedder call (the batch CLI form)."""
        _, retriever = self._parts()
        scope_text = str(Path(scope).expanduser().resolve()) if scope is not None else None
        return retriever.search_many(queries, k or self.settings.search_k, scope_text, mode)

    # -- answers -------------------------------------------------------------------------

    def ask(
        self,
        question: str,
        history: Sequence[Turn] = (),
        scope: str | Path | None = None,
        cancel: CancelToken | None = None,
        voice: Sequence[AdapterChoice] | None = None,
    ) -> Iterator[AskEvent]:
        """Answer from the indexed folders: SourcesFound, then AnswerText pieces, then Answer.

        `history` holds the conversation's earlier turns: follow-ups are retrieved with
        them in mind and the model sees the last few. `scope` limits retrieval to a folder.
        The answer comes in the voice applied now (`voices.use`); a `voice` given here is
        applied first and stays (a bad adapter raises AdapterError before anything else).
        """
        if not question.strip():
            raise UserInputError("the question is empty")
        scope_text = str(Path(scope).expanduser().resolve()) if scope is not None else None
        chosen = self.voices.prepare() if voice is None else self.voices.use(voice)
        reader = self.reader.applied
        answerer = self.answerer
        context = context_queries(question, history)
        for event in answerer.ask(question, history, context, scope_text, cancel):
            if isinstance(event, Answer):
                event = dataclasses.replace(event, voice=chosen, reader=reader)
            yield event

    def ask_in(
        self, conversation: Conversation, question: str, cancel: CancelToken | None = None
    ) -> Iterator[AskEvent]:
        """`ask` within a conversation (its turns and scope), in the voice applied now.
        The conversation keeps the new turn and the voice it was given in."""
        for event in self.ask(question, conversation.turns, conversation.scope, cancel):
            if isinstance(event, Answer) and not event.cancelled:
                conversation.turns.append(
                    Turn(
                        question,
                        event.text,
                        citations=event.citations,
                        voice=event.voice,
                        seconds=event.timings.total_ms / 1000,
                        citations_attributed=event.citations_attributed,
                    )
                )
                conversation.voice = event.voice
            yield event

    def suggest_questions(self, count: int = SUGGESTIONS) -> list[SuggestedQuestion]:
        """A few questions the indexed documents answer, for a newcomer to try (drawn
        from their headings and titles and checked by retrieval; no model is called)."""
        if not self.store.stats().indexed:
            return []
        return suggest_questions(self.store, self.retriever, self.relevance_gate, count)

    def export_conversation(self, conversation_id: str) -> str:
        """A saved conversation as Markdown, its citations resolved to file and place."""
        return conversation_markdown(self.conversations.load(conversation_id))

    def preload(self, cancel: CancelToken | None = None) -> None:
        """Load the embedder, the index and the model now (the app calls this at start)."""
        self._parts()
        self.voices.prepare()  # the reader, so the fixed prefix is evaluated under it
        self.answerer.prepare(cancel)

    def status(self) -> Status:
        stats = self.store.stats()
        return Status(
            data_dir=str(self.paths.data_dir),
            embedder=self.store.get_meta("embedder"),
            folders=tuple(self.folders()),
            documents=stats.documents,
            indexed=stats.indexed,
            failed=stats.failed,
            skipped=stats.skipped,
            chunks=stats.chunks,
            problems=tuple(Problem(d.path, d.status, d.error or "") for d in self.store.failures()),
            read_by_ocr=tuple(self.store.read_by_ocr()),
        )

    def close(self) -> None:
        """Stop watching, save the vector index, release files."""
        self.stop_watching()
        if self._indexer is not None:
            self._indexer.close()
        if self._generator is not None:
            self._generator.close()
        self.store.close()

    def __enter__(self) -> Assistant:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
