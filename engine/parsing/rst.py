"""reStructuredText: section titles (underlined, optionally overlined) make the heading path.

As in docutils, a title's level is the order in which its adornment style (character,
and whether it is overlined) first appears in the document.
"""

from __future__ import annotations

import re

from engine.parsing.document import ParsedDocument
from engine.parsing.textio import BlockBuilder, LineIndex, clean_inline, lines_with_offsets

_ADORNMENT = re.compile(r"""^([!-/:-@\[-`{-~])\1*[ \t]*$""")
_MIN_SHORT_UNDERLINE = 4  # docutils accepts a too-short underline from this length on


def parse_rst(path: str, text: str) -> ParsedDocument:
    """Parse reStructuredText into paragraph blocks under their section path."""
    lines = lines_with_offsets(text)
    builder = BlockBuilder(text, lines=LineIndex(text))
    styles: list[tuple[str, bool]] = []
    heading: tuple[str, ...] = ()
    title: str | None = None
    para: list[int] = []

    def flush() -> None:
        if para:
            start = lines[para[0]][0]
            end = lines[para[-1]][0] + len(lines[para[-1]][1])
            builder.add(start, end, heading)
            para.clear()

    def set_heading(style: tuple[str, bool], name: str) -> None:
        nonlocal heading, title
        if style not in styles:
            styles.append(style)
        name = clean_inline(name)
        heading = (*heading[: styles.index(style)], name)
        if title is None:
            title = name

    index = 0
    while index < len(lines):
        line = lines[index][1]
        if not line.strip():
            flush()
            index += 1
            continue
        if not para and _is_adornment(line):
            if _overlined_title(lines, index):
                set_heading((line.strip()[0], True), lines[index + 1][1])
                index += 3
            else:  # a transition or a stray rule: it separates, it is not text
                index += 1
            continue
        if not para and _underlined_title(lines, index):
            set_heading((lines[index + 1][1].strip()[0], False), line)
            index += 2
            continue
        para.append(index)
        index += 1
    flush()
    return ParsedDocument(path=path, kind="rst", blocks=tuple(builder.blocks), title=title)


def _is_adornment(line: str) -> bool:
    stripped = line.rstrip()
    return len(stripped) >= 2 and bool(_ADORNMENT.match(stripped))


def _long_enough(adornment: str, name: str) -> bool:
    size = len(adornment.rstrip())
    return size >= len(name.rstrip()) or size >= _MIN_SHORT_UNDERLINE


def _overlined_title(lines: list[tuple[int, str]], index: int) -> bool:
    if index + 2 >= len(lines):
        return False
    over, name, under = lines[index][1], lines[index + 1][1], lines[index + 2][1]
    return (
        bool(name.strip())
        and not _is_adornment(name)
        and _is_adornment(under)
        and under.rstrip() == over.rstrip()
        and _long_enough(over, name.strip())
    )


def _underlined_title(lines: list[tuple[int, str]], index: int) -> bool:
    if index + 1 >= len(lines):
        return False
    name, under = lines[index][1], lines[index + 1][1]
    return (
        not name[0].isspace()
        and not _is_adornment(name)
        and _is_adornment(under)
        and _long_enough(under, name)
    )
