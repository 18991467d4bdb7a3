"""One PDF page as pixels, with the cited passage's words located on it.

No widgets and no Qt: `render_page` is plain Python over pypdfium2 (libpdfium), so it runs
in any thread (the page view calls it from a worker), in tests without a display and in
the benchmark. It returns the page as RGBX bytes plus the highlight boxes in image
pixels; the caller wraps the bytes in whatever image type it paints (a `QImage` can be
built from them off the GUI thread).

The passage is what the engine stored for the chunk: the page's text as pypdf extracted
it, with ligatures expanded and whitespace changed, so it never matches the PDF's text
layer byte for byte. Both sides are therefore folded the same way (compatibility
decomposition, casefolded, letters and digits only) and the passage is searched in the
page's folded text; when it is not there whole (pypdf and pdfium split words or order
lines differently), its longest runs of matching words are highlighted instead.

libpdfium is not thread-safe: every call into it goes through one process-wide lock.
"""

from __future__ import annotations

import contextlib
import difflib
import math
import threading
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import DocentError
from engine.parsing.limits import short_cause

MAX_WIDTH_PX = 6000  # a wider request is rendered at this width
MAX_PIXELS = 40_000_000  # a tall page (a receipt roll, a poster) is rendered smaller
MIN_RUN_WORDS = 4  # a partial match highlights only runs of at least this many words...
MIN_RUN_SHARE = 0.05  # ...and of at least this share of the passage's words
_LINE_OVERLAP = 0.5  # boxes sharing half their height are on one line...
_LINE_GAP = 1.0  # ...and joined when no more than this many line heights apart

_PDFIUM_LOCK = threading.Lock()


class PageRenderError(DocentError):
    """A PDF page that cannot be shown; `reason` is short and human ("needs a password")."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle in image pixels: x to the right, y downwards, right/bottom exclusive."""

    left: int
    top: int
    right: int
    bottom: int


@dataclass(frozen=True, slots=True, eq=False)
class RenderedPage:
    """A rendered page: RGBX pixels (4 bytes a pixel, the fourth unused), row by row."""

    path: str
    page: int  # 1-based, the page actually rendered (a request past the end is clamped)
    page_count: int
    width: int
    height: int
    bytes_per_line: int
    pixels: bytes
    highlights: tuple[Box, ...]  # the passage's words, merged per line, in reading order
    passage_found: float  # share of the passage's words highlighted: 1.0 whole, 0.0 absent
    render_ms: float


def render_page(path: Path | str, page: int, passage: str | None, width_px: int) -> RenderedPage:
    """Render 1-based `page` of the PDF at `path` to `width_px` pixels wide (the height
    follows the page's proportions) and locate `passage` on it.

    A passage that is not on the page gives no highlights; the page is still rendered.
    Raises `PageRenderError` naming the file and the cause (missing, damaged, needs a
    password). Thread-safe; slow (tens to hundreds of ms): call it off the GUI thread.
    """
    import pypdfium2  # deferred: only a PDF source needs libpdfium

    started = time.perf_counter()
    path = Path(path)
    with _PDFIUM_LOCK:
        document = _open(pypdfium2, path)
        try:
            page_count = len(document)
            number = min(max(1, page), page_count)
            try:
                rendered = _render(document, number, passage or "", width_px)
            except PageRenderError:
                raise
            except Exception as exc:
                reason = f"page {number} is damaged: {short_cause(exc)}"
                raise PageRenderError(path, reason) from exc
        finally:
            document.close()
    pixels, width, height, stride, highlights, found = rendered
    return RenderedPage(
        path=str(path),
        page=number,
        page_count=page_count,
        width=width,
        height=height,
        bytes_per_line=stride,
        pixels=pixels,
        highlights=highlights,
        passage_found=found,
        render_ms=(time.perf_counter() - started) * 1000,
    )


def _open(pypdfium2: Any, path: Path) -> Any:
    """Open the file (pdfium reads it on demand, not whole), trying the empty password."""
    if not path.is_file():
        raise PageRenderError(path, "file not found (moved or deleted since it was indexed)")
    try:
        document = pypdfium2.PdfDocument(path)
    except pypdfium2.PdfiumError as exc:
        if getattr(exc, "err_code", None) != pypdfium2.raw.FPDF_ERR_PASSWORD:
            raise PageRenderError(path, _open_failure(pypdfium2, exc)) from exc
        try:
            document = pypdfium2.PdfDocument(path, password="")
        except pypdfium2.PdfiumError as again:
            raise PageRenderError(path, "encrypted, needs a password") from again
    except OSError as exc:
        raise PageRenderError(path, f"cannot be read: {short_cause(exc)}") from exc
    # so that filled-in form fields show; they are decoration: the page renders without
    with contextlib.suppress(Exception):
        document.init_forms()
    return document


def _open_failure(pypdfium2: Any, exc: Any) -> str:
    raw = pypdfium2.raw
    reasons = {
        raw.FPDF_ERR_FILE: "cannot be opened (missing or unreadable)",
        raw.FPDF_ERR_FORMAT: "damaged PDF: not a readable PDF",
        raw.FPDF_ERR_SECURITY: "encrypted with an unsupported security handler",
        raw.FPDF_ERR_SUCCESS: "damaged PDF: it has no pages",
    }
    return reasons.get(getattr(exc, "err_code", None), f"damaged PDF: {short_cause(exc)}")


def _render(
    document: Any, number: int, passage: str, width_px: int
) -> tuple[bytes, int, int, int, tuple[Box, ...], float]:
    page = document[number - 1]
    try:
        width_pt, height_pt = page.get_size()  # as displayed: /Rotate already applied
        width_pt, height_pt = max(width_pt, 1e-3), max(height_pt, 1e-3)
        # a hair under: pdfium rounds the bitmap's size up, 800.0000001 would be 801 pixels
        scale = (min(max(1, width_px), MAX_WIDTH_PX) - 0.01) / width_pt
        scale = min(scale, math.sqrt(MAX_PIXELS / (width_pt * height_pt)))
        bitmap = page.render(scale=scale, rev_byteorder=True, prefer_bgrx=True)
        try:
            pixels = bytes(bitmap.buffer)
            to_image = bitmap.get_posconv(page).to_bitmap
            highlights, found = _locate(page, passage, to_image) if passage else ((), 0.0)
            size = (bitmap.width, bitmap.height, bitmap.stride)
        finally:
            bitmap.close()
    finally:
        page.close()
    return pixels, *size, highlights, found


def _locate(page: Any, passage: str, to_image: Any) -> tuple[tuple[Box, ...], float]:
    """The passage's boxes on the page, in image pixels, and the share of it found."""
    textpage = page.get_textpage()
    try:
        spans, found = find_passage(_page_chars(textpage), passage)
        rects = []
        for first, last in spans:
            count = textpage.count_rects(first, last - first + 1)
            rects.extend(textpage.get_rect(index) for index in range(count))
    finally:
        textpage.close()
    boxes = []
    for left, bottom, right, top in merge_lines(rects):
        x0, y0 = to_image(left, bottom)
        x1, y1 = to_image(right, top)
        boxes.append(Box(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))
    return tuple(boxes), found


def _page_chars(textpage: Any) -> list[str]:
    """The page's characters one per pdfium char index (so index i is char i's box)."""
    from pypdfium2 import raw

    chars = []
    for index in range(textpage.count_chars()):
        code = raw.FPDFText_GetUnicode(textpage, index)
        chars.append(chr(code) if 0 < code < 0x110000 else " ")
    return chars


# -- locating a passage in the page's text ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class FoldedText:
    """Text reduced to its letters and digits (decomposed, casefolded), remembering which
    original character each came from, and where its words start and end."""

    letters: str
    origin: tuple[int, ...]  # original index of each folded letter
    words: tuple[tuple[int, int], ...]  # (start, end) of each word in `letters`

    def word_keys(self) -> list[str]:
        """Each word as compared between two texts. A right-to-left word (Arabic, Hebrew)
        compares equal to its reverse: PDF text layers often hold it in visual order."""
        return [_word_key(self.letters[start:end]) for start, end in self.words]


def _word_key(word: str) -> str:
    if any(unicodedata.bidirectional(char) in ("R", "AL") for char in word):
        return min(word, word[::-1])
    return word


def fold(chars: list[str] | str) -> FoldedText:
    """Fold text so that pypdf's and pdfium's renderings of one page compare equal:
    "ﬁle" and "File", "café" and "cafe\u0301", "end-\nof" and "end of" all agree."""
    letters: list[str] = []
    origin: list[int] = []
    words: list[tuple[int, int]] = []
    word_start: int | None = None
    for index, char in enumerate(chars):
        folded = unicodedata.normalize("NFKD", char).casefold()
        kept = [c for c in folded if c.isalnum()]
        if kept:
            if word_start is None:
                word_start = len(letters)
            letters.extend(kept)
            origin.extend([index] * len(kept))
        elif folded and all(unicodedata.category(c).startswith("M") for c in folded):
            continue  # a combining accent belongs to the letter before it
        elif word_start is not None:
            words.append((word_start, len(letters)))
            word_start = None
    if word_start is not None:
        words.append((word_start, len(letters)))
    return FoldedText("".join(letters), tuple(origin), tuple(words))


def find_passage(page_chars: list[str] | str, passage: str) -> tuple[list[tuple[int, int]], float]:
    """Where `passage` is in the page's characters: inclusive (first, last) index spans
    of the page, and the share of the passage's words they cover.

    The whole passage if it is there (spacing, case, accents and punctuation aside);
    otherwise its runs of matching words, each at least `MIN_RUN_WORDS` long (half the
    passage, when it is that short); none when nothing sizeable matches.
    """
    page, wanted = fold(page_chars), fold(passage)
    if not wanted.letters or not page.letters:
        return [], 0.0
    start = page.letters.find(wanted.letters)
    if start >= 0:
        end = start + len(wanted.letters) - 1
        return [(page.origin[start], page.origin[end])], 1.0
    page_words, wanted_words = page.word_keys(), wanted.word_keys()
    shortest = max(MIN_RUN_WORDS, math.ceil(MIN_RUN_SHARE * len(wanted_words)))
    shortest = min(shortest, math.ceil(len(wanted_words) / 2))  # a short passage: half of it
    matcher = difflib.SequenceMatcher(None, wanted_words, page_words, autojunk=False)
    spans = []
    covered = 0
    for block in matcher.get_matching_blocks():
        if block.size < shortest:
            continue
        first_word, last_word = page.words[block.b], page.words[block.b + block.size - 1]
        spans.append((page.origin[first_word[0]], page.origin[last_word[1] - 1]))
        covered += block.size
    return spans, covered / len(wanted_words)


def merge_lines(
    rects: list[tuple[float, float, float, float]],
) -> list[tuple[float, float, float, float]]:
    """Join (left, bottom, right, top) rectangles in page space that sit on one line and
    near each other into one per line segment; columns stay apart. Reading order kept."""
    merged: list[list[float]] = []
    for left, bottom, right, top in rects:
        if right <= left or top <= bottom:
            continue
        for box in merged:
            overlap = min(top, box[3]) - max(bottom, box[1])
            height = min(top - bottom, box[3] - box[1])
            gap = max(left - box[2], box[0] - right)
            if overlap >= _LINE_OVERLAP * height and gap <= _LINE_GAP * max(top - bottom, 1.0):
                box[:] = [
                    min(left, box[0]),
                    min(bottom, box[1]),
                    max(right, box[2]),
                    max(top, box[3]),
                ]
                break
        else:
            merged.append([left, bottom, right, top])
    return [(box[0], box[1], box[2], box[3]) for box in merged]
