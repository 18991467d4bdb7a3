from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from engine.errors import StoreError, UserInputError
from engine.store import NewChunk, Store, prefix_bounds
from engine.store.schema import SCHEMA_VERSION


def _chunks(*texts: str) -> list[NewChunk]:
    return [
        NewChunk(
            ord=i,
            text=t,
            heading="Intro",
            page=None,
            char_start=i * 100,
            char_end=i * 100 + len(t),
            line_start=i + 1,
            line_end=i + 1,
            tokens=5,
        )
        for i, t in enumerate(texts)
    ]


def _vectors(n: int, dim: int = 4) -> np.ndarray:
    rng = np.random.default_rng(n)
    v = rng.normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture()
def store(tmp_path):
    s = Store(tmp_path / "db.sqlite3")
    yield s
    s.close()


def _put(store: Store, folder_id: int, path: str, *texts: str, sha: str = "x"):
    return store.put_document(
        folder_id=folder_id,
        path=path,
        size=10,
        mtime_ns=1,
        sha256=sha,
        status="indexed",
        chunks=_chunks(*texts),
        vectors=_vectors(len(texts)),
    )


def test_schema_is_migrated_in_wal_mode(store, tmp_path):
    conn = sqlite3.connect(tmp_path / "db.sqlite3")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_newer_schema_is_refused(tmp_path):
    conn = sqlite3.connect(tmp_path / "db.sqlite3")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer Docent"):
        Store(tmp_path / "db.sqlite3")


def test_put_replace_and_delete_keep_fts_in_step(store):
    folder = store.add_folder("/docs")
    removed, added = _put(store, folder.id, "/docs/a.txt", "apples are red", "pears are green")
    assert removed == [] and len(added) == 2
    assert {cid for cid, _ in store.keyword_search('"apples"', 10)} == {added[0]}

    removed2, added2 = _put(store, folder.id, "/docs/a.txt", "bananas are yellow")
    assert sorted(removed2) == sorted(added)
    assert store.keyword_search('"apples"', 10) == []
    assert [cid for cid, _ in store.keyword_search('"bananas"', 10)] == added2

    assert store.delete_documents(["/docs/a.txt"]) == added2
    assert store.keyword_search('"bananas"', 10) == []
    assert store.stats().chunks == 0
    assert store.check_integrity() == []


def test_move_keeps_chunk_ids_and_vectors(store):
    folder = store.add_folder("/docs")
    _, added = _put(store, folder.id, "/docs/a.txt", "alpha text")
    before = store.generation()
    store.move_document(
        "/docs/a.txt", folder_id=folder.id, new_path="/docs/sub/b.txt", size=10, mtime_ns=2
    )
    assert store.document("/docs/a.txt") is None
    assert store.document("/docs/sub/b.txt").status == "indexed"
    assert store.chunks(added)[added[0]].path == "/docs/sub/b.txt"
    assert store.generation() == before  # vectors untouched: nothing for the index to do


def test_copy_reuses_vectors(store):
    folder = store.add_folder("/docs")
    _, added = _put(store, folder.id, "/docs/a.txt", "alpha", "beta", sha="s1")
    source = store.indexed_with_sha256("s1")
    _, copied = store.copy_document(
        source, folder_id=folder.id, path="/docs/copy.txt", size=10, mtime_ns=3
    )
    assert len(copied) == 2 and set(copied).isdisjoint(added)
    ((_, original),) = store.iter_vectors(added)
    ((_, duplicate),) = store.iter_vectors(copied)
    np.testing.assert_array_equal(original, duplicate)


def test_generation_counts_chunk_changes(store):
    folder = store.add_folder("/docs")
    g0 = store.generation()
    _put(store, folder.id, "/docs/a.txt", "one")
    g1 = store.generation()
    store.touch_document("/docs/a.txt", size=10, mtime_ns=99)
    assert store.generation() == g1 > g0


def test_failure_record_replaces_old_chunks(store):
    folder = store.add_folder("/docs")
    _, added = _put(store, folder.id, "/docs/a.pdf", "text")
    removed, _ = store.put_document(
        folder_id=folder.id,
        path="/docs/a.pdf",
        size=1,
        mtime_ns=2,
        sha256="y",
        status="failed",
        error="damaged PDF: bad xref",
    )
    assert removed == added
    (failure,) = store.failures()
    assert failure.error == "damaged PDF: bad xref"


def test_overlapping_folders_are_refused(store):
    store.add_folder("/home/me/docs")
    with pytest.raises(UserInputError, match="overlaps"):
        store.add_folder("/home/me/docs/work")
    with pytest.raises(UserInputError, match="overlaps"):
        store.add_folder("/home/me")
    store.add_folder("/home/me/docs2")  # a sibling sharing a name prefix is fine


def test_remove_folder_drops_everything_under_it(store):
    a = store.add_folder("/a")
    b = store.add_folder("/b")
    _, added_a = _put(store, a.id, "/a/x.txt", "in a")
    _put(store, b.id, "/b/y.txt", "in b")
    assert sorted(store.remove_folder("/a")) == sorted(added_a)
    assert list(store.documents_under("/b")) == ["/b/y.txt"]
    assert store.documents_under("/a") == {}
    with pytest.raises(UserInputError):
        store.remove_folder("/a")


def test_prefix_scope_does_not_leak_into_siblings(store):
    folder = store.add_folder("/d")
    _, in_scope = _put(store, folder.id, "/d/work/a.txt", "shared word")
    _put(store, folder.id, "/d/workshop/b.txt", "shared word")
    assert store.chunk_ids_under("/d/work") == set(in_scope)
    assert [c for c, _ in store.keyword_search('"shared"', 10, "/d/work")] == in_scope
    lo, hi = prefix_bounds("/d/work")
    assert lo <= "/d/work/z" < hi and not (lo <= "/d/workshop" < hi)


def test_mismatched_vectors_are_rejected(store):
    folder = store.add_folder("/d")
    with pytest.raises(ValueError):
        store.put_document(
            folder_id=folder.id,
            path="/d/a",
            size=1,
            mtime_ns=1,
            sha256="z",
            status="indexed",
            chunks=_chunks("a", "b"),
            vectors=_vectors(1),
        )
    assert store.document("/d/a") is None  # the transaction never started


def _paged_chunks(*pages: int) -> list[NewChunk]:
    return [
        NewChunk(
            ord=i, text=f"text of page {page}", heading="", page=page, char_start=i * 20,
            char_end=i * 20 + 15, line_start=None, line_end=None, tokens=4,
        )
        for i, page in enumerate(pages)
    ]  # fmt: skip


def test_pages_read_by_ocr_are_kept_and_mark_their_passages(store):
    folder = store.add_folder("/d")
    _, added = store.put_document(
        folder_id=folder.id, path="/d/scan.pdf", size=1, mtime_ns=1, sha256="s",
        status="indexed", kind="pdf", pages=3, ocr_pages=(2, 3),
        chunks=_paged_chunks(1, 2, 3), vectors=_vectors(3),
    )  # fmt: skip
    _put(store, folder.id, "/d/note.txt", "plain text")

    assert store.document("/d/scan.pdf").ocr_pages == (2, 3)
    assert store.document("/d/note.txt").ocr_pages == ()
    chunks = store.chunks(added)
    assert [chunks[i].ocr for i in added] == [False, True, True]
    assert {chunks[i].kind for i in added} == {"pdf"}
    assert store.read_by_ocr() == [("/d/scan.pdf", (2, 3))]

    store.copy_document(
        store.document("/d/scan.pdf"), folder_id=folder.id, path="/d/copy.pdf", size=1,
        mtime_ns=2,
    )  # fmt: skip
    assert store.read_by_ocr() == [("/d/copy.pdf", (2, 3)), ("/d/scan.pdf", (2, 3))]


def test_a_store_from_before_ocr_gains_the_column_and_keeps_its_documents(tmp_path):
    from engine.store.schema import MIGRATIONS, _statements

    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path)
    for statement in _statements(MIGRATIONS[0]):
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO folders(id, path, added_at) VALUES (1, '/d', 0)")
    conn.execute(
        "INSERT INTO documents(folder_id, path, size, mtime_ns, sha256, status, kind, pages, "
        "indexed_at) VALUES (1, '/d/a.pdf', 1, 1, 'x', 'indexed', 'pdf', 2, 0)"
    )
    conn.commit()
    conn.close()

    migrated = Store(path)
    try:
        assert migrated.document("/d/a.pdf").ocr_pages == ()
        assert migrated.read_by_ocr() == []
    finally:
        migrated.close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
