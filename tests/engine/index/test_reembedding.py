"""Which embedder built the store: recorded, enforced, and converted by re-embedding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.errors import EmbedderMismatchError
from engine.index.reembedding import check_embedder, reembed_store
from engine.jobs import CancelToken
from engine.store import NewChunk, Store
from tests.fakes import FakeEmbedder


@pytest.fixture()
def store(tmp_path: Path):
    store = Store(tmp_path / "docent.db")
    first = FakeEmbedder()
    check_embedder(store, first)  # an empty store takes the first embedder it meets
    folder = store.add_folder(str(tmp_path))
    texts = [f"passage {i} about boilers" for i in range(300)]
    chunks = [NewChunk(i, t, "", None, 0, len(t), 1, 1, 5) for i, t in enumerate(texts)]
    store.put_document(
        folder_id=folder.id,
        path=str(tmp_path / "a.txt"),
        size=10,
        mtime_ns=1,
        sha256="x",
        status="indexed",
        chunks=chunks,
        vectors=first.embed(texts),
    )
    yield store
    store.close()


def test_another_embedder_is_refused_by_name(store):
    check_embedder(store, FakeEmbedder())
    with pytest.raises(EmbedderMismatchError, match=r"fake-hashed-words.*docent reembed"):
        check_embedder(store, FakeEmbedder("fake-other", 32))


def test_reembedding_converts_every_vector_and_records_the_embedder(store):
    other = FakeEmbedder("fake-other", 32)
    assert reembed_store(store, other) == 300
    check_embedder(store, other)
    ids = [row[0] for rows in store.iter_chunk_texts(batch=500) for row in rows]
    vectors = np.vstack([v for _, v in store.iter_vectors(ids)])
    assert vectors.shape == (300, 32)


def test_a_cancelled_reembed_still_refuses_to_mix(store):
    other = FakeEmbedder("fake-other", 32)
    cancel = CancelToken()
    seen = []

    def progress(p):
        seen.append(p.files_done)
        cancel.cancel()

    assert reembed_store(store, other, progress, cancel) == 256  # one batch, then stopped
    with pytest.raises(EmbedderMismatchError):
        check_embedder(store, other)
    assert seen == [256]
