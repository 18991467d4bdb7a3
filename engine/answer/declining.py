"""Declining by probability: say "The documents do not say." only when it is likely.

Greedy decoding declines whenever the not-found sentence's first tokens are the single
likeliest continuation. A small reader spreads an answer's probability over many first
words ("The", "In", "Denver", ...) but puts a decline's on one, so the decline wins the
first step far more often than it is the likelier reply: measured on held-out SQuAD, the
reader declined 46% of the answerable questions.

Here the decision is made on the probability of the decline itself: the chance of the
not-found sentence's first two tokens, read off the model's own next-token
distributions (two evaluations on top of the prompt). At or above the threshold the
answer is the decline and nothing is generated. Below it the answer starts with the
likeliest first tokens that do not begin the decline (the first token's share that led
to the decline is taken away, and after it the second decline token is ruled out), and
the model goes on from there as usual. The threshold belongs to the model and adapter
it was calibrated for (resources/reader/calibrate.py measures it on training articles).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engine.jobs import CancelToken
from engine.models.generation import Generator, Segment


@dataclass(frozen=True, slots=True)
class Opening:
    """How an answer begins: declined, or the first tokens to generate from."""

    decline_probability: float
    declined: bool
    tokens: tuple[int, ...] = ()  # forced first tokens when not declined


@dataclass(frozen=True, slots=True)
class DeclinePolicy:
    """Decline when P(the not-found sentence's first two tokens) >= threshold."""

    threshold: float
    not_found: str

    def decline_tokens(self, generator: Generator, lead: str = " ") -> list[int]:
        return generator.tokenize([Segment(lead + self.not_found)])[:2]

    def open(
        self,
        generator: Generator,
        prompt: Sequence[int],
        cancel: CancelToken | None = None,
    ) -> Opening | None:
        """Decide how the answer to `prompt` begins; None when cancelled midway."""
        first_id, second_id = self.decline_tokens(generator)
        first = generator.next_logits(prompt, cancel)
        if first is None:
            return None
        p_first = softmax_at(first, first_id)
        after = generator.next_logits([*prompt, first_id], cancel)
        if after is None:
            return None
        p_second = softmax_at(after, second_id)
        probability = p_first * p_second
        if probability >= self.threshold:
            return Opening(probability, True)
        adjusted = first.astype(np.float64)
        adjusted[first_id] += math.log(max(1.0 - p_second, 1e-12))  # only the non-decline part
        chosen = int(adjusted.argmax())
        if chosen != first_id:
            return Opening(probability, False, (chosen,))
        rest = after.astype(np.float64)
        rest[second_id] = -np.inf
        return Opening(probability, False, (first_id, int(rest.argmax())))


def softmax_at(logits: np.ndarray, index: int) -> float:
    values = logits.astype(np.float64)
    peak = float(values.max())
    return float(math.exp(values[index] - peak) / np.exp(values - peak).sum())
