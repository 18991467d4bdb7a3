"""Grounded answering: retrieve, gate, prompt, stream, cite.

`Answerer.ask` yields events a front end can render as they come: the retrieved
sources first, then answer text piece by piece, then one final `Answer` with citations
and timings. When no passage clears the relevance gate, the model is not called at all:
the answer says the documents do not cover the question and the closest passages are
still shown.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from engine.adapters.library import AdapterChoice
from engine.answer.citations import (
    Citation,
    attribute,
    resolve_citations,
    sentences,
    support,
    supported,
)
from engine.answer.conversation import Turn
from engine.answer.declining import DeclinePolicy, Opening
from engine.answer.document_list import DocumentLister, listing_text, listing_topic
from engine.answer.prompting import (
    EXAMPLE_ANSWER,
    EXAMPLE_QUESTION,
    EXAMPLE_SOURCES,
    NOT_FOUND,
    PromptBuilder,
)
from engine.jobs import CancelToken
from engine.models.generation import Generator, Segment
from engine.search.keywords import term_coverage
from engine.search.multistep import Lookup, LookupStep
from engine.search.retrieval import SearchHit

log = logging.getLogger(__name__)

GATE_ANSWER = (
    "Your documents don't seem to cover this: no passage is close enough to the question. "
    "The closest passages are listed below."
)
MODEL_DECLINED_ANSWER = "Your documents don't say: the sources below were checked."
REPEAT_WORDS = 8  # this many words repeated in order: the model is looping
# A sentence that the worked example holds at least this well, and better than any real
# source does, was copied from the example: it is dropped from the answer.
ECHO_SUPPORT = 0.5
_EXAMPLE_TEXT = " ".join(
    [*(text for _, _, text in EXAMPLE_SOURCES), EXAMPLE_QUESTION, EXAMPLE_ANSWER]
)
EMPTY_ANSWER = "The model returned no answer; the passages it was given are listed below."
AbstainReason = Literal["no relevant passage", "not in the sources"]

# (question, context queries, scope) -> the passages found and how
# (engine.search.multistep.MultiStepSearch)
Search = Callable[[str, list[str], str | None], Lookup]


@dataclass(frozen=True, slots=True)
class SourcesFound:
    """Retrieval is done. Sources are numbered [1]..[n] in this order."""

    sources: tuple[SearchHit, ...]
    relevant: bool  # False: the gate abstains, no answer will be generated


@dataclass(frozen=True, slots=True)
class AnswerText:
    """The next piece of the answer as the model writes it."""

    text: str


@dataclass(frozen=True, slots=True)
class Timings:
    retrieval_ms: float
    prompt_tokens: int
    first_token_ms: float | None  # from the question to the first answer text
    prompt_eval_ms: float | None  # from the prompt's hand-off to the first answer text
    generated_tokens: int
    tokens_per_s: float | None
    total_ms: float

    def to_dict(self) -> dict[str, object]:
        def r(value: float | None) -> float | None:
            return None if value is None else round(value, 1)

        return {
            "retrieval_ms": r(self.retrieval_ms),
            "prompt_tokens": self.prompt_tokens,
            "first_token_ms": r(self.first_token_ms),
            "prompt_eval_ms": r(self.prompt_eval_ms),
            "generated_tokens": self.generated_tokens,
            "tokens_per_s": r(self.tokens_per_s),
            "total_ms": r(self.total_ms),
        }


@dataclass(frozen=True, slots=True)
class Answer:
    """The final event of an answer."""

    question: str
    text: str  # markers that pointed nowhere are removed
    sources: tuple[SearchHit, ...]  # everything retrieved, best first, with scores
    timings: Timings
    citations: tuple[Citation, ...] = ()
    prompt_sources: int = 0  # how many of `sources` (from the first) the model was shown
    prompt_cut: bool = False  # passages (or history) shortened or left out to fit
    abstained: bool = False
    abstain_reason: AbstainReason | None = None
    uncited: bool = True  # an answer with no valid citation: front ends flag it
    dropped_citations: int = 0  # markers that named no source
    # True when the model wrote no marker and Docent matched its sentences to sources
    citations_attributed: bool = False
    cancelled: bool = False
    stopped_repeating: bool = False  # the model looped; the repeat was cut off
    # no sentence of the answer is held by any source it was given: shown as unsupported,
    # never as cited
    unsupported: bool = False
    example_echo_dropped: int = 0  # sentences copied from the prompt's worked example
    model: str | None = None  # None when the model was not called
    voice: tuple[AdapterChoice, ...] = ()  # the adapters (and strengths) it was asked with
    reader: bool = False  # the built-in reader adapter was applied (engine.adapters.reader)
    # P(the not-found sentence) when a DeclinePolicy decided (engine.answer.declining), else None
    decline_probability: float | None = None
    lookups: tuple[LookupStep, ...] = ()  # the searches that found `sources`, in order
    listing: bool = False  # a "which documents ..." question, answered as a list of them

    def to_dict(self) -> dict[str, object]:
        return {
            "question": self.question,
            "answer": self.text,
            "citations": [c.to_dict() for c in self.citations],
            "sources": [{"n": n, **hit.to_dict()} for n, hit in enumerate(self.sources, 1)],
            "prompt_sources": self.prompt_sources,
            "prompt_cut": self.prompt_cut,
            "abstained": self.abstained,
            "abstain_reason": self.abstain_reason,
            "uncited": self.uncited,
            "dropped_citations": self.dropped_citations,
            "citations_attributed": self.citations_attributed,
            "cancelled": self.cancelled,
            "stopped_repeating": self.stopped_repeating,
            "unsupported": self.unsupported,
            "example_echo_dropped": self.example_echo_dropped,
            "model": self.model,
            "voice": [choice.to_dict() for choice in self.voice],
            "reader": self.reader,
            "decline_probability": (
                None if self.decline_probability is None else round(self.decline_probability, 4)
            ),
            "lookups": [step.to_dict() for step in self.lookups],
            "listing": self.listing,
            "timings": self.timings.to_dict(),
        }


AskEvent = SourcesFound | AnswerText | Answer


@dataclass(frozen=True, slots=True)
class RelevanceGate:
    """Does any retrieved passage come close enough to the question to answer from?

    A passage is close enough when its embedding similarity reaches `similarity`, or when
    it contains at least `coverage` of the question's content words and its similarity
    still reaches `floor`. Word coverage rescues answerable questions whose passage is
    long or mixed (low similarity); the similarity bar then stays high enough to turn
    away most questions about other subjects. Calibrated in bench/relevance.py.
    """

    similarity: float = 0.49
    coverage: float = 0.6
    floor: float = 0.16

    def passes(self, question: str, hits: Sequence[SearchHit]) -> bool:
        return any(
            hit.similarity >= self.similarity
            or (
                hit.similarity >= self.floor
                and term_coverage(question, f"{hit.heading} {hit.text}") >= self.coverage
            )
            for hit in hits
        )


def strip_markers(text: str) -> str:
    """`text` without its `[n]` markers (and the space before each)."""
    return re.sub(r"\s*\[[\d,;\s–-]+\]", "", text).strip()


def declines(answer: str) -> bool:
    """Did the model say the sources do not hold the answer?"""
    core = re.sub(r"\[[^\]]*\]", "", answer).strip().strip('"').lower()
    phrase = NOT_FOUND.lower().rstrip(".")
    return core.startswith(phrase) or (len(core) < 2 * len(phrase) and phrase in core)


def repeats_itself(text: str, words: int = REPEAT_WORDS) -> bool:
    """Do the last `words` words of `text` already occur, in order, earlier in it?"""
    tokens = text.split()
    if len(tokens) < 2 * words:
        return False
    tail = tokens[-words:]
    return any(tokens[i : i + words] == tail for i in range(len(tokens) - 2 * words + 1))


def cut_repetition(text: str, words: int = REPEAT_WORDS) -> str:
    """`text` with its looping tail reduced to one copy, ended at a sentence if possible."""
    tokens = text.split()
    n = len(tokens)
    tail = tokens[-words:]
    closest = next(i for i in range(n - words - 1, -1, -1) if tokens[i : i + words] == tail)
    period = n - words - closest
    start = n - period  # walk back while the text still repeats with this period
    while start > 0 and tokens[start - 1] == tokens[start - 1 + period]:
        start -= 1
    kept = " ".join(tokens[: start + period])
    if kept.endswith((".", "!", "?")):
        return kept
    sentence_end = max(kept.rfind(". "), kept.rfind("! "), kept.rfind("? "))
    return kept[: sentence_end + 1] if sentence_end > 0 else kept


def drop_example_echo(
    answer: str, sources: Sequence[SearchHit], question: str = ""
) -> tuple[str, int]:
    """`answer` without the sentences copied from the prompt's worked example (a small
    model continuing a completion prompt can repeat it), and how many were dropped."""
    kept: list[str] = []
    dropped = 0
    for sentence, _end in sentences(answer):
        echo = support(sentence, _EXAMPLE_TEXT, question)
        real = max(
            (support(sentence, f"{hit.heading} {hit.text}", question) for hit in sources),
            default=0.0,
        )
        if echo >= ECHO_SUPPORT and echo > real:
            dropped += 1
            continue
        kept.append(sentence)
    return "".join(kept).strip(), dropped


class Answerer:
    """Turns a question into an answer grounded in retrieved passages."""

    def __init__(
        self,
        search: Search,
        generator: Generator,
        builder: PromptBuilder,
        gate: RelevanceGate,
        decline: DeclinePolicy | None = None,
        lister: DocumentLister | None = None,
    ) -> None:
        self.search = search
        self.lister = lister  # None: "which documents ..." questions are answered as others
        self.generator = generator
        self.builder = builder
        self.gate = gate
        self.decline = decline  # None: the model's own first tokens decide
        self._prepared = False

    def prepare(self, cancel: CancelToken | None = None) -> None:
        """Load the model and evaluate the fixed part of every prompt, once."""
        if not self._prepared:
            self.generator.prepare(self.builder.fixed_prefix(), cancel)
            self._prepared = not (cancel is not None and cancel.cancelled)

    def ask(
        self,
        question: str,
        history: Sequence[Turn] = (),
        context: Sequence[str] = (),
        scope: str | None = None,
        cancel: CancelToken | None = None,
    ) -> Iterator[AskEvent]:
        started = time.perf_counter()
        topic = listing_topic(question) if self.lister is not None else None
        if self.lister is not None and topic is not None:
            yield from self._list_documents(self.lister, question, topic, scope, started)
            return
        lookup = self.search(question, list(context), scope)
        hits, steps = lookup.hits, lookup.steps
        retrieval_ms = (time.perf_counter() - started) * 1000
        relevant = self.gate.passes(question, hits)
        yield SourcesFound(tuple(hits), relevant)

        if not relevant:
            total = (time.perf_counter() - started) * 1000
            yield Answer(
                question,
                GATE_ANSWER,
                tuple(hits),
                Timings(retrieval_ms, 0, None, None, 0, None, total),
                abstained=True,
                abstain_reason="no relevant passage",
                lookups=steps,
            )
            return

        self.prepare(cancel)
        several = sum(1 for step in steps if step.added) > 1  # more than the question's own
        prompt = self.builder.build(question, hits, history, fair_shares=several)
        handed_off = time.perf_counter()
        first: float | None = None
        last = handed_off
        pieces: list[str] = []
        looping = False
        opening = self._open(prompt.tokens, prompt.style, cancel)
        stream = self._stream(prompt.tokens, prompt.max_tokens, prompt.stop, opening, cancel)
        try:
            for piece in stream:
                if cancel is not None and cancel.cancelled:
                    break
                if not piece:
                    continue
                last = time.perf_counter()
                if first is None:
                    first = last
                pieces.append(piece)
                yield AnswerText(piece)
                if piece[-1:] in " \n.,;" and repeats_itself("".join(pieces)):
                    looping = True
                    break
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        cancelled = cancel is not None and cancel.cancelled
        raw = "".join(pieces).strip()
        if looping:
            raw = cut_repetition(raw)
        echoes = 0
        if self.builder.shows_example:
            raw, echoes = drop_example_echo(raw, prompt.sources, question)
        cited = resolve_citations(raw, prompt.sources)
        attributed = False
        if cited.uncited and cited.text and not cancelled and not declines(cited.text):
            marked = attribute(cited.text, prompt.sources, question)
            if marked != cited.text:
                cited, attributed = resolve_citations(marked, prompt.sources), True
        generated = len(self.generator.tokenize([Segment(raw)])) if raw else 0
        rate = (generated - 1) / (last - first) if first is not None and last > first else None
        timings = Timings(
            retrieval_ms=retrieval_ms,
            prompt_tokens=len(prompt.tokens),
            first_token_ms=(first - started) * 1000 if first is not None else None,
            prompt_eval_ms=(first - handed_off) * 1000 if first is not None else None,
            generated_tokens=generated,
            tokens_per_s=rate,
            total_ms=(time.perf_counter() - started) * 1000,
        )
        model_declined = not cancelled and declines(cited.text)
        unsupported = False
        if cited.text and not model_declined:
            held = supported(cited.text, prompt.sources, question)
            unsupported = bool(held) and not any(held)
        text = cited.text or ("" if cancelled else EMPTY_ANSWER)
        if unsupported:  # no marker may make it look cited
            text = strip_markers(text)
        yield Answer(
            question,
            MODEL_DECLINED_ANSWER if model_declined else text,
            tuple(hits),
            timings,
            citations=() if model_declined or unsupported else cited.citations,
            prompt_sources=len(prompt.sources),
            prompt_cut=prompt.cut or prompt.left_out > 0,
            abstained=model_declined,
            abstain_reason="not in the sources" if model_declined else None,
            uncited=model_declined or unsupported or cited.uncited,
            dropped_citations=cited.dropped,
            citations_attributed=attributed and not model_declined and not unsupported,
            cancelled=cancelled,
            stopped_repeating=looping,
            unsupported=unsupported,
            example_echo_dropped=echoes,
            model=self.generator.model_id,
            decline_probability=opening.decline_probability if opening else None,
            lookups=steps,
        )

    def _list_documents(
        self,
        lister: DocumentLister,
        question: str,
        topic: str,
        scope: str | None,
        started: float,
    ) -> Iterator[AskEvent]:
        """A "which documents ..." question: the documents about its topic, listed."""
        documents = lister.documents(topic, scope)
        retrieval_ms = (time.perf_counter() - started) * 1000
        yield SourcesFound(tuple(documents), bool(documents))
        text = listing_text(topic, documents)
        yield AnswerText(text)
        cited = resolve_citations(text, documents)
        total = (time.perf_counter() - started) * 1000
        yield Answer(
            question,
            cited.text,
            tuple(documents),
            Timings(retrieval_ms, 0, total, None, 0, None, total),
            citations=cited.citations,
            prompt_sources=len(documents),
            abstained=not documents,
            abstain_reason=None if documents else "no relevant passage",
            uncited=not documents,
            lookups=(
                LookupStep(topic, "the documents about it", tuple(d.path for d in documents)),
            ),
            listing=True,
        )

    def _open(
        self, tokens: Sequence[int], style: str, cancel: CancelToken | None
    ) -> Opening | None:
        if self.decline is None or style != "completion":
            return None
        return self.decline.open(self.generator, tokens, cancel)

    def _stream(
        self,
        tokens: Sequence[int],
        max_tokens: int,
        stop: Sequence[str],
        opening: Opening | None,
        cancel: CancelToken | None,
    ) -> Iterator[str]:
        """The model's pieces, after the opening the decline policy chose (if any)."""
        if opening is not None and opening.declined:
            yield " " + NOT_FOUND
            return
        forced = opening.tokens if opening is not None else ()
        if forced:
            yield self.generator.detokenize(forced)
        yield from self.generator.stream(
            [*tokens, *forced], max(1, max_tokens - len(forced)), stop, cancel
        )
