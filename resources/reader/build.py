"""Build the reader adapter: its training pairs from Docent's own retrieval, then the LoRA.

    python resources/reader/build.py            # samples, then training (make reader)
    python resources/reader/build.py samples    # only resources/reader/samples.jsonl
    python resources/reader/build.py train      # only the training, from samples.jsonl

Training pairs (retrieval-augmented fine-tuning): SQuAD v1.1 dev articles 0-23 only
(24-47 stay unseen; `python -m bench answers` measures there), indexed one file per
paragraph in a fresh Docent home with the default settings. For each question drawn:

- positive: the passages Docent's own retrieval returns for it (`answer_sources` of
  them, the gold paragraph where retrieval ranked it, or put at a random rank in place of
  the last when it missed); the response is the gold answer span followed by the gold
  source's marker, "Denver Broncos [2].". A question whose answer is not in the
  excerpt the reader's prompt would show of the gold passage is not used: the model
  must never learn to state what it was not shown.
- negative (about a quarter): the same retrieval with the gold paragraph and every
  passage containing a gold answer string removed; the response is exactly the
  not-found sentence.

Plus the 64 pairs written for the project (resources/adapters/concise/samples.jsonl):
invented everyday documents, answers that cite, 8 that decline.

The pairs are laid out by engine.prompting in the reader's prompt shape (READER_SHAPE),
exactly as an answer is. The training command and its report land in resources/reader/.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HERE = Path(__file__).resolve().parent
SAMPLES = HERE / "samples.jsonl"
BUILD_REPORT = HERE / "samples.report.json"
PROJECT_PAIRS = ROOT / "resources" / "adapters" / "concise" / "samples.jsonl"
NAME = "reader"
SEED = 20261203
TRAIN_ARTICLES = 24  # articles 0..23; 24..47 are held out for measurement
POSITIVES = 420
NEGATIVES = 140
RANK = 16
EPOCHS = 1.0
MAX_MINUTES = 75.0
EVAL_EVERY = 100  # validation costs about a minute on 2 cores; six checks in the epoch
PATIENCE = 10  # one epoch, run to the end; the best checked weights are kept


def build_samples() -> dict[str, object]:
    """Write samples.jsonl from SQuAD articles 0-23 and the project's own pairs."""
    from bench import squad
    from engine.assistant import Assistant
    from engine.excerpts import excerpt
    from engine.prompting import NOT_FOUND, READER_SHAPE
    from engine.retrieval import SearchHit

    corpus = squad.load(articles=TRAIN_ARTICLES)
    rng = random.Random(SEED)
    by_paragraph: dict[str, list[squad.Question]] = {}
    for question in corpus.questions:
        by_paragraph.setdefault(question.gold, []).append(question)
    paragraphs = list(by_paragraph)
    rng.shuffle(paragraphs)
    # one question per paragraph, so the pairs cover as many passages as possible
    drawn = [rng.choice(by_paragraph[p]) for p in paragraphs]
    negatives_wanted = set(range(0, len(drawn), 4))  # every fourth drawn is a negative

    started = time.perf_counter()
    rows: list[dict[str, object]] = []
    counts = {
        "positives": 0,
        "negatives": 0,
        "gold_retrieved": 0,
        "gold_inserted": 0,
        "skipped_answer_not_in_excerpt": 0,
        "skipped_negative_too_few_sources": 0,
    }
    with tempfile.TemporaryDirectory(prefix="docent-reader-") as tmp:
        folder = Path(tmp) / "docs"
        squad.write(squad.Corpus(corpus.files, ()), folder)
        with Assistant(home=Path(tmp) / "home") as assistant:
            assistant.add_folder(folder)
            assistant.sync()
            k = assistant.settings.answer_sources
            for index, question in enumerate(drawn):
                negative = index in negatives_wanted
                if negative and counts["negatives"] >= NEGATIVES:
                    continue
                if not negative and counts["positives"] >= POSITIVES:
                    continue
                gold_path = str((folder / question.gold).resolve())
                if negative:
                    hits = assistant.search(question.text, k=2 * k)
                    kept = [
                        h
                        for h in hits
                        if h.path != gold_path
                        and not any(a.lower() in h.text.lower() for a in question.answers)
                    ][:k]
                    if len(kept) < 2:
                        counts["skipped_negative_too_few_sources"] += 1
                        continue
                    rows.append(_row(question.text, NOT_FOUND, kept, "negative", question.id))
                    counts["negatives"] += 1
                    continue
                hits = assistant.search(question.text, k=k)
                position = next((i for i, h in enumerate(hits) if h.path == gold_path), None)
                if position is None:
                    text = corpus.files[question.gold]
                    gold = SearchHit(gold_path, None, "", text, 0.0, 0.0, 0, len(text), 1, 1, ())
                    hits = hits[: k - 1]
                    position = rng.randrange(len(hits) + 1)
                    hits.insert(position, gold)
                    counts["gold_inserted"] += 1
                else:
                    counts["gold_retrieved"] += 1
                shown = excerpt(
                    hits[position].text, question.text, READER_SHAPE.sentences_per_source
                )
                answer = next((a for a in question.answers if a in shown), None)
                if answer is None:
                    counts["skipped_answer_not_in_excerpt"] += 1
                    continue
                response = f"{answer[:1].upper()}{answer[1:]} [{position + 1}]."
                rows.append(_row(question.text, response, hits, "positive", question.id))
                counts["positives"] += 1
    project = [json.loads(line) for line in PROJECT_PAIRS.read_text().splitlines() if line]
    for pair in project:
        pair["kind"] = "written for the project"
    rows.extend(project)
    random.Random(SEED + 1).shuffle(rows)
    with SAMPLES.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    report = {
        "seed": SEED,
        "squad_articles": f"0..{TRAIN_ARTICLES - 1} of SQuAD v1.1 dev ({len(corpus.files)} "
        "paragraphs indexed, one file each)",
        "prompt_shape": READER_SHAPE.to_dict(),
        **counts,
        "written_for_the_project": len(project),
        "pairs": len(rows),
        "seconds": round(time.perf_counter() - started, 1),
    }
    BUILD_REPORT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def _row(question: str, response: str, hits: list, kind: str, qid: str) -> dict[str, object]:
    return {
        "prompt": question,
        "response": response,
        "sources": [{"name": Path(h.path).name, "text": h.text} for h in hits],
        "kind": kind,
        "squad_id": qid,
    }


def train(max_minutes: float = MAX_MINUTES) -> Path:
    """Train the reader on samples.jsonl (reader prompt shape), copy it here with its report."""
    from engine.assistant import Assistant
    from engine.prompting import READER_SHAPE
    from engine.training import TrainingConfig, TrainingProgress, train_style_adapter

    config = TrainingConfig(
        rank=RANK,
        epochs=EPOCHS,
        max_minutes=max_minutes,
        seed=SEED,
        eval_every=EVAL_EVERY,
        patience=PATIENCE,
    )

    def progress(p: TrainingProgress) -> None:
        if p.phase != "training" or p.step % 10 == 0:
            print(
                f"{p.phase} {p.step}/{p.total_steps} loss {p.loss} val {p.validation_loss} "
                f"{p.elapsed_s:.0f} s",
                flush=True,
            )

    with tempfile.TemporaryDirectory(prefix="docent-reader-train-") as tmp:
        home = Path(tmp)
        with Assistant(home=home) as assistant:
            result = train_style_adapter(
                SAMPLES,
                NAME,
                assistant.adapter_library,
                assistant.generator,
                config,
                progress,
                shape=READER_SHAPE,
                replace=True,
            )
            assert result is not None
            result.report["command"] = "python resources/reader/build.py train  (make reader)"
            shutil.copyfile(result.path, HERE / f"{NAME}.gguf")
            (HERE / f"{NAME}.report.json").write_text(
                json.dumps(result.report, indent=2) + "\n", encoding="utf-8"
            )
    return HERE / f"{NAME}.gguf"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("step", nargs="?", choices=("samples", "train", "all"), default="all")
    parser.add_argument("--max-minutes", type=float, default=MAX_MINUTES)
    args = parser.parse_args()
    if args.step in ("samples", "all"):
        print(json.dumps(build_samples(), indent=2), flush=True)
    if args.step in ("train", "all"):
        print(train(args.max_minutes))


if __name__ == "__main__":
    main()
