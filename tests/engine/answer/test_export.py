"""A conversation exported to Markdown: each question, its answer, and the sources its
markers cite, resolved to file and place, also after the conversation was reopened."""

from __future__ import annotations

from pathlib import Path

from engine.adapters import AdapterChoice
from engine.answer.citations import Citation
from engine.answer.conversation import Conversation, ConversationStore, Turn
from engine.answer.export import conversation_markdown

LEASE = Citation(2, "/home/me/papers/lease.pdf", 4, 120, 260, None, "Pets need consent.", "page 4")
SCAN = Citation(1, "/home/me/papers/boiler scan.pdf", 2, 0, 80, None, "Inspected.", "page 2", True)
NOTES = Citation(1, "/home/me/notes_2024.md", None, 10, 90, 3, "The kiln fires on Fridays.")


def _conversation() -> Conversation:
    conversation = Conversation(created=1_700_000_000.0)
    conversation.turns += [
        Turn(
            "What does the lease say about pets?",
            "Pets need the landlord's consent [2]. The boiler is inspected yearly [1].",
            citations=(LEASE, SCAN),
            voice=(AdapterChoice("warm", 0.5),),
            seconds=4.2,
        ),
        Turn("When is the kiln fired?", "On Fridays [1].", (NOTES,), citations_attributed=True),
        Turn("Is there a *sauna*?", "Your documents don't seem to cover this."),
    ]
    return conversation


def test_each_answer_lists_its_sources_resolved_to_file_and_place(tmp_path: Path):
    conversation = _conversation()
    ConversationStore(tmp_path / "conversations").save(conversation)
    # as after a restart: a new store reads the saved file
    reopened = ConversationStore(tmp_path / "conversations").load(conversation.id)
    lines = conversation_markdown(reopened).splitlines()
    assert lines[0] == "# What does the lease say about pets?"
    assert lines[2].startswith("Docent conversation, started ") and lines[2].endswith(
        ", 3 questions."
    )
    first = lines.index("## What does the lease say about pets?")
    assert lines[first + 2] == (
        "Pets need the landlord's consent [2]. The boiler is inspected yearly [1]."
    )
    assert lines[first + 4 : first + 8] == [
        "Sources:",
        "",
        "- [2] `/home/me/papers/lease.pdf`, page 4",
        "- [1] `/home/me/papers/boiler scan.pdf`, page 2 (read by OCR)",
    ]
    second = lines.index("## When is the kiln fired?")
    assert lines[second + 6] == "- [1] `/home/me/notes_2024.md`"  # a text file has no pages
    assert lines[second + 8].startswith("*The model wrote no source numbers; Docent matched")
    third = lines.index(r"## Is there a \*sauna\*?")  # a person's words, not Markdown
    assert lines[third + 4] == "*No source cited.*"


def test_a_saved_turn_keeps_its_citations_voice_and_time(tmp_path: Path):
    store = ConversationStore(tmp_path)
    conversation = _conversation()
    store.save(conversation)
    again = ConversationStore(tmp_path).load(conversation.id)
    assert again.turns == conversation.turns
    assert again.turns[0].citations[1].ocr and again.turns[0].citations[0].place == "page 4"


def test_a_conversation_saved_before_citations_were_kept_still_opens(tmp_path: Path):
    old = '{"id": "abc", "turns": [{"question": "Q?", "answer": "A [1]."}]}'
    (tmp_path / "abc.json").write_text(old)
    turn = ConversationStore(tmp_path).load("abc").turns[0]
    assert turn == Turn("Q?", "A [1].")
    assert conversation_markdown(ConversationStore(tmp_path).load("abc")).splitlines()[-1] == (
        "*No source cited.*"
    )
