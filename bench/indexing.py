"""Indexing throughput: the whole pipeline against raw embedding of the same chunks.

Both run in this process with the same loaded embedder. The pipeline (walk, hash, parse in
the worker process, chunk, embed, SQLite with FTS5, hnswlib) indexes a folder of SQuAD
paragraphs into a fresh home; the baseline is `SentenceTransformer.encode` of exactly the
texts the pipeline embedded. The two alternate for ROUNDS rounds after a warm-up, and the
ratio of the medians is reported, because this machine's speed drifts between runs.
Target: ratio >= 0.85.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import squad

ARTICLES = 12
ROUNDS = 3


def run(embedder: Any) -> dict[str, Any]:
    corpus = squad.load(articles=ARTICLES)
    pipeline_runs: list[float] = []
    baseline_runs: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "corpus"
        squad.write(corpus, folder)
        _, texts, files = _index(folder, Path(tmp) / "warmup", embedder)  # warm caches
        for round_number in range(ROUNDS):
            baseline_runs.append(_encode_seconds(embedder, texts))
            seconds, texts, files = _index(folder, Path(tmp) / f"run{round_number}", embedder)
            pipeline_runs.append(seconds)
    pipeline = statistics.median(pipeline_runs)
    baseline = statistics.median(baseline_runs)
    chunks = len(texts)
    return {
        "files": files,
        "chunks": chunks,
        "rounds": ROUNDS,
        "pipeline_s": round(pipeline, 2),
        "raw_encode_s": round(baseline, 2),
        "pipeline_runs_s": [round(s, 2) for s in pipeline_runs],
        "raw_encode_runs_s": [round(s, 2) for s in baseline_runs],
        "pipeline_chunks_per_s": round(chunks / pipeline, 1),
        "raw_chunks_per_s": round(chunks / baseline, 1),
        "ratio": round(baseline / pipeline, 3),
        "target": ">= 0.85",
    }


def _index(folder: Path, home: Path, embedder: Any) -> tuple[float, list[str], int]:
    """Seconds for a full first sync, the texts it embedded, and the files it added."""
    from engine.assistant import Assistant
    from engine.index.chunking import embedding_text

    with Assistant(home=home, embedder=embedder) as assistant:
        assistant.add_folder(folder)
        started = time.perf_counter()
        report = assistant.index()
        seconds = time.perf_counter() - started
        rows = [r for batch in assistant.store.iter_chunk_texts() for r in batch]
    return seconds, [embedding_text(h, t) for _, h, t in rows], report.added


def _encode_seconds(embedder: Any, texts: list[str]) -> float:
    started = time.perf_counter()
    embedder._model.encode(
        texts,
        batch_size=embedder.batch_size,
        normalize_embeddings=True,
        convert_to_numpy=True,
        show_progress_bar=False,
    )
    return time.perf_counter() - started
