"""The recycle bin: a removed document's chunks and vectors, kept briefly by content."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engine.assistant import Assistant
from engine.index.recycle import RecycleBin
from tests.fakes import FakeEmbedder


@pytest.fixture()
def indexed(tmp_path: Path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Alpha paragraph about boilers.\n\nSecond alpha paragraph.\n")
    (docs / "b.txt").write_text("Beta paragraph about leases.\n")
    with Assistant(tmp_path / "home", embedder=FakeEmbedder()) as assistant:
        assistant.add_folder(docs)
        assistant.index()
        yield assistant.store


def test_a_kept_document_gives_back_its_chunks_and_vectors_once(indexed):
    documents = [d for d in indexed.documents_under("/").values() if d.path.endswith("a.txt")]
    records = indexed.document_chunks(documents[0].id)
    stored = np.vstack([v for _, v in indexed.iter_vectors([r.id for r in records])])
    bin_ = RecycleBin()
    bin_.keep(indexed, documents)
    assert len(bin_) == 1
    item = bin_.take(documents[0].sha256)
    assert item is not None
    assert [c.text for c in item.chunks] == [r.text for r in records]
    assert np.array_equal(item.vectors, stored)
    assert bin_.take(documents[0].sha256) is None  # taken once


def test_kept_documents_expire_and_the_bin_stays_bounded(indexed):
    documents = list(indexed.documents_under("/").values())
    expired = RecycleBin(keep_s=0.0)
    expired.keep(indexed, documents)
    assert all(expired.take(d.sha256) is None for d in documents)
    one_chunk = RecycleBin(max_chunks=1)
    one_chunk.keep(indexed, documents)
    assert sum(one_chunk.take(d.sha256) is not None for d in documents) <= 1
