"""OpenDocument presentations (.odp): one page per slide, as for PPTX.

content.xml is streamed (see odf.py) one draw:page at a time. The frame whose
presentation:class is "title" gives the slide's title and heading; every other frame or
shape gives one unit (its paragraphs, one per line), a table one unit per row, and the
speaker notes (presentation:notes) one unit per paragraph with the heading (title, "Notes").
Blocks and offsets follow pptx_slides.slide_blocks.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from engine.parsing.document import Block, ParsedDocument
from engine.parsing.odf import (
    DRAW,
    PRESENTATION,
    TABLE,
    clean_lines,
    document_title,
    open_odf,
    paragraphs_within,
    stream_content,
)
from engine.parsing.pptx_slides import CELL_SEPARATOR, slide_blocks
from engine.parsing.textio import clean_inline

_LABEL = "ODP"
_GROUP = DRAW + "g"
_NOTES = PRESENTATION + "notes"


def parse_odp(path: str, data: bytes, max_bytes: int) -> ParsedDocument:
    """Parse an .odp into blocks, one page per slide."""
    blocks: list[Block] = []
    titles: list[str] = []
    with open_odf(path, data, max_bytes, _LABEL) as archive:
        open_elements: list[ET.Element] = []
        for event, element in stream_content(path, archive, _LABEL):
            if event == "start":
                open_elements.append(element)
                continue
            open_elements.pop()
            if element.tag != DRAW + "page":
                continue
            title, units, notes = _slide_content(element)
            titles.append(title)
            blocks.extend(slide_blocks(len(titles), title, units, notes))
            if open_elements:
                open_elements[-1].remove(element)  # read: let it go
        core_title = document_title(path, archive, _LABEL)
    return ParsedDocument(
        path=path,
        kind="odp",
        blocks=tuple(blocks),
        pages=len(titles),
        title=core_title or next((title for title in titles if title), None),
    )


def _slide_content(page: ET.Element) -> tuple[str, list[str], list[str]]:
    title = ""
    units: list[str] = []
    notes: list[str] = []
    for shape in _shapes(page):
        if shape.tag == _NOTES:
            for frame in _shapes(shape):
                if frame.get(PRESENTATION + "class") == "notes":
                    notes.extend(paragraphs_within(frame))
        elif shape.get(PRESENTATION + "class") == "title" and not title:
            title = clean_inline(" ".join(paragraphs_within(shape)))
        elif (table := shape.find(TABLE + "table")) is not None:
            units.extend(_table_rows(table))
        elif text := "\n".join(paragraphs_within(shape)):
            units.append(text)
    return title, units, notes


def _shapes(parent: ET.Element) -> list[ET.Element]:
    """Shapes in document order, the members of groups in place of the group."""
    found: list[ET.Element] = []
    for child in parent:
        if child.tag == _GROUP:
            found.extend(_shapes(child))
        else:
            found.append(child)
    return found


def _table_rows(table: ET.Element) -> list[str]:
    rows = []
    for row in table.iter(TABLE + "table-row"):
        cells = [clean_inline(" ".join(paragraphs_within(cell))) for cell in row]
        while cells and not cells[-1]:
            cells.pop()
        if any(cells):
            rows.append(clean_lines(CELL_SEPARATOR.join(cells)))
    return rows
