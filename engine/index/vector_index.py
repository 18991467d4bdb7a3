"""The vector index: an hnswlib graph over chunk vectors, a cache of the store.

The store holds every vector; this index is derived from it. It is saved atomically with
the parameters it was built with (embedder, dimension, M, ef_construction), a checksum
and the store generation it reflects. On open, a missing, stale (other parameters) or
corrupt file is rebuilt from the store, and a merely behind one (the process was killed
after a database commit but before a save) is caught up by diffing chunk ids.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

import hnswlib
import numpy as np

from engine.store import Store

log = logging.getLogger(__name__)

MANIFEST = "vectors.json"
FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class IndexParams:
    """Everything that makes two index files interchangeable."""

    embedder: str
    dimension: int
    space: str = "ip"  # vectors are L2-normalised: inner product = cosine similarity
    m: int = 16
    ef_construction: int = 100


class VectorIndex(Protocol):
    """What retrieval and indexing need of a vector index."""

    def add(self, ids: Sequence[int], vectors: np.ndarray) -> None: ...

    def remove(self, ids: Iterable[int]) -> None: ...

    def search(
        self, vector: np.ndarray, k: int, allowed: set[int] | None = None
    ) -> list[tuple[int, float]]: ...

    def __len__(self) -> int: ...


class HnswIndex:
    """hnswlib with incremental add, delete and resize; thread-safe."""

    def __init__(
        self,
        params: IndexParams,
        ef_search: int = 96,
        capacity: int = 1024,
        *,
        loaded: tuple[hnswlib.Index, set[int], int] | None = None,
    ) -> None:
        self.params = params
        self.ef_search = ef_search
        self.loaded_generation = -1
        self._lock = threading.RLock()
        self._deleted: set[int] = set()
        if loaded is None:
            self._index = hnswlib.Index(space=params.space, dim=params.dimension)
            self._index.init_index(
                max_elements=max(capacity, 16),
                M=params.m,
                ef_construction=params.ef_construction,
                allow_replace_deleted=True,
            )
            self._live: set[int] = set()
        else:
            self._index, deleted, self.loaded_generation = loaded
            present = {int(i) for i in self._index.get_ids_list()}
            self._deleted = deleted & present
            self._live = present - deleted
        self._index.set_ef(ef_search)

    def __len__(self) -> int:
        return len(self._live)

    def live_ids(self) -> set[int]:
        with self._lock:
            return set(self._live)

    def add(self, ids: Sequence[int], vectors: np.ndarray) -> None:
        if len(ids) == 0:
            return
        vectors = np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(ids), -1)
        if vectors.shape[1] != self.params.dimension:
            raise ValueError(
                f"vector dimension {vectors.shape[1]} != index dimension {self.params.dimension}"
            )
        with self._lock:
            needed = self._index.element_count + len(ids)
            if needed > self._index.get_max_elements():
                self._index.resize_index(max(needed, int(self._index.get_max_elements() * 1.5)))
            self._index.add_items(
                vectors, np.asarray(ids, dtype=np.int64), replace_deleted=bool(self._deleted)
            )
            self._live.update(int(i) for i in ids)

    def remove(self, ids: Iterable[int]) -> None:
        with self._lock:
            for label in ids:
                label = int(label)
                if label in self._live:
                    self._index.mark_deleted(label)
                    self._live.discard(label)
                    self._deleted.add(label)

    def search(
        self, vector: np.ndarray, k: int, allowed: set[int] | None = None
    ) -> list[tuple[int, float]]:
        """Up to k (id, cosine similarity) pairs, best first, optionally within `allowed`."""
        with self._lock:
            population = len(self._live) if allowed is None else len(allowed & self._live)
            k = min(k, population)
            if k <= 0:
                return []
            query = np.ascontiguousarray(vector, dtype=np.float32).reshape(1, -1)
            self._index.set_ef(max(self.ef_search, k))
            try:
                labels, distances = self._index.knn_query(
                    query, k=k, filter=(allowed.__contains__ if allowed is not None else None)
                )
            except RuntimeError:  # too few reachable candidates: search exhaustively
                return self._exhaustive(query[0], k, allowed)
        return [(int(i), 1.0 - float(d)) for i, d in zip(labels[0], distances[0], strict=True)]

    def _exhaustive(
        self, query: np.ndarray, k: int, allowed: set[int] | None
    ) -> list[tuple[int, float]]:
        candidates = sorted(self._live if allowed is None else (allowed & self._live))
        if not candidates:
            return []
        vectors = np.asarray(self._index.get_items(candidates), dtype=np.float32)
        scores = vectors @ query
        order = np.argsort(-scores)[:k]
        return [(candidates[i], float(scores[i])) for i in order]

    # -- persistence -------------------------------------------------------------------

    def save(self, directory: Path, generation: int) -> None:
        """Write the index atomically: a new file, then the manifest that names it."""
        directory.mkdir(parents=True, exist_ok=True)
        with _exclusive(directory / ".lock"):
            self._save(directory, generation)

    def _save(self, directory: Path, generation: int) -> None:
        name = f"vectors-{generation}-{uuid.uuid4().hex[:8]}.hnsw"
        with self._lock:
            tmp = directory / (name + ".tmp")
            self._index.save_index(str(tmp))
            present = set(self._index.get_ids_list())
            self._deleted &= present  # replaced slots no longer exist
            deleted = sorted(self._deleted)
            live = len(self._live)
        os.replace(tmp, directory / name)
        manifest = {
            "format": FORMAT_VERSION,
            "file": name,
            "sha1": _file_digest(directory / name),
            "params": asdict(self.params),
            "generation": generation,
            "live": live,
            "deleted": deleted,
        }
        tmp_manifest = directory / (MANIFEST + ".tmp")
        tmp_manifest.write_text(json.dumps(manifest), encoding="utf-8")
        os.replace(tmp_manifest, directory / MANIFEST)
        for old in directory.glob("vectors-*.hnsw*"):
            if old.name != name:
                old.unlink(missing_ok=True)

    @classmethod
    def load(cls, directory: Path, params: IndexParams, ef_search: int = 96) -> HnswIndex:
        """Load a saved index; raises IndexUnusable (with the reason) when it cannot."""
        manifest_path = directory / MANIFEST
        if not manifest_path.exists():
            raise IndexUnusable("no saved index")
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            file = directory / manifest["file"]
            saved = IndexParams(**manifest["params"])
            deleted = {int(i) for i in manifest["deleted"]}
            live = int(manifest["live"])
            generation = int(manifest["generation"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise IndexUnusable(f"unreadable manifest ({exc})") from exc
        if manifest.get("format") != FORMAT_VERSION or saved != params:
            raise IndexUnusable("built with other parameters")
        if not file.exists():
            raise IndexUnusable("index file missing")
        if _file_digest(file) != manifest.get("sha1"):
            raise IndexUnusable("index file corrupt (checksum mismatch)")
        raw = hnswlib.Index(space=params.space, dim=params.dimension)
        try:
            raw.load_index(str(file), allow_replace_deleted=True)
        except (RuntimeError, ValueError, MemoryError) as exc:
            raise IndexUnusable(f"index file unreadable ({exc})") from exc
        index = cls(params, ef_search, loaded=(raw, deleted, generation))
        if len(index) != live:
            raise IndexUnusable("index file does not match its manifest")
        return index


@contextlib.contextmanager
def _exclusive(lock_file: Path):
    """Serialise saves between processes (a CLI search next to a running watcher)."""
    try:
        import fcntl
    except ImportError:  # Windows: saves are still atomic, just not serialised
        yield
        return
    with open(lock_file, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class IndexUnusable(Exception):
    """A saved index cannot be used and must be rebuilt (internal; never reaches users)."""


def _file_digest(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha1").hexdigest()


def rebuild(store: Store, params: IndexParams, ef_search: int = 96) -> HnswIndex:
    """A fresh index from every vector in the store."""
    total = store.stats().chunks
    index = HnswIndex(params, ef_search=ef_search, capacity=max(1024, int(total * 1.2)))
    for ids, vectors in store.iter_vectors():
        index.add(ids.tolist(), vectors)
    return index


def catch_up(index: HnswIndex, store: Store) -> tuple[int, int]:
    """Make the index hold exactly the store's chunks; returns (added, removed)."""
    stored = {int(i) for i in store.chunk_ids()}
    live = index.live_ids()
    missing = sorted(stored - live)
    extra = live - stored
    index.remove(extra)
    for ids, vectors in store.iter_vectors(missing):
        index.add(ids.tolist(), vectors)
    return len(missing), len(extra)


def open_index(
    store: Store, directory: Path, params: IndexParams, ef_search: int = 96
) -> tuple[HnswIndex, bool]:
    """Load the saved index, or rebuild it; then catch it up with the store.

    Returns (index, changed): `changed` means the in-memory index differs from the file.
    """
    generation = store.generation()
    try:
        index = HnswIndex.load(directory, params, ef_search)
    except IndexUnusable as reason:
        if store.stats().chunks or (directory / MANIFEST).exists():
            log.warning("rebuilding the vector index from the store: %s", reason)
        return rebuild(store, params, ef_search), True
    if index.loaded_generation == generation:
        return index, False
    added, removed = catch_up(index, store)
    if added or removed:
        log.info("vector index caught up with the store: +%d -%d", added, removed)
    return index, True
