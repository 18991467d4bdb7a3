"""OpenDocument text (.odt): paragraphs with heading paths, as for DOCX.

content.xml is streamed (see odf.py): each top-level paragraph is read when it ends and then
dropped, so a long document is not held as a tree. text:h elements are headings at their
outline level; a paragraph styled "Title" (directly or through an automatic style) sits above
level 1, as in docx.py. Paragraphs in lists, tables, frames and footnotes are blocks too;
footnote and text-box paragraphs follow the paragraph they are anchored in. The extracted
text is the non-empty paragraphs (headings included) joined with blank lines; block offsets
point into it. The document title is meta.xml's dc:title, else the Title paragraph.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from engine.parsing.document import Block, ParsedDocument
from engine.parsing.odf import (
    PARAGRAPHS,
    STYLE,
    TEXT,
    clean_lines,
    document_title,
    open_odf,
    paragraph_text,
    stream_content,
)
from engine.parsing.textio import clean_inline, push_heading

_LABEL = "ODT"
_TITLE_LEVEL = 0
_TITLE_STYLE = "Title"


class _Builder:
    """Turns paragraphs, as they stream past, into blocks under their heading path."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.title: str | None = None
        self.parent_styles: dict[str, str] = {}
        self._stack: list[tuple[int, str]] = []
        self._heading: tuple[str, ...] = ()
        self._pos = 0

    def add(self, paragraph: ET.Element, *, nested: bool = False) -> None:
        raw, inner = paragraph_text(paragraph)
        text = clean_lines(raw)
        level = None if nested else self._level(paragraph)
        if text and level is not None:
            name = clean_inline(text)
            self._heading, self._stack = push_heading(self._stack, level, name)
            if level == _TITLE_LEVEL and self.title is None:
                self.title = name
        elif text:
            end = self._pos + len(text)
            self.blocks.append(Block(text, self._pos, end, None, self._heading, None))
        if text:
            self._pos += len(text) + 2  # the "\n\n" joining paragraphs
        for child in inner:
            self.add(child, nested=True)

    def _level(self, paragraph: ET.Element) -> int | None:
        if paragraph.tag == TEXT + "h":
            value = paragraph.get(TEXT + "outline-level", "1")
            return int(value) if value.isdigit() and 0 < int(value) < 11 else 1
        style = paragraph.get(TEXT + "style-name", "")
        if _TITLE_STYLE in (style, self.parent_styles.get(style)):
            return _TITLE_LEVEL
        return None


def parse_odt(path: str, data: bytes, max_bytes: int) -> ParsedDocument:
    """Parse an .odt; headings set the heading path of the paragraphs after them."""
    builder = _Builder()
    with open_odf(path, data, max_bytes, _LABEL) as archive:
        open_elements: list[ET.Element] = []
        depth_in_paragraph = 0
        for event, element in stream_content(path, archive, _LABEL):
            if event == "start":
                open_elements.append(element)
                depth_in_paragraph += element.tag in PARAGRAPHS
                continue
            open_elements.pop()
            if element.tag == STYLE + "style":
                name, parent = element.get(STYLE + "name"), element.get(STYLE + "parent-style-name")
                if name and parent:
                    builder.parent_styles[name] = parent
            if element.tag not in PARAGRAPHS:
                continue
            depth_in_paragraph -= 1
            if depth_in_paragraph == 0:  # a top-level paragraph: read it, then let it go
                builder.add(element)
                if open_elements:
                    open_elements[-1].remove(element)
        title = document_title(path, archive, _LABEL)
    return ParsedDocument(
        path=path, kind="odt", blocks=tuple(builder.blocks), title=title or builder.title
    )
