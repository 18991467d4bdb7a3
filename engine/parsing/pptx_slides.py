"""PowerPoint .pptx/.pptm: one page per slide, the slide's title as its heading, notes kept.

Read with python-pptx. Each slide is a page (`Block.page` is the slide number, hidden slides
included); its extracted text is the title, then one unit per text shape (its non-empty
paragraphs, one per line) and per table row (cells joined by " | "), in the slide's shape
order with groups opened, then one unit per paragraph of the speaker notes, all joined with
blank lines. The title is the heading of the slide's blocks and is not a block itself,
unless the slide has nothing else, so a title-only slide is still found. Notes blocks have
the heading (title, "Notes"). Charts, pictures and media are not read.

The archive's declared sizes are checked first and XML parts that declare a DTD are refused
(python-pptx would not expand their entities, but would silently read nothing).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import Any

from engine.errors import ParseError
from engine.parsing.archive import open_archive, refuse_doctypes
from engine.parsing.document import Block, ParsedDocument
from engine.parsing.limits import short_cause
from engine.parsing.textio import clean_inline

_LABEL = "PPTX"
NOTES_HEADING = "Notes"
CELL_SEPARATOR = " | "


def parse_pptx(path: str, data: bytes, max_bytes: int) -> ParsedDocument:
    """Parse a presentation into blocks, one page per slide."""
    with open_archive(path, data, max_bytes, _LABEL) as archive:
        refuse_doctypes(path, archive, _LABEL)
    from pptx import Presentation  # deferred: only presentations need it (and lxml)

    try:
        presentation = Presentation(io.BytesIO(data))
    except Exception as exc:
        raise ParseError(path, f"damaged {_LABEL}: {_cause(exc)}") from exc
    try:
        slides = [_slide_content(slide) for slide in presentation.slides]
        core_title = clean_inline(presentation.core_properties.title or "")
    except Exception as exc:
        raise ParseError(path, f"damaged {_LABEL}: {_cause(exc)}") from exc

    blocks: list[Block] = []
    for number, (title, units, notes) in enumerate(slides, start=1):
        blocks.extend(slide_blocks(number, title, units, notes))
    first_title = next((title for title, _, _ in slides if title), None)
    return ParsedDocument(
        path=path,
        kind="pptx",
        blocks=tuple(blocks),
        pages=len(slides),
        title=core_title or first_title,
    )


def slide_blocks(page: int, title: str, units: list[str], notes: list[str]) -> list[Block]:
    """Blocks of one slide (or ODP page): body units under the title, notes under Notes.

    Offsets point into the title, units and notes joined with blank lines.
    """
    heading = (title,) if title else ()
    notes_heading = (*heading, NOTES_HEADING)
    pieces: list[tuple[str, tuple[str, ...] | None]] = []
    if title:
        pieces.append((title, None if units else heading))
    pieces.extend((unit, heading) for unit in units)
    pieces.extend((note, notes_heading) for note in notes)
    blocks: list[Block] = []
    pos = 0
    for text, block_heading in pieces:
        if block_heading is not None:
            blocks.append(Block(text, pos, pos + len(text), page, block_heading, None))
        pos += len(text) + 2  # the "\n\n" joining units
    return blocks


def _slide_content(slide: Any) -> tuple[str, list[str], list[str]]:
    title_shape = slide.shapes.title
    title = clean_inline(title_shape.text_frame.text) if title_shape is not None else ""
    title_id = title_shape.shape_id if title_shape is not None else None
    units = [
        unit
        for shape in _shapes(slide.shapes)
        if shape.shape_id != title_id
        for unit in _shape_units(shape)
    ]
    notes: list[str] = []
    if slide.has_notes_slide:
        frame = slide.notes_slide.notes_text_frame
        if frame is not None:
            notes = _paragraphs(frame)
    return title, units, notes


def _shapes(shapes: Iterable[Any]) -> Iterator[Any]:
    """Shapes in document order, the members of groups in place of the group."""
    for shape in shapes:
        if hasattr(shape, "shapes"):  # a group shape
            yield from _shapes(shape.shapes)
        else:
            yield shape


def _shape_units(shape: Any) -> list[str]:
    if getattr(shape, "has_table", False):
        rows = []
        for row in shape.table.rows:
            cells = [clean_inline(cell.text.replace("\v", " ")) for cell in row.cells]
            while cells and not cells[-1]:
                cells.pop()
            if any(cells):
                rows.append(CELL_SEPARATOR.join(cells).strip())
        return rows
    if getattr(shape, "has_text_frame", False):
        text = "\n".join(_paragraphs(shape.text_frame))
        return [text] if text else []
    return []


def _paragraphs(frame: Any) -> list[str]:
    """Non-empty paragraphs of a text frame, line breaks kept, other whitespace collapsed."""
    result = []
    for paragraph in frame.paragraphs:
        lines = [clean_inline(line) for line in paragraph.text.split("\v")]
        text = "\n".join(line for line in lines if line)
        if text:
            result.append(text)
    return result


def _cause(exc: Exception) -> str:
    if isinstance(exc, KeyError):  # a part the package lists is missing from the archive
        return f"missing part {exc}"
    if "is not a PowerPoint file" in str(exc):  # another Office document, renamed
        return "not a PowerPoint presentation"
    return short_cause(exc)
