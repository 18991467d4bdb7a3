"""Search: keyword (FTS5) and vector search fused into one ranked list of passages."""
