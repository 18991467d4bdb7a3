"""Multi-step retrieval on small made-up folders where an answer needs two files.

The store, FTS5 and hnswlib are real; the embedder is the hashed-words fake (the subject
is the loop, not the embedder)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.assistant import Assistant
from engine.search.multistep import (
    Lookup,
    LookupState,
    MultiStepSearch,
    bridge_names,
    bridge_passages,
    is_titled,
)
from engine.search.retrieval import SearchHit
from tests.fakes import indexed_folder

FILES = {
    "greenhouse.md": "# Greenhouse\n\nThe greenhouse heater was installed in 2019 by Marta "
    "Kowalski. It runs from October to April and is checked every spring.\n",
    "marta-kowalski.md": "# Marta Kowalski\n\nMarta Kowalski is a plumber based in Leeds. "
    "She answers the phone on weekdays.\n",
    "tom-baker.md": "# Tom Baker\n\nTom Baker is an electrician based in York. He rewired "
    "the workshop in 2021.\n",
    "boiler.md": "# Boiler\n\nThe boiler was installed by a plumber based in Hull. The plumber "
    "is based near the station and the boiler heater is serviced by a plumber.\n",
    "plumbing.md": "# Plumbing\n\nA plumber based in town installed the new pipes. Ask the "
    "plumber where the plumber is based before a plumber visits.\n",
    "kiln.md": "# Kiln\n\nThe kiln is fired on Thursdays. Only trained members may load it.\n",
}
BRIDGE = "Where is the plumber who installed the greenhouse heater based?"
COMPARISON = "Are Marta Kowalski and Tom Baker both plumbers?"
SINGLE = "When is the greenhouse heater checked?"


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    with indexed_folder(tmp_path_factory.mktemp("multistep"), FILES) as assistant:
        yield assistant


def _names(hits) -> list[str]:
    return [Path(hit.path).name for hit in hits]


def search(assistant: Assistant, question: str, k: int = 2, extra: int = 2) -> Lookup:
    loop = MultiStepSearch(assistant.retriever, k, 0.5, max_extra=extra)
    return loop(question, [], None)


def test_a_bridge_question_follows_the_name_the_first_passage_holds(assistant):
    single = search(assistant, BRIDGE, extra=0)
    assert "marta-kowalski.md" not in _names(single.hits[:2])  # one search is not enough
    lookup = search(assistant, BRIDGE)
    assert {"greenhouse.md", "marta-kowalski.md"} <= set(_names(lookup.hits[:2]))
    first = lookup.steps[0]
    assert (first.query, first.why) == (BRIDGE, "the question")
    (follow,) = [step for step in lookup.steps if step.added and step is not first]
    assert follow.why.startswith("follow 'Marta Kowalski' from passage ")
    assert follow.query.startswith("Marta Kowalski")
    assert [Path(p).name for p in follow.added] == ["marta-kowalski.md"]


def test_a_comparison_searches_each_named_thing_and_keeps_a_place_for_each(assistant):
    lookup = search(assistant, COMPARISON, k=3)
    assert [step.why for step in lookup.steps] == [
        "the question",
        "compare: 'Marta Kowalski'",
        "compare: 'Tom Baker'",
    ]
    assert {"marta-kowalski.md", "tom-baker.md"} <= set(_names(lookup.hits[:3]))


def test_a_single_hop_question_takes_exactly_one_step(assistant):
    lookup = search(assistant, SINGLE)
    assert len(lookup.steps) == 1
    assert _names(lookup.hits)[0] == "greenhouse.md"


def test_the_cap_on_extra_searches_holds(assistant):
    assert len(search(assistant, BRIDGE, extra=1).steps) <= 2
    assert len(search(assistant, COMPARISON, extra=1).steps) == 2
    assert len(search(assistant, BRIDGE, extra=0).steps) == 1


def test_a_step_that_finds_nothing_new_ends_the_loop(assistant):
    lookup = search(assistant, "Where is the plumber who fired the kiln based?", k=6, extra=6)
    # the question, then one round (one search per name, two at most) that added nothing
    assert 2 <= len(lookup.steps) <= 3
    assert not any(step.added for step in lookup.steps[1:])


def _hit(path: str, text: str, heading: str = "") -> SearchHit:
    return SearchHit(path, None, heading, text, 1.0, 0.5, 0, len(text), None, None, ())


def test_a_name_in_brackets_of_a_title_does_not_make_the_passage_about_it():
    song = _hit("/docs/Afterlife (Arcade Fire song).txt", "Afterlife is a song by Arcade Fire.")
    band = _hit("/docs/notes.txt", "Arcade Fire is a band from Montreal.")
    assert not is_titled(song, "Arcade Fire")
    assert is_titled(band, "Arcade Fire")  # the name opens the text
    assert is_titled(_hit("/docs/Arcade Fire.txt", "A band."), "Arcade Fire")


def test_names_with_initials_stay_whole_in_a_passage():
    hit = _hit("/docs/Nathaniel Gist.txt", "He knew John C. Calhoun. His reputed son was Sequoyah.")
    names = [name for name, _ in bridge_names(hit, "Who was Nathaniel Gist's reputed son?")]
    assert names == ["John C. Calhoun", "Sequoyah"]


def test_bridge_names_come_from_the_best_passage_then_one_about_the_question_s_names():
    best = _hit("/docs/stadiums.txt", "Many stadiums host baseball.")
    other = _hit("/docs/fields.txt", "Fields are grass.")
    about = _hit("/docs/Clements Stadium.txt", "Clements Stadium is in Statesboro.")
    state = LookupState("In which city is Clements Stadium?", [best, other, about])
    assert bridge_passages(state) == [best, about]


def test_both_files_of_a_bridge_answer_reach_the_prompt_and_are_cited(assistant, generator):
    """The loop in a real Answerer (the bundled model's tokenizer and context; the answer's
    wording scripted, since the model is not the subject): the prompt holds both files and
    the answer's markers resolve to them."""
    from engine.answer.answering import Answer, Answerer, RelevanceGate
    from engine.answer.prompting import PromptBuilder
    from tests.engine.answer.test_answer_honesty import ScriptedGenerator

    loop = MultiStepSearch(assistant.retriever, 3, 0.5, max_extra=2)
    order = _names(loop(BRIDGE, [], None).hits)
    heater, plumber = order.index("greenhouse.md") + 1, order.index("marta-kowalski.md") + 1
    pieces = [
        f"Marta Kowalski installed the heater [{heater}]. ",
        f"She is based in Leeds [{plumber}].",
    ]
    scripted: Any = ScriptedGenerator(generator, pieces)
    answerer = Answerer(loop, scripted, PromptBuilder(scripted), RelevanceGate(0.0, 1.0, 0.0))
    answer = [e for e in answerer.ask(BRIDGE) if isinstance(e, Answer)][-1]
    shown = answer.sources[: answer.prompt_sources]
    assert {"greenhouse.md", "marta-kowalski.md"} <= set(_names(shown))
    cited = {c.n: Path(c.path).name for c in answer.citations}
    assert cited == {heater: "greenhouse.md", plumber: "marta-kowalski.md"}
    assert any(step.added for step in answer.lookups[1:])
