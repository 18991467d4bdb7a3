"""Samples into token sequences, tokenized by the same llama.cpp model that will answer.

Plain text becomes windows of whole paragraphs (from one file, up to WINDOW tokens), with
the loss on every token. A pair becomes Docent's real answer prompt for its question (its
sources numbered as in an answer) followed by the response and the prompt's end marker,
with the loss on the response only: the adapter learns how to answer, in the very
context it will answer in.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from engine.answer.prompting import FULL_SHAPE, PromptBuilder, PromptShape
from engine.errors import TrainingError
from engine.models.generation import Generator, Segment
from engine.search.retrieval import SearchHit
from engine.training.samples import Sample, SampleSet

WINDOW = 256  # tokens per plain-text window (at most)
MIN_WINDOW = 32
TARGET_WINDOWS = 8  # small samples are packed into smaller windows, to hold some out
MAX_RESPONSE = 256  # response tokens kept per pair
VALIDATION_SHARE = 0.15
MAX_VALIDATION = 32


@dataclass(frozen=True, slots=True)
class Example:
    tokens: tuple[int, ...]
    target_start: int  # the loss covers tokens[target_start:]

    @property
    def targets(self) -> int:
        return len(self.tokens) - self.target_start


@dataclass(frozen=True, slots=True)
class Dataset:
    train: tuple[Example, ...]
    validation: tuple[Example, ...]

    @property
    def train_tokens(self) -> int:
        return sum(len(e.tokens) for e in self.train)


def build_dataset(
    samples: SampleSet, generator: Generator, seed: int = 0, shape: PromptShape = FULL_SHAPE
) -> Dataset:
    """Tokenize, then hold out a validation share (whole samples, chosen by `seed`).

    Pairs are laid out in the prompt `shape` the adapter will answer in."""
    if samples.kind == "pairs":
        builder = PromptBuilder(generator, shape=shape)
        examples = [_pair(sample, generator, builder) for sample in samples.samples]
    else:
        examples = _windows(samples.samples, generator)
    if len(examples) < 2:
        raise TrainingError(
            f"{samples.files[0]}: too little text to train on and check against; "
            "write more (a few thousand words is a good start)"
        )
    order = list(range(len(examples)))
    random.Random(seed).shuffle(order)
    held = min(MAX_VALIDATION, max(1, round(len(examples) * VALIDATION_SHARE)), len(examples) - 1)
    validation = tuple(examples[i] for i in sorted(order[:held]))
    train = tuple(examples[i] for i in sorted(order[held:]))
    return Dataset(train, validation)


def _windows(samples: Sequence[Sample], generator: Generator) -> list[Example]:
    bos = generator.tokenize([], bos=True)
    pieces = [generator.tokenize([Segment(s.text + "\n\n")]) for s in samples]
    total = sum(len(p) for p in pieces)
    window = max(MIN_WINDOW, min(WINDOW, total // TARGET_WINDOWS))
    examples: list[Example] = []
    current: list[int] = []
    current_file = None
    for sample, tokens in zip(samples, pieces, strict=True):
        file = sample.origin.rsplit(":", 1)[0]
        if current and (file != current_file or len(current) + len(tokens) > window):
            examples.append(Example(tuple(bos + current), len(bos)))
            current = []
        current_file = file
        while len(tokens) > WINDOW:  # one very long paragraph: split it
            examples.append(Example(tuple(bos + tokens[:WINDOW]), len(bos)))
            tokens = tokens[WINDOW:]
        current.extend(tokens)
    if current:
        examples.append(Example(tuple(bos + current), len(bos)))
    return examples


def _pair(sample: Sample, generator: Generator, builder: PromptBuilder) -> Example:
    names = sample.source_names or ("",) * len(sample.sources)
    hits = [
        SearchHit(name or f"source-{n}.txt", None, "", text, 1.0, 1.0, 0, len(text), 1, 1, (n,))
        for n, (name, text) in enumerate(zip(names, sample.sources, strict=True), 1)
    ]
    prompt = builder.build(sample.prompt, hits)
    lead = " " if prompt.style == "completion" else ""  # as the model writes after "Answer:"
    answer = generator.tokenize([Segment(lead + sample.response)])[:MAX_RESPONSE]
    if prompt.style == "chat":
        end = generator.tokenize([Segment(generator.special_token("eos"), special=True)])
    else:
        end = generator.tokenize([Segment("\n\n")])  # a completion answer ends at a blank line
    tokens = (*prompt.tokens, *answer, *end)
    return Example(tokens, len(prompt.tokens))
