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
from engine.answer.citations import Citation
from engine.errors import UserInputError

CONTEXT_TURNS = 1  # earlier questions joined into the context query


@dataclass(frozen=True, slots=True)
class Turn:
    """One earlier question and the answer Docent gave, with what the answer's footer
    and an export need after a restart: the passages its markers cite, the voice, the
    time it took, and whether Docent (not the model) matched its sentences to sources."""

    question: str
    answer: str
    citations: tuple[Citation, ...] = ()
    voice: tuple[AdapterChoice, ...] = ()
    seconds: float | None = None  # from the question to the whole answer
    citations_attributed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "answer": self.answer,
            "citations": [citation.to_dict() for citation in self.citations],
            "voice": [choice.to_dict() for choice in self.voice],
            "seconds": self.seconds,
            "citations_attributed": self.citations_attributed,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Turn:
        """A saved turn; files written before citations were kept read as uncited."""
        seconds = data.get("seconds")
        return cls(
            question=str(data["question"]),
            answer=str(data["answer"]),
            citations=tuple(_citation(c) for c in data.get("citations", [])),
            voice=_voice(data.get("voice", [])),
            seconds=float(seconds) if seconds is not None else None,
            citations_attributed=bool(data.get("citations_attributed", False)),
        )


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
            "turns": [turn.to_dict() for turn in self.turns],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Conversation:
        return cls(
            turns=[Turn.from_dict(t) for t in data.get("turns", [])],
            scope=data.get("scope"),
            voice=_voice(data.get("voice", [])),
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


def _voice(saved: list[dict[str, Any]]) -> tuple[AdapterChoice, ...]:
    return tuple(AdapterChoice(str(v["name"]), float(v["scale"])) for v in saved)


def _citation(saved: dict[str, Any]) -> Citation:
    """A citation as `Citation.to_dict` wrote it."""
    start, end = saved["span"]
    page, line = saved.get("page"), saved.get("line")
    return Citation(
        n=int(saved["n"]),
        path=str(saved["path"]),
        page=int(page) if page is not None else None,
        char_start=int(start),
        char_end=int(end),
        line_start=int(line) if line is not None else None,
        text=str(saved.get("text", "")),
        place=str(saved.get("place") or ""),
        ocr=bool(saved.get("ocr", False)),
    )


def context_queries(question: str, history: Sequence[Turn]) -> list[str]:
    """Extra retrieval queries that carry the conversation into `question`."""
    earlier = [turn.question.strip() for turn in history[-CONTEXT_TURNS:] if turn.question.strip()]
    if not earlier:
        return []
    return [" ".join([*earlier, question.strip()])]
