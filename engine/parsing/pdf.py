"""PDF: text per page through pypdf, paragraphs per page, page numbers kept for citations.

pypdf is imported on first use so that the parser child process and `is_supported` stay
light. pypdf is lenient and chatty: its logger is silenced and its exceptions become
`ParseError`s with a human reason. With OCR on, pages without a text layer (scans) are
rendered with pypdfium2 and read by OCR; their blocks keep their page number.
"""

from __future__ import annotations

import io
import logging
import re
import time
import warnings
from typing import TYPE_CHECKING, Any

from engine.errors import ParseError, SkippedFile
from engine.parsing.document import Block, ParsedDocument
from engine.parsing.limits import short_cause
from engine.parsing.ocr import MAX_SIDE, read_image
from engine.parsing.textio import BLANK_LINES, BlockBuilder, normalise_newlines, paragraph_spans

if TYPE_CHECKING:
    from PIL import Image

NO_TEXT = "no extractable text (image-only or empty)"
ENCRYPTED = "encrypted, no password"
OCR_OUT_OF_TIME = "image-only, and OCR ran out of time or pages"

# Typographic ligatures expanded so that "ﬁle" matches "file" in search.
_LIGATURES = str.maketrans(
    dict(
        zip(
            "\ufb00\ufb01\ufb02\ufb03\ufb04\ufb05\ufb06",
            ("ff", "fi", "fl", "ffi", "ffl", "st", "st"),
            strict=True,
        )
    )
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SENTENCE_END = tuple(".!?:;\"')\u201d\u2019")
_SHORT_LINE = 0.75  # a line shorter than this share of the page's usual width is "short"
_MIN_LINES_FOR_HEURISTIC = 3
OCR_DPI = 200  # scans are rendered at this resolution for OCR...
MAX_OCR_PAGES = 100  # ...at most this many pages of one file


def parse_pdf(
    path: str, data: bytes, *, ocr: bool = False, ocr_deadline: float | None = None
) -> ParsedDocument:
    """Extract text page by page; pages that fail become warnings, not failures.

    With `ocr`, pages without extractable text are read by OCR, up to `MAX_OCR_PAGES` and
    until `ocr_deadline` (a `time.monotonic()` value) passes; the rest become a warning.
    """
    import pypdf  # deferred: heavy, and only PDFs need it

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            reader = pypdf.PdfReader(io.BytesIO(data))
            encrypted = reader.is_encrypted
        except Exception as exc:
            raise ParseError(path, f"damaged PDF: {short_cause(exc)}") from exc
        if encrypted:
            try:
                decrypted = bool(reader.decrypt(""))
            except Exception:
                decrypted = False
            if not decrypted:
                raise ParseError(path, ENCRYPTED)
        try:
            pages = list(reader.pages)
        except Exception as exc:
            raise ParseError(path, f"damaged PDF: {short_cause(exc)}") from exc
        title = _title(reader)
        blocks, empty, failed = _extract_pages(pages)

    ocr_pages: list[int] = []
    unread: list[int] = []
    if ocr and empty:
        ocr_blocks, ocr_pages, unread, ocr_failed = _ocr_pages(path, data, empty, ocr_deadline)
        blocks = sorted([*blocks, *ocr_blocks], key=lambda block: block.page or 0)
        done = {*ocr_pages, *unread, *(number for number, _ in ocr_failed)}
        empty = [number for number in empty if number not in done]
        failed = sorted([*failed, *ocr_failed])
    if not blocks:
        if failed:
            raise ParseError(path, f"damaged PDF: {failed[0][1]}")
        raise SkippedFile(path, OCR_OUT_OF_TIME if unread else NO_TEXT)
    notes = []
    if empty:
        verb = "has" if len(empty) == 1 else "have"
        notes.append(f"{_page_list(empty)} {verb} no extractable text")
    if unread:
        notes.append(f"{_page_list(unread)} not read by OCR (time or page limit)")
    if failed:
        numbers = [number for number, _ in failed]
        notes.append(f"{_page_list(numbers)} could not be read ({failed[0][1]})")
    return ParsedDocument(
        path=path,
        kind="pdf",
        blocks=tuple(blocks),
        pages=len(pages),
        title=title,
        warnings=tuple(notes),
        ocr_pages=tuple(ocr_pages),
    )


def _extract_pages(pages: list) -> tuple[list[Block], list[int], list[tuple[int, str]]]:
    blocks: list[Block] = []
    empty: list[int] = []
    failed: list[tuple[int, str]] = []
    for number, page in enumerate(pages, start=1):
        try:
            raw = page.extract_text()
        except Exception as exc:
            failed.append((number, short_cause(exc)))
            continue
        page_blocks = page_blocks_from_text(clean_page_text(raw or ""), number)
        if page_blocks:
            blocks.extend(page_blocks)
        else:
            empty.append(number)
    return blocks, empty, failed


def _ocr_pages(
    path: str, data: bytes, numbers: list[int], deadline: float | None
) -> tuple[list[Block], list[int], list[int], list[tuple[int, str]]]:
    """Render the given pages and read them by OCR.

    Returns (blocks, pages read, pages left unread for the time or page limit, pages that
    failed with their reason). A page where OCR finds no text is none of these: it stays
    "no extractable text".
    """
    import pypdfium2  # deferred: only scans need it

    blocks: list[Block] = []
    read: list[int] = []
    unread: list[int] = []
    failed: list[tuple[int, str]] = []
    try:
        document = pypdfium2.PdfDocument(data)
    except Exception as exc:
        return blocks, read, unread, [(number, short_cause(exc)) for number in numbers]
    try:
        for index, number in enumerate(numbers):
            out_of_time = deadline is not None and time.monotonic() > deadline
            if index >= MAX_OCR_PAGES or out_of_time:
                unread.extend(numbers[index:])
                break
            try:
                lines = read_image(_render(document, number), path=path)
            except ParseError as exc:
                failed.append((number, exc.reason))
                continue
            except Exception as exc:
                failed.append((number, short_cause(exc)))
                continue
            page_blocks = page_blocks_from_text(clean_page_text("\n".join(lines)), number)
            if page_blocks:
                blocks.extend(page_blocks)
                read.append(number)
    finally:
        document.close()
    return blocks, read, unread, failed


def _render(document: Any, number: int) -> Image.Image:
    """Page `number` as a greyscale image at `OCR_DPI`, scaled down so neither side passes
    the OCR engine's `MAX_SIDE` (a poster-sized page is not rendered at poster size)."""
    page = document[number - 1]
    try:
        width, height = page.get_size()  # in points, 1/72 inch
        scale = min(OCR_DPI / 72, MAX_SIDE / max(width, height, 1.0))
        return page.render(scale=scale, grayscale=True).to_pil()
    finally:
        page.close()


def clean_page_text(raw: str) -> str:
    """The page's extracted text as Docent stores it: newlines normalised, ligatures
    expanded (so "ﬁle" matches "file"), stray control characters removed."""
    return _CONTROL.sub("", normalise_newlines(raw).translate(_LIGATURES))


def page_blocks_from_text(text: str, page: int) -> list[Block]:
    """Split one page's text into paragraphs: on blank lines if it has any, else by layout."""
    builder = BlockBuilder(text, page=page)
    has_blank_lines = BLANK_LINES.search(text) is not None
    for start, end in paragraph_spans(text) if has_blank_lines else _layout_paragraphs(text):
        builder.add(start, end)
    return builder.blocks


def _layout_paragraphs(text: str) -> list[tuple[int, int]]:
    """Group lines into paragraphs when the extractor gave no blank lines.

    A paragraph ends after a short line that ends a sentence, or after a short line followed
    by a full-width one (a heading before its body). Runs of short lines (lists, tables,
    title blocks) stay together.
    """
    lines = text.split("\n")
    stripped = [line.strip() for line in lines]
    filled = sorted(len(line) for line in stripped if line)
    if len(filled) < _MIN_LINES_FOR_HEURISTIC:
        return [(0, len(text))]
    usual = filled[int(0.8 * (len(filled) - 1))]
    short = [len(line) < _SHORT_LINE * usual for line in stripped]

    spans: list[tuple[int, int]] = []
    start = pos = 0
    for index, line in enumerate(lines[:-1]):
        pos += len(line)  # now at this line's newline
        ends_paragraph = stripped[index].endswith(_SENTENCE_END) or not short[index + 1]
        if stripped[index] and short[index] and ends_paragraph:
            spans.append((start, pos))
            start = pos + 1
        pos += 1
    spans.append((start, len(text)))
    return spans


def _title(reader: object) -> str | None:
    try:
        metadata = reader.metadata  # type: ignore[attr-defined]
        title = metadata.title if metadata else None
    except Exception:
        return None
    if not isinstance(title, str):
        return None
    title = " ".join(_CONTROL.sub("", title).split())
    return title or None


def _page_list(numbers: list[int]) -> str:
    """Name sorted page numbers: 'page 3', 'pages 3, 4', 'pages 3-9, 12' (runs of 3+)."""
    if len(numbers) == 1:
        return f"page {numbers[0]}"
    parts: list[str] = []
    run_start = previous = numbers[0]
    for number in [*numbers[1:], None]:
        if number is not None and number == previous + 1:
            previous = number
            continue
        if previous - run_start >= 2:
            parts.append(f"{run_start}-{previous}")
        else:
            parts.extend(str(n) for n in range(run_start, previous + 1))
        if number is not None:
            run_start = previous = number
    return "pages " + ", ".join(parts)
