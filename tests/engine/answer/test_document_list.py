"""'Which of my documents ...' questions: a list of documents, each cited, no model call.

Real store, FTS5 and hnswlib with the hashed-words fake embedder; the generator must never
be asked (it raises)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.answer.answering import Answer, Answerer, AnswerText, RelevanceGate, SourcesFound
from engine.answer.document_list import DocumentLister, listing_topic
from engine.search.multistep import MultiStepSearch
from tests.fakes import FakeEmbedder, indexed_folder

FILES = {
    "boiler.md": "# Boiler\n\nThe boiler inspection is every October. The inspector checks "
    "the flue.\n",
    "house-log.txt": "March: gutters cleared.\nOctober: boiler inspection passed, certificate "
    "filed.\n",
    "lease.txt": "The lease ends on 31 March 2027. Pets need the landlord's consent.\n",
    "kiln.md": "# Kiln\n\nThe kiln is fired on Thursdays by trained members.\n",
}


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("Which files mention the boiler inspection?", "the boiler inspection"),
        ("List the documents about the lease", "the lease"),
        ("which of my notes talk about pets?", "pets"),
        ("Show me all the PDFs on the kiln", "the kiln"),
        ("What does the lease say about pets?", None),
        ("Which file is the newest?", None),
        ("What documents do I have about taxes?", "taxes"),
        ("What document formed the Parliament of Victoria?", None),
        ("Which documents did the treaty require?", None),
    ],
)
def test_a_listing_question_is_told_by_how_it_opens(question, topic):
    assert listing_topic(question) == topic


class NoModel:
    """A generator that fails the test if the answer calls it."""

    model_id = "none"

    def __getattr__(self, name: str):
        raise AssertionError(f"the model was used ({name})")


@pytest.fixture()
def answerer(tmp_path):
    # wide enough that unrelated words rarely share a slot (64 would make "kiln" look close)
    with indexed_folder(tmp_path, FILES, FakeEmbedder(dimension=1024)) as assistant:
        gate = RelevanceGate()
        search = MultiStepSearch(assistant.retriever, 6, 0.5, max_extra=0)
        lister = DocumentLister(assistant.retriever, gate)
        yield Answerer(search, NoModel(), None, gate, None, lister)  # type: ignore[arg-type]


def test_the_documents_about_the_topic_are_listed_once_each_and_cited(answerer):
    events = list(answerer.ask("Which files mention the boiler inspection?"))
    assert isinstance(events[0], SourcesFound) and isinstance(events[1], AnswerText)
    answer = events[-1]
    assert isinstance(answer, Answer) and answer.listing and answer.model is None
    names = [Path(hit.path).name for hit in answer.sources]
    assert sorted(names) == ["boiler.md", "house-log.txt"]  # one line each, no others
    lines = answer.text.splitlines()
    assert lines[0] == "2 documents about the boiler inspection:"
    assert any(
        line.startswith("- boiler.md: “The boiler inspection is every October") for line in lines
    )
    assert [c.n for c in answer.citations] == [1, 2]
    assert {Path(c.path).name for c in answer.citations} == set(names)
    assert answer.to_dict()["listing"] is True


def test_no_document_about_it_is_said_plainly(answerer):
    answer = list(answerer.ask("Which documents mention the swimming pool?"))[-1]
    assert answer.text == "None of your documents seems to be about the swimming pool."
    assert answer.sources == () and answer.abstained and not answer.citations
