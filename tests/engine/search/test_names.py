"""Names in questions and passages, and the questions that compare named things."""

from __future__ import annotations

import pytest

from engine.search.names import compared_names, mentions, names_in, other_words


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Are Joe Elliott and Paul Meany both keyboardists?", ["Joe Elliott", "Paul Meany"]),
        (
            "Which is taller, the Bank of America Tower or the Shard?",
            ["Bank of America Tower", "Shard"],
        ),
        ("The LNW-80 and Amstrad PCW are machines.", ["LNW-80", "Amstrad PCW"]),
        ('Who wrote essays for "Beer Hunter, Whisky Chaser"?', ["Beer Hunter, Whisky Chaser"]),
        ("When did Super Bowl 50 take place?", ["Super Bowl 50"]),
        ("what time does the library open?", []),
        ("It was home to J. I. Clements Stadium.", ["J. I. Clements Stadium"]),
        ("John C. Calhoun met him.", ["John C. Calhoun"]),
    ],
)
def test_names_are_runs_of_capitalised_words_without_the_question_words(text, names):
    assert [n.text for n in names_in(text)] == names


@pytest.mark.parametrize(
    ("question", "compared"),
    [
        (
            "Were Scott Derrickson and Ed Wood of the same nationality?",
            ["Scott Derrickson", "Ed Wood"],
        ),
        ("Who was born first, Ed Wood or Scott Derrickson?", ["Ed Wood", "Scott Derrickson"]),
        (
            "Is the Boiler, the Kiln or the Greenhouse heater older?",
            ["Boiler", "Kiln", "Greenhouse"],
        ),
        ("What did the writer who met Ed Wood write about?", []),
        ("When is the Greenhouse heater serviced?", []),
        ("Park Holme, South Australia is next to which suburb?", []),
    ],
)
def test_things_named_side_by_side_are_compared(question, compared):
    assert compared_names(question) == compared


def test_the_other_words_leave_out_names_and_comparing_words():
    question = "Are Joe Elliott and Paul Meany both keyboardists?"
    assert other_words(question, compared_names(question)) == ["keyboardists"]


def test_mentions_matches_every_word_loosely():
    assert mentions("Scott Derrickson's films", "Scott Derrickson")
    assert not mentions("Scott Joplin", "Scott Derrickson")
