"""The SQLite store: Docent's source of truth for folders, documents, chunks and vectors.

WAL mode, one connection per thread, numbered migrations. Every change to chunks bumps a
generation counter so derived data (the hnswlib index) can tell whether it is current.
Vectors are stored here as float32 blobs, so the vector index can always be rebuilt.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from engine.errors import StoreError, UserInputError
from engine.store import sql
from engine.store.records import (
    ChunkRecord,
    DocumentRecord,
    Folder,
    NewChunk,
    StoreStats,
)
from engine.store.schema import migrate


class Store:
    """Thread-safe access to the database (each thread gets its own connection)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            migrate(self._conn())
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the database {self.path}: {exc}") from exc

    # -- connections and transactions -------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=30.0
            )
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA busy_timeout = 30000")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic write: everything inside commits together or not at all."""
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            try:
                conn.execute("COMMIT")
            except sqlite3.OperationalError as exc:
                conn.execute("ROLLBACK")
                raise StoreError(f"cannot write the database {self.path}: {exc}") from exc

    def close(self) -> None:
        with self._lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()
        self._local = threading.local()

    # -- metadata ----------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self._conn().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as conn:
            sql.set_meta(conn, key, value)

    def generation(self) -> int:
        """A counter bumped by every change to chunks."""
        return int(self.get_meta("generation") or 0)

    # -- folders -----------------------------------------------------------------------

    def add_folder(self, path: str) -> Folder:
        with self.transaction() as conn:
            for folder in sql.folders(conn):
                if folder.path == path:
                    return folder
                if sql.is_within(path, folder.path) or sql.is_within(folder.path, path):
                    raise UserInputError(
                        f"{path} overlaps the watched folder {folder.path}; "
                        "remove one before adding the other"
                    )
            cur = conn.execute(
                "INSERT INTO folders(path, added_at) VALUES (?, ?)", (path, time.time())
            )
            return Folder(int(cur.lastrowid or 0), path, time.time())

    def remove_folder(self, path: str) -> list[int]:
        """Forget a folder and everything indexed from it; returns the removed chunk ids."""
        with self.transaction() as conn:
            row = conn.execute("SELECT id FROM folders WHERE path = ?", (path,)).fetchone()
            if row is None:
                raise UserInputError(f"{path} is not a watched folder")
            removed = [
                r[0]
                for r in conn.execute(
                    "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id "
                    "WHERE d.folder_id = ?",
                    (row[0],),
                )
            ]
            conn.execute(
                "DELETE FROM chunks WHERE document_id IN "
                "(SELECT id FROM documents WHERE folder_id = ?)",
                (row[0],),
            )
            conn.execute("DELETE FROM documents WHERE folder_id = ?", (row[0],))
            conn.execute("DELETE FROM folders WHERE id = ?", (row[0],))
            if removed:
                sql.bump_generation(conn)
            return removed

    def folders(self) -> list[Folder]:
        return sql.folders(self._conn())

    # -- documents ---------------------------------------------------------------------

    def documents_under(self, prefix: str) -> dict[str, DocumentRecord]:
        """Every document whose path is `prefix` or lies inside it, by path."""
        lo, hi = sql.prefix_bounds(prefix)
        rows = self._conn().execute(
            f"SELECT {sql.DOC_COLUMNS} FROM documents WHERE path = ? OR (path >= ? AND path < ?)",
            (prefix, lo, hi),
        )
        return {row[2]: sql.document(row) for row in rows}

    def document(self, path: str) -> DocumentRecord | None:
        row = (
            self._conn()
            .execute(f"SELECT {sql.DOC_COLUMNS} FROM documents WHERE path = ?", (path,))
            .fetchone()
        )
        return sql.document(row) if row else None

    def indexed_with_sha256(self, sha256: str) -> DocumentRecord | None:
        """An indexed document with this content, if any (for renames and copies)."""
        row = (
            self._conn()
            .execute(
                f"SELECT {sql.DOC_COLUMNS} FROM documents WHERE sha256 = ? AND status = 'indexed' "
                "LIMIT 1",
                (sha256,),
            )
            .fetchone()
        )
        return sql.document(row) if row else None

    def failures(self) -> list[DocumentRecord]:
        rows = self._conn().execute(
            f"SELECT {sql.DOC_COLUMNS} FROM documents WHERE status != 'indexed' ORDER BY path"
        )
        return [sql.document(row) for row in rows]

    def read_by_ocr(self) -> list[tuple[str, tuple[int, ...]]]:
        """Every document with pages whose text was read by OCR, and those pages, by path."""
        rows = self._conn().execute(
            "SELECT path, ocr_pages FROM documents WHERE ocr_pages IS NOT NULL ORDER BY path"
        )
        return [(path, sql.pages_of(pages)) for path, pages in rows]

    def put_document(
        self,
        *,
        folder_id: int,
        path: str,
        size: int,
        mtime_ns: int,
        sha256: str | None,
        status: str,
        error: str | None = None,
        kind: str | None = None,
        pages: int | None = None,
        ocr_pages: Sequence[int] = (),
        title: str | None = None,
        chunks: Sequence[NewChunk] = (),
        vectors: np.ndarray | None = None,
    ) -> tuple[list[int], list[int]]:
        """Replace whatever is stored for `path` in one transaction.

        Returns (removed chunk ids, added chunk ids) so the vector index can follow.
        """
        if chunks and (vectors is None or len(vectors) != len(chunks)):
            raise ValueError("one vector per chunk is required")
        with self.transaction() as conn:
            removed = sql.delete_paths(conn, [path])
            cur = conn.execute(
                "INSERT INTO documents(folder_id, path, size, mtime_ns, sha256, status, error, "
                "kind, pages, ocr_pages, title, indexed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    folder_id,
                    path,
                    size,
                    mtime_ns,
                    sha256,
                    status,
                    error,
                    kind,
                    pages,
                    sql.pages_text(ocr_pages),
                    title,
                    time.time(),
                ),
            )
            doc_id = int(cur.lastrowid or 0)
            added = sql.insert_chunks(conn, doc_id, chunks, vectors)
            if removed or added:
                sql.bump_generation(conn)
            return removed, added

    def copy_document(
        self, source: DocumentRecord, *, folder_id: int, path: str, size: int, mtime_ns: int
    ) -> tuple[list[int], list[int]]:
        """Store `path` as a copy of an already indexed document: no re-embedding."""
        with self.transaction() as conn:
            removed = sql.delete_paths(conn, [path])
            cur = conn.execute(
                "INSERT INTO documents(folder_id, path, size, mtime_ns, sha256, status, error, "
                "kind, pages, ocr_pages, title, indexed_at) SELECT ?, ?, ?, ?, sha256, status, "
                "error, kind, pages, ocr_pages, title, ? FROM documents WHERE id = ?",
                (folder_id, path, size, mtime_ns, time.time(), source.id),
            )
            doc_id = int(cur.lastrowid or 0)
            before = conn.execute("SELECT IFNULL(MAX(id), 0) FROM chunks").fetchone()[0]
            conn.execute(
                "INSERT INTO chunks(document_id, ord, text, heading, page, char_start, char_end, "
                "line_start, line_end, tokens, vector) SELECT ?, ord, text, heading, page, "
                "char_start, char_end, line_start, line_end, tokens, vector FROM chunks "
                "WHERE document_id = ? ORDER BY ord",
                (doc_id, source.id),
            )
            added = [
                r[0]
                for r in conn.execute(
                    "SELECT id FROM chunks WHERE document_id = ? AND id > ?", (doc_id, before)
                )
            ]
            if removed or added:
                sql.bump_generation(conn)
            return removed, added

    def move_document(
        self, old_path: str, *, folder_id: int, new_path: str, size: int, mtime_ns: int
    ) -> list[int]:
        """Rename a document in place: its chunks and vectors stay as they are.

        Returns chunk ids of whatever was stored at `new_path` before (now removed).
        """
        with self.transaction() as conn:
            removed = sql.delete_paths(conn, [new_path]) if new_path != old_path else []
            conn.execute(
                "UPDATE documents SET path = ?, folder_id = ?, size = ?, mtime_ns = ? "
                "WHERE path = ?",
                (new_path, folder_id, size, mtime_ns, old_path),
            )
            if removed:
                sql.bump_generation(conn)
            return removed

    def touch_document(self, path: str, *, size: int, mtime_ns: int) -> None:
        """Record a new size/mtime for unchanged content (a `touch`)."""
        with self.transaction() as conn:
            conn.execute(
                "UPDATE documents SET size = ?, mtime_ns = ? WHERE path = ?",
                (size, mtime_ns, path),
            )

    def delete_documents(self, paths: Iterable[str]) -> list[int]:
        """Remove documents with their chunks, FTS rows and vectors; returns chunk ids."""
        paths = list(paths)
        if not paths:
            return []
        with self.transaction() as conn:
            removed = sql.delete_paths(conn, paths)
            if removed:
                sql.bump_generation(conn)
            return removed

    # -- chunks and vectors ------------------------------------------------------------

    def chunk_ids(self) -> np.ndarray:
        rows = self._conn().execute("SELECT id FROM chunks ORDER BY id").fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

    def iter_vectors(
        self, ids: Sequence[int] | None = None, batch: int = 4096
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(ids, float32 matrix) batches of stored vectors: all, or just `ids`."""
        conn = self._conn()
        if ids is None:
            last = 0
            while True:
                rows = conn.execute(
                    "SELECT id, vector FROM chunks WHERE id > ? ORDER BY id LIMIT ?",
                    (last, batch),
                ).fetchall()
                if not rows:
                    return
                last = rows[-1][0]
                yield sql.unpack(rows)
        else:
            id_list = [int(i) for i in ids]
            for start in range(0, len(id_list), 900):
                part = id_list[start : start + 900]
                marks = ",".join("?" * len(part))
                rows = conn.execute(
                    f"SELECT id, vector FROM chunks WHERE id IN ({marks}) ORDER BY id", part
                ).fetchall()
                if rows:
                    yield sql.unpack(rows)

    def update_vectors(self, ids: Sequence[int], vectors: np.ndarray) -> None:
        with self.transaction() as conn:
            conn.executemany(
                "UPDATE chunks SET vector = ? WHERE id = ?",
                (
                    (np.asarray(v, dtype=np.float32).tobytes(), int(i))
                    for i, v in zip(ids, vectors, strict=True)
                ),
            )
            sql.bump_generation(conn)

    def iter_chunk_texts(self, batch: int = 512) -> Iterator[list[tuple[int, str, str]]]:
        """(id, heading, text) batches of every chunk, for re-embedding."""
        last = 0
        conn = self._conn()
        while True:
            rows = conn.execute(
                "SELECT id, heading, text FROM chunks WHERE id > ? ORDER BY id LIMIT ?",
                (last, batch),
            ).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            yield rows

    def chunks(self, ids: Sequence[int]) -> dict[int, ChunkRecord]:
        conn = self._conn()
        out: dict[int, ChunkRecord] = {}
        id_list = [int(i) for i in ids]
        for start in range(0, len(id_list), 900):
            part = id_list[start : start + 900]
            marks = ",".join("?" * len(part))
            for row in conn.execute(
                f"{sql.CHUNK_SELECT} WHERE c.id IN ({marks})",
                part,
            ):
                out[row[0]] = sql.chunk(row)
        return out

    def document_chunks(self, document_id: int) -> list[ChunkRecord]:
        rows = self._conn().execute(
            f"{sql.CHUNK_SELECT} WHERE c.document_id = ? ORDER BY c.ord",
            (document_id,),
        )
        return [sql.chunk(row) for row in rows]

    def chunk_ids_under(self, prefix: str) -> set[int]:
        """Ids of chunks of documents inside directory `prefix` (or that exact file)."""
        lo, hi = sql.prefix_bounds(prefix)
        rows = self._conn().execute(
            "SELECT c.id FROM chunks c JOIN documents d ON d.id = c.document_id "
            "WHERE d.path = ? OR (d.path >= ? AND d.path < ?)",
            (prefix, lo, hi),
        )
        return {r[0] for r in rows}

    def keyword_search(
        self, match: str, limit: int, prefix: str | None = None
    ) -> list[tuple[int, float]]:
        """FTS5 BM25 search: (chunk id, bm25 score; lower is better), best first."""
        conn = self._conn()
        if prefix is None:
            statement = (
                "SELECT rowid, bm25(chunks_fts) AS s FROM chunks_fts WHERE chunks_fts MATCH ? "
                "ORDER BY s LIMIT ?"
            )
            args: tuple[object, ...] = (match, limit)
        else:
            lo, hi = sql.prefix_bounds(prefix)
            statement = (
                "SELECT f.rowid, bm25(chunks_fts) AS s FROM chunks_fts f "
                "JOIN chunks c ON c.id = f.rowid JOIN documents d ON d.id = c.document_id "
                "WHERE chunks_fts MATCH ? AND (d.path = ? OR (d.path >= ? AND d.path < ?)) "
                "ORDER BY s LIMIT ?"
            )
            args = (match, prefix, lo, hi, limit)
        try:
            return [(r[0], r[1]) for r in conn.execute(statement, args)]
        except sqlite3.OperationalError as exc:
            raise UserInputError(f"cannot search for {match!r}: {exc}") from exc

    def keyword_document_count(self, match: str) -> int:
        """How many passages match an FTS5 expression (no ranking: cheap)."""
        try:
            row = (
                self._conn()
                .execute("SELECT COUNT(*) FROM chunks_fts WHERE chunks_fts MATCH ?", (match,))
                .fetchone()
            )
        except sqlite3.OperationalError as exc:
            raise UserInputError(f"cannot search for {match!r}: {exc}") from exc
        return int(row[0])

    def stats(self) -> StoreStats:
        conn = self._conn()
        counts = dict(conn.execute("SELECT status, COUNT(*) FROM documents GROUP BY status"))
        return StoreStats(
            folders=conn.execute("SELECT COUNT(*) FROM folders").fetchone()[0],
            documents=sum(counts.values()),
            indexed=counts.get("indexed", 0),
            failed=counts.get("failed", 0),
            skipped=counts.get("skipped", 0),
            chunks=conn.execute("SELECT COUNT(*) FROM chunks").fetchone()[0],
        )

    def check_integrity(self) -> list[str]:
        """Problems found (orphan chunks, FTS out of step); empty when consistent."""
        conn = self._conn()
        problems = []
        orphans = conn.execute(
            "SELECT COUNT(*) FROM chunks WHERE document_id NOT IN (SELECT id FROM documents)"
        ).fetchone()[0]
        if orphans:
            problems.append(f"{orphans} chunks without a document")
        try:
            conn.execute("INSERT INTO chunks_fts(chunks_fts, rank) VALUES ('integrity-check', 1)")
        except sqlite3.DatabaseError as exc:
            problems.append(f"full-text index: {exc}")
        duplicates = conn.execute(
            "SELECT COUNT(*) FROM (SELECT document_id, ord FROM chunks "
            "GROUP BY document_id, ord HAVING COUNT(*) > 1)"
        ).fetchone()[0]
        if duplicates:
            problems.append(f"{duplicates} duplicated chunks")
        return problems
