"""A chat model proposes the next search itself (a person's bigger model); the loop, its
cap and its trace are the same as the rules'. The model is a scripted fake with a chat
template; the store, FTS5 and hnswlib are real."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from engine.answer.prompting import PromptBuilder
from engine.answer.query_proposal import ModelProposer
from engine.models.generation import Segment
from engine.search.multistep import MultiStepSearch
from tests.fakes import FakeEmbedder, indexed_folder

FILES = {
    "greenhouse.md": "# Greenhouse\n\nThe greenhouse heater was installed in 2019 by the "
    "firm next door. It runs from October to April.\n",
    "invoices.md": "# Invoices\n\nThe heater invoice names Kowalski Plumbing of Leeds as the "
    "installer, paid in May 2019.\n",
    "kiln.md": "# Kiln\n\nThe kiln is fired on Thursdays by trained members.\n",
}
QUESTION = "Which firm installed the greenhouse heater, and where is it based?"


class ScriptedChatModel:
    """A chat model that replies from a script and keeps every prompt it read."""

    model_id = "scripted-chat"
    n_ctx = 4096
    chat_template = "{% for m in messages %}<{{ m.role }}>{{ m.content }}\n{% endfor %}<reply>"

    def __init__(self, replies: list[str]) -> None:
        self.replies = list(replies)
        self.prompts: list[str] = []

    def special_token(self, which: str) -> str:
        return ""

    def tokenize(self, segments: Sequence[Segment], bos: bool = False) -> list[int]:
        return [ord(c) for segment in segments for c in segment.text]

    def detokenize(self, tokens: Sequence[int]) -> str:
        return "".join(chr(t) for t in tokens)

    def stream(self, tokens, max_tokens, stop=(), cancel=None) -> Iterator[str]:
        self.prompts.append(self.detokenize(tokens))
        yield self.replies.pop(0)


@pytest.fixture(scope="module")
def retriever(tmp_path_factory):
    root = tmp_path_factory.mktemp("planner")
    with indexed_folder(root, FILES, FakeEmbedder(dimension=1024)) as assistant:
        yield assistant.retriever


def _loop(retriever, model: ScriptedChatModel, extra: int = 2) -> MultiStepSearch:
    planner = ModelProposer(model, PromptBuilder(model))  # type: ignore[arg-type]
    return MultiStepSearch(retriever, 1, 0.5, max_extra=extra, proposer=planner)


def test_the_model_asks_for_what_is_missing_and_the_loop_follows(retriever):
    model = ScriptedChatModel(["Kowalski Plumbing installer", "DONE"])
    lookup = _loop(retriever, model)(QUESTION, [], None)
    assert [Path(h.path).name for h in lookup.hits[:1]] == ["invoices.md"]  # took the slot
    assert [step.why for step in lookup.steps] == ["the question", "the model asked for it"]
    assert lookup.steps[1].subject == "Kowalski Plumbing installer"
    assert [Path(p).name for p in lookup.steps[1].added] == ["invoices.md"]
    first_prompt = model.prompts[0]
    assert first_prompt.startswith("<system>You plan searches")
    assert f"Question: {QUESTION}" in first_prompt and "[1] greenhouse.md" in first_prompt
    assert len(model.prompts) == 2  # asked again after the new passage: it said DONE


def test_done_at_once_means_one_search_and_the_cap_holds(retriever):
    assert len(_loop(retriever, ScriptedChatModel(["DONE"]))(QUESTION, [], None).steps) == 1
    model = ScriptedChatModel(["Kowalski Plumbing", "kiln", "boiler"])
    assert len(_loop(retriever, model, extra=1)(QUESTION, [], None).steps) == 2


def test_a_model_without_a_chat_template_cannot_plan():
    class Plain(ScriptedChatModel):
        chat_template = None

    with pytest.raises(ValueError, match="no chat template"):
        PromptBuilder(Plain([])).chat_tokens([("user", "hi")])  # type: ignore[arg-type]
