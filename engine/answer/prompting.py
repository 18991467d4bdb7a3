"""Grounded prompts: numbered sources, an instruction to answer only from them, a budget.

Two shapes. A model whose GGUF carries a chat template gets chat messages rendered
through that template. A model without one (the bundled Gemma 3 270M is a pretrained
base model) gets a completion-style prompt with a short worked example to continue.

Every prompt is built from token segments (see engine.models.generation.Segment): only the
chat template's own text may produce control tokens; sources, file names, questions
and earlier answers are tokenized as plain text. Tokens are counted with the model's
own tokenizer; sources go in best-first until the context, less the room reserved for
the answer, is full; the last one that does not fit whole is cut to the room left.
Nothing a user indexes or types can make the prompt overflow the context.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import PurePath
from typing import Literal

from engine.answer.conversation import Turn
from engine.answer.excerpts import excerpt
from engine.models.generation import Generator, Segment
from engine.search.retrieval import SearchHit

Style = Literal["chat", "completion"]

NOT_FOUND = "The documents do not say."
INSTRUCTIONS = (
    "Answer the question using only the numbered sources. After each fact, cite the "
    "source it comes from by its number in square brackets, like [1]. If the sources do "
    f'not contain the answer, reply exactly: "{NOT_FOUND}"'
)
EXAMPLE_SOURCES = (
    ("garden-notes.txt", 2, "The community garden opens at 7 am on weekdays."),
    ("garden-notes.txt", 3, "On Saturdays the garden opens at 9 am and closes at noon."),
)
EXAMPLE_QUESTION = "When does the garden open on Saturdays?"
EXAMPLE_ANSWER = "On Saturdays the garden opens at 9 am [2]."
COMPLETION_STOPS = ("\nQuestion:", "\nAnswer:", "\nSources:", "\n\n")

QUESTION_SHARE = 4  # a question may use at most 1/4 of the prompt budget
HISTORY_QUESTION_TOKENS = 64
HISTORY_ANSWER_TOKENS = 128
MIN_CUT_SOURCE_TOKENS = 48  # a source cut shorter than this is left out instead
_SENTINEL = re.compile("\ue000(\\d+)\ue001")


@dataclass(frozen=True, slots=True)
class PromptShape:
    """What a completion prompt carries besides the sources and the question.

    The bare base model needs a worked example to continue; a model trained to read
    (the reader adapter) does not, and reads short excerpts as well as whole passages.
    """

    worked_example: bool = True
    sentences_per_source: int = 0  # 0: whole passages; else an excerpt of this many

    def to_dict(self) -> dict[str, object]:
        return {
            "worked_example": self.worked_example,
            "sentences_per_source": self.sentences_per_source,
        }


FULL_SHAPE = PromptShape()
# The reader's prompt (engine.adapters.reader): no worked example, 3-sentence excerpts.
READER_SHAPE = PromptShape(worked_example=False, sentences_per_source=3)


@dataclass(frozen=True, slots=True)
class Prompt:
    tokens: tuple[int, ...]
    sources: tuple[SearchHit, ...]  # numbered [1]..[n] in this order
    style: Style
    stop: tuple[str, ...]
    max_tokens: int  # room left for the answer
    left_out: int  # retrieved passages that did not fit
    cut: bool  # a source, the question or the history was shortened to fit


class PromptBuilder:
    """Builds grounded prompts for one generator (its tokenizer, context and template)."""

    def __init__(
        self,
        generator: Generator,
        answer_tokens: int = 256,
        history_turns: int = 2,
        shape: PromptShape = FULL_SHAPE,
    ) -> None:
        self.generator = generator
        self.answer_tokens = answer_tokens
        self.history_turns = history_turns
        self.shape = shape

    @property
    def style(self) -> Style:
        return "chat" if self.generator.chat_template else "completion"

    @property
    def shows_example(self) -> bool:
        """Does every prompt carry the worked example (which a model might copy)?"""
        return self.style == "completion" and self.shape.worked_example

    @cached_property
    def _template(self):
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        def raise_exception(message: str) -> None:
            raise ValueError(message)

        environment = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
        environment.globals["raise_exception"] = raise_exception
        template = self.generator.chat_template
        assert template is not None
        return environment.from_string(template)

    # -- public ----------------------------------------------------------------------------

    def fixed_prefix(self) -> list[int]:
        """The tokens every prompt starts with: evaluate them once, reuse them after."""
        # Two prompts that differ in everything that varies: what they share is fixed.
        other = SearchHit("/x/y.txt", 1, "", "Some text.", 0.0, 0.0, 0, 10, 1, 1, (0,))
        first = self._tokens(self._layout("What is the first question?", [], []))
        second = self._tokens(
            self._layout("Who wrote it?", [other], [Turn("Earlier question?", "Yes.")])
        )
        length = 0
        for a, b in zip(first, second, strict=False):
            if a != b:
                break
            length += 1
        return first[:length]

    def build(
        self,
        question: str,
        hits: Sequence[SearchHit],
        history: Sequence[Turn] = (),
        fair_shares: bool = False,
    ) -> Prompt:
        """The prompt for `question` with as many of `hits` (in order) as the budget holds.

        With `fair_shares` (passages found by several searches), no passage may take more
        than an equal share of the room when they do not all fit, so a long passage from
        the first search cannot crowd out what a later search found."""
        n_ctx = self.generator.n_ctx
        max_tokens = max(16, min(self.answer_tokens, n_ctx // 4))
        limit = n_ctx - max_tokens
        cut = False

        question, was_cut = self._clip(question.strip(), max(32, limit // QUESTION_SHARE))
        cut |= was_cut
        turns: list[Turn] = []
        for turn in list(history)[-self.history_turns :] if self.history_turns else []:
            q, cut_q = self._clip(turn.question, HISTORY_QUESTION_TOKENS)
            a, cut_a = self._clip(turn.answer, HISTORY_ANSWER_TOKENS)
            turns.append(Turn(q, a))
            cut |= cut_q or cut_a

        base = len(self._tokens(self._layout(question, [], turns)))
        while turns and base > limit:
            turns.pop(0)
            cut = True
            base = len(self._tokens(self._layout(question, [], turns)))

        room = limit - base
        chosen: list[SearchHit] = []
        if self.shape.sentences_per_source:
            keep = self.shape.sentences_per_source
            hits = [replace(hit, text=excerpt(hit.text, question, keep)) for hit in hits]
        if fair_shares and hits:
            share = max(MIN_CUT_SOURCE_TOKENS, room // len(hits))
            sizes = [self._count(self._source_segments(n, h)) for n, h in enumerate(hits, 1)]
            if sum(sizes) > room:
                shared = []
                for hit, size in zip(hits, sizes, strict=True):
                    if size > share:
                        overhead = size - self._count([Segment(hit.text)])
                        fits = max(MIN_CUT_SOURCE_TOKENS, share - overhead)
                        text, _ = self._clip(hit.text, fits)
                        hit = replace(hit, text=text)
                        cut = True
                    shared.append(hit)
                hits = shared
        for hit in hits:
            size = self._count(self._source_segments(len(chosen) + 1, hit))
            if size <= room:
                chosen.append(hit)
                room -= size
                continue
            overhead = size - self._count([Segment(hit.text)])
            fits = room - overhead
            if fits >= MIN_CUT_SOURCE_TOKENS:
                text, _ = self._clip(hit.text, fits)
                chosen.append(replace(hit, text=text))
                cut = True
            break

        while True:  # segment joins can shift a count by a token; never overflow
            tokens = self._tokens(self._layout(question, chosen, turns))
            if len(tokens) <= limit or not chosen:
                break
            chosen.pop()
            cut = True
        if len(tokens) > limit:  # only scaffolding left; cannot happen with sane n_ctx
            tokens = tokens[-limit:]
            cut = True
        stop = () if self.style == "chat" else COMPLETION_STOPS
        return Prompt(
            tokens=tuple(tokens),
            sources=tuple(chosen),
            style=self.style,
            stop=stop,
            max_tokens=min(max_tokens, n_ctx - len(tokens)),
            left_out=len(hits) - len(chosen),
            cut=cut,
        )

    def chat_tokens(self, messages: Sequence[tuple[str, str]]) -> list[int]:
        """Plain-text (role, content) messages through the model's chat template, ready
        for the model to reply (a model without a template cannot be asked this way)."""
        if self.style != "chat":
            raise ValueError("this model has no chat template")
        return self._tokens(self._render([(role, [Segment(text)]) for role, text in messages]))

    # -- layout ----------------------------------------------------------------------------

    def _layout(
        self, question: str, sources: Sequence[SearchHit], turns: Sequence[Turn]
    ) -> list[Segment]:
        if self.style == "chat":
            return self._chat(question, sources, turns)
        return self._completion(question, sources, turns)

    def _completion(
        self, question: str, sources: Sequence[SearchHit], turns: Sequence[Turn]
    ) -> list[Segment]:
        parts = [Segment(INSTRUCTIONS + "\n\n")]
        if self.shape.worked_example:
            parts = [Segment(INSTRUCTIONS + "\n\nSources:\n")]
            for n, (name, page, text) in enumerate(EXAMPLE_SOURCES, 1):
                parts.append(Segment(f"[{n}] {name}, page {page}\n{text}\n\n"))
            parts.append(Segment(f"Question: {EXAMPLE_QUESTION}\nAnswer: {EXAMPLE_ANSWER}\n\n"))
        if turns:
            parts.append(Segment("Earlier in this conversation:\n"))
            for turn in turns:
                parts.append(Segment(f"Question: {turn.question}\nAnswer: {turn.answer}\n"))
            parts.append(Segment("\n"))
        parts.append(Segment("Sources:\n"))
        for n, hit in enumerate(sources, 1):
            parts.extend(self._source_segments(n, hit))
        parts.append(Segment(f"Question: {question}\nAnswer:"))
        return parts

    def _chat(
        self, question: str, sources: Sequence[SearchHit], turns: Sequence[Turn]
    ) -> list[Segment]:
        user: list[Segment] = [Segment("Sources:\n")]
        for n, hit in enumerate(sources, 1):
            user.extend(self._source_segments(n, hit))
        user.extend([Segment("Question: "), Segment(question)])
        messages: list[tuple[str, list[Segment]]] = [("system", [Segment(INSTRUCTIONS)])]
        for turn in turns:
            messages.append(("user", [Segment(turn.question)]))
            messages.append(("assistant", [Segment(turn.answer)]))
        messages.append(("user", user))
        return self._render(messages)

    def _render(self, messages: list[tuple[str, list[Segment]]]) -> list[Segment]:
        """Render through the chat template; plain-text segments stay plain text."""
        plain: list[str] = []

        def content(parts: list[Segment]) -> str:
            out = []
            for part in parts:
                plain.append(part.text)
                out.append(f"\ue000{len(plain) - 1}\ue001")
            return "".join(out)

        rendered_messages = [{"role": role, "content": content(parts)} for role, parts in messages]
        values = {
            "add_generation_prompt": True,
            "bos_token": self.generator.special_token("bos"),
            "eos_token": self.generator.special_token("eos"),
        }
        try:
            text = self._template.render(messages=rendered_messages, **values)
        except Exception:  # templates that refuse a system role: fold it into the first turn
            system, first, *rest = rendered_messages
            merged = {"role": "user", "content": system["content"] + "\n\n" + first["content"]}
            text = self._template.render(messages=[merged, *rest], **values)
        segments: list[Segment] = []
        position = 0
        for match in _SENTINEL.finditer(text):
            if match.start() > position:
                segments.append(Segment(text[position : match.start()], special=True))
            segments.append(Segment(plain[int(match.group(1))]))
            position = match.end()
        if position < len(text):
            segments.append(Segment(text[position:], special=True))
        return segments

    def _source_segments(self, n: int, hit: SearchHit) -> list[Segment]:
        label = f"[{n}] {PurePath(hit.path).name}"
        if hit.place:
            label += f", {hit.place}"
        if hit.heading:
            label += f" ({hit.heading})"
        return [Segment(label + "\n"), Segment(hit.text.strip()), Segment("\n\n")]

    # -- tokens ----------------------------------------------------------------------------

    def _tokens(self, segments: list[Segment]) -> list[int]:
        # A chat template writes its own BOS (as text); a completion prompt needs one.
        bos = self.style == "completion"
        return self.generator.tokenize(segments, bos=bos)

    def _count(self, segments: list[Segment]) -> int:
        return len(self.generator.tokenize(segments))

    def _clip(self, text: str, limit: int) -> tuple[str, bool]:
        """`text` cut to at most `limit` tokens (at a token boundary)."""
        tokens = self.generator.tokenize([Segment(text)])
        if len(tokens) <= limit:
            return text, False
        # Leave room for the ellipsis so the cut text still fits in `limit`.
        return self.generator.detokenize(tokens[: max(1, limit - 2)]).rstrip() + " …", True
