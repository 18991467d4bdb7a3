"""SQL building blocks shared by the store's operations (inside a transaction)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from engine.store.records import ChunkRecord, DocumentRecord, Folder, NewChunk

DOC_COLUMNS = "id, folder_id, path, size, mtime_ns, sha256, status, error, kind, pages, ocr_pages"
CHUNK_COLUMNS = (
    "c.id, c.document_id, d.path, c.ord, c.text, c.heading, c.page, "
    "c.char_start, c.char_end, c.line_start, c.line_end, c.tokens, d.kind, "
    "(d.ocr_pages IS NOT NULL AND c.page IS NOT NULL "
    "AND instr(',' || d.ocr_pages || ',', ',' || c.page || ',') > 0)"
)


CHUNK_SELECT = f"SELECT {CHUNK_COLUMNS} FROM chunks c JOIN documents d ON d.id = c.document_id"


def pages_text(pages: Sequence[int]) -> str | None:
    """The stored form of a list of page numbers ("3,4"), NULL for none."""
    return ",".join(str(page) for page in pages) or None


def pages_of(text: str | None) -> tuple[int, ...]:
    return tuple(int(page) for page in text.split(",")) if text else ()


def document(row: Sequence[object]) -> DocumentRecord:
    """A documents row selected as DOC_COLUMNS."""
    record = DocumentRecord(*row[:-1])  # type: ignore[arg-type]
    return replace(record, ocr_pages=pages_of(row[-1])) if row[-1] else record  # type: ignore[arg-type]


def chunk(row: Sequence[object]) -> ChunkRecord:
    """A chunks row selected as CHUNK_COLUMNS."""
    record = ChunkRecord(*row[:-1])  # type: ignore[arg-type]
    return replace(record, ocr=bool(row[-1])) if row[-1] else record


def prefix_bounds(prefix: str) -> tuple[str, str]:
    """Half-open string range [lo, hi) holding exactly the paths inside directory `prefix`."""
    base = prefix.rstrip("/\\")
    return base + "/", base + "0"  # '0' is the character right after '/'


def folders(conn: sqlite3.Connection) -> list[Folder]:
    return [
        Folder(*row) for row in conn.execute("SELECT id, path, added_at FROM folders ORDER BY path")
    ]


def is_within(path: str, folder: str) -> bool:
    lo, hi = prefix_bounds(folder)
    return lo <= path < hi


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO meta(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def bump_generation(conn: sqlite3.Connection) -> None:
    conn.execute(
        "INSERT INTO meta(key, value) VALUES ('generation', '1') "
        "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
    )


def delete_paths(conn: sqlite3.Connection, paths: Sequence[str]) -> list[int]:
    removed: list[int] = []
    for path in paths:
        row = conn.execute("SELECT id FROM documents WHERE path = ?", (path,)).fetchone()
        if row is None:
            continue
        removed.extend(
            r[0] for r in conn.execute("SELECT id FROM chunks WHERE document_id = ?", (row[0],))
        )
        conn.execute("DELETE FROM chunks WHERE document_id = ?", (row[0],))
        conn.execute("DELETE FROM documents WHERE id = ?", (row[0],))
    return removed


def insert_chunks(
    conn: sqlite3.Connection,
    doc_id: int,
    chunks: Sequence[NewChunk],
    vectors: np.ndarray | None,
) -> list[int]:
    added = []
    for chunk, vector in zip(chunks, vectors if vectors is not None else [], strict=False):
        cur = conn.execute(
            "INSERT INTO chunks(document_id, ord, text, heading, page, char_start, char_end, "
            "line_start, line_end, tokens, vector) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                doc_id,
                chunk.ord,
                chunk.text,
                chunk.heading,
                chunk.page,
                chunk.char_start,
                chunk.char_end,
                chunk.line_start,
                chunk.line_end,
                chunk.tokens,
                np.asarray(vector, dtype=np.float32).tobytes(),
            ),
        )
        added.append(int(cur.lastrowid or 0))
    return added


def unpack(rows: list[tuple[int, bytes]]) -> tuple[np.ndarray, np.ndarray]:
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    matrix = np.vstack([np.frombuffer(r[1], dtype=np.float32) for r in rows])
    return ids, matrix
