"""Calibration of the relevance gate on SQuAD v1.1 dev.

The gate feature is fixed: the highest `similarity` (cosine of question and passage
embeddings) among the hits `Assistant.search` returns; Docent answers when it reaches the
threshold and abstains otherwise. This benchmark chooses the threshold from labelled data.

The 48 dev articles are split in two halves: articles 0..23 calibrate, 24..47 are held out.
Each half gets its own Docent home whose folder holds the paragraphs of 16 of its 24
articles (drawn with a fixed seed), less a few paragraphs drawn from each of those.

- positives: questions whose own paragraph is indexed;
- off-topic negatives: questions of the half's 8 articles that were not indexed;
- near-miss negatives: questions whose own paragraph was removed from an indexed article,
  kept only if no indexed paragraph contains any of their gold answers (case-insensitive).

The threshold is the highest on a 0.01 grid that still passes at least 95% of the
calibration half's positives; it is then applied, unchanged, to the held-out half.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import squad

SEED = 20261121
INDEXED_ARTICLES = 16  # of each half's 24; the other 8 give the off-topic negatives
REMOVED_PER_ARTICLE = 6  # paragraphs removed from each indexed article (near-miss source)
MAX_POSITIVES = 600
MAX_NEGATIVES = 300  # per kind
TARGET_PASS = 0.95  # share of calibration positives the gate must let through
K = 8
BATCH = 64
CRITERION = (
    "highest threshold on a 0.01 grid that still passes at least 95% of the calibration "
    "half's positives (questions whose own paragraph is indexed)"
)


def run(embedder: Any) -> dict[str, Any]:
    from engine.settings import Settings

    corpus = squad.load()
    articles = list(dict.fromkeys(path.split("/")[0] for path in corpus.files))
    half = len(articles) // 2
    rng = random.Random(SEED)
    calibration = _half(corpus, articles[:half], rng, embedder)
    held_out = _half(corpus, articles[half:], rng, embedder)

    threshold = _threshold(calibration["features"]["positive"])
    in_use = Settings().relevance_threshold
    result: dict[str, Any] = {
        "threshold": threshold,
        "criterion": CRITERION,
        "feature": f"max SearchHit.similarity over Assistant.search_many(..., k={K}) hits",
        "seed": SEED,
        "calibration_articles": f"0..{half - 1}",
        "held_out_articles": f"{half}..{len(articles) - 1}",
    }
    for name, data in (("calibration", calibration), ("held_out", held_out)):
        features = data.pop("features")
        data["at_threshold"] = _rates(features, threshold)
        data["at_setting_in_use"] = _rates(features, in_use)
        data["roc_auc"] = {
            kind: round(_auc(features["positive"], features[kind]), 4)
            for kind in ("off_topic", "near_miss")
        }
        data["roc_auc"]["all_negatives"] = round(
            _auc(features["positive"], features["off_topic"] + features["near_miss"]), 4
        )
        data["feature_quantiles"] = {kind: _quantiles(values) for kind, values in features.items()}
        data["_features"] = features
        result[name] = data

    # For information: the threshold that maximises balanced accuracy on the calibration
    # half (positives against all negatives pooled), and what it gives on the held-out half.
    best = _best_balanced(result["calibration"]["_features"])
    result["max_balanced_accuracy"] = {
        "threshold": best,
        "calibration": _rates(result["calibration"]["_features"], best),
        "held_out": _rates(result["held_out"]["_features"], best),
    }
    result["setting_in_use"] = in_use
    for name in ("calibration", "held_out"):
        del result[name]["_features"]
    return result


def _half(
    corpus: squad.Corpus, articles: Sequence[str], rng: random.Random, embedder: Any
) -> dict[str, Any]:
    from engine.assistant import Assistant

    indexed_articles = sorted(rng.sample(list(articles), INDEXED_ARTICLES), key=articles.index)
    off_articles = [a for a in articles if a not in indexed_articles]
    removed: set[str] = set()
    for article in indexed_articles:
        paragraphs = [p for p in corpus.files if p.split("/")[0] == article]
        removed.update(rng.sample(paragraphs, REMOVED_PER_ARTICLE))
    files = {
        p: text
        for p, text in corpus.files.items()
        if p.split("/")[0] in indexed_articles and p not in removed
    }
    lowered = [text.lower() for text in files.values()]

    def answer_indexed(question: squad.Question) -> bool:
        answers = [a.lower() for a in question.answers if a.strip()]
        return any(a in text for a in answers for text in lowered)

    positives = [q for q in corpus.questions if q.gold in files]
    off_topic = [q for q in corpus.questions if q.gold.split("/")[0] in off_articles]
    near_candidates = [q for q in corpus.questions if q.gold in removed]
    near_miss = [q for q in near_candidates if not answer_indexed(q)]
    pools = {"positive": positives, "off_topic": off_topic, "near_miss": near_miss}
    sampled = {
        "positive": _sample(positives, MAX_POSITIVES, rng),
        "off_topic": _sample(off_topic, MAX_NEGATIVES, rng),
        "near_miss": _sample(near_miss, MAX_NEGATIVES, rng),
    }

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "docs"
        squad.write(squad.Corpus(files, ()), folder)
        with Assistant(home=Path(tmp) / "home", embedder=embedder) as assistant:
            assistant.add_folder(folder)
            assistant.sync()
            chunks = assistant.status().chunks
            features: dict[str, list[float]] = {}
            gold_found = 0
            for kind, questions in sampled.items():
                values = []
                for start in range(0, len(questions), BATCH):
                    batch = questions[start : start + BATCH]
                    rows = assistant.search_many([q.text for q in batch], k=K)
                    for question, hits in zip(batch, rows, strict=True):
                        values.append(max((h.similarity for h in hits), default=0.0))
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


def _pass_rate(values: Sequence[float], threshold: float) -> float:
    return sum(v >= threshold for v in values) / max(len(values), 1)


def _threshold(positives: Sequence[float]) -> float:
    """Highest t on the 0.01 grid with at least TARGET_PASS of positives >= t."""
    best = 0.0
    for step in range(101):
        t = step / 100
        if _pass_rate(positives, t) >= TARGET_PASS:
            best = t
    return best


def _rates(features: dict[str, list[float]], threshold: float) -> dict[str, float]:
    positive = _pass_rate(features["positive"], threshold)
    off = 1 - _pass_rate(features["off_topic"], threshold)
    near = 1 - _pass_rate(features["near_miss"], threshold)
    negatives = features["off_topic"] + features["near_miss"]
    pooled = 1 - _pass_rate(negatives, threshold)
    return {
        "answered_positives": round(positive, 4),
        "abstained_off_topic": round(off, 4),
        "abstained_near_miss": round(near, 4),
        "abstained_all_negatives": round(pooled, 4),
        "balanced_accuracy": round((positive + pooled) / 2, 4),
    }


def _best_balanced(features: dict[str, list[float]]) -> float:
    grid = [step / 100 for step in range(101)]
    return max(grid, key=lambda t: (_rates(features, t)["balanced_accuracy"], -t))


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
