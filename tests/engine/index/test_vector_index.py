from __future__ import annotations

import numpy as np
import pytest

from engine.index.vector_index import MANIFEST, HnswIndex, IndexParams, open_index
from engine.store import NewChunk, Store

DIM = 16
PARAMS = IndexParams(embedder="test", dimension=DIM, m=8, ef_construction=50)


def _unit(n: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture()
def store(tmp_path):
    s = Store(tmp_path / "db.sqlite3")
    folder = s.add_folder("/d")
    for doc in range(30):
        vectors = _unit(10, seed=doc)
        chunks = [
            NewChunk(
                ord=i,
                text=f"doc {doc} chunk {i}",
                heading="",
                page=None,
                char_start=i,
                char_end=i + 1,
                line_start=None,
                line_end=None,
                tokens=3,
            )
            for i in range(10)
        ]
        s.put_document(
            folder_id=folder.id,
            path=f"/d/{doc}.txt",
            size=1,
            mtime_ns=1,
            sha256=str(doc),
            status="indexed",
            chunks=chunks,
            vectors=vectors,
        )
    yield s
    s.close()


def _all(store: Store) -> tuple[list[int], np.ndarray]:
    ids, matrices = zip(*store.iter_vectors(), strict=True)
    return np.concatenate(ids).tolist(), np.vstack(matrices)


def test_add_search_remove_and_grow():
    index = HnswIndex(PARAMS, capacity=16)
    vectors = _unit(100)
    index.add(list(range(1, 101)), vectors)  # grows past the initial capacity
    assert len(index) == 100
    best, similarity = index.search(vectors[41], 1)[0]
    assert best == 42 and similarity == pytest.approx(1.0, abs=1e-4)
    index.remove([42])
    assert 42 not in [label for label, _ in index.search(vectors[41], 10)]
    assert len(index) == 99
    index.add([500], vectors[41:42])  # reuses the deleted slot
    assert index.search(vectors[41], 1)[0][0] == 500


def test_allowed_set_restricts_results():
    index = HnswIndex(PARAMS)
    vectors = _unit(200, seed=3)
    index.add(list(range(200)), vectors)
    allowed = {5, 17, 190}
    labels = [label for label, _ in index.search(vectors[0], 10, allowed)]
    assert sorted(labels) == sorted(allowed)


def test_wrong_dimension_is_rejected():
    with pytest.raises(ValueError, match="dimension"):
        HnswIndex(PARAMS).add([1], np.zeros((1, DIM + 1), dtype=np.float32))


def test_save_load_roundtrip_is_not_rebuilt(store, tmp_path):
    index, changed = open_index(store, tmp_path / "idx", PARAMS)
    assert changed and len(index) == 300
    index.save(tmp_path / "idx", store.generation())
    again, changed = open_index(store, tmp_path / "idx", PARAMS)
    assert not changed and again.live_ids() == index.live_ids()


@pytest.mark.parametrize("damage", ["truncate", "garbage", "delete", "manifest"])
def test_damaged_index_is_rebuilt_from_store(store, tmp_path, damage):
    directory = tmp_path / "idx"
    index, _ = open_index(store, directory, PARAMS)
    index.save(directory, store.generation())
    (file,) = directory.glob("vectors-*.hnsw")
    if damage == "truncate":
        file.write_bytes(file.read_bytes()[: file.stat().st_size // 2])
    elif damage == "garbage":
        data = bytearray(file.read_bytes())
        data[100:200] = b"\xff" * 100
        file.write_bytes(bytes(data))
    elif damage == "delete":
        file.unlink()
    else:
        (directory / MANIFEST).write_text("{not json")
    rebuilt, changed = open_index(store, directory, PARAMS)
    assert changed
    ids, vectors = _all(store)
    assert rebuilt.live_ids() == set(ids)
    for position in (0, 123, 299):
        assert rebuilt.search(vectors[position], 1)[0][0] == ids[position]


def test_other_parameters_mean_rebuild(store, tmp_path):
    directory = tmp_path / "idx"
    index, _ = open_index(store, directory, PARAMS)
    index.save(directory, store.generation())
    other = IndexParams(embedder="another-embedder", dimension=DIM, m=8, ef_construction=50)
    rebuilt, changed = open_index(store, directory, other)
    assert changed and rebuilt.params == other and len(rebuilt) == 300


def test_index_behind_the_store_catches_up(store, tmp_path):
    """A process killed after a database commit but before saving the index."""
    directory = tmp_path / "idx"
    index, _ = open_index(store, directory, PARAMS)
    index.save(directory, store.generation())
    removed = store.delete_documents(["/d/3.txt"])
    folder = store.folders()[0]
    new_vector = _unit(1, seed=999)
    chunk = NewChunk(
        ord=0,
        text="new",
        heading="",
        page=None,
        char_start=0,
        char_end=3,
        line_start=None,
        line_end=None,
        tokens=1,
    )
    _, added = store.put_document(
        folder_id=folder.id,
        path="/d/new.txt",
        size=1,
        mtime_ns=1,
        sha256="n",
        status="indexed",
        chunks=[chunk],
        vectors=new_vector,
    )
    caught_up, changed = open_index(store, directory, PARAMS)
    assert changed
    live = caught_up.live_ids()
    assert live.isdisjoint(removed) and set(added) <= live and len(live) == 291
    assert caught_up.search(new_vector[0], 1)[0][0] == added[0]


def test_save_replaces_atomically_and_cleans_old_files(store, tmp_path):
    directory = tmp_path / "idx"
    index, _ = open_index(store, directory, PARAMS)
    index.save(directory, 1)
    index.save(directory, 2)
    assert len(list(directory.glob("vectors-*.hnsw"))) == 1
    assert not list(directory.glob("*.tmp"))
