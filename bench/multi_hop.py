"""Questions that span documents: one search against multi-step retrieval, same run.

HotpotQA (`../shared/data/hotpotqa-dev-100.jsonl`, CC BY-SA 4.0): 100 dev questions, each
with ten Wikipedia paragraphs (two supporting, eight distractors). All 1,000 paragraphs
are indexed in one folder, one file each, named by the paragraph's title (as a person
names a file). For each question and each way of searching:

- the prompt the answering model would read is laid out (`PromptBuilder`, the default
  settings, the reader's shape when the bundled model answers) and the supporting
  paragraphs among its sources are counted: all of them, at least one;
- the time the extra searches cost over one search (the rules path; p50);
- with `ANSWER=1` in the environment, the bundled model answers and the answer is
  checked for the gold answer (SQuAD normalisation).

The rules were tuned on questions 0-49 (`split: "tuning"`); figures on 50-99 (`held
out`) are the ones to quote. Single-hop questions must not suffer: SQuAD dev recall@5 and
MRR@10 with one search and with the loop, on a seeded sample of 2,000 questions over all
dev paragraphs.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from pathlib import Path
from typing import Any

from bench import squad
from bench.answer_quality import contains_gold
from bench.common import summary_ms

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "hotpotqa-dev-100.jsonl"
TUNING = 50  # questions 0-49 shaped the rules; 50-99 are held out
EXTRA = 3  # the loop's cap on extra searches (the lookup_steps setting)
SQUAD_SAMPLE = 2000
SEED = 15


def file_name(title: str) -> str:
    return re.sub(r"[^\w\-. ,()'&]+", "_", title).strip()[:120] + ".txt"


def run(embedder: Any) -> dict[str, Any]:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line]
    files = {file_name(p["title"]): p["text"] for row in rows for p in row["paragraphs"]}
    answer = os.environ.get("ANSWER") == "1"
    result: dict[str, Any] = {"questions": len(rows), "paragraphs": len(files), "extra": EXTRA}
    with squad.indexed(files, embedder) as (assistant, folder):
        result["hotpot"] = _hotpot(assistant, folder, rows, answer)
    result["squad"] = _squad(embedder)
    return result


def _hotpot(assistant: Any, folder: Path, rows: list[dict[str, Any]], answer: bool) -> dict:
    from engine.answer.answering import Answer
    from engine.search.multistep import MultiStepSearch

    settings = assistant.settings
    builder = assistant.answerer.builder  # the prompt the model reads, reader shape and all
    loops = {
        "single": MultiStepSearch(
            assistant.retriever, settings.answer_sources, settings.follow_up_weight, max_extra=0
        ),
        "multi": MultiStepSearch(
            assistant.retriever, settings.answer_sources, settings.follow_up_weight, EXTRA
        ),
    }
    records: dict[str, list[dict[str, Any]]] = {"single": [], "multi": []}
    for index, row in enumerate(rows):
        supporting = {str((folder / file_name(t)).resolve()) for t in row["supporting_titles"]}
        for label, loop in loops.items():
            started = time.perf_counter()
            lookup = loop(row["question"], [], None)
            seconds = time.perf_counter() - started
            several = sum(1 for step in lookup.steps if step.added) > 1
            prompt = builder.build(row["question"], lookup.hits, (), fair_shares=several)
            shown = {hit.path for hit in prompt.sources}
            record = {
                "index": index,
                "type": row["type"],
                "all": supporting <= shown,
                "any": bool(supporting & shown),
                "steps": len(lookup.steps),
                "seconds": seconds,
            }
            if answer:
                assistant.answerer.search = loop
                final = [e for e in assistant.ask(row["question"]) if isinstance(e, Answer)][-1]
                record["gold"] = contains_gold(final.text, (row["answer"],))
            records[label].append(record)
    out: dict[str, Any] = {}
    for split, chosen in (("tuning", range(TUNING)), ("held_out", range(TUNING, len(rows)))):
        picked = set(chosen)
        figures: dict[str, Any] = {}
        for label, rs in records.items():
            part = [r for r in rs if r["index"] in picked]
            n = len(part)
            figures[label] = {
                "all_supporting_in_prompt": round(sum(r["all"] for r in part) / n, 3),
                "any_supporting_in_prompt": round(sum(r["any"] for r in part) / n, 3),
                "mean_steps": round(sum(r["steps"] for r in part) / n, 2),
                **(
                    {"answer_contains_gold": round(sum(r["gold"] for r in part) / n, 3)}
                    if answer
                    else {}
                ),
                "by_type": {
                    kind: round(
                        sum(r["all"] for r in part if r["type"] == kind)
                        / max(1, sum(r["type"] == kind for r in part)),
                        3,
                    )
                    for kind in ("bridge", "comparison")
                },
            }
        extra = [
            m["seconds"] - s["seconds"]
            for s, m in zip(records["single"], records["multi"], strict=True)
            if m["index"] in picked
        ]
        figures["extra_retrieval"] = summary_ms([max(0.0, x) for x in extra])
        out[split] = figures
    return out


def _squad(embedder: Any) -> dict[str, Any]:
    from engine.search.multistep import MultiStepSearch

    corpus = squad.load()
    questions = random.Random(SEED).sample(list(corpus.questions), SQUAD_SAMPLE)
    with squad.indexed(corpus.files, embedder) as (assistant, folder):
        retriever = assistant.retriever
        weight = assistant.settings.follow_up_weight
        golds = [str(folder / q.gold) for q in questions]
        out: dict[str, Any] = {"questions": len(questions)}
        for label, extra in (("single", 0), ("multi", EXTRA)):
            loop = MultiStepSearch(retriever, 10, weight, max_extra=extra)
            ranked, steps = [], 0
            for question in questions:
                lookup = loop(question.text, [], None)
                ranked.append([hit.path for hit in lookup.hits[:10]])
                steps += len(lookup.steps) > 1
            out[label] = {
                **squad.score(ranked, golds).to_dict(),
                "share_with_extra_searches": round(steps / len(questions), 3),
            }
    return out
