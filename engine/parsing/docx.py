"""Word .docx: paragraphs and table cells from word/document.xml, headings from styles.

Read with zipfile, through the shared guard for zip-based documents (`archive.py`:
encrypted files, member count, expanded size, hostile XML refused). The extracted text is
the document's non-empty paragraphs (headings included) joined with blank lines; block
offsets point into it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator

from engine.errors import ParseError
from engine.parsing.archive import open_archive, parse_xml, read_member
from engine.parsing.document import Block, ParsedDocument
from engine.parsing.textio import clean_inline, push_heading

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"
_DOCUMENT = "word/document.xml"
_HEADING_NAME = re.compile(r"^heading\s*([1-9])$", re.IGNORECASE)
_HEADING_ID = re.compile(r"^heading([1-9])$", re.IGNORECASE)
_TITLE_LEVEL = 0  # a Title paragraph sits above Heading 1
_BODY_TEXT_OUTLINE = 9  # w:outlineLvl 9 means "body text"
_SKIPPED = frozenset({_W + "pPr", _W + "rPr", _MC_FALLBACK, _W + "delText", _W + "instrText"})
_BREAKS = frozenset({_W + "br", _W + "cr"})
_LABEL = "DOCX"


def parse_docx(path: str, data: bytes, max_bytes: int) -> ParsedDocument:
    """Parse a .docx; heading paragraphs set the heading path of the blocks after them."""
    with open_archive(path, data, max_bytes, _LABEL) as archive:
        raw = read_member(path, archive, _DOCUMENT, _LABEL)
        root = parse_xml(path, raw, _DOCUMENT, _LABEL)
        styles = _read_styles(path, archive)
        core_title = _read_core_title(path, archive)
    body = root.find(_W + "body")
    if body is None:
        raise ParseError(path, "damaged DOCX: document has no body")
    return _build(path, list(_paragraphs(body, styles)), core_title)


def _build(
    path: str, paragraphs: list[tuple[str, int | None]], core_title: str | None
) -> ParsedDocument:
    blocks: list[Block] = []
    stack: list[tuple[int, str]] = []
    heading: tuple[str, ...] = ()
    title_style: str | None = None
    pos = 0
    for text, level in paragraphs:
        if not text.strip():
            continue
        if level is not None:
            name = clean_inline(text)
            heading, stack = push_heading(stack, level, name)
            if level == _TITLE_LEVEL and title_style is None:
                title_style = name
        else:
            lead = len(text) - len(text.lstrip())
            body = text.strip()
            blocks.append(Block(body, pos + lead, pos + lead + len(body), None, heading, None))
        pos += len(text) + 2  # the "\n\n" joining paragraphs
    return ParsedDocument(
        path=path, kind="docx", blocks=tuple(blocks), title=core_title or title_style
    )


def _paragraphs(
    element: ET.Element, styles: dict[str, tuple[str, int | None]]
) -> Iterator[tuple[str, int | None]]:
    """Yield (text, heading level or None) for paragraphs and table cells in reading order."""
    for child in element:
        if child.tag == _W + "p":
            yield _paragraph_text(child), _heading_level(child, styles)
        elif child.tag == _W + "tbl":
            for row in child.findall(_W + "tr"):
                for cell in row.findall(_W + "tc"):
                    parts = [text for text, _ in _paragraphs(cell, styles) if text.strip()]
                    yield "\n".join(parts), None
        elif child.tag not in _SKIPPED and child.tag != _W + "sectPr":
            yield from _paragraphs(child, styles)


def _paragraph_text(paragraph: ET.Element) -> str:
    parts: list[str] = []

    def walk(element: ET.Element) -> None:
        for child in element:
            tag = child.tag
            if tag in _SKIPPED:
                continue
            if tag == _W + "t":
                parts.append(child.text or "")
            elif tag == _W + "tab":
                parts.append("\t")
            elif tag in _BREAKS:
                parts.append("\n")
            elif tag == _W + "noBreakHyphen":
                parts.append("-")
            else:
                walk(child)

    walk(paragraph)
    return "".join(parts)


def _heading_level(paragraph: ET.Element, styles: dict[str, tuple[str, int | None]]) -> int | None:
    properties = paragraph.find(_W + "pPr")
    if properties is None:
        return None
    outline = properties.find(_W + "outlineLvl")
    if outline is not None:
        level = _outline_level(outline.get(_W + "val"))
        if level is not None:
            return level
    style = properties.find(_W + "pStyle")
    style_id = style.get(_W + "val", "") if style is not None else ""
    if not style_id:
        return None
    name, style_outline = styles.get(style_id, ("", None))
    for candidate, pattern in ((name, _HEADING_NAME), (style_id, _HEADING_ID)):
        if candidate.lower() == "title":
            return _TITLE_LEVEL
        if match := pattern.match(candidate):
            return int(match.group(1))
    return style_outline


def _outline_level(value: str | None) -> int | None:
    if value is None or not value.isdigit() or int(value) >= _BODY_TEXT_OUTLINE:
        return None
    return int(value) + 1


def _optional_part(path: str, archive: zipfile.ZipFile, name: str) -> ET.Element | None:
    """A part the text does not need: None when it is absent or broken (hostile XML is
    still refused, as everywhere)."""
    if name not in archive.namelist():
        return None
    try:
        return parse_xml(path, read_member(path, archive, name, _LABEL), name, _LABEL)
    except ParseError as exc:
        if exc.reason.startswith("refused"):
            raise
        return None


def _read_styles(path: str, archive: zipfile.ZipFile) -> dict[str, tuple[str, int | None]]:
    """styleId -> (style name, outline level); empty when styles.xml is absent or broken."""
    root = _optional_part(path, archive, "word/styles.xml")
    if root is None:
        return {}
    styles: dict[str, tuple[str, int | None]] = {}
    for style in root.iter(_W + "style"):
        style_id = style.get(_W + "styleId")
        if not style_id:
            continue
        name_element = style.find(_W + "name")
        name = name_element.get(_W + "val", "") if name_element is not None else ""
        outline = style.find(f"{_W}pPr/{_W}outlineLvl")
        level = _outline_level(outline.get(_W + "val")) if outline is not None else None
        styles[style_id] = (name, level)
    return styles


def _read_core_title(path: str, archive: zipfile.ZipFile) -> str | None:
    root = _optional_part(path, archive, "docProps/core.xml")
    if root is None:
        return None
    element = root.find(_DC_TITLE)
    title = clean_inline(element.text or "") if element is not None else ""
    return title or None
