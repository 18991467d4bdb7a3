"""Calibration of the relevance gate on SQuAD v1.1 dev.

The gate (engine.answer.answering.RelevanceGate) lets a question through when some retrieved
passage has cosine similarity >= `similarity`, or holds at least `coverage` of the
question's content words with similarity >= `floor`; otherwise Docent abstains without
calling the model. This benchmark chooses the three values from labelled data, and also
reports the simpler rule it replaced (similarity alone) for comparison.

The 48 dev articles are split in two halves: articles 0..23 calibrate, 24..47 are held out.
Each half gets its own Docent home whose folder holds the paragraphs of 16 of its 24
articles (drawn with a fixed seed), less a few paragraphs drawn from each of those.

- positives: questions whose own paragraph is indexed;
- off-topic negatives: questions of the half's 8 articles that were not indexed;
- near-miss negatives: questions whose own paragraph was removed from an indexed article,
  kept only if no indexed paragraph contains any of their gold answers (case-insensitive).

Both rules must pass at least 95% of the calibration half's positives. Similarity alone:
the highest such threshold on a 0.01 grid. The gate: of all grid points (similarity
0.30-0.69, coverage 0.5-1.0, floor 0.10-0.38) meeting that bar, the one abstaining most
on the calibration half's negatives (off-topic plus near-miss shares). Both are then
applied, unchanged, to the held-out half.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from bench import squad

SEED = 20261121
INDEXED_ARTICLES = 16  # of each half's 24; the other 8 give the off-topic negatives
REMOVED_PER_ARTICLE = 6  # paragraphs removed from each indexed article (near-miss source)
MAX_POSITIVES = 600
MAX_NEGATIVES = 300  # per kind
TARGET_PASS = 0.95  # share of calibration positives the gate must let through
BATCH = 64
CRITERION = (
    "passes at least 95% of the calibration half's positives (questions whose own "
    "paragraph is indexed); similarity alone: the highest such threshold; the gate: the "
    "grid point with the largest off-topic + near-miss abstention"
)
GRID_SIMILARITY = [step / 100 for step in range(30, 70)]
GRID_COVERAGE = [0.5, 0.6, 0.67, 0.75, 0.8, 1.0]
GRID_FLOOR = [step / 100 for step in range(10, 40, 2)]
Gate = tuple[float, float, float]  # similarity, coverage, floor
Rows = list[list[tuple[float, float]]]  # per question: (similarity, coverage) per hit


def run(embedder: Any) -> dict[str, Any]:
    from engine.settings import Settings

    corpus = squad.load()
    articles = list(dict.fromkeys(path.split("/")[0] for path in corpus.files))
    half = len(articles) // 2
    rng = random.Random(SEED)
    calibration = _half(corpus, articles[:half], rng, embedder)
    held_out = _half(corpus, articles[half:], rng, embedder)

    settings = Settings()
    k = settings.answer_sources
    cal_features, held_features = calibration.pop("features"), held_out.pop("features")
    threshold = _threshold(_max_similarity(cal_features["positive"]))
    gate = _best_gate(cal_features)
    in_use = (settings.relevance_similarity, settings.relevance_coverage, settings.relevance_floor)
    similarity_only = (threshold, 2.0, 1.0)  # coverage can never reach 2: similarity alone
    result: dict[str, Any] = {
        "criterion": CRITERION,
        "feature": f"(similarity, question-word coverage) of each of the k={k} hits",
        "seed": SEED,
        "calibration_articles": f"0..{half - 1}",
        "held_out_articles": f"{half}..{len(articles) - 1}",
        "similarity_only": {"threshold": threshold},
        "gate": dict(zip(("similarity", "coverage", "floor"), gate, strict=True)),
        "gate_in_use": dict(zip(("similarity", "coverage", "floor"), in_use, strict=True)),
    }
    for name, data, features in (
        ("calibration", calibration, cal_features),
        ("held_out", held_out, held_features),
    ):
        result["similarity_only"][name] = _rates(features, similarity_only)
        result["gate"][name] = _rates(features, gate)
        result["gate_in_use"][name] = _rates(features, in_use)
        top = {kind: _max_similarity(rows) for kind, rows in features.items()}
        data["roc_auc_max_similarity"] = {
            kind: round(_auc(top["positive"], top[kind]), 4) for kind in ("off_topic", "near_miss")
        }
        data["max_similarity_quantiles"] = {kind: _quantiles(v) for kind, v in top.items()}
        result[name] = data
    return result


def _max_similarity(rows: Rows) -> list[float]:
    return [max((similarity for similarity, _ in hits), default=0.0) for hits in rows]


def _passes(hits: list[tuple[float, float]], gate: Gate) -> bool:
    similarity, coverage, floor = gate
    return any(s >= similarity or (c >= coverage and s >= floor) for s, c in hits)


def _best_gate(features: dict[str, Rows]) -> Gate:
    best: tuple[float, Gate] | None = None
    for similarity in GRID_SIMILARITY:
        for coverage in GRID_COVERAGE:
            for floor in GRID_FLOOR:
                gate = (similarity, coverage, floor)
                rates = _rates(features, gate)
                if rates["answered_positives"] < TARGET_PASS:
                    continue
                score = rates["abstained_off_topic"] + rates["abstained_near_miss"]
                if best is None or score > best[0]:
                    best = (score, gate)
    assert best is not None, "no grid point passes 95% of the positives"
    return best[1]


def _half(
    corpus: squad.Corpus, articles: Sequence[str], rng: random.Random, embedder: Any
) -> dict[str, Any]:
    from engine.search.keywords import term_coverage

    chosen = squad.split(corpus, articles, rng, INDEXED_ARTICLES, REMOVED_PER_ARTICLE)
    indexed_articles, off_articles = chosen.indexed_articles, chosen.off_articles
    files, removed = chosen.files, chosen.removed
    positives, off_topic, near_miss = chosen.positives, chosen.off_topic, chosen.near_miss
    near_candidates = chosen.near_candidates
    pools = {"positive": positives, "off_topic": off_topic, "near_miss": near_miss}
    sampled = {
        "positive": _sample(positives, MAX_POSITIVES, rng),
        "off_topic": _sample(off_topic, MAX_NEGATIVES, rng),
        "near_miss": _sample(near_miss, MAX_NEGATIVES, rng),
    }

    with squad.indexed(files, embedder) as (assistant, folder):
        chunks = assistant.status().chunks
        features: dict[str, Rows] = {}
        gold_found = 0
        k = assistant.settings.answer_sources
        for kind, questions in sampled.items():
            values: Rows = []
            for start in range(0, len(questions), BATCH):
                batch = questions[start : start + BATCH]
                rows = assistant.search_many([q.text for q in batch], k=k)
                for question, hits in zip(batch, rows, strict=True):
                    values.append(
                        [
                            (
                                h.similarity,
                                term_coverage(question.text, f"{h.heading} {h.text}"),
                            )
                            for h in hits
                        ]
                    )
                    if kind == "positive":
                        gold = str(folder / question.gold)
                        gold_found += any(h.path == gold for h in hits)
            features[kind] = values

    return {
        "indexed_articles": len(indexed_articles),
        "off_topic_articles": off_articles,
        "indexed_paragraphs": len(files),
        "removed_paragraphs": len(removed),
        "chunks": chunks,
        "pool": {kind: len(pool) for kind, pool in pools.items()},
        "near_miss_dropped_answer_in_index": len(near_candidates) - len(near_miss),
        "sampled": {kind: len(questions) for kind, questions in sampled.items()},
        "positives_gold_in_hits": round(gold_found / max(len(sampled["positive"]), 1), 4),
        "features": features,
    }


def _sample(items: list[squad.Question], n: int, rng: random.Random) -> list[squad.Question]:
    return rng.sample(items, n) if len(items) > n else list(items)


def _threshold(positives: Sequence[float]) -> float:
    """Highest t on the 0.01 grid with at least TARGET_PASS of positives >= t."""
    best = 0.0
    for step in range(101):
        t = step / 100
        if sum(v >= t for v in positives) / max(len(positives), 1) >= TARGET_PASS:
            best = t
    return best


def _rates(features: dict[str, Rows], gate: Gate) -> dict[str, float]:
    def share(rows: Rows) -> float:
        return sum(_passes(hits, gate) for hits in rows) / max(len(rows), 1)

    positive = share(features["positive"])
    return {
        "answered_positives": round(positive, 4),
        "abstained_off_topic": round(1 - share(features["off_topic"]), 4),
        "abstained_near_miss": round(1 - share(features["near_miss"]), 4),
    }


def _auc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """ROC-AUC as P(positive feature > negative feature), ties counting one half."""
    pairs = sorted([(v, 1) for v in positives] + [(v, 0) for v in negatives])
    wins = 0.0
    negatives_below = 0
    i = 0
    while i < len(pairs):
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        tied_pos = sum(label for _, label in pairs[i:j])
        tied_neg = (j - i) - tied_pos
        wins += tied_pos * (negatives_below + tied_neg / 2)
        negatives_below += tied_neg
        i = j
    return wins / max(len(positives) * len(negatives), 1)


def _quantiles(values: Sequence[float]) -> dict[str, float]:
    from bench.common import percentile

    return {f"p{q}": round(percentile(list(values), q), 3) for q in (5, 25, 50, 75, 95)}
