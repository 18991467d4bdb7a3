"""Conversations: earlier turns, and how they steer retrieval for a follow-up question.

"And what about its budget?" names nothing searchable on its own. Retrieval therefore
runs the question as asked *and* a context query (the previous question joined to this
one) in one embedding batch, and fuses the rankings with the question weighted higher:
a follow-up finds what the conversation is about, a change of subject still wins on its
own words. The cost is one more query vector and one more keyword search (a few ms).
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.adapters.library import AdapterChoice
from engine.errors import UserInputError

CONTEXT_TURNS = 1  # earlier questions joined into the context query


@dataclass(frozen=True, slots=True)
class Turn:
    """One earlier question and the answer Docent gave."""

    question: str
    answer: str


@dataclass(slots=True)
class Conversation:
    """One chat's state: its turns, the folder it keeps to, and its voice.

    The voice (an adapter set with strengths; empty for the bare model) belongs to the
    conversation, not to the process: every answer in it is given in that voice.
    """

    turns: list[Turn] = field(default_factory=list)
    scope: str | None = None
    voice: tuple[AdapterChoice, ...] = ()
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    created: float = field(default_factory=time.time)

    def clear(self) -> None:
        """Start over (scope and voice stay)."""
        self.turns.clear()

    @property
    def title(self) -> str:
        first = self.turns[0].question if self.turns else "New conversation"
        return first if len(first) <= 60 else first[:57] + "…"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created": self.created,
            "scope": self.scope,
            "voice": [choice.to_dict() for choice in self.voice],
            "turns": [{"question": t.question, "answer": t.answer} for t in self.turns],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Conversation:
        return cls(
            turns=[Turn(str(t["question"]), str(t["answer"])) for t in data.get("turns", [])],
            scope=data.get("scope"),
            voice=tuple(
                AdapterChoice(str(v["name"]), float(v["scale"])) for v in data.get("voice", [])
            ),
            id=str(data["id"]),
            created=float(data.get("created", 0.0)),
        )


@dataclass(frozen=True, slots=True)
class SavedConversation:
    id: str
    title: str
    updated: float
    turns: int


class ConversationStore:
    """Conversations kept as JSON files in the data dir, newest first when listed."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def save(self, conversation: Conversation) -> None:
        if not conversation.turns:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"{conversation.id}.json"
        partial = target.with_suffix(".part")
        partial.write_text(json.dumps(conversation.to_dict(), ensure_ascii=False), "utf-8")
        os.replace(partial, target)

    def list(self) -> list[SavedConversation]:
        found = []
        for path in self.folder.glob("*.json") if self.folder.is_dir() else ():
            try:
                conversation = Conversation.from_dict(json.loads(path.read_text("utf-8")))
            except (OSError, ValueError, KeyError, TypeError, UserInputError):
                continue  # a damaged file is left alone, not shown
            found.append(
                SavedConversation(
                    conversation.id,
                    conversation.title,
                    path.stat().st_mtime,
                    len(conversation.turns),
                )
            )
        return sorted(found, key=lambda c: -c.updated)

    def load(self, conversation_id: str) -> Conversation:
        path = self.folder / f"{conversation_id}.json"
        try:
            return Conversation.from_dict(json.loads(path.read_text("utf-8")))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise UserInputError(f"{path}: cannot open this conversation ({exc})") from exc

    def delete(self, conversation_id: str) -> None:
        (self.folder / f"{conversation_id}.json").unlink(missing_ok=True)


def context_queries(question: str, history: Sequence[Turn]) -> list[str]:
    """Extra retrieval queries that carry the conversation into `question`."""
    earlier = [turn.question.strip() for turn in history[-CONTEXT_TURNS:] if turn.question.strip()]
    if not earlier:
        return []
    return [" ".join([*earlier, question.strip()])]
