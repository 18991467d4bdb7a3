"""The multi-hop section of docs/benchmarks.md (bench/multi_hop.py's results)."""

from __future__ import annotations

from typing import Any

from bench.common import ran_on


def render(r: dict[str, Any]) -> str:
    held, tuning = r["hotpot"]["held_out"], r["hotpot"]["tuning"]
    single, multi = held["single"], held["multi"]
    squad = r["squad"]
    answers = ""
    if "answer_contains_gold" in single:
        answers = (
            f"| answer contains the gold answer (bundled model) | "
            f"{single['answer_contains_gold']} | {multi['answer_contains_gold']} |\n"
        )
    return f"""## Questions that span documents (HotpotQA dev, {r["questions"]} questions)

{r["paragraphs"]} Wikipedia paragraphs indexed one file each (named by title); the prompt
the model would read is laid out with the default settings and its sources checked for the
two supporting paragraphs. One search against the multi-step loop (at most {r["extra"]}
extra searches), same run, same index. Held-out questions 50-99 (the rules were shaped on
0-49, where the loop went {tuning["single"]["all_supporting_in_prompt"]} ->
{tuning["multi"]["all_supporting_in_prompt"]}):

| held-out questions 50-99 | one search | multi-step |
| --- | --- | --- |
| every supporting paragraph in the prompt | {single["all_supporting_in_prompt"]} | {
        multi["all_supporting_in_prompt"]
    } |
| ... bridge / comparison questions | {single["by_type"]["bridge"]} / {
        single["by_type"]["comparison"]
    } | {multi["by_type"]["bridge"]} / {multi["by_type"]["comparison"]} |
| at least one supporting paragraph in the prompt | {single["any_supporting_in_prompt"]} | {
        multi["any_supporting_in_prompt"]
    } |
| searches per question | {single["mean_steps"]} | {multi["mean_steps"]} |
{answers}
Extra retrieval time of the loop over one search: p50 {held["extra_retrieval"]["p50_ms"]} ms,
p95 {held["extra_retrieval"]["p95_ms"]} ms.

Single-hop questions (SQuAD v1.1 dev, {squad["questions"]} sampled questions, all
paragraphs; the loop run with 10 passages, so what a second search adds takes places 9-10;
in an answer, with 6 sources, it takes places 5-6, which this figure does not measure):
recall@5 {squad["single"]["recall@5"]} -> {squad["multi"]["recall@5"]}, MRR@10
{squad["single"]["mrr@10"]} -> {squad["multi"]["mrr@10"]}; the loop searched again for {
        squad["multi"]["share_with_extra_searches"]
    } of them. {ran_on(r)}"""
