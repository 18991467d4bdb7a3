"""Retrieval quality on SQuAD v1.1 dev: one file per paragraph, every question a query.

recall@5, MRR@10 and nDCG@10 for BM25 only, dense only and hybrid, over the same index.
The gold passage of a question is its own paragraph's file. Hybrid must beat both.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from bench import squad


def run(embedder: Any) -> dict[str, Any]:
    from engine.assistant import Assistant

    corpus = squad.load()
    results: dict[str, Any] = {"paragraphs": len(corpus.files), "questions": len(corpus.questions)}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "squad"
        squad.write(corpus, folder)
        with Assistant(home=Path(tmp) / "home", embedder=embedder) as assistant:
            assistant.add_folder(folder)
            started = time.perf_counter()
            assistant.sync()
            results["index_s"] = round(time.perf_counter() - started, 1)
            results["chunks"] = assistant.status().chunks
            golds = [str(folder / q.gold) for q in corpus.questions]
            texts = [q.text for q in corpus.questions]
            for mode in ("keyword", "dense", "hybrid"):
                started = time.perf_counter()
                hits = assistant.search_many(texts, k=10, mode=mode)
                seconds = time.perf_counter() - started
                quality = squad.score([[h.path for h in row] for row in hits], golds)
                results[mode] = {**quality.to_dict(), "seconds": round(seconds, 1)}
    hybrid, dense, keyword = results["hybrid"], results["dense"], results["keyword"]
    results["hybrid_beats_both"] = all(
        hybrid[m] > max(dense[m], keyword[m]) for m in ("recall@5", "mrr@10", "ndcg@10")
    )
    return results
