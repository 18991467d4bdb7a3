"""Relevance labels: the relevance gate's own bars, in words."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from engine.answer.answering import RelevanceGate
from engine.answer.relevance import RelevanceLabel, gate_from_settings, judge_relevance
from engine.search.keywords import term_coverage
from engine.search.retrieval import SearchHit
from engine.settings import Settings

QUESTION = "When is the kiln fired?"  # key words: kiln, fired
BOTH_WORDS = "The kiln is fired every second Tuesday."
ONE_WORD = "The kiln room is locked at night."
NO_WORD = "Membership costs 35 euros a month."
GATE = RelevanceGate()


def hit(text: str, similarity: float, heading: str = "") -> SearchHit:
    return SearchHit("/docs/a.txt", None, heading, text, 0.5, similarity, 0, len(text), 1, 1, (1,))


@pytest.mark.parametrize(
    ("text", "similarity", "label", "below_floor"),
    [
        (NO_WORD, GATE.similarity, RelevanceLabel.STRONG, False),  # meaning alone suffices
        (BOTH_WORDS, 0.9, RelevanceLabel.STRONG, False),
        (BOTH_WORDS, GATE.floor, RelevanceLabel.LIKELY, False),  # the words, near enough
        (BOTH_WORDS, GATE.similarity - 0.01, RelevanceLabel.LIKELY, False),
        (BOTH_WORDS, GATE.floor - 0.01, RelevanceLabel.SHARES_WORDS, True),
        (BOTH_WORDS, 0.01, RelevanceLabel.SHARES_WORDS, True),
        (ONE_WORD, GATE.similarity - 0.01, RelevanceLabel.WEAK, False),  # half the words
        (ONE_WORD, 0.01, RelevanceLabel.WEAK, True),
        (NO_WORD, -0.2, RelevanceLabel.WEAK, True),
    ],
)
def test_each_region_of_the_gate_has_its_label(text, similarity, label, below_floor):
    relevance = judge_relevance(QUESTION, hit(text, similarity))
    assert relevance.label is label
    assert relevance.below_floor is below_floor
    assert relevance.passes_gate is (label in (RelevanceLabel.STRONG, RelevanceLabel.LIKELY))


def test_a_label_never_disagrees_with_the_gate():
    gates = [GATE, RelevanceGate(0.3, 0.5, 0.25), RelevanceGate(0.0, 1.0, 0.0)]
    texts = [BOTH_WORDS, ONE_WORD, NO_WORD, ""]
    similarities = [-0.1, 0.0, 0.1, 0.16, 0.2, 0.25, 0.3, 0.48, 0.49, 0.6, 1.0]
    for gate, text, similarity in itertools.product(gates, texts, similarities):
        passage = hit(text, similarity)
        relevance = judge_relevance(QUESTION, passage, gate)
        assert relevance.passes_gate is gate.passes(QUESTION, [passage]), (gate, passage)
        if relevance.below_floor:
            assert not relevance.passes_gate


def test_the_words_are_counted_as_the_gate_counts_them():
    passage = hit("It is fired every second Tuesday.", 0.3, heading="Kiln")
    relevance = judge_relevance(QUESTION, passage)
    assert relevance.coverage == term_coverage(QUESTION, f"{passage.heading} {passage.text}")
    assert (relevance.words_matched, relevance.words_asked) == (2, 2)  # the heading counts
    assert relevance.label is RelevanceLabel.LIKELY
    assert "all of the question's key words" in relevance.explanation
    weak = judge_relevance(QUESTION, hit(ONE_WORD, 0.3))
    assert "1 of the question's 2 key words" in weak.explanation


def test_the_settings_move_the_bars():
    settings = replace(Settings(), relevance_similarity=0.7, relevance_floor=0.3)
    gate = gate_from_settings(settings)
    assert (gate.similarity, gate.coverage, gate.floor) == (0.7, settings.relevance_coverage, 0.3)
    default = judge_relevance(QUESTION, hit(BOTH_WORDS, 0.5))
    stricter = judge_relevance(QUESTION, hit(BOTH_WORDS, 0.5), gate)
    assert default.label is RelevanceLabel.STRONG and stricter.label is RelevanceLabel.LIKELY
    assert judge_relevance(QUESTION, hit(BOTH_WORDS, 0.2), gate).below_floor
    assert not judge_relevance(QUESTION, hit(BOTH_WORDS, 0.2)).below_floor


def test_the_default_gate_is_the_calibrated_one():
    assert gate_from_settings(Settings()) == RelevanceGate()
