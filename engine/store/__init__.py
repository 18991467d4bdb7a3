"""The SQLite store: Docent's source of truth for folders, documents, chunks and vectors."""

from engine.store.database import Store
from engine.store.records import ChunkRecord, DocumentRecord, Folder, NewChunk, StoreStats
from engine.store.sql import prefix_bounds

__all__ = [
    "ChunkRecord",
    "DocumentRecord",
    "Folder",
    "NewChunk",
    "Store",
    "StoreStats",
    "prefix_bounds",
]
