"""A conversation as a Markdown file a person can keep or share: each question, its
answer with the `[n]` markers as Docent showed them, and under it the sources those
markers cite, resolved to the file and the place in it (page, slide, sheet...)."""

from __future__ import annotations

import re
import time

from engine.answer.citations import Citation
from engine.answer.conversation import Conversation, Turn

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|])")


def conversation_markdown(conversation: Conversation) -> str:
    """The whole conversation in Markdown, one section per question."""
    started = time.strftime("%Y-%m-%d %H:%M", time.localtime(conversation.created))
    questions = len(conversation.turns)
    lines = [
        f"# {_plain(conversation.title)}",
        "",
        f"Docent conversation, started {started}, {questions} "
        f"question{'s' if questions != 1 else ''}.",
    ]
    if conversation.scope:
        lines.append(f"Searched in `{conversation.scope}` only.")
    for turn in conversation.turns:
        lines += ["", *turn_markdown(turn)]
    return "\n".join(lines) + "\n"


def turn_markdown(turn: Turn) -> list[str]:
    """One question and its answer, then its sources, as Markdown lines."""
    lines = [f"## {_plain(turn.question)}", "", turn.answer.strip() or "*(no answer)*", ""]
    if not turn.citations:
        lines.append("*No source cited.*")
        return lines
    lines += ["Sources:", ""]
    lines += [f"- {source_line(citation)}" for citation in turn.citations]
    if turn.citations_attributed:
        lines += ["", "*The model wrote no source numbers; Docent matched the sentences to them.*"]
    return lines


def source_line(citation: Citation) -> str:
    """`[2] `/home/me/lease.pdf`, page 4 (read by OCR)`: the marker, the file, the place."""
    where = f"[{citation.n}] {_code(citation.path)}"
    if citation.place:
        where += f", {citation.place}"
    if citation.ocr:
        where += " (read by OCR)"
    return where


def _plain(text: str) -> str:
    """A person's words in a heading or paragraph: Markdown's signs shown as written."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _code(path: str) -> str:
    """A path as inline code (a backtick in it gets a longer fence)."""
    fence = "``" if "`" in path else "`"
    return f"{fence}{path}{fence}" if fence == "`" else f"{fence} {path} {fence}"
