"""Follow-up questions: does retrieving with the conversation find what a follow-up means?

SQuAD has no conversations, so follow-ups are made from it: a question that names its
article's subject ("Where did Super Bowl 50 take place?") has the name replaced by "it"
("Where did it take place?"), and the turn before it is another question about the same
article that names the subject. The gold passage is the rewritten question's own
paragraph. Three ways to retrieve the follow-up are compared (recall@k of the gold
paragraph with k = the answer setting, and the share passing the relevance gate):

- the follow-up alone (what a system without conversation state does),
- the follow-up with the conversation (Docent: `Retriever.search_in_context`),
- the original question with the name (an upper bound).

A control checks the cost when the subject changes: each original question retrieved
with a previous turn from a *different* article, against the question alone. Latency of
the conversation-aware search is reported against a plain search in the same run.
"""

from __future__ import annotations

import random
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import squad
from bench.common import summary_ms

ARTICLES = 24
MAX_PAIRS = 300
SEED = 7


def run(embedder: Any) -> dict[str, Any]:
    from engine.answer.conversation import Turn, context_queries
    from engine.assistant import Assistant

    corpus = squad.load(articles=ARTICLES)
    by_article: dict[str, list[squad.Question]] = {}
    for question in corpus.questions:
        by_article.setdefault(question.gold.split("/")[0], []).append(question)
    rng = random.Random(SEED)
    pairs = []  # (earlier question, follow-up text, original question)
    for slug, questions in by_article.items():
        name = slug.replace("-", " ")
        pattern = re.compile(rf"\b(the )?{re.escape(name)}('s)?\b", re.IGNORECASE)
        naming = [q for q in questions if pattern.search(q.text)]
        for question in naming:
            others = [q for q in naming if q.gold != question.gold]
            if not others:
                continue
            earlier = rng.choice(others)
            follow = pattern.sub(lambda m: "its" if m.group(2) else "it", question.text, count=1)
            pairs.append((earlier, follow, question))
    rng.shuffle(pairs)
    pairs = pairs[:MAX_PAIRS]
    all_questions = list(corpus.questions)

    with tempfile.TemporaryDirectory(prefix="docent-bench-") as tmp:
        folder = Path(tmp) / "squad"
        squad.write(corpus, folder)
        with Assistant(Path(tmp) / "home", embedder=embedder) as assistant:
            assistant.add_folder(folder)
            assistant.index()
            retriever = assistant.retriever
            settings = assistant.settings
            k, gate = settings.answer_sources, assistant.relevance_gate
            root = str(folder.resolve()) + "/"

            def search(text: str, context: list[str]) -> tuple[list[str], bool, float]:
                started = time.perf_counter()
                hits = retriever.search_in_context(
                    text, context, k=k, context_weight=settings.follow_up_weight
                )
                elapsed = time.perf_counter() - started
                paths = [h.path.removeprefix(root) for h in hits]
                passes = gate.passes(text, hits)
                return paths, passes, elapsed

            rows: dict[str, list[tuple[bool, bool]]] = {"alone": [], "in_context": [], "named": []}
            seconds: dict[str, list[float]] = {"plain": [], "in_context": []}
            for earlier, follow, original in pairs:
                history = [Turn(earlier.text, "")]
                for key, text, context in (
                    ("alone", follow, []),
                    ("in_context", follow, context_queries(follow, history)),
                    ("named", original.text, []),
                ):
                    paths, passes, elapsed = search(text, context)
                    rows[key].append((original.gold in paths, passes))
                    seconds["plain" if not context else "in_context"].append(elapsed)

            switch: dict[str, list[bool]] = {"alone": [], "after_other_topic": []}
            for _, _, original in pairs:
                other = rng.choice(all_questions)
                while other.gold.split("/")[0] == original.gold.split("/")[0]:
                    other = rng.choice(all_questions)
                context = context_queries(original.text, [Turn(other.text, "")])
                switch["alone"].append(original.gold in search(original.text, [])[0])
                switch["after_other_topic"].append(
                    original.gold in search(original.text, context)[0]
                )

    def rates(values: list[tuple[bool, bool]]) -> dict[str, float]:
        n = max(len(values), 1)
        return {
            f"recall@{k}": round(sum(found for found, _ in values) / n, 4),
            "passes_gate": round(sum(passes for _, passes in values) / n, 4),
        }

    return {
        "pairs": len(pairs),
        "articles": ARTICLES,
        "k": k,
        "relevance_gate": [gate.similarity, gate.coverage, gate.floor],
        "follow_up_weight": settings.follow_up_weight,
        "follow_up_alone": rates(rows["alone"]),
        "follow_up_in_context": rates(rows["in_context"]),
        "original_question": rates(rows["named"]),
        "topic_switch": {
            f"recall@{k}_alone": round(sum(switch["alone"]) / len(pairs), 4),
            f"recall@{k}_after_other_topic": round(
                sum(switch["after_other_topic"]) / len(pairs), 4
            ),
        },
        "latency_ms": {
            "plain_search": summary_ms(seconds["plain"]),
            "search_in_context": summary_ms(seconds["in_context"]),
        },
        "examples": [
            {"earlier": e.text, "follow_up": f, "original": o.text} for e, f, o in pairs[:5]
        ],
    }
