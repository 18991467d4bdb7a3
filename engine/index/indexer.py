"""The indexer: reconciles folders on disk with the store and the vector index.

A file is new or changed when its size or mtime differ from the store, confirmed by its
sha256 (a `touch` re-embeds nothing). A file that vanished while another with the same
content appeared was renamed or moved: its chunks and vectors are kept as they are. Each
file is committed in its own transaction and the vector index follows the commits, so a
run killed at any moment leaves a consistent store that the next run completes.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.errors import ParseError, SkippedFile
from engine.hashing import file_sha256
from engine.index.chunking import Chunk, ChunkingPolicy, chunk_blocks
from engine.index.ignore import IgnoreRules
from engine.index.recycle import RecycleBin
from engine.index.vector_index import HnswIndex
from engine.jobs import CancelToken, IndexProgress, IndexProgressCallback
from engine.models.embedding import Embedder
from engine.parsing import ParsedDocument
from engine.parsing.worker import ParserBugError, ParseWorker
from engine.settings import Settings
from engine.store import DocumentRecord, Folder, NewChunk, Store

log = logging.getLogger(__name__)

# Chunks are gathered across files and embedded sorted by length, so batches hold texts of
# similar length (little padding); slices keep cancel and progress responsive.
EMBED_FLUSH_CHUNKS = 512
EMBED_SLICE = 128
SAVE_INTERVAL_S = 30.0


@dataclass(slots=True)
class _Tally:
    """What a reconcile pass has done so far (mutable while it runs)."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    moved: int = 0
    copied: int = 0
    touched: int = 0
    unchanged: int = 0
    chunks_added: int = 0
    chunks_removed: int = 0
    chunks_embedded: int = 0
    cancelled: bool = False
    failures: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0

    def freeze(self) -> IndexReport:
        values = {name: getattr(self, name) for name in _Tally.__slots__}
        values["failures"] = tuple(self.failures)
        values["skipped"] = tuple(self.skipped)
        return IndexReport(**values)


@dataclass(frozen=True, slots=True)
class IndexReport:
    """What one reconcile pass did."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    moved: int = 0
    copied: int = 0
    touched: int = 0
    unchanged: int = 0
    chunks_added: int = 0
    chunks_removed: int = 0
    chunks_embedded: int = 0
    cancelled: bool = False
    failures: tuple[tuple[str, str], ...] = ()
    skipped: tuple[tuple[str, str], ...] = ()
    seconds: float = 0.0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed or self.moved or self.copied)


@dataclass(frozen=True, slots=True)
class _Stat:
    size: int
    mtime_ns: int


@dataclass(slots=True)
class _Pending:
    """A parsed file waiting for its chunks to be embedded."""

    folder_id: int
    path: str
    stat: _Stat
    sha256: str
    parsed: ParsedDocument
    chunks: list[Chunk]
    is_new: bool


class Indexer:
    """Keeps store and vector index in step with the watched folders."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        vectors: HnswIndex,
        settings: Settings,
        index_dir: Path,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.vectors = vectors
        self.settings = settings
        self.index_dir = index_dir
        self.rules = IgnoreRules(settings.ignore_patterns)
        self.policy = ChunkingPolicy(
            target_tokens=settings.chunk_tokens,
            max_tokens=settings.chunk_max_tokens,
            overlap_tokens=settings.chunk_overlap_tokens,
        )
        self._worker = ParseWorker(
            timeout_s=settings.parse_timeout_s,
            max_bytes=int(settings.max_file_mb * 2**20),
            ocr=settings.ocr,
        )
        self.recycle = RecycleBin()
        self._lock = threading.RLock()  # one reconcile at a time (CLI, watcher, GUI)
        self._dirty = False
        self._last_save = time.monotonic()

    def close(self) -> None:
        self.save_index(force=True)
        self._worker.close()

    # -- entry points --------------------------------------------------------------------

    def index_all(
        self, progress: IndexProgressCallback | None = None, cancel: CancelToken | None = None
    ) -> IndexReport:
        """Reconcile every watched folder with the disk."""
        folders = self.store.folders()
        return self._index_folders(folders, [Path(f.path) for f in folders], progress, cancel)

    def index_paths(
        self,
        paths: Iterable[Path],
        progress: IndexProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> IndexReport:
        """Reconcile just these paths (files or directories), as reported by the watcher."""
        return self._index_folders(self.store.folders(), list(paths), progress, cancel)

    def save_index(self, force: bool = False) -> None:
        """Persist the vector index if it changed (at most every 30 s unless forced)."""
        with self._lock:
            if not self._dirty:
                return
            if not force and time.monotonic() - self._last_save < SAVE_INTERVAL_S:
                return
            self.vectors.save(self.index_dir, self.store.generation())
            self._dirty = False
            self._last_save = time.monotonic()

    def mark_dirty(self) -> None:
        self._dirty = True

    # -- reconcile -----------------------------------------------------------------------

    def _index_folders(
        self,
        folders: list[Folder],
        scopes: list[Path],
        progress: IndexProgressCallback | None,
        cancel: CancelToken | None,
    ) -> IndexReport:
        started = time.perf_counter()
        report = _Tally()
        with self._lock:
            on_disk: dict[str, tuple[int, _Stat]] = {}
            stored: dict[str, DocumentRecord] = {}
            for scope in scopes:
                folder = _owning_folder(folders, scope)
                if folder is None:
                    continue
                root = Path(folder.path)
                if not root.is_dir():
                    # An unplugged drive or a moved folder: keep what we know.
                    report.failures.append((folder.path, "folder not found"))
                    continue
                stored.update(self.store.documents_under(str(scope)))
                for path, stat in self._scan(scope, root):
                    on_disk[path] = (folder.id, stat)
            self._index_file(on_disk, stored, report, progress, cancel)
            self.save_index()
        report.seconds = time.perf_counter() - started
        return report.freeze()

    def _scan(self, scope: Path, root: Path) -> Iterable[tuple[str, _Stat]]:
        if scope != root and self.rules.ignores(scope, root):
            return
        if scope.is_dir():
            candidates: Iterable[Path] = self.rules.walk(root, start=scope)
        elif scope.is_file():
            candidates = [scope]
        else:
            return
        for path in candidates:
            try:
                st = path.stat()
            except OSError:
                continue  # vanished between listing and stat
            yield str(path), _Stat(st.st_size, st.st_mtime_ns)

    def _index_file(
        self,
        on_disk: dict[str, tuple[int, _Stat]],
        stored: dict[str, DocumentRecord],
        report: _Tally,
        progress: IndexProgressCallback | None,
        cancel: CancelToken | None,
    ) -> None:
        gone = {path: doc for path, doc in stored.items() if path not in on_disk}
        gone_by_sha = {doc.sha256: doc for doc in gone.values() if doc.status == "indexed"}
        todo: list[tuple[str, int, _Stat, DocumentRecord | None]] = []
        for path, (folder_id, stat) in sorted(on_disk.items()):
            doc = stored.get(path)
            if doc is not None and doc.size == stat.size and doc.mtime_ns == stat.mtime_ns:
                report.unchanged += 1
            else:
                todo.append((path, folder_id, stat, doc))

        total = len(todo)
        finished = 0
        to_parse: list[tuple[str, int, _Stat, str, bool]] = []
        for path, folder_id, stat, doc in todo:
            if cancel is not None and cancel.cancelled:
                report.cancelled = True
                return
            try:
                sha = file_sha256(Path(path))
            except OSError as exc:
                self._record_failure(folder_id, path, stat, None, _os_reason(exc), report)
                continue
            if doc is not None and doc.sha256 == sha:
                self.store.touch_document(path, size=stat.size, mtime_ns=stat.mtime_ns)
                report.touched += 1
            elif doc is None and sha in gone_by_sha:
                source = gone_by_sha.pop(sha)
                removed = self.store.move_document(
                    source.path,
                    folder_id=folder_id,
                    new_path=path,
                    size=stat.size,
                    mtime_ns=stat.mtime_ns,
                )
                gone.pop(source.path, None)
                self._follow(removed, [], None, report)
                report.moved += 1
            elif doc is None and (parked := self.recycle.take(sha)) is not None:
                removed, added = self.store.put_document(
                    folder_id=folder_id,
                    path=path,
                    size=stat.size,
                    mtime_ns=stat.mtime_ns,
                    sha256=sha,
                    status="indexed",
                    kind=parked.kind,
                    pages=parked.pages,
                    ocr_pages=parked.ocr_pages,
                    chunks=parked.chunks,
                    vectors=parked.vectors,
                )
                self._follow(removed, added, parked.vectors, report)
                report.moved += 1
            elif (original := self.store.indexed_with_sha256(sha)) is not None:
                removed, added = self.store.copy_document(
                    original, folder_id=folder_id, path=path, size=stat.size, mtime_ns=stat.mtime_ns
                )
                self._follow(removed, added, None, report)
                report.copied += 1
            else:
                to_parse.append((path, folder_id, stat, sha, doc is None))
                continue
            finished += 1
            if progress is not None:
                progress(IndexProgress(finished, total, report.chunks_added, path))

        # Deletions go after renames so a move is never mistaken for delete + add.
        if gone:
            self.recycle.keep(self.store, list(gone.values()))
            removed = self.store.delete_documents(gone)
            self._follow(removed, [], None, report)
            report.removed += len(gone)

        self._parse_and_embed(to_parse, finished, total, report, progress, cancel)

    def _parse_and_embed(
        self,
        jobs: list[tuple[str, int, _Stat, str, bool]],
        done: int,
        total: int,
        report: _Tally,
        progress: IndexProgressCallback | None,
        cancel: CancelToken | None,
    ) -> None:
        """Parse in the worker process while this thread chunks and embeds the previous file."""
        if not jobs:
            return
        pending: list[_Pending] = []
        self._worker.submit(jobs[0][0])
        for position, (path, folder_id, stat, sha, is_new) in enumerate(jobs):
            try:
                parsed: ParsedDocument | ParseError = self._worker.result()
            except ParseError as exc:
                parsed = exc
            except ParserBugError:  # a bug of ours: logged in full, the run goes on
                log.exception("parser bug while reading %s", path)
                parsed = ParseError(path, "internal parser error (details in the log)")
            if cancel is not None and cancel.cancelled:
                report.cancelled = True  # parsed but unembedded files are redone next run
                return
            if position + 1 < len(jobs):
                self._worker.submit(jobs[position + 1][0])
            if isinstance(parsed, ParseError):
                status = "skipped" if isinstance(parsed, SkippedFile) else "failed"
                self._record_failure(folder_id, path, stat, sha, parsed.reason, report, status)
            else:
                chunks = chunk_blocks(parsed.blocks, self.embedder.tokens, self.policy)
                pending.append(_Pending(folder_id, path, stat, sha, parsed, chunks, is_new))
                if sum(len(p.chunks) for p in pending) >= EMBED_FLUSH_CHUNKS and not self._flush(
                    pending, report, cancel
                ):
                    return
            done += 1
            if progress is not None:
                progress(IndexProgress(done, total, report.chunks_added, path))
        if self._flush(pending, report, cancel) and progress is not None:
            progress(IndexProgress(done, total, report.chunks_added, None))

    def _flush(self, pending: list[_Pending], report: _Tally, cancel: CancelToken | None) -> bool:
        """Embed and commit the pending files; False when cancelled (nothing committed)."""
        if not pending:
            return True
        texts = [chunk.embedding_text() for item in pending for chunk in item.chunks]
        vectors = self._embed_sorted(texts, cancel)
        if vectors is None:
            report.cancelled = True
            pending.clear()
            return False
        report.chunks_embedded += len(texts)
        offset = 0
        for item in pending:
            count = len(item.chunks)
            part = vectors[offset : offset + count]
            offset += count
            if count == 0:
                self._record_failure(
                    item.folder_id,
                    item.path,
                    item.stat,
                    item.sha256,
                    "no extractable text",
                    report,
                    "skipped",
                )
                continue
            removed, added = self.store.put_document(
                folder_id=item.folder_id,
                path=item.path,
                size=item.stat.size,
                mtime_ns=item.stat.mtime_ns,
                sha256=item.sha256,
                status="indexed",
                kind=item.parsed.kind,
                pages=item.parsed.pages,
                ocr_pages=item.parsed.ocr_pages,
                title=item.parsed.title,
                chunks=[_to_record(i, c) for i, c in enumerate(item.chunks)],
                vectors=part,
            )
            self._follow(removed, added, part, report)
            if item.is_new:
                report.added += 1
            else:
                report.updated += 1
        pending.clear()
        return True

    def _embed_sorted(self, texts: list[str], cancel: CancelToken | None) -> np.ndarray | None:
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        vectors = np.empty((len(texts), self.vectors.params.dimension), dtype=np.float32)
        for start in range(0, len(order), EMBED_SLICE):
            if cancel is not None and cancel.cancelled:
                return None
            part = order[start : start + EMBED_SLICE]
            vectors[part] = self.embedder.embed([texts[i] for i in part])
        return vectors

    def _record_failure(
        self,
        folder_id: int,
        path: str,
        stat: _Stat,
        sha: str | None,
        reason: str,
        report: _Tally,
        status: str = "failed",
    ) -> None:
        removed, _ = self.store.put_document(
            folder_id=folder_id,
            path=path,
            size=stat.size,
            mtime_ns=stat.mtime_ns,
            sha256=sha,
            status=status,
            error=reason,
        )
        self._follow(removed, [], None, report)
        (report.skipped if status == "skipped" else report.failures).append((path, reason))

    def _follow(
        self,
        removed: list[int],
        added: list[int],
        vectors: np.ndarray | None,
        report: _Tally,
    ) -> None:
        """Apply a committed store change to the vector index."""
        if removed:
            self.vectors.remove(removed)
            report.chunks_removed += len(removed)
        if added:
            if vectors is None:
                for ids, matrix in self.store.iter_vectors(added):
                    self.vectors.add(ids.tolist(), matrix)
            else:
                self.vectors.add(added, vectors)
            report.chunks_added += len(added)
        if removed or added:
            self._dirty = True


def _owning_folder(folders: list[Folder], path: Path) -> Folder | None:
    text = str(path)
    for folder in folders:
        if text == folder.path or text.startswith(folder.path.rstrip(os.sep) + os.sep):
            return folder
    return None


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, FileNotFoundError):
        return "file not found"
    return f"cannot read: {exc.strerror or exc}"


def _to_record(ordinal: int, chunk: Chunk) -> NewChunk:
    return NewChunk(
        ord=ordinal,
        text=chunk.text,
        heading=chunk.heading_text,
        page=chunk.page,
        char_start=chunk.start,
        char_end=chunk.end,
        line_start=chunk.line_start,
        line_end=chunk.line_end,
        tokens=chunk.tokens,
    )
