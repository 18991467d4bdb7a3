"""Suggested questions: drawn from the indexed documents' headings, titles and names, in
plain phrasings, and kept only when retrieval answers them from their own document."""

from __future__ import annotations

import shutil
from pathlib import Path

from engine.answer.suggestions import document_topics, phrasings
from engine.assistant import Assistant
from engine.store import ChunkRecord
from tests.conftest import SAMPLE_DOCS, sample_folder_assistant
from tests.fakes import FakeEmbedder

SAMPLE_SUGGESTIONS = [
    ("What is the pottery kiln?", "equipment.md"),
    ("What should I know about the move to the old bakery?", "history.html"),
    ("What do my documents say about Larkspur Cooperative membership?", "membership.txt"),
    ("What are the regular hours?", "opening-hours.md"),
]


def _chunk(heading: str, text: str) -> ChunkRecord:
    return ChunkRecord(1, 1, "/d/x.md", 0, text, heading, None, 0, len(text), None, None, 5)


def _texts(path: str, *chunks: ChunkRecord) -> list[str]:
    return [topic.text for topic in document_topics(path, chunks)]


def test_topics_come_from_section_headings_then_the_title_then_the_file_name():
    chunks = (
        _chunk("Equipment > Pottery kiln", "The kiln is looked after by Ines Morgado."),
        _chunk("Equipment > Introduction", "This page lists the tools."),
        _chunk("Equipment > 2. Key fobs", "A fob opens the side door on Pine Lane."),
        _chunk("Equipment > Ines Morgado", "Ines Morgado runs the kiln."),
    )
    assert _texts("/d/tool-list.md", *chunks) == [
        "the pottery kiln",  # a heading in sentence case reads in lower case, with "the"
        "the key fobs",  # numbering dropped; "Introduction" says nothing
        "Ines Morgado",  # a name stays as written, without "the"
        "the equipment",
        "the tool list",
    ]
    title_only = _chunk("", "Larkspur Cooperative membership\n\nMembership costs 35 euros.")
    assert _texts("/d/IMG_0042.txt", title_only) == ["Larkspur Cooperative membership"]
    asking = _chunk("FAQ > How do I reset my key fob?", "Ask at the front desk.")
    assert _texts("/d/faq.md", asking)[0] == "How do I reset my key fob?"


def test_phrasings_vary_with_the_position_and_fit_the_topic():
    [kiln] = document_topics("/d/x", [_chunk("T > Pottery kiln", "The kiln.")])[:1]
    [hours] = document_topics("/d/x", [_chunk("T > Regular hours", "Open at 10.")])[:1]
    assert phrasings(kiln, 0)[0] == "What is the pottery kiln?"
    assert phrasings(hours, 0)[0] == "What are the regular hours?"  # plural
    assert phrasings(kiln, 1) == [
        "What should I know about the pottery kiln?",
        "What do my documents say about the pottery kiln?",
        "What is the pottery kiln?",
    ]
    [howto] = document_topics("/d/x", [_chunk("T > Installing the printer", "Plug it in.")])[:1]
    assert "What is installing the printer?" not in phrasings(howto, 0)


def _sample_assistant(root: Path, embedder: object) -> Assistant:
    shutil.copytree(SAMPLE_DOCS, root / "docs")
    assistant = Assistant(root / "home", embedder=embedder)  # type: ignore[arg-type]
    assistant.add_folder(root / "docs")
    assistant.index()
    return assistant


def _check_each_is_answered_from_its_document(assistant: Assistant) -> list[tuple[str, str]]:
    suggestions = assistant.suggest_questions()
    for suggestion in suggestions:
        hits = assistant.search(suggestion.question, k=4)
        assert hits[0].path == suggestion.path, suggestion
        assert assistant.relevance_gate.passes(suggestion.question, hits[:1]), suggestion
    return [(s.question, Path(s.path).name) for s in suggestions]


def test_the_sample_folder_suggests_one_question_per_document(tmp_path: Path):
    with _sample_assistant(tmp_path, FakeEmbedder()) as assistant:
        assert _check_each_is_answered_from_its_document(assistant) == SAMPLE_SUGGESTIONS
        assert assistant.suggest_questions() == assistant.suggest_questions()  # the same


def test_an_empty_index_suggests_nothing(tmp_path: Path):
    with Assistant(tmp_path / "home", embedder=FakeEmbedder()) as assistant:
        assert assistant.suggest_questions() == []


def test_with_the_bundled_embedder_every_suggestion_is_answered_from_its_document(
    tmp_path: Path, embedder
):
    with sample_folder_assistant(tmp_path, embedder, None) as assistant:
        assert _check_each_is_answered_from_its_document(assistant) == SAMPLE_SUGGESTIONS
