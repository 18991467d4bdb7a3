"""Calibrate the reader's decline threshold (engine.answer.declining) on its training articles.

    python resources/reader/calibrate.py        # writes reader.calibration.json (make reader)

SQuAD v1.1 dev articles 0-23 (the reader's training articles; 24-47 stay unseen for
`python -m bench answers`), split as the answers bench splits its own articles: 16
articles indexed less 6 paragraphs each. Questions the reader was trained on are left
out. Two kinds of question reach the model here:

- answerable: the gold paragraph is indexed and a gold answer is in the prompt;
- near-miss: the gold paragraph was removed and no source in the prompt holds a gold
  answer, so "The documents do not say." is the right reply.

For each, the probability of the not-found sentence's first two tokens is read from the
reader's next-token distributions in the prompt an answer really gets. The shares are
counted as `python -m bench answers` counts them: the questions the relevance gate
declines before the model is asked count as declined, and answerable questions whose
gold answer retrieval did not bring into the prompt are measured with the rest. The
threshold is the one that declines the most near-misses while declining at most 10% of
the answerable questions, gate included; both shares are written for every candidate, and
each question's measurements are kept (`--decide-only` chooses again from them without
measuring).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "reader.calibration.json"
SAMPLES = HERE / "samples.jsonl"
SEED = 20261204
TRAIN_ARTICLES = 24
INDEXED_ARTICLES = 16
REMOVED_PER_ARTICLE = 6
ANSWERABLE = 200
NEAR_MISS = 100
CANDIDATES = tuple(round(0.05 * i, 2) for i in range(1, 20))
# The budget for answerable questions wrongly declined, the gate's declines included
ANSWERABLE_BUDGET = 0.10


def measure() -> dict[str, object]:
    from bench import squad
    from bench.answer_quality import contains_gold
    from engine.answer.citations import sentences
    from engine.answer.declining import DeclinePolicy, softmax_at
    from engine.answer.prompting import NOT_FOUND
    from engine.search.keywords import term_coverage

    corpus = squad.load(articles=TRAIN_ARTICLES)
    articles = list(dict.fromkeys(path.split("/")[0] for path in corpus.files))
    trained_on = {
        json.loads(line).get("squad_id") for line in SAMPLES.read_text().splitlines() if line
    }
    rng = random.Random(SEED)
    chosen = squad.split(corpus, articles, rng, INDEXED_ARTICLES, REMOVED_PER_ARTICLE)
    answerable = [q for q in chosen.positives if q.id not in trained_on]
    near_miss = [q for q in chosen.near_miss if q.id not in trained_on]
    rng.shuffle(answerable)
    rng.shuffle(near_miss)

    started = time.perf_counter()
    probabilities: dict[str, list[float]] = {"answerable": [], "near_miss": []}
    # what else might tell the two apart, kept per question for study
    measurements: list[dict[str, object]] = []
    gate_declined = {"answerable": 0, "near_miss": 0}
    skipped = {"near_miss_answer_in_prompt": 0}
    with squad.indexed(chosen.files, None) as (assistant, _folder):
        if not assistant.reader.applied:
            raise SystemExit(f"the reader does not apply: {assistant.reader.reason}")
        assistant.voices.use(())  # the reader alone
        answerer = assistant.answerer
        generator = assistant.generator
        first_id, second_id = DeclinePolicy(1.0, NOT_FOUND).decline_tokens(generator)
        wanted = {"answerable": ANSWERABLE, "near_miss": NEAR_MISS}
        for kind, questions in (("answerable", answerable), ("near_miss", near_miss)):
            for question in questions:
                if len(probabilities[kind]) >= wanted[kind]:
                    break
                hits = answerer.search(question.text, [], None).hits
                if not answerer.gate.passes(question.text, hits):
                    gate_declined[kind] += 1
                    continue
                prompt = answerer.builder.build(question.text, hits)
                holds = any(contains_gold(h.text, question.answers) for h in prompt.sources)
                if kind == "near_miss" and holds:
                    skipped["near_miss_answer_in_prompt"] += 1
                    continue
                first = generator.next_logits(prompt.tokens)
                after = generator.next_logits([*prompt.tokens, first_id])
                assert first is not None and after is not None
                probability = softmax_at(first, first_id) * softmax_at(after, second_id)
                probabilities[kind].append(probability)
                support = max(
                    term_coverage(question.text, sentence)
                    for source in prompt.sources
                    for sentence, _ in sentences(source.text)
                )
                measurements.append(
                    {
                        "kind": kind,
                        "gold_in_prompt": holds,
                        "decline_probability": round(probability, 4),
                        "best_sentence_coverage": round(support, 4),
                        "top_similarity": round(max(h.similarity for h in hits), 4),
                    }
                )
            print(f"{kind}: {len(probabilities[kind])} measured", flush=True)

    return {
        "questions": {kind: len(values) for kind, values in probabilities.items()},
        "gate_declined": gate_declined,
        "skipped": skipped,
        "articles": f"0..{TRAIN_ARTICLES - 1} of SQuAD v1.1 dev, {INDEXED_ARTICLES} indexed "
        f"less {REMOVED_PER_ARTICLE} paragraphs each; questions the reader trained on left out",
        "seed": SEED,
        "seconds": round(time.perf_counter() - started, 1),
        "command": "python resources/reader/calibrate.py  (make reader)",
        "measurements": measurements,
    }


def decide(
    measurements: list[dict[str, object]], gate_declined: dict[str, int]
) -> dict[str, object]:
    """The threshold, from the measured probabilities: the one that declines the most
    near-misses while declining at most ANSWERABLE_BUDGET of the answerable questions,
    the gate's declines included (ties go to the higher threshold); every candidate's
    shares are kept."""
    probabilities: dict[str, list[float]] = {"answerable": [], "near_miss": []}
    for row in measurements:
        probabilities[str(row["kind"])].append(float(row["decline_probability"]))  # type: ignore[arg-type]
    curve = []
    for threshold in CANDIDATES:
        wrong = _share(probabilities["answerable"], threshold, gate_declined.get("answerable", 0))
        right = _share(probabilities["near_miss"], threshold, gate_declined.get("near_miss", 0))
        curve.append(
            {
                "threshold": threshold,
                "answerable_declined": wrong,
                "near_miss_declined": right,
                "separation": round(right - wrong, 4),
            }
        )
    allowed = [row for row in curve if row["answerable_declined"] <= ANSWERABLE_BUDGET]
    # when the gate alone spends the budget, the reader declines as little as it can
    best = max(allowed or curve[-1:], key=lambda row: (row["near_miss_declined"], row["threshold"]))
    greedy = {
        kind: _share(values, 0.5, gate_declined.get(kind, 0))
        for kind, values in probabilities.items()
    }
    return {
        "decline_threshold": best["threshold"],
        "chosen_by": "most near-misses declined while at most "
        f"{ANSWERABLE_BUDGET:.2f} of the answerable questions are (the gate's declines included)",
        "at_threshold": best,
        "at_one_half": greedy,
        "curve": curve,
    }


def _share(values: list[float], threshold: float, declined_before: int = 0) -> float:
    """Share declined: the `declined_before` (by the gate) and those at or over `threshold`."""
    declined = declined_before + sum(p >= threshold for p in values)
    return round(declined / max(declined_before + len(values), 1), 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--decide-only",
        action="store_true",
        help="choose the threshold again from the measurements already in the file",
    )
    if parser.parse_args().decide_only:
        measured = json.loads(OUTPUT.read_text(encoding="utf-8"))
    else:
        measured = measure()
    gate_declined = measured.get("gate_declined", {})  # absent in files measured before it
    # a new decision replaces the old
    result = {**measured, **decide(measured["measurements"], gate_declined)}  # type: ignore[arg-type]
    OUTPUT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: result[k] for k in ("decline_threshold", "at_threshold")}, indent=2))


if __name__ == "__main__":
    main()
