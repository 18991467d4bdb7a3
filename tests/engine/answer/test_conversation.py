"""Conversations: kept as files, listed newest first, reopened, and carried into retrieval."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.adapters import AdapterChoice
from engine.answer.conversation import Conversation, ConversationStore, Turn, context_queries
from engine.errors import UserInputError


def test_a_conversation_round_trips_with_its_scope_and_voice(tmp_path: Path):
    store = ConversationStore(tmp_path / "conversations")
    conversation = Conversation(scope="/docs", voice=(AdapterChoice("warm", 0.5),))
    conversation.turns.append(Turn("When is the boiler inspected?", "In October [1]."))
    store.save(conversation)
    again = store.load(conversation.id)
    assert again == conversation
    assert not list((tmp_path / "conversations").glob("*.part"))  # written whole, then moved


def test_an_empty_conversation_is_not_kept(tmp_path: Path):
    store = ConversationStore(tmp_path / "conversations")
    store.save(Conversation())
    assert store.list() == []


def test_listed_newest_first_and_a_damaged_file_is_left_out(tmp_path: Path):
    store = ConversationStore(tmp_path)
    older, newer = Conversation(), Conversation()
    older.turns.append(Turn("first question", "a"))
    newer.turns.append(Turn("x" * 80, "b"))
    store.save(older)
    store.save(newer)
    os.utime(tmp_path / f"{older.id}.json", (1_000_000, 1_000_000))
    (tmp_path / "broken.json").write_text("{not json")
    listed = store.list()
    assert [c.id for c in listed] == [newer.id, older.id]
    assert listed[0].title == "x" * 57 + "…" and listed[1].turns == 1
    with pytest.raises(UserInputError, match=r"broken\.json"):
        store.load("broken")
    store.delete(older.id)
    assert [c.id for c in store.list()] == [newer.id]


def test_a_follow_up_is_searched_with_the_question_before_it():
    assert context_queries("And its budget?", []) == []
    history = [Turn("Who runs the kiln?", "Mara [2]."), Turn("When is it closed?", "Sundays.")]
    assert context_queries("And its budget?", history) == ["When is it closed? And its budget?"]
