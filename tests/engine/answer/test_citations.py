"""Citation markers -> sources, and attribution of unmarked answers (no model needed)."""

from __future__ import annotations

from engine.answer.answering import declines
from engine.answer.citations import attribute, resolve_citations
from engine.search.retrieval import SearchHit


def hit(path: str, text: str, page: int | None = None) -> SearchHit:
    return SearchHit(path, page, "", text, 1.0, 0.5, 10, 10 + len(text), 3, 4, (1,))


SOURCES = [
    hit("/docs/kiln.md", "The electric kiln fires up to 1280 °C. Ines Morgado looks after it."),
    hit("/docs/fees.pdf", "Lost fobs are replaced for a fee of 12 euros.", page=4),
    hit("/docs/history.html", "The cooperative was founded in 2011 by eight neighbours."),
]


def test_markers_map_to_path_page_and_span() -> None:
    cited = resolve_citations("It costs 12 euros [2]. Founded 2011 [3].", SOURCES)
    assert [(c.n, c.path, c.page) for c in cited.citations] == [
        (2, "/docs/fees.pdf", 4),
        (3, "/docs/history.html", None),
    ]
    assert cited.citations[0].char_start == 10
    assert cited.citations[0].text.startswith("Lost fobs")
    assert cited.dropped == 0 and not cited.uncited


def test_lists_ranges_and_repeats() -> None:
    cited = resolve_citations("A [1, 3]. B [1-2]. C [2][2].", SOURCES)
    assert [c.n for c in cited.citations] == [1, 3, 2]
    assert "[1][3]" in cited.text and "[1][2]" in cited.text


def test_markers_that_point_nowhere_are_dropped_and_counted() -> None:
    cited = resolve_citations("It costs 12 euros [7]. Founded 2011 [3, 9].", SOURCES)
    assert cited.dropped == 2
    assert cited.text == "It costs 12 euros. Founded 2011 [3]."
    assert [c.n for c in cited.citations] == [3]


def test_answer_without_valid_citation_is_flagged() -> None:
    assert resolve_citations("Nobody knows [0].", SOURCES).uncited
    assert resolve_citations("Plain text.", SOURCES).uncited
    assert resolve_citations("Plain text [1].", []).dropped == 1


def test_attribution_marks_each_sentence_with_the_source_holding_its_words() -> None:
    answer = "A lost fob costs 12 euros. Ines Morgado looks after the kiln."
    marked = attribute(answer, SOURCES, question="What does a lost fob cost?")
    assert marked == "A lost fob costs 12 euros [2]. Ines Morgado looks after the kiln [1]."


def test_attribution_leaves_unsupported_sentences_alone() -> None:
    answer = "The garden opens at dawn on Sundays."
    assert attribute(answer, SOURCES, question="When does the garden open?") == answer


def test_words_repeated_from_the_question_prove_nothing() -> None:
    # Only "kiln" (from the question) matches source 1: no support of its own.
    answer = "The kiln is blue."
    assert attribute(answer, SOURCES, question="What colour is the kiln?") == answer


def test_declines_recognises_the_not_found_reply() -> None:
    assert declines("The documents do not say.")
    assert declines('"The documents do not say." [1]')
    assert not declines("The documents say the kiln fires at 1280 °C, not 1300 [1].")


def test_relevance_gate_passes_on_similarity_or_on_words_with_a_floor() -> None:
    from engine.answer.answering import RelevanceGate

    gate = RelevanceGate(similarity=0.5, coverage=0.6, floor=0.2)
    close = SearchHit("/a.txt", None, "", "Anything at all.", 1.0, 0.55, 0, 5, 1, 1, (1,))
    wordy = SearchHit("/b.txt", None, "", "The kiln fires at 1280 C.", 1.0, 0.25, 0, 5, 1, 1, (2,))
    assert gate.passes("Unrelated words here?", [close])
    assert gate.passes("How hot does the kiln fire?", [wordy])  # kiln + fire(s), 2 of 3
    assert not gate.passes("How hot is the oven?", [wordy])  # the words are not there
    low = SearchHit("/c.txt", None, "", "The kiln fires at 1280 C.", 1.0, 0.1, 0, 5, 1, 1, (3,))
    assert not gate.passes("How hot does the kiln fire?", [low])  # below the floor
    assert not gate.passes("Anything?", [])


def test_a_looping_answer_is_detected_and_cut_to_one_copy() -> None:
    from engine.answer.answering import cut_repetition, repeats_itself

    loop = "Fees are due monthly [1]. " * 4 + "Fees are"
    assert repeats_itself(loop)
    assert cut_repetition(loop) == "Fees are due monthly [1]."
    ok = "Members pay 35 euros a month [1]. Students pay 20 euros a month [1]."
    assert not repeats_itself(ok)


def test_attribution_leaves_decimals_and_initials_whole() -> None:
    sources = [
        hit("/docs/climate.md", "Temperatures increased by 0.3 to 0.6 °C, wrote Michael E. Mann."),
        hit("/docs/other.md", "Nothing to see."),
    ]
    answer = "It increased by 0.3 to 0.6 °C. Michael E. Mann wrote it."
    marked = attribute(answer, sources, question="How much did it warm?")
    assert marked == "It increased by 0.3 to 0.6 °C [1]. Michael E. Mann wrote it [1]."
