"""Keeping an answer honest at decode time: the worked example never leaks into an answer,
and an answer no source holds is marked unsupported instead of shown as cited."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine.answer.answering import Answer, drop_example_echo, strip_markers
from engine.answer.citations import support, supported
from engine.search.retrieval import SearchHit


def hit(path: str, text: str) -> SearchHit:
    return SearchHit(path, None, "", text, 1.0, 0.5, 0, len(text), 1, 1, (1,))


SOURCES = [
    hit("/docs/hours.md", "The workshop is open Monday to Friday from 10:00 to 18:00."),
    hit("/docs/kiln.md", "Ines Morgado looks after the kiln."),
]


def test_a_sentence_copied_from_the_worked_example_is_dropped() -> None:
    answer = "On Saturdays the garden opens at 9 am [2]. Ines Morgado looks after it [2]."
    kept, dropped = drop_example_echo(answer, SOURCES, "Who looks after the kiln?")
    assert dropped == 1
    assert kept == "Ines Morgado looks after it [2]."
    assert "garden" not in kept


def test_a_sentence_the_sources_hold_better_than_the_example_stays() -> None:
    answer = "The workshop opens at 10:00 on weekdays [1]."
    assert drop_example_echo(answer, SOURCES, "When does the workshop open?") == (answer, 0)


def test_support_ignores_words_taken_from_the_question() -> None:
    sentence = "The kiln is looked after by Ines Morgado."
    assert support(sentence, SOURCES[1].text, "Who looks after the kiln?") == 1.0
    assert support("Peter Brown runs the kiln.", SOURCES[1].text, "Who runs the kiln?") == 0.0


def test_supported_is_per_sentence() -> None:
    answer = "Ines Morgado looks after it [2]. It was built on the moon in 1820 [1]."
    assert supported(answer, SOURCES, "Who looks after the kiln?") == [True, False]


def test_an_unsupported_answer_keeps_no_marker() -> None:
    assert strip_markers("It was built in 1820 [1]. On the moon [1, 2][3].") == (
        "It was built in 1820. On the moon."
    )


class ScriptedGenerator:
    """The real generator (tokenizer, context), with the answer text scripted: the model's
    wording is not the subject here, what Docent does with it is."""

    def __init__(self, inner: Any, pieces: list[str]) -> None:
        self.inner = inner
        self.pieces = pieces

    def stream(self, *args: Any, **kwargs: Any) -> Iterator[str]:
        yield from self.pieces

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def scripted_answer(generator: Any, pieces: list[str], question: str) -> Answer:
    from engine.answer.answering import Answerer, RelevanceGate
    from engine.answer.prompting import PromptBuilder
    from engine.search.multistep import Lookup

    scripted = ScriptedGenerator(generator, pieces)
    answerer = Answerer(
        lambda q, _c, _s: Lookup.single(q, SOURCES),
        scripted,  # type: ignore[arg-type]
        PromptBuilder(scripted),  # type: ignore[arg-type]
        RelevanceGate(0.0, 1.0, 0.0),
    )
    answer = list(answerer.ask(question))[-1]
    assert isinstance(answer, Answer)
    return answer


def test_an_answer_no_source_holds_is_marked_unsupported_and_not_cited(generator) -> None:
    answer = scripted_answer(
        generator, ["The moon", " is made of", " green cheese [1]."], "What is the moon made of?"
    )
    assert answer.unsupported and answer.uncited and not answer.citations
    assert answer.text == "The moon is made of green cheese."


def test_a_held_answer_is_cited_as_usual(generator) -> None:
    answer = scripted_answer(generator, ["Ines Morgado", " [2]."], "Who looks after the kiln?")
    assert not answer.unsupported and [c.n for c in answer.citations] == [2]


def test_an_echo_of_the_worked_example_never_reaches_the_answer(generator) -> None:
    answer = scripted_answer(
        generator, ["On Saturdays the garden opens at 9 am [2]."], "When does it open?"
    )
    assert answer.example_echo_dropped == 1
    assert "garden" not in answer.text and not answer.citations
