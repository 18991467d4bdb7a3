"""How relevant a retrieved passage is, in words a person can read at a glance.

A cosine similarity such as "0.01" means nothing to a reader, and its scale belongs to the
embedder. The engine already turns those figures into a decision with the relevance gate
(`RelevanceGate` in engine.answer.answering, calibrated in bench/relevance.py, its values
the settings `relevance_similarity`, `relevance_coverage` and `relevance_floor`). A
passage passes the gate in one of two ways: it is close in meaning to the question
(similarity >= gate.similarity), or it holds most of the question's content words
(coverage >= gate.coverage) and is not far off in meaning (similarity >= gate.floor).

The labels are the regions of that same plane, with no bar of their own, so a label never
disagrees with the gate that decides whether Docent answers at all:

    label                          similarity                  word coverage
    "Strong match"                 >= gate.similarity           any
    "Likely relevant"              >= gate.floor, < similarity  >= gate.coverage
    "Shares the question's words"  <  gate.floor                >= gate.coverage
    "Weak match"                   < gate.similarity            < gate.coverage

The first two pass the gate; the last two do not. A passage below the floor (and not
close in meaning, which only a gate set with its similarity bar under its floor allows)
cannot pass by either route: front ends fold it away under "other passages".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from engine.answer.answering import RelevanceGate
from engine.search.keywords import query_terms, stem, word_stems
from engine.search.retrieval import SearchHit
from engine.settings import Settings


class RelevanceLabel(StrEnum):
    """What a passage is to the question, strongest first."""

    STRONG = "Strong match"
    LIKELY = "Likely relevant"
    SHARES_WORDS = "Shares the question's words"
    WEAK = "Weak match"


@dataclass(frozen=True, slots=True)
class Relevance:
    """One passage judged against one question by the relevance gate's own bars."""

    label: RelevanceLabel
    explanation: str  # one sentence saying why, for a tooltip or a screen reader
    passes_gate: bool  # the gate would answer from this passage
    below_floor: bool  # too far from the question in meaning to pass by any route
    similarity: float
    coverage: float  # share of the question's content words the passage holds
    words_matched: int
    words_asked: int


def gate_from_settings(settings: Settings) -> RelevanceGate:
    """The relevance gate the engine answers with under `settings`."""
    return RelevanceGate(
        settings.relevance_similarity, settings.relevance_coverage, settings.relevance_floor
    )


def judge_relevance(question: str, hit: SearchHit, gate: RelevanceGate | None = None) -> Relevance:
    """Label `hit` for `question` (see the module's table); `gate` defaults to the
    calibrated one."""
    gate = gate or RelevanceGate()
    asked = {stem(term) for term in query_terms(question)}
    matched = len(asked & word_stems(f"{hit.heading} {hit.text}"))  # as the gate reads it
    coverage = matched / len(asked) if asked else 0.0
    close_in_meaning = hit.similarity >= gate.similarity
    below_floor = hit.similarity < gate.floor and not close_in_meaning
    holds_the_words = coverage >= gate.coverage
    words = _words_held(matched, len(asked))
    if close_in_meaning:
        label = RelevanceLabel.STRONG
        explanation = "Close in meaning to the question."
    elif holds_the_words and not below_floor:
        label = RelevanceLabel.LIKELY
        explanation = f"Holds {words} and is near it in meaning."
    elif holds_the_words:
        label = RelevanceLabel.SHARES_WORDS
        explanation = f"Holds {words}, but is about something else."
    else:
        label = RelevanceLabel.WEAK
        explanation = (
            f"Far from the question in meaning; holds {words}."
            if below_floor
            else f"Somewhat near the question in meaning; holds {words}."
        )
    return Relevance(
        label=label,
        explanation=explanation,
        passes_gate=label in (RelevanceLabel.STRONG, RelevanceLabel.LIKELY),
        below_floor=below_floor,
        similarity=hit.similarity,
        coverage=coverage,
        words_matched=matched,
        words_asked=len(asked),
    )


def _words_held(matched: int, asked: int) -> str:
    if asked and matched == asked:
        return "all of the question's key words"
    return f"{matched} of the question's {asked} key words"
