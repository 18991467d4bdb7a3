"""Recently removed documents, kept briefly so a split move re-embeds nothing.

A move is not always seen as one event: a file moved into a folder the watcher has not
started watching yet, or between two watched folders, or by a program that deletes and
re-creates, arrives as a deletion in one batch and a creation in a later one. The indexer
parks what it deletes here (chunks with their vectors, by content hash) for a short while;
a new file with the same sha256 takes them back instead of being parsed and embedded.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from engine.store import DocumentRecord, NewChunk, Store

KEEP_SECONDS = 60.0
MAX_CHUNKS = 20_000  # bounds memory (about 40 MB of text and vectors at most)


@dataclass(frozen=True, slots=True)
class RemovedDocument:
    kind: str | None
    pages: int | None
    chunks: tuple[NewChunk, ...]
    vectors: np.ndarray
    expires: float
    ocr_pages: tuple[int, ...] = ()


class RecycleBin:
    """Content-addressed, size-bounded, time-limited store of removed documents."""

    def __init__(self, keep_s: float = KEEP_SECONDS, max_chunks: int = MAX_CHUNKS) -> None:
        self.keep_s = keep_s
        self.max_chunks = max_chunks
        self._items: OrderedDict[str, RemovedDocument] = OrderedDict()
        self._chunks = 0

    def __len__(self) -> int:
        return len(self._items)

    def keep(self, store: Store, documents: list[DocumentRecord]) -> None:
        """Remember indexed documents that are about to be deleted from the store."""
        self._expire()
        for doc in documents:
            if doc.status != "indexed" or not doc.sha256 or doc.sha256 in self._items:
                continue
            records = store.document_chunks(doc.id)
            if not records or len(records) > self.max_chunks:
                continue
            vectors = np.vstack([m for _, m in store.iter_vectors([r.id for r in records])])
            chunks = tuple(r.as_new() for r in records)
            self._items[doc.sha256] = RemovedDocument(
                doc.kind, doc.pages, chunks, vectors, time.monotonic() + self.keep_s, doc.ocr_pages
            )
            self._chunks += len(chunks)
            while self._chunks > self.max_chunks:
                _, dropped = self._items.popitem(last=False)
                self._chunks -= len(dropped.chunks)

    def take(self, sha256: str) -> RemovedDocument | None:
        """The removed document with this content, if still kept (and forget it)."""
        self._expire()
        item = self._items.pop(sha256, None)
        if item is not None:
            self._chunks -= len(item.chunks)
        return item

    def _expire(self) -> None:
        now = time.monotonic()
        while self._items:
            sha, oldest = next(iter(self._items.items()))
            if oldest.expires > now:
                break
            del self._items[sha]
            self._chunks -= len(oldest.chunks)
