"""Indexing: watched folders parsed, chunked and embedded into the store and vector index."""
