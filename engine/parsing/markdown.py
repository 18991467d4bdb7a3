"""Markdown: ATX and setext headings make the heading path; fenced code stays one block.

A line-oriented reading of CommonMark's block structure, enough to get headings and
paragraph boundaries right; inline markup is kept verbatim in the block text.
"""

from __future__ import annotations

import re

from engine.parsing.document import ParsedDocument
from engine.parsing.textio import (
    BlockBuilder,
    LineIndex,
    clean_inline,
    lines_with_offsets,
    push_heading,
)

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))??(?:[ \t]+#+)?[ \t]*$")
_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})(.*)$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_BREAK = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
# Lines that start a list item or quote: a following "---" is a rule, not an underline.
_LIST_OR_QUOTE = re.compile(r"^ {0,3}(?:[-+*>]|\d{1,9}[.)])(?:[ \t]|$)")
_FRONT_TITLE = re.compile(r"""^title:\s*["']?(.*?)["']?\s*$""")
_FRONT_MATTER_MAX_LINES = 200


def parse_markdown(path: str, text: str) -> ParsedDocument:
    """Parse Markdown into paragraph blocks under their heading path."""
    lines = lines_with_offsets(text)
    builder = BlockBuilder(text, lines=LineIndex(text))
    stack: list[tuple[int, str]] = []
    heading: tuple[str, ...] = ()
    title: str | None = None

    first, front_title = _skip_front_matter(lines)
    para: list[int] = []  # indices of the lines of the open paragraph
    fence: tuple[str, int, int] | None = None  # (marker char, marker length, start offset)

    def flush() -> None:
        if para:
            start = lines[para[0]][0]
            end = lines[para[-1]][0] + len(lines[para[-1]][1])
            builder.add(start, end, heading)
            para.clear()

    def set_heading(level: int, name: str) -> None:
        nonlocal heading, stack, title
        heading, stack = push_heading(stack, level, clean_inline(name))
        if title is None and level == 1 and heading:
            title = heading[-1]

    for index in range(first, len(lines)):
        offset, line = lines[index]
        if fence is not None:
            char, length, fence_start = fence
            stripped = line.strip()
            if len(line) - len(line.lstrip(" ")) < 4 and _closes_fence(stripped, char, length):
                builder.add(fence_start, offset + len(line), heading)
                fence = None
            continue
        if not line.strip():
            flush()
            continue
        if match := _FENCE_OPEN.match(line):
            marker = match.group(1)
            if marker[0] == "~" or "`" not in match.group(2):
                flush()
                fence = (marker[0], len(marker), offset)
                continue
        if match := _ATX.match(line):
            flush()
            set_heading(len(match.group(1)), match.group(2) or "")
            continue
        if para and (match := _SETEXT.match(line)) and not _LIST_OR_QUOTE.match(lines[para[0]][1]):
            name = " ".join(lines[i][1].strip() for i in para)
            para.clear()
            set_heading(1 if match.group(1)[0] == "=" else 2, name)
            continue
        if _BREAK.match(line):
            flush()
            continue
        para.append(index)
    flush()
    if fence is not None:  # unclosed fence runs to the end of the document
        builder.add(fence[2], len(text), heading)
    return ParsedDocument(
        path=path, kind="markdown", blocks=tuple(builder.blocks), title=front_title or title
    )


def _closes_fence(stripped: str, char: str, length: int) -> bool:
    return len(stripped) >= length and stripped == char * len(stripped)


def _skip_front_matter(lines: list[tuple[int, str]]) -> tuple[int, str | None]:
    """Return (index of the first content line, front-matter title) for YAML front matter."""
    if not lines or lines[0][1].rstrip() != "---":
        return 0, None
    for index in range(1, min(len(lines), _FRONT_MATTER_MAX_LINES)):
        line = lines[index][1].rstrip()
        if line in ("---", "..."):
            title = None
            for _, entry in lines[1:index]:
                if match := _FRONT_TITLE.match(entry):
                    title = match.group(1).strip() or None
                    break
            return index + 1, title
    return 0, None
