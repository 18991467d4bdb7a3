"""The database schema as numbered migrations, applied in order via PRAGMA user_version."""

from __future__ import annotations

import sqlite3

from engine.errors import StoreError

MIGRATIONS: tuple[str, ...] = (
    # 1: folders, documents, chunks with their vectors, FTS5 over chunk text.
    """
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE folders (
        id       INTEGER PRIMARY KEY,
        path     TEXT NOT NULL UNIQUE,
        added_at REAL NOT NULL
    );
    CREATE TABLE documents (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        folder_id  INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
        path       TEXT NOT NULL UNIQUE,
        size       INTEGER NOT NULL,
        mtime_ns   INTEGER NOT NULL,
        sha256     TEXT,
        status     TEXT NOT NULL CHECK (status IN ('indexed', 'failed', 'skipped')),
        error      TEXT,
        kind       TEXT,
        pages      INTEGER,
        title      TEXT,
        indexed_at REAL NOT NULL
    );
    CREATE INDEX documents_folder ON documents(folder_id);
    CREATE INDEX documents_sha256 ON documents(sha256);
    CREATE TABLE chunks (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
        ord         INTEGER NOT NULL,
        text        TEXT NOT NULL,
        heading     TEXT NOT NULL DEFAULT '',
        page        INTEGER,
        char_start  INTEGER NOT NULL,
        char_end    INTEGER NOT NULL,
        line_start  INTEGER,
        line_end    INTEGER,
        tokens      INTEGER NOT NULL,
        vector      BLOB NOT NULL
    );
    CREATE INDEX chunks_document ON chunks(document_id, ord);
    CREATE VIRTUAL TABLE chunks_fts USING fts5(
        text, heading,
        content = 'chunks', content_rowid = 'id',
        tokenize = 'porter unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER chunks_ai AFTER INSERT ON chunks BEGIN
        INSERT INTO chunks_fts(rowid, text, heading) VALUES (new.id, new.text, new.heading);
    END;
    CREATE TRIGGER chunks_ad AFTER DELETE ON chunks BEGIN
        INSERT INTO chunks_fts(chunks_fts, rowid, text, heading)
        VALUES ('delete', old.id, old.text, old.heading);
    END;
    CREATE TRIGGER chunks_au AFTER UPDATE OF text, heading ON chunks BEGIN
        INSERT INTO chunks_fts(chunks_fts, rowid, text, heading)
        VALUES ('delete', old.id, old.text, old.heading);
        INSERT INTO chunks_fts(rowid, text, heading) VALUES (new.id, new.text, new.heading);
    END;
    """,
    # 2: the pages of a document whose text was read by OCR ("3,4"; NULL when none).
    """
    ALTER TABLE documents ADD COLUMN ocr_pages TEXT;
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the database to SCHEMA_VERSION; refuse a database from a newer Docent."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"the database was written by a newer Docent (schema {version}, this one knows "
            f"{SCHEMA_VERSION}); update Docent or move the data dir aside"
        )
    for number in range(version + 1, SCHEMA_VERSION + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(MIGRATIONS[number - 1]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def _statements(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    statements: list[str] = []
    current: list[str] = []
    for line in script.strip().splitlines():
        current.append(line)
        candidate = "\n".join(current).strip()
        if candidate and sqlite3.complete_statement(candidate):
            statements.append(candidate)
            current = []
    if "\n".join(current).strip():
        raise ValueError("incomplete SQL statement in migration")
    return statements
