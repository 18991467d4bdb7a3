"""Images of text (PNG, JPEG, TIFF): read by OCR, one page per picture.

A PNG or JPEG is one page; a multi-page TIFF (a fax, a scanner's output) is one page per
frame, up to `MAX_OCR_PAGES` and an optional deadline. Dimensions are checked from the
header before any pixel is decoded, so a decompression bomb is refused, not expanded.
"""

from __future__ import annotations

import time

from engine.errors import ParseError, SkippedFile
from engine.parsing.document import Block, ParsedDocument
from engine.parsing.limits import short_cause
from engine.parsing.ocr import check_size, open_image, read_image
from engine.parsing.pdf import MAX_OCR_PAGES, clean_page_text, page_blocks_from_text

NO_OCR_TEXT = "no text found by OCR"
OCR_OUT_OF_TIME = "OCR ran out of time"


def parse_image(path: str, data: bytes, *, deadline: float | None = None) -> ParsedDocument:
    """Read each frame of an image by OCR into blocks that carry its page number.

    Raises `ParseError` for a damaged or absurdly large image and `SkippedFile` when OCR
    finds no text. Frames past `MAX_OCR_PAGES`, or left when `deadline` (a
    `time.monotonic()` value) passes, become a warning.
    """
    image = open_image(path, data)
    try:
        frames = max(1, int(getattr(image, "n_frames", 1)))
    except Exception as exc:
        raise ParseError(path, f"damaged image: {short_cause(exc)}") from exc
    blocks: list[Block] = []
    read: list[int] = []
    unread: list[int] = []
    for number in range(1, frames + 1):
        out_of_time = deadline is not None and time.monotonic() > deadline
        if number > MAX_OCR_PAGES or (out_of_time and number > 1):
            unread = list(range(number, frames + 1))
            break
        if number > 1:
            try:
                image.seek(number - 1)
            except Exception as exc:
                raise ParseError(path, f"damaged image: {short_cause(exc)}") from exc
            check_size(path, *image.size)  # each TIFF frame declares its own size
        lines = read_image(image, path=path)
        page_blocks = page_blocks_from_text(clean_page_text("\n".join(lines)), number)
        if page_blocks:
            blocks.extend(page_blocks)
            read.append(number)
    if not blocks:
        raise SkippedFile(path, OCR_OUT_OF_TIME if unread else NO_OCR_TEXT)
    notes: tuple[str, ...] = ()
    if unread:
        first, last = unread[0], unread[-1]
        pages = f"page {first}" if first == last else f"pages {first}-{last}"
        notes = (f"{pages} not read by OCR (time or page limit)",)
    return ParsedDocument(
        path=path,
        kind="image",
        blocks=tuple(blocks),
        pages=frames,
        warnings=notes,
        ocr_pages=tuple(read),
    )
