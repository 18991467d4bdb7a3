"""Answers: Docent's `ask` against bare llama.cpp, and answer quality on SQuAD v1.1 dev.

Overhead. An Assistant (default settings, bundled model) indexes the paragraphs of the
first 3 dev articles. For each of 12 answerable questions (fixed seed, ones the relevance
gate lets through) both sides run in the same process, one after the other, the side that
goes first alternating per question:

- ask: `assistant.ask(question)` consumed as a front end would; time to first token is
  from calling ask (retrieval, gate and prompt building included) to the first non-empty
  AnswerText, speed is (AnswerText events - 1) / (last - first);
- direct: a separately constructed `llama_cpp.Llama` on the same model file with the same
  n_ctx, threads, swa_full and seed, handed the identical prompt tokens (the prompt is
  rebuilt with the Answerer's own PromptBuilder from the same sources) through
  `create_completion(..., temperature=0, stop=..., stream=True)`, measured the same way
  on its non-empty chunks.

Both sides are warmed once on a question that is not measured. KV cache: both see the same
questions in the same order, so each starts a question holding the previous question's
prompt and answer. ask's generator keeps the longest common prefix (at least the fixed
instructions and worked example) and evaluates the rest; llama-cpp-python's own prefix
reuse in `generate` does the same for the direct side. The reused prefix lengths of both
sides are recorded per question and must agree.

The headline ratios are ratios of the medians, as specified; with 12 questions whose
prompts run from about 800 to 1450 tokens the two medians can fall on different
questions, so the median of the per-question (paired) ratios, the ratio of the summed
times and the ratio of aggregate rates (all pieces over all generation time) are reported
alongside. The two sides' answer texts may differ on some questions: llama.cpp's logits
for the last prompt token depend on how many tokens share its batch (ask's generator
decodes that token alone, `create_completion` on a fresh suffix decodes it with the rest),
and greedy decoding follows near-ties either way. ask also cuts an answer off when the
model starts looping (`Answer.stopped_repeating`) where the direct side runs on; speed is
per piece, so that shortens ask's sample without biasing it.

Quality (bench.answer_quality): the bare model against the reader adapter, and each
bundled voice stacked on the reader, on held-out questions from SQuAD dev articles 24-47
(the reader was trained on 0-23): answerable, off-topic and near-miss sets.
"""

from __future__ import annotations

import os
import random
import re
import statistics
import time
from collections.abc import Sequence
from typing import Any

from bench import squad
from bench.answer_quality import run_held_out

SEED = 20261122
OVERHEAD_ARTICLES = 3
OVERHEAD_QUESTIONS = 12
QUALITY_ARTICLES = 10
ANSWERABLE = 200
UNANSWERABLE = 100
RECORDS = 30  # per-question records kept in the result, per question set
TARGET = 0.95
# a citation marker with the space before it: Docent's attribution can put one inside a
# decimal or after an initial ("0 [1].3", "Michael E [1]. Mann"; see engine.answer.citations)
_MARKER = re.compile(r"\s*\[[^\]]*\]")


def run(embedder: Any) -> dict[str, Any]:
    corpus = squad.load()
    rng = random.Random(SEED)
    result: dict[str, Any] = {"seed": SEED, "load_avg_start": _load()}
    result["overhead"] = _overhead(corpus, embedder, rng)
    result["load_avg_after_overhead"] = _load()
    result["held_out"] = run_held_out(corpus, embedder)
    result["load_avg_end"] = _load()
    return result


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _article(path: str) -> str:
    return path.split("/")[0]


def _articles(corpus: squad.Corpus) -> list[str]:
    return list(dict.fromkeys(_article(p) for p in corpus.files))


def _median(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


# -- part 1: overhead against bare llama.cpp ---------------------------------------------


def _overhead(corpus: squad.Corpus, embedder: Any, rng: random.Random) -> dict[str, Any]:
    articles = _articles(corpus)[:OVERHEAD_ARTICLES]
    files = {p: t for p, t in corpus.files.items() if _article(p) in articles}
    candidates = [q for q in corpus.questions if q.gold in files]
    rng.shuffle(candidates)
    from engine.settings import Settings

    # The bare model on both sides: this part measures Docent's own overhead.
    with squad.indexed(files, embedder, Settings(reader=False)) as (assistant, _folder):
        return _compare(assistant, candidates, len(files))


def _compare(assistant: Any, candidates: list[squad.Question], paragraphs: int) -> dict[str, Any]:
    from llama_cpp import Llama

    from engine.answer.conversation import context_queries

    generator = assistant.generator
    answerer = assistant.answerer
    builder = answerer.builder
    direct = Llama(
        str(generator.path),
        n_ctx=generator.n_ctx,
        n_threads=generator.threads,
        n_threads_batch=generator.threads,
        swa_full=True,
        seed=generator.seed,
        verbose=False,
    )
    rows: list[dict[str, Any]] = []
    skipped_by_gate = skipped_no_text = 0
    warmed = False
    try:
        for question in candidates:
            if len(rows) >= OVERHEAD_QUESTIONS:
                break
            # Same retrieval call as ask makes, to build the direct side's prompt up front
            # (deterministic; checked against ask's own sources below).
            hits = answerer.search(question.text, context_queries(question.text, ()), None).hits
            if not answerer.gate.passes(question.text, hits):
                skipped_by_gate += 1
                continue
            started = time.perf_counter()
            prompt = builder.build(question.text, hits)
            build_ms = (time.perf_counter() - started) * 1000
            direct_first = warmed and len(rows) % 2 == 1
            if direct_first:
                direct_side = _direct(direct, prompt)
                ask_side = _ask(assistant, question.text)
            else:
                ask_side = _ask(assistant, question.text)
                direct_side = _direct(direct, prompt)
            answer = ask_side.pop("answer")
            rebuilt = builder.build(question.text, list(answer.sources))
            if rebuilt.tokens != prompt.tokens or len(prompt.tokens) != (
                answer.timings.prompt_tokens
            ):
                raise RuntimeError(f"prompt tokens differ between the sides for {question.id}")
            if not warmed:  # the warm-up question: model loads, first prefix evaluation
                warmed = True
                continue
            if ask_side.get("tokens_per_s") is None or direct_side.get("tokens_per_s") is None:
                skipped_no_text += 1  # under two pieces: no rate (both sides still ran it)
                continue
            rows.append(
                {
                    "id": question.id,
                    "first": "direct" if direct_first else "ask",
                    "prompt_tokens": len(prompt.tokens),
                    "build_ms": round(build_ms, 2),
                    "retrieval_ms": round(answer.timings.retrieval_ms, 2),
                    "ask_prompt_eval_ms": _round(answer.timings.prompt_eval_ms),
                    "ask_reused": ask_side.pop("reused"),
                    **{f"ask_{k}": v for k, v in ask_side.items() if k != "text"},
                    **{f"direct_{k}": v for k, v in direct_side.items() if k != "text"},
                    "same_text": ask_side["text"] == direct_side["text"],
                }
            )
            if not rows[-1]["same_text"]:
                rows[-1]["ask_text"] = ask_side["text"][:160]
                rows[-1]["direct_text"] = direct_side["text"][:160]
            print(
                f"  overhead {len(rows)}/{OVERHEAD_QUESTIONS}: ttft ask "
                f"{ask_side['ttft_ms']:.0f} ms direct {direct_side['ttft_ms']:.0f} ms, "
                f"tok/s ask {ask_side['tokens_per_s']} direct {direct_side['tokens_per_s']}",
                flush=True,
            )
    finally:
        direct.close()

    def med(key: str) -> float | None:
        return _median([r[key] for r in rows])

    def paired(numerator: str, denominator: str) -> float:
        return round(statistics.median(r[numerator] / r[denominator] for r in rows), 3)

    def aggregate_rate(side: str) -> float:  # all pieces over all generation time
        pieces = sum(r[f"{side}_chunks"] - 1 for r in rows if r[f"{side}_tokens_per_s"])
        seconds = sum(
            (r[f"{side}_chunks"] - 1) / r[f"{side}_tokens_per_s"]
            for r in rows
            if r[f"{side}_tokens_per_s"]
        )
        return pieces / seconds

    ask_ttft, direct_ttft = med("ask_ttft_ms"), med("direct_ttft_ms")
    ask_rate, direct_rate = med("ask_tokens_per_s"), med("direct_tokens_per_s")
    assert ask_ttft and direct_ttft and ask_rate and direct_rate
    return {
        "corpus": f"SQuAD v1.1 dev, first {OVERHEAD_ARTICLES} articles ({paragraphs} paragraphs)",
        "model": generator.model_id,
        "n_ctx": generator.n_ctx,
        "threads": generator.threads,
        "prompt_style": builder.style,
        "fixed_prefix_tokens": len(builder.fixed_prefix()),
        "questions": len(rows),
        "skipped_by_gate": skipped_by_gate,
        "skipped_under_two_pieces": skipped_no_text,
        "ttft_ms": {"ask_p50": round(ask_ttft, 1), "direct_p50": round(direct_ttft, 1)},
        "tokens_per_s": {"ask_p50": round(ask_rate, 1), "direct_p50": round(direct_rate, 1)},
        "ttft_ratio_direct_over_ask": round(direct_ttft / ask_ttft, 3),
        "tokens_per_s_ratio_ask_over_direct": round(ask_rate / direct_rate, 3),
        "supplementary": {
            "ttft_ratio_paired_median": paired("direct_ttft_ms", "ask_ttft_ms"),
            "ttft_ratio_of_sums": round(
                sum(r["direct_ttft_ms"] for r in rows) / sum(r["ask_ttft_ms"] for r in rows), 3
            ),
            "tokens_per_s_ratio_paired_median": paired("ask_tokens_per_s", "direct_tokens_per_s"),
            "tokens_per_s_ratio_aggregate": round(
                aggregate_rate("ask") / aggregate_rate("direct"), 3
            ),
        },
        "target": f">= {TARGET} for both ratios (medians)",
        "met": direct_ttft / ask_ttft >= TARGET and ask_rate / direct_rate >= TARGET,
        "prompt_tokens_p50": med("prompt_tokens"),
        "prompt_tokens_range": [
            min(r["prompt_tokens"] for r in rows),
            max(r["prompt_tokens"] for r in rows),
        ],
        "reused_prefix_tokens_p50": {
            "ask": med("ask_reused"),
            "direct": med("direct_reused"),
        },
        "reuse_equal_all": all(r["ask_reused"] == r["direct_reused"] for r in rows),
        "ask_breakdown_p50_ms": {
            "retrieval": _round(med("retrieval_ms"), 2),
            "prompt_build_timed_separately": _round(med("build_ms"), 2),
            "prompt_eval_to_first_token": _round(med("ask_prompt_eval_ms")),
        },
        "same_answer_text": sum(r["same_text"] for r in rows),
        "per_question": rows,
    }


def _ask(assistant: Any, question: str) -> dict[str, Any]:
    from engine.answer.answering import Answer, AnswerText

    first = last = None
    count = 0
    pieces: list[str] = []
    answer = None
    started = time.perf_counter()
    for event in assistant.ask(question):
        if isinstance(event, AnswerText) and event.text:
            last = time.perf_counter()
            first = first or last
            count += 1
            pieces.append(event.text)
        elif isinstance(event, Answer):
            answer = event
    assert answer is not None
    if first is None or last is None:
        return {"ttft_ms": None, "text": "", "reused": None, "answer": answer}
    return {
        "ttft_ms": round((first - started) * 1000, 1),
        "tokens_per_s": round((count - 1) / (last - first), 1) if last > first else None,
        "chunks": count,
        "text": "".join(pieces),
        "reused": assistant.generator.last_reused,
        "answer": answer,
    }


def _direct(llm: Any, prompt: Any) -> dict[str, Any]:
    tokens = list(prompt.tokens)
    cached = llm.input_ids[: llm.n_tokens].tolist()
    reused = 0
    for have, want in zip(cached, tokens, strict=False):
        if have != want:
            break
        reused += 1
    first = last = None
    count = 0
    pieces: list[str] = []
    started = time.perf_counter()
    stream = llm.create_completion(
        tokens,
        max_tokens=prompt.max_tokens,
        temperature=0.0,
        stop=list(prompt.stop),
        stream=True,
    )
    for chunk in stream:
        text = chunk["choices"][0]["text"]
        if not text:
            continue
        last = time.perf_counter()
        first = first or last
        count += 1
        pieces.append(text)
    if first is None or last is None:
        return {"ttft_ms": None, "text": "", "reused": reused}
    return {
        "ttft_ms": round((first - started) * 1000, 1),
        "tokens_per_s": round((count - 1) / (last - first), 1) if last > first else None,
        "chunks": count,
        "text": "".join(pieces),
        "reused": reused,
    }
