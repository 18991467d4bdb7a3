"""Answer quality on held-out SQuAD questions: the bare model against the reader adapter.

The reader (resources/reader) was trained on questions of SQuAD v1.1 dev articles 0-23
only; everything here comes from articles 24-47. The question sets follow the relevance
benchmark's definitions: 16 of the 24 articles are indexed (one file per paragraph), less
6 paragraphs drawn from each of them.

- answerable: questions whose own paragraph is indexed;
- off-topic: questions of the 8 articles not indexed;
- near-miss: questions whose paragraph was removed, kept only if no indexed paragraph
  contains any of their gold answers.

One index is built; every configuration opens it with its own settings (the reader on or
off, whole passages or excerpts, a voice) and asks the same questions in the same order,
one by one, without history. Configurations run one after another in the same process.
"""

from __future__ import annotations

import dataclasses
import random
import re
import statistics
import string
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import squad

SEED = 20261203
FIRST_HELD_OUT_ARTICLE = 24
INDEXED_ARTICLES = 16
REMOVED_PER_ARTICLE = 6
ANSWERABLE = 300
OFF_TOPIC = 100
NEAR_MISS = 100
# the bare model and the voices are measured on the first questions of each set (the
# bare model takes twice the reader's time per answer; the reader gets the whole sets)
VOICE_SUBSET = (60, 30, 30)
BARE_SUBSET = (100, 50, 50)
RECORDS = 12
# a citation marker with the space before it: Docent's attribution can put one inside a
# decimal or after an initial ("0 [1].3", "Michael E [1]. Mann"; see engine.answer.citations)
_MARKER = re.compile(r"\s*\[[^\]]*\]")  # per-question records kept per set and configuration


@dataclass(frozen=True, slots=True)
class Config:
    name: str
    reader: bool
    reader_sentences: int = 3
    voice: str | None = None
    subset: tuple[int, int, int] | None = None


CONFIGS = (
    Config("bare", reader=False, subset=BARE_SUBSET),
    Config("reader", reader=True),
    Config("reader + concise", reader=True, voice="concise", subset=VOICE_SUBSET),
    Config("reader + warm", reader=True, voice="warm", subset=VOICE_SUBSET),
)


@dataclass(frozen=True, slots=True)
class QuestionSets:
    files: dict[str, str]
    answerable: list[squad.Question]
    off_topic: list[squad.Question]
    near_miss: list[squad.Question]
    description: dict[str, Any]


def question_sets(corpus: squad.Corpus, rng: random.Random) -> QuestionSets:
    """Held-out files and questions (articles 24-47), drawn as the relevance bench does."""
    articles = list(dict.fromkeys(path.split("/")[0] for path in corpus.files))
    held_out = articles[FIRST_HELD_OUT_ARTICLE:]
    chosen = squad.split(corpus, held_out, rng, INDEXED_ARTICLES, REMOVED_PER_ARTICLE)
    files, removed, indexed = chosen.files, chosen.removed, chosen.indexed_articles
    answerable, off_topic, near_miss = chosen.positives, chosen.off_topic, chosen.near_miss
    description = {
        "articles": f"{FIRST_HELD_OUT_ARTICLE}..{len(articles) - 1} of SQuAD v1.1 dev "
        "(the reader was trained on 0..23 only)",
        "indexed_articles": len(indexed),
        "indexed_paragraphs": len(files),
        "removed_paragraphs": len(removed),
        "pools": {
            "answerable": len(answerable),
            "off_topic": len(off_topic),
            "near_miss": len(near_miss),
        },
    }
    return QuestionSets(
        files,
        rng.sample(answerable, ANSWERABLE),
        rng.sample(off_topic, OFF_TOPIC),
        rng.sample(near_miss, min(NEAR_MISS, len(near_miss))),
        description,
    )


def run_held_out(
    corpus: squad.Corpus, embedder: Any, configs: Sequence[Config] = CONFIGS
) -> dict[str, Any]:
    from engine.assistant import Assistant
    from engine.settings import Settings

    sets = question_sets(corpus, random.Random(SEED))
    result: dict[str, Any] = {
        "seed": SEED,
        "sets": sets.description,
        "reader_training": reader_training(),
        "reader_calibration": reader_calibration(),
        "configs": {},
    }
    with tempfile.TemporaryDirectory(prefix="docent-bench-held-out-") as tmp:
        folder = Path(tmp) / "docs"
        home = Path(tmp) / "home"
        squad.write(squad.Corpus(sets.files, ()), folder)
        with Assistant(home=home, embedder=embedder) as assistant:
            assistant.add_folder(folder)
            started = time.perf_counter()
            assistant.index()
            result["sets"]["index_s"] = round(time.perf_counter() - started, 1)
            result["sets"]["chunks"] = assistant.status().chunks
            result["excerpts"] = excerpt_retention(assistant, sets.answerable)
        for config in configs:
            settings = dataclasses.replace(
                Settings(), reader=config.reader, reader_sentences=config.reader_sentences
            )
            n_answerable, n_off, n_near = config.subset or (ANSWERABLE, OFF_TOPIC, NEAR_MISS)
            with Assistant(home=home, settings=settings, embedder=embedder) as assistant:
                voice = _voice(assistant, config.voice)
                assistant.preload()
                began = time.perf_counter()
                answerable = _ask_all(
                    assistant,
                    folder,
                    sets.answerable[:n_answerable],
                    voice,
                    f"{config.name} answerable",
                )
                off = _ask_all(
                    assistant, folder, sets.off_topic[:n_off], voice, f"{config.name} off-topic"
                )
                near = _ask_all(
                    assistant, folder, sets.near_miss[:n_near], voice, f"{config.name} near-miss"
                )
                result["configs"][config.name] = {
                    "reader": assistant.reader.applied,
                    "prompt_shape": assistant.prompt_shape.to_dict(),
                    "voice": config.voice,
                    "answerable": answerable_summary(answerable),
                    "off_topic": declined_summary(off),
                    "near_miss": declined_summary(near),
                    "seconds": round(time.perf_counter() - began, 1),
                }
            print(f"  {config.name}: {_headline(result['configs'][config.name])}", flush=True)
    result["headline"] = headline_table(result["configs"])
    return result


def reader_training() -> dict[str, Any] | None:
    """What the shipped reader's own report says about its training (time, memory)."""
    import json

    from engine.resources import reader_adapter

    path = reader_adapter().with_name("reader.report.json")
    if not path.is_file():
        return None
    report = json.loads(path.read_text(encoding="utf-8"))
    training, samples = report.get("training", {}), report.get("samples", {})
    return {
        "command": report.get("command"),
        "pairs": samples.get("count"),
        "train_examples": samples.get("train_examples"),
        "validation_examples": samples.get("validation_examples"),
        "steps": training.get("steps"),
        "stop_reason": training.get("stop_reason"),
        "best_step": training.get("best_step"),
        "seconds": training.get("seconds"),
        "tokens_per_s": training.get("tokens_per_s"),
        "peak_rss_mb": training.get("peak_rss_mb"),
        "validation": report.get("validation"),
        "total_seconds": report.get("total_seconds"),
    }


def reader_calibration() -> dict[str, Any] | None:
    """The shipped reader's decline threshold and what it did on its training articles."""
    import json

    from engine.resources import reader_calibration as calibration_path

    path = calibration_path()
    if not path.is_file():
        return None
    report = json.loads(path.read_text(encoding="utf-8"))
    keys = ("decline_threshold", "chosen_by", "at_threshold", "at_one_half")
    return {k: report.get(k) for k in keys}


def excerpt_retention(assistant: Any, questions: list[squad.Question]) -> dict[str, Any]:
    """Share of answerable questions whose gold answer string is in the passages retrieved
    for the prompt: whole, and cut to excerpts of n sentences (no model involved)."""
    from engine.answer.excerpts import excerpt

    k = assistant.settings.answer_sources
    hits = assistant.search_many([q.text for q in questions], k=k)
    kept: dict[str, float] = {}
    for sentences in (0, 1, 2, 3, 4):
        found = 0
        for question, passages in zip(questions, hits, strict=True):
            texts = [excerpt(h.text, question.text, sentences) for h in passages]
            found += any(a in t for a in question.answers for t in texts)
        kept["whole" if sentences == 0 else f"{sentences} sentences"] = round(
            found / len(questions), 4
        )
    return {"answer_string_in_top_k": kept, "k": k, "questions": len(questions)}


def _voice(assistant: Any, name: str | None) -> tuple[Any, ...]:
    from engine.adapters import AdapterChoice

    return (AdapterChoice(name, 1.0),) if name else ()


def _ask_all(
    assistant: Any,
    folder: Path,
    questions: list[squad.Question],
    voice: tuple[Any, ...],
    label: str,
) -> list[dict[str, Any]]:
    from engine.answer.answering import Answer, AnswerText

    records = []
    started = time.perf_counter()
    for i, question in enumerate(questions, 1):
        began = time.perf_counter()
        first = None
        raw: list[str] = []
        answer = None
        for event in assistant.ask(question.text, voice=voice):
            if isinstance(event, AnswerText) and event.text:
                first = first or time.perf_counter()
                raw.append(event.text)
            elif isinstance(event, Answer):
                answer = event
        assert answer is not None
        seconds = time.perf_counter() - began
        cited = [str(Path(c.path).relative_to(folder)) for c in answer.citations]
        shown = [str(Path(h.path).relative_to(folder)) for h in answer.sources]
        in_prompt = question.gold in shown[: answer.prompt_sources]
        records.append(
            {
                "question": question.text,
                "gold": list(question.answers),
                "gold_file": question.gold,
                "raw": "".join(raw).strip(),
                "answer": answer.text,
                "cited": cited,
                "abstained": answer.abstained,
                "abstain_reason": answer.abstain_reason,
                "attributed": answer.citations_attributed,
                "model_marker": bool(answer.citations) and not answer.citations_attributed,
                "unsupported": answer.unsupported,
                "contains_gold": not answer.abstained
                and contains_gold(answer.text, question.answers),
                "gold_cited": question.gold in cited,
                "gold_in_prompt": in_prompt,
                "loops": answer.stopped_repeating
                or answer.timings.generated_tokens >= assistant.settings.answer_tokens - 4,
                "echoes_example": "garden" in answer.text.lower(),
                "ttft_s": None if first is None else round(first - began, 3),
                "seconds": round(seconds, 3),
                "tokens_per_s": answer.timings.tokens_per_s,
                "generated_tokens": answer.timings.generated_tokens,
                "prompt_tokens": answer.timings.prompt_tokens,
                "decline_probability": answer.decline_probability,
            }
        )
        if i % 50 == 0 or i == len(questions):
            print(
                f"    {label} {i}/{len(questions)}: gold in answer "
                f"{sum(r['contains_gold'] for r in records)}, abstained "
                f"{sum(r['abstained'] for r in records)}, {time.perf_counter() - started:.0f} s",
                flush=True,
            )
    return records


def normalize(text: str) -> str:
    """SQuAD's answer normalisation: lower case, no punctuation, articles or extra space."""
    text = text.lower()
    text = "".join(ch for ch in text if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def contains_gold(answer: str, golds: Sequence[str]) -> bool:
    """Does the answer (citation markers removed) contain a gold answer as whole words?"""
    text = f" {normalize(_MARKER.sub('', answer))} "
    return any(g and f" {g} " in text for g in (normalize(g) for g in golds))


def share(records: list[dict[str, Any]], key: str) -> float:
    """The share of `records` whose `key` is true (4 places)."""
    return round(sum(bool(r[key]) for r in records) / max(len(records), 1), 4)


def _median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(statistics.median(present), 3) if present else None


def _reasons(records: list[dict[str, Any]]) -> dict[str, float]:
    counts = Counter(r["abstain_reason"] for r in records if r["abstained"])
    n = max(len(records), 1)
    return {
        "gate": round(counts["no relevant passage"] / n, 4),
        "model": round(counts["not in the sources"] / n, 4),
    }


def answerable_summary(records: list[dict[str, Any]]) -> dict[str, Any]:
    answered = [r for r in records if not r["abstained"] and r["prompt_tokens"]]
    return {
        "questions": len(records),
        "contains_gold_answer": share(records, "contains_gold"),
        "cites_gold_paragraph": share(records, "gold_cited"),
        "model_markers": round(sum(r["model_marker"] for r in answered) / max(len(answered), 1), 4),
        "loops": share(records, "loops"),
        "wrongly_declined": share(records, "abstained"),
        "declined_by": _reasons(records),
        "unsupported": share(records, "unsupported"),
        "echoes_worked_example": share(records, "echoes_example"),
        "gold_paragraph_in_prompt": share(records, "gold_in_prompt"),
        "ttft_s_p50": _median([r["ttft_s"] for r in answered]),
        "answer_s_p50": _median([r["seconds"] for r in answered]),
        "tokens_per_s_p50": _median([r["tokens_per_s"] for r in answered]),
        "prompt_tokens_p50": _median([r["prompt_tokens"] for r in answered]),
        "generated_tokens_p50": _median([r["generated_tokens"] for r in answered]),
        "records": records[:RECORDS],
    }


def declined_summary(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "questions": len(records),
        "declined": share(records, "abstained"),
        "declined_by": _reasons(records),
        "answered_unsupported": share(records, "unsupported"),
        "records": [r for r in records if not r["abstained"]][:RECORDS],
    }


def _headline(config: dict[str, Any]) -> str:
    a = config["answerable"]
    return (
        f"gold {a['contains_gold_answer']}, cites gold {a['cites_gold_paragraph']}, markers "
        f"{a['model_markers']}, loops {a['loops']}, near-miss declined "
        f"{config['near_miss']['declined']}, off-topic {config['off_topic']['declined']}, "
        f"wrongly declined {a['wrongly_declined']}, ttft {a['ttft_s_p50']} s"
    )


def headline_table(configs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The issue's figures per configuration, and the reader's speed against bare."""
    table: dict[str, Any] = {}
    for name, c in configs.items():
        a = c["answerable"]
        table[name] = {
            "answerable_questions": a["questions"],
            "contains_gold_answer": a["contains_gold_answer"],
            "cites_gold_paragraph": a["cites_gold_paragraph"],
            "model_markers": a["model_markers"],
            "loops": a["loops"],
            "near_miss_declined": c["near_miss"]["declined"],
            "off_topic_declined": c["off_topic"]["declined"],
            "answerable_wrongly_declined": a["wrongly_declined"],
            "ttft_s_p50": a["ttft_s_p50"],
            "answer_s_p50": a["answer_s_p50"],
            "tokens_per_s_p50": a["tokens_per_s_p50"],
            "prompt_tokens_p50": a["prompt_tokens_p50"],
        }
    bare = table.get("bare")
    for name, row in table.items():
        if bare and name != "bare" and bare["tokens_per_s_p50"] and row["tokens_per_s_p50"]:
            row["tokens_per_s_over_bare"] = round(
                row["tokens_per_s_p50"] / bare["tokens_per_s_p50"], 3
            )
    return table
