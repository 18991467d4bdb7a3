"""Retrieval quality on SQuAD v1.1 dev, and the calibration of the fusion weights.

The corpus is every dev paragraph, one file each; every question is a query whose gold
passage is its own paragraph's file. Reported: recall@5, MRR@10 and nDCG@10 for BM25 only,
dense only and hybrid, through the same `search_many` the CLI uses.

Calibration: the fusion constant k and the dense weight are chosen by MRR@10 on the
questions of the first 24 articles (a grid over the rankings both sides return) and
checked on the other 24 articles' questions, which played no part in the choice.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from bench import squad

GRID_K = (1, 2, 5, 10, 20, 60)
GRID_DENSE_WEIGHT = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1.0)
DEPTH = 50


def run(embedder: Any) -> dict[str, Any]:
    from engine.assistant import Assistant
    from engine.search.keywords import keyword_query

    corpus = squad.load()
    articles = list(dict.fromkeys(path.split("/")[0] for path in corpus.files))
    calibration_articles = set(articles[: len(articles) // 2])
    results: dict[str, Any] = {
        "paragraphs": len(corpus.files),
        "questions": len(corpus.questions),
    }
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "squad"
        squad.write(corpus, folder)
        with Assistant(home=Path(tmp) / "home", embedder=embedder) as assistant:
            assistant.add_folder(folder)
            started = time.perf_counter()
            assistant.index()
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

            # Calibration from the raw rankings of both sides.
            indexer = assistant.indexer
            vectors = embedder.embed(texts)
            dense = [[c for c, _ in indexer.vectors.search(v, DEPTH)] for v in vectors]
            keyword = []
            for text in texts:
                match = keyword_query(text)
                found = assistant.store.keyword_search(match, DEPTH) if match else []
                keyword.append([c for c, _ in found])
            ids = {c for row in dense + keyword for c in row}
            path_of = {c: r.path for c, r in assistant.store.chunks(sorted(ids)).items()}
            settings = assistant.settings
    calibrate = [q.gold.split("/")[0] in calibration_articles for q in corpus.questions]

    def ranked(lists: list[list[int]], selected: bool) -> squad.Quality:
        rows = [
            list(dict.fromkeys(path_of[c] for c in lists[i]))
            for i, use in enumerate(calibrate)
            if use == selected
        ]
        return squad.score(
            rows, [g for g, use in zip(golds, calibrate, strict=True) if use == selected]
        )

    def fused(k: int, weight: float) -> list[list[int]]:
        out = []
        for dense_row, keyword_row in zip(dense, keyword, strict=True):
            scores: dict[int, float] = {}
            for rank, cid in enumerate(dense_row, 1):
                scores[cid] = scores.get(cid, 0.0) + weight / (k + rank)
            for rank, cid in enumerate(keyword_row, 1):
                scores[cid] = scores.get(cid, 0.0) + 1.0 / (k + rank)
            out.append(sorted(scores, key=lambda c: -scores[c]))
        return out

    grid = {(k, w): ranked(fused(k, w), True) for k in GRID_K for w in GRID_DENSE_WEIGHT}
    best_k, best_w = max(grid, key=lambda kw: grid[kw].mrr_at_10)
    results["calibration"] = {
        "chosen_k_and_dense_weight": [best_k, best_w],
        "calibration_half_mrr@10": round(grid[(best_k, best_w)].mrr_at_10, 4),
        "held_out_half": {
            "keyword": ranked(keyword, False).to_dict(),
            "dense": ranked(dense, False).to_dict(),
            "hybrid_chosen": ranked(fused(best_k, best_w), False).to_dict(),
            "hybrid_plain_rrf_k60": ranked(fused(60, 1.0), False).to_dict(),
        },
        "settings_in_use": [settings.rrf_k, settings.rrf_dense_weight],
    }
    hybrid, dense_q, keyword_q = results["hybrid"], results["dense"], results["keyword"]
    results["hybrid_beats_both"] = all(
        hybrid[m] > max(dense_q[m], keyword_q[m]) for m in ("recall@5", "mrr@10", "ndcg@10")
    )
    return results
