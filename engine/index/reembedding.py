"""Which embedder built the index, and re-embedding everything when it changes.

Vectors of two embedders must never mix: the store records the embedder that built its
vectors, opening it with another one is refused, and `reembed_store` converts it.
"""

from __future__ import annotations

from engine.errors import EmbedderMismatchError
from engine.index.chunking import embedding_text
from engine.jobs import CancelToken, IndexProgress, IndexProgressCallback
from engine.models.embedding import Embedder
from engine.store import Store


def reembed_store(
    store: Store,
    embedder: Embedder,
    progress: IndexProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> int:
    """Re-embed every stored chunk with `embedder`; returns how many were done.

    The embedder is recorded only once every chunk is done, so a cancelled run still
    refuses to mix embedders and can simply be run again.
    """
    total = store.stats().chunks
    done = 0
    for rows in store.iter_chunk_texts(batch=256):
        if cancel is not None and cancel.cancelled:
            return done
        vectors = embedder.embed([embedding_text(h, t) for _, h, t in rows])
        store.update_vectors([r[0] for r in rows], vectors)
        done += len(rows)
        if progress is not None:
            progress(IndexProgress(done, total, done, None))
    record_embedder(store, embedder)
    return done


def check_embedder(store: Store, embedder: Embedder) -> None:
    """Refuse to mix vectors of two embedders; record the embedder on first use."""
    recorded = store.get_meta("embedder")
    if recorded is None or store.stats().chunks == 0:
        record_embedder(store, embedder)
        return
    if recorded != embedder.model_id:
        raise EmbedderMismatchError(
            f"the index was built with the embedder {recorded!r} but the settings name "
            f"{embedder.model_id!r}; run `docent reembed` to re-embed every passage, "
            "or switch the setting back"
        )


def record_embedder(store: Store, embedder: Embedder) -> None:
    store.set_meta("embedder", embedder.model_id)
    store.set_meta("dimension", str(embedder.dimension))
