"""Conversations: earlier turns, and how they steer retrieval for a follow-up question.

"And what about its budget?" names nothing searchable on its own. Retrieval therefore
runs the question as asked *and* a context query (the previous question joined to this
one) in one embedding batch, and fuses the rankings with the question weighted higher:
a follow-up finds what the conversation is about, a change of subject still wins on its
own words. The cost is one more query vector and one more keyword search (a few ms).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from engine.adapters.library import AdapterChoice

CONTEXT_TURNS = 1  # earlier questions joined into the context query


@dataclass(frozen=True, slots=True)
class Turn:
    """One earlier question and the answer Docent gave."""

    question: str
    answer: str


@dataclass(slots=True)
class Conversation:
    """One chat's state: its turns, the folder it keeps to, and its voice.

    The voice (an adapter set with strengths; empty for the bare model) belongs to the
    conversation, not to the process: every answer in it is given in that voice.
    """

    turns: list[Turn] = field(default_factory=list)
    scope: str | None = None
    voice: tuple[AdapterChoice, ...] = ()

    def clear(self) -> None:
        """Start over (scope and voice stay)."""
        self.turns.clear()


def context_queries(question: str, history: Sequence[Turn]) -> list[str]:
    """Extra retrieval queries that carry the conversation into `question`."""
    earlier = [turn.question.strip() for turn in history[-CONTEXT_TURNS:] if turn.question.strip()]
    if not earlier:
        return []
    return [" ".join([*earlier, question.strip()])]
