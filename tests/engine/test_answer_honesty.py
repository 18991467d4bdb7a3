"""Keeping an answer honest at decode time: the worked example never leaks into an answer,
and an answer no source holds is marked unsupported instead of shown as cited."""

from __future__ import annotations

from engine.answering import drop_example_echo
from engine.citations import support, supported
from engine.retrieval import SearchHit


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
