"""Grounded answers with the real bundled model and embedder over the sample folder."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from engine.answer.answering import Answer, AnswerText, SourcesFound
from engine.answer.conversation import Turn
from engine.assistant import Assistant
from engine.jobs import CancelToken
from engine.models.generation import LlamaGenerator
from engine.settings import Settings
from tests.conftest import SAMPLE_DOCS


class CountingGenerator:
    """The real generator, counting how often it is asked to generate."""

    def __init__(self, inner: LlamaGenerator) -> None:
        self.inner = inner
        self.streams = 0

    def stream(self, *args: Any, **kwargs: Any):
        self.streams += 1
        return self.inner.stream(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, embedder, generator):
    root = tmp_path_factory.mktemp("answers")
    docs = root / "docs"
    shutil.copytree(SAMPLE_DOCS, docs)
    counting = CountingGenerator(generator)
    with Assistant(root / "home", embedder=embedder, generator=counting) as assistant:
        assistant.add_folder(docs)
        assistant.index()
        yield assistant


def answer(assistant: Assistant, question: str, **kwargs: Any) -> Answer:
    events = list(assistant.ask(question, **kwargs))
    assert isinstance(events[0], SourcesFound)
    assert isinstance(events[-1], Answer)
    return events[-1]


@pytest.mark.parametrize(
    ("question", "fact", "file"),
    [
        ("What does it cost to replace a lost key fob?", "12 euros", "opening-hours.md"),
        ("How much does membership cost per month?", "35 euros", "membership.txt"),
        ("When does the workshop close for winter maintenance?", "23 December", "opening-hours.md"),
    ],
)
def test_answer_holds_the_fact_and_cites_its_file(assistant, question, fact, file) -> None:
    result = answer(assistant, question)
    assert fact in result.text
    assert not result.abstained and not result.uncited
    assert any(Path(c.path).name == file for c in result.citations), result.to_dict()
    cited = result.citations[0]
    assert fact.split()[0] in cited.text  # the cited passage really holds the fact
    timings = result.timings
    assert timings.prompt_tokens > 0 and timings.generated_tokens > 0
    assert timings.first_token_ms is not None and timings.first_token_ms >= timings.retrieval_ms


def test_events_come_in_order_and_tokens_add_up_to_the_answer(assistant) -> None:
    events = list(assistant.ask("How much does membership cost per month?"))
    kinds = [type(e).__name__ for e in events]
    assert kinds[0] == "SourcesFound" and kinds[-1] == "Answer"
    assert set(kinds[1:-1]) == {"AnswerText"}
    streamed = "".join(e.text for e in events if isinstance(e, AnswerText)).strip()
    final = events[-1]
    assert streamed.split("[")[0].strip().rstrip(".") in final.text


def test_uncovered_question_abstains_without_calling_the_model(assistant) -> None:
    before = assistant.generator.streams
    result = answer(assistant, "What is the population of Jakarta?")
    assert result.abstained and result.abstain_reason == "no relevant passage"
    assert assistant.generator.streams == before  # the model was never asked
    assert result.sources  # the closest passages are still shown
    assert result.timings.prompt_tokens == 0 and result.model is None
    assert "don't seem to cover" in result.text


def test_cancel_stops_within_one_token(assistant) -> None:
    cancel = CancelToken()
    pieces_after_cancel = 0
    final = None
    # a question the reader answers (a decline would come whole, with nothing to cancel)
    for event in assistant.ask("Who may use the laser cutter?", cancel=cancel):
        if isinstance(event, AnswerText):
            if cancel.cancelled:
                pieces_after_cancel += 1
            else:
                cancel.cancel()
        elif isinstance(event, Answer):
            final = event
    assert final is not None and final.cancelled
    assert pieces_after_cancel == 0
    assert final.timings.generated_tokens <= 3
    # The model is free again straight away.
    assert "12 euros" in answer(assistant, "What does it cost to replace a lost key fob?").text


def test_follow_up_is_retrieved_with_the_conversation(assistant) -> None:
    history = [Turn("Tell me about the pottery kiln.", "Ines Morgado looks after it [1].")]
    alone = assistant.answerer.search("How hot does it get?", [], None).hits
    assert not assistant.relevance_gate.passes("How hot does it get?", alone)
    result = answer(assistant, "How hot does it get?", history=history)
    assert result.abstain_reason != "no relevant passage"
    assert result.sources[0].heading.endswith("Pottery kiln")


def test_scope_limits_the_sources(assistant) -> None:
    folder = Path(assistant.folders()[0].path)
    result = answer(assistant, "How much does membership cost?", scope=folder / "membership.txt")
    assert {Path(h.path).name for h in result.sources} == {"membership.txt"}


class HashingEmbedder:
    """A fast bag-of-words embedder: the 2 MB test is about the prompt, not embeddings."""

    model_id = "test:hashing-384"
    dimension = 384

    def __init__(self, tokens: Any) -> None:
        self.tokens = tokens

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                out[row, hash(word) % self.dimension] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)


@pytest.mark.parametrize("reader", [False, True])
def test_two_megabyte_document_never_overflows_the_context(
    tmp_path, tokens, model_path, reader
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    line = "The harbour log notes the tide, the wind and every ship passing the reef.\n"
    body = line * (2_000_000 // len(line))
    (docs / "harbour-log.txt").write_text(
        body[: len(body) // 2]
        + "The lighthouse keeper in 1921 was Amos Reed.\n"
        + body[len(body) // 2 :]
    )
    assert (docs / "harbour-log.txt").stat().st_size >= 2_000_000
    settings = Settings(
        n_ctx=1024,
        answer_tokens=64,
        answer_sources=40,
        relevance_similarity=0.0,
        reader=reader,
    )
    small = LlamaGenerator(model_path, n_ctx=1024)
    try:
        with Assistant(
            tmp_path / "home", settings, HashingEmbedder(tokens), generator=small
        ) as assistant:
            assistant.add_folder(docs)
            assistant.index()
            result = answer(
                assistant, "Who was the lighthouse keeper in 1921, per the harbour log?"
            )
            passage_chars = sum(len(h.text) for h in result.sources)
            assert passage_chars > 4 * 1024 * 4  # far more text than the context holds
            # whole passages: the budget cut or left out some; the reader's excerpts of
            # them (3 sentences each) may fit as they are
            assert result.prompt_cut or reader
            assert result.timings.prompt_tokens + 64 <= 1024
            assert result.timings.generated_tokens > 0
    finally:
        small.close()
