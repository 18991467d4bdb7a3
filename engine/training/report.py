"""What a new adapter does, measured in llama.cpp with the file as written.

- Validation perplexity with and without the adapter on the held-out samples (up to
  PERPLEXITY_TOKENS target tokens), computed by the model that answers, so it also
  proves the exported file is right.
- Answers to fixed questions about the bundled sample folder, before and after, through
  Docent's own answer pipeline (prompt, citations, attribution), so a person can see the
  voice change while the citations stay.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.adapters.runtime import ActiveAdapter
from engine.answer.answering import Answer, Answerer, RelevanceGate
from engine.answer.prompting import FULL_SHAPE, PromptBuilder, PromptShape
from engine.jobs import CancelToken
from engine.models.generation import LlamaGenerator
from engine.resources import sample_docs
from engine.search.keywords import term_coverage
from engine.search.multistep import Lookup
from engine.search.retrieval import SearchHit
from engine.training.dataset import Example

PERPLEXITY_TOKENS = 512
FIXED_QUESTIONS = (
    "How much does membership cost?",
    "When is the workshop open?",
    "What does it cost to replace a lost key fob?",
)
PASSAGES_PER_QUESTION = 3


@dataclass(frozen=True, slots=True)
class AnswerPair:
    question: str
    before: str
    after: str
    cited_before: tuple[str, ...]  # file names cited
    cited_after: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "question": self.question,
            "before": self.before,
            "after": self.after,
            "cited_before": list(self.cited_before),
            "cited_after": list(self.cited_after),
        }


def perplexity(
    generator: LlamaGenerator,
    examples: Sequence[Example],
    adapters: Sequence[ActiveAdapter],
    cancel: CancelToken | None = None,
) -> float:
    """exp(mean NLL) over the examples' targets in llama.cpp, with `adapters` applied."""
    generator.set_adapters(adapters)
    total, count = 0.0, 0
    for example in examples:
        room = PERPLEXITY_TOKENS - count
        if room <= 0 or (cancel is not None and cancel.cancelled):
            break
        tokens = example.tokens[: example.target_start + room]
        nll, n = generator.target_nll(tokens, example.target_start, cancel)
        total += nll
        count += n
    return math.exp(total / count) if count else math.nan


def compare_answers(
    generator: LlamaGenerator,
    adapters: Sequence[ActiveAdapter],
    cancel: CancelToken | None = None,
    shape: PromptShape = FULL_SHAPE,
    under: Sequence[ActiveAdapter] = (),
) -> list[AnswerPair]:
    """The fixed questions answered from the sample folder with `under` only, then with
    `adapters` (both in the prompt `shape` the adapter was trained in)."""
    passages = _sample_passages()
    if not passages:
        return []
    answerer = Answerer(
        lambda question, _context, _scope: Lookup.single(question, _closest(question, passages)),
        generator,
        PromptBuilder(generator, shape=shape),
        RelevanceGate(0.0, 1.0, 0.0),  # these passages are the right ones: always answer
    )
    pairs = []
    for question in FIXED_QUESTIONS:
        if cancel is not None and cancel.cancelled:
            break
        generator.set_adapters(list(under))
        before = _final(answerer.ask(question, cancel=cancel))
        generator.set_adapters(list(adapters))
        after = _final(answerer.ask(question, cancel=cancel))
        pairs.append(AnswerPair(question, before.text, after.text, _cited(before), _cited(after)))
    generator.set_adapters([])
    return pairs


def _sample_passages() -> list[SearchHit]:
    folder = sample_docs()
    hits: list[SearchHit] = []
    for path in sorted(folder.glob("*")):
        if path.suffix.lower() not in (".md", ".txt") or path.name == "README.md":
            continue
        text = path.read_text(encoding="utf-8")
        offset = 0
        for block in re.split(r"\n\s*\n", text):
            start = text.index(block, offset)
            offset = start + len(block)
            body = block.strip()
            if len(body) < 40 or body.startswith("#"):
                continue
            line = text.count("\n", 0, start) + 1
            hits.append(
                SearchHit(str(path), None, "", body, 0.0, 1.0, start, offset, line, line, ())
            )
    return hits


def _closest(question: str, passages: list[SearchHit]) -> list[SearchHit]:
    ranked = sorted(passages, key=lambda hit: -term_coverage(question, hit.text))
    return ranked[:PASSAGES_PER_QUESTION]


def _final(events: Any) -> Answer:
    return [event for event in events if isinstance(event, Answer)][-1]


def _cited(answer: Answer) -> tuple[str, ...]:
    names: list[str] = []
    for citation in answer.citations:
        name = citation.path.rsplit("/", 1)[-1]
        if name not in names:
            names.append(name)
    return tuple(names)
