"""Indexing throughput: the whole pipeline against raw embedding of the same chunks.

Both run in this process with the same loaded embedder. The pipeline (walk, hash, parse in
the worker process, chunk, embed, SQLite with FTS5, hnswlib) indexes a folder of SQuAD
paragraphs; the baseline is `SentenceTransformer.encode` of exactly the texts the pipeline
embedded, timed before and after the pipeline run (the mean is used). Target: ratio >= 0.85.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from bench import squad

ARTICLES = 12


def run(embedder: Any) -> dict[str, Any]:
    from engine.assistant import Assistant
    from engine.chunking import embedding_text

    corpus = squad.load(articles=ARTICLES)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "corpus"
        squad.write(corpus, folder)
        texts = _chunk_texts(folder, tmp, embedder)  # warm-up run; also yields the texts
        model = embedder._model
        baseline_before = _encode_seconds(model, texts, embedder.batch_size)
        with Assistant(home=Path(tmp) / "home", embedder=embedder) as assistant:
            assistant.add_folder(folder)
            started = time.perf_counter()
            report = assistant.sync()
            pipeline = time.perf_counter() - started
            rows = [r for batch in assistant.store.iter_chunk_texts() for r in batch]
            pipeline_texts = [embedding_text(h, t) for _, h, t in rows]
        baseline_after = _encode_seconds(model, pipeline_texts, embedder.batch_size)
    baseline = (baseline_before + baseline_after) / 2
    chunks = len(pipeline_texts)
    return {
        "files": report.added,
        "chunks": chunks,
        "pipeline_s": round(pipeline, 2),
        "raw_encode_s": round(baseline, 2),
        "raw_encode_runs_s": [round(baseline_before, 2), round(baseline_after, 2)],
        "pipeline_chunks_per_s": round(chunks / pipeline, 1),
        "raw_chunks_per_s": round(chunks / baseline, 1),
        "ratio": round(baseline / pipeline, 3),
        "target": ">= 0.85",
    }


def _chunk_texts(folder: Path, tmp: str, embedder: Any) -> list[str]:
    from engine.assistant import Assistant
    from engine.chunking import embedding_text

    with Assistant(home=Path(tmp) / "warmup", embedder=embedder) as assistant:
        assistant.add_folder(folder)
        assistant.sync()
        rows = [r for batch in assistant.store.iter_chunk_texts() for r in batch]
    return [embedding_text(h, t) for _, h, t in rows]


def _encode_seconds(model: Any, texts: list[str], batch_size: int) -> float:
    started = time.perf_counter()
    model.encode(
        texts,
        batch_size=batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return time.perf_counter() - started
