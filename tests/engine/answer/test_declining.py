"""Declining by probability (engine.answer.declining): the rule with a scripted distribution, then
the real bundled model's next-token distributions and the Answerer that uses them."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pytest

from engine.answer.answering import Answer, Answerer, AnswerText, RelevanceGate
from engine.answer.declining import DeclinePolicy, softmax_at
from engine.answer.prompting import NOT_FOUND, READER_SHAPE, PromptBuilder
from engine.models.generation import Segment
from engine.search.multistep import Lookup
from engine.search.retrieval import SearchHit

THE, DOCUMENTS, DENVER, PARIS = 1, 2, 3, 4
VOCAB = 6


def logits(probabilities: dict[int, float]) -> np.ndarray:
    values = np.full(VOCAB, -30.0, dtype=np.float32)
    for token, p in probabilities.items():
        values[token] = math.log(p)
    return values


class ScriptedScores:
    """Next-token distributions by the last token: the prompt ends in 0."""

    def __init__(self, first: dict[int, float], after_the: dict[int, float]) -> None:
        self.first = logits(first)
        self.after_the = logits(after_the)

    def tokenize(self, segments: Sequence[Segment], bos: bool = False) -> list[int]:
        assert segments[0].text == " " + NOT_FOUND
        return [THE, DOCUMENTS, 5, 5]

    def next_logits(self, tokens: Sequence[int], cancel: Any = None) -> np.ndarray:
        return self.first if tokens[-1] == 0 else self.after_the


def test_declines_when_the_decline_is_likely_enough() -> None:
    scores = ScriptedScores({THE: 0.7, DENVER: 0.3}, {DOCUMENTS: 0.9, PARIS: 0.1})
    opening = DeclinePolicy(0.6, NOT_FOUND).open(scores, [0])
    assert opening is not None and opening.declined
    assert opening.decline_probability == pytest.approx(0.63, abs=1e-3)


def test_below_the_threshold_the_best_other_start_is_taken() -> None:
    # "The" is the likeliest first token (greedy would decline), but most of it leads to
    # the decline: what is left of it (0.45 * 0.1) is less than "Denver" (0.35).
    scores = ScriptedScores({THE: 0.45, DENVER: 0.35, PARIS: 0.2}, {DOCUMENTS: 0.9, PARIS: 0.1})
    opening = DeclinePolicy(0.5, NOT_FOUND).open(scores, [0])
    assert opening is not None and not opening.declined
    assert opening.decline_probability == pytest.approx(0.405, abs=1e-3)
    assert opening.tokens == (DENVER,)


def test_an_answer_may_still_begin_with_the_declines_first_word() -> None:
    # "The Paris ..." is a real answer: keep "The", rule out only "documents" after it.
    scores = ScriptedScores({THE: 0.8, DENVER: 0.2}, {DOCUMENTS: 0.3, PARIS: 0.7})
    opening = DeclinePolicy(0.5, NOT_FOUND).open(scores, [0])
    assert opening is not None and not opening.declined
    assert opening.tokens == (THE, PARIS)


def test_softmax_at_matches_the_definition() -> None:
    values = np.array([1.0, 2.0, 3.0], dtype=np.float32)
    expected = math.exp(2.0) / sum(math.exp(v) for v in (1.0, 2.0, 3.0))
    assert softmax_at(values, 1) == pytest.approx(expected)


# -- the real model ------------------------------------------------------------------------

SOURCES = [
    SearchHit(
        "/docs/hours.md",
        None,
        "",
        "The workshop is open Monday to Friday from 10:00 to 18:00.",
        1.0,
        0.5,
        0,
        58,
        1,
        1,
        (1,),
    )
]


def test_next_logits_agree_with_the_models_likelihood(generator) -> None:
    prompt = generator.tokenize([Segment("Question: When does the workshop open?\nAnswer:")])
    first_id, second_id = DeclinePolicy(0.5, NOT_FOUND).decline_tokens(generator)
    first = generator.next_logits(prompt)
    after = generator.next_logits([*prompt, first_id])
    probability = softmax_at(first, first_id) * softmax_at(after, second_id)
    nll, count = generator.target_nll([*prompt, first_id, second_id], len(prompt))
    assert count == 2
    assert probability == pytest.approx(math.exp(-nll), rel=1e-3)


class CountingStreams:
    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.streams = 0

    def stream(self, *args: Any, **kwargs: Any) -> Iterator[str]:
        self.streams += 1
        return self.inner.stream(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def ask(generator: Any, threshold: float) -> tuple[list[Any], CountingStreams]:
    counting = CountingStreams(generator)
    answerer = Answerer(
        lambda q, _c, _s: Lookup.single(q, SOURCES),
        counting,  # type: ignore[arg-type]
        PromptBuilder(counting, shape=READER_SHAPE),  # type: ignore[arg-type]
        RelevanceGate(0.0, 1.0, 0.0),
        DeclinePolicy(threshold, NOT_FOUND),
    )
    return list(answerer.ask("When does the workshop open on Mondays?")), counting


def test_a_likely_enough_decline_is_answered_without_generating(generator) -> None:
    events, counting = ask(generator, threshold=1e-12)
    answer = events[-1]
    assert isinstance(answer, Answer)
    assert answer.abstained and answer.abstain_reason == "not in the sources"
    assert counting.streams == 0
    assert answer.decline_probability is not None and answer.decline_probability > 0


def test_an_unlikely_decline_is_never_chosen(generator) -> None:
    events, counting = ask(generator, threshold=1.0)
    answer = events[-1]
    assert isinstance(answer, Answer)
    assert not answer.abstained and counting.streams == 1
    streamed = "".join(e.text for e in events if isinstance(e, AnswerText)).strip()
    assert not streamed.startswith(NOT_FOUND[:13])
    assert answer.decline_probability is not None and 0 <= answer.decline_probability < 1
