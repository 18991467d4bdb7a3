"""Excerpts for the reader's prompt: the sentences of a passage that bear on the question."""

from __future__ import annotations

from engine.answer.excerpts import excerpt, sentence_scores, unwrap

PASSAGE = (
    "The cooperative was founded in 2011 by eight neighbours. "
    "Its workshop is on Harbour Street. "
    "The electric kiln fires up to 1280 °C. "
    "Ines Morgado looks after the kiln and runs the glazing course. "
    "Members meet on the first Monday of the month."
)


def test_keeps_the_sentences_sharing_most_words_with_the_question_in_order() -> None:
    text = excerpt(PASSAGE, "Who looks after the kiln?", 2)
    assert text == (
        "… The electric kiln fires up to 1280 °C. "
        "Ines Morgado looks after the kiln and runs the glazing course. …"
    )


def test_gaps_between_kept_sentences_are_marked() -> None:
    text = excerpt(PASSAGE, "When was the cooperative founded, and who runs the kiln?", 2)
    assert text.startswith("The cooperative was founded in 2011")
    assert " … Ines Morgado looks after the kiln" in text
    assert text.endswith("…")


def test_short_passages_and_zero_stay_whole() -> None:
    assert excerpt(PASSAGE, "kiln", 0) == PASSAGE
    assert excerpt("One sentence. Two sentences.", "kiln", 3) == "One sentence. Two sentences."


def test_a_passage_sharing_no_word_keeps_its_opening_sentence() -> None:
    text = excerpt(PASSAGE, "What colour is the sky?", 2)
    assert text == "The cooperative was founded in 2011 by eight neighbours. …"


def test_names_and_numbers_weigh_double() -> None:
    parts = ["Ines works here.", "The kiln is big."]
    assert sentence_scores("Where does Ines keep the kiln?", parts) == [2.0, 1.0]


def test_hard_wrapped_lines_stay_one_sentence() -> None:
    wrapped = (
        "## Key fobs\n\n"
        "Members who have completed the safety induction receive a blue key fob. A fob opens\n"
        "the side door between 07:00 and 22:00 every day. Lost fobs are replaced for a\n"
        "fee of 12 euros at the front desk.\n"
    )
    text = excerpt(wrapped, "What does it cost to replace a lost key fob?", 1)
    assert "Lost fobs are replaced for a fee of 12 euros at the front desk." in text


def test_unwrap_keeps_headings_lists_and_paragraph_breaks() -> None:
    text = "# Title\nFirst line\nwraps here.\n\n- one\n- two\nSecond\nparagraph."
    assert unwrap(text) == "# Title\nFirst line wraps here.\n\n- one\n- two Second paragraph."
