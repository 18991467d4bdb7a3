"""Shared helpers for text-based formats: decoding, binary sniffing, and block building.

Offsets and line numbers always refer to the decoded text with newlines normalised to "\\n",
so every parser computes them against the same string a citation will later be shown from.
"""

from __future__ import annotations

import bisect
import codecs
import contextlib
import re
from collections.abc import Iterator

from engine.parsing.document import Block

SNIFF_BYTES = 8192

# Longest BOMs first: the UTF-32 LE BOM starts with the UTF-16 LE one.
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Control characters that plain text does contain: tab, newline, vertical tab, form feed,
# carriage return, and escape (ANSI colours in logs).
_ALLOWED_CONTROLS = frozenset("\t\n\x0b\x0c\r\x1b")
_MAX_CONTROL_RATIO = 0.02

# One or more blank (whitespace-only) lines between paragraphs.
BLANK_LINES = re.compile(r"\n(?:[^\S\n]*\n)+")


def detect_bom(data: bytes) -> tuple[str, int] | None:
    """Return (codec, BOM length) if `data` starts with a Unicode byte-order mark."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec, len(bom)
    return None


def normalise_newlines(text: str) -> str:
    """Turn \\r\\n and lone \\r into \\n."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def decode_text(data: bytes, declared: str | None = None) -> str:
    """Decode file bytes to text with normalised newlines.

    Order: byte-order mark, strict UTF-8, the encoding the file declares (HTML meta charset),
    then Windows-1252 (a superset of Latin-1 for printable text), then Latin-1, which never
    fails.
    """
    bom = detect_bom(data)
    if bom is not None:
        codec, size = bom
        text = data[size:].decode(codec, errors="replace")
    else:
        text = _decode_without_bom(data, declared)
    return normalise_newlines(text)


def _decode_without_bom(data: bytes, declared: str | None) -> str:
    candidates = ["utf-8"]
    if declared:
        with contextlib.suppress(LookupError):  # an unknown charset is ignored
            candidates.append(codecs.lookup(declared).name)
    candidates.append("cp1252")
    for codec in candidates:
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def looks_like_text(head: bytes) -> bool:
    """Cheap check on a file's first bytes: decodable, no NUL bytes, few control characters."""
    if not head:
        return True
    bom = detect_bom(head)
    if bom is not None:
        codec, size = bom
        # The sample may end mid-character; the incremental decoder keeps the tail pending.
        sample = codecs.getincrementaldecoder(codec)(errors="replace").decode(head[size:])
    else:
        try:
            sample = codecs.getincrementaldecoder("utf-8")().decode(head)
        except UnicodeDecodeError:
            sample = head.decode("latin-1")
    if "\x00" in sample:  # NUL bytes mean binary, except as half of a UTF-16 character
        return False
    controls = sum(1 for ch in sample if (ch < " " and ch not in _ALLOWED_CONTROLS) or ch == "\x7f")
    return controls <= _MAX_CONTROL_RATIO * max(len(sample), 1)


def paragraph_spans(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, int]]:
    """Yield (start, end) of the runs of text between blank lines (unstripped)."""
    stop = len(text) if end is None else end
    pos = start
    for match in BLANK_LINES.finditer(text, start, stop):
        yield pos, match.start()
        pos = match.end()
    yield pos, stop


class LineIndex:
    """Maps a character offset to its 1-based line number."""

    def __init__(self, text: str) -> None:
        self._starts = [0]
        self._starts.extend(match.end() for match in re.finditer("\n", text))

    def line_of(self, offset: int) -> int:
        """1-based line containing `offset`."""
        return bisect.bisect_right(self._starts, offset)


class BlockBuilder:
    """Collects blocks over one coordinate space, stripping each span to its text."""

    def __init__(
        self, text: str, *, page: int | None = None, lines: LineIndex | None = None
    ) -> None:
        self.text = text
        self.page = page
        self.lines = lines
        self.blocks: list[Block] = []

    def add(self, start: int, end: int, heading: tuple[str, ...] = ()) -> None:
        """Add text[start:end] as a block, trimmed of surrounding whitespace; skip if blank."""
        segment = self.text[start:end]
        stripped = segment.strip()
        if not stripped:
            return
        start += len(segment) - len(segment.lstrip())
        end = start + len(stripped)
        line = self.lines.line_of(start) if self.lines is not None else None
        self.blocks.append(Block(stripped, start, end, self.page, heading, line))


def clean_inline(text: str) -> str:
    """Collapse all whitespace runs to single spaces (for headings and titles)."""
    return " ".join(text.split())


def push_heading(
    stack: list[tuple[int, str]], level: int, title: str
) -> tuple[tuple[str, ...], list[tuple[int, str]]]:
    """Apply a heading of `level` to a (level, title) stack; return (path, new stack).

    Headings at the same or a deeper level are closed; an empty title only closes them.
    """
    kept = [(lvl, name) for lvl, name in stack if lvl < level]
    if title:
        kept.append((level, title))
    return tuple(name for _, name in kept), kept


def lines_with_offsets(text: str) -> list[tuple[int, str]]:
    """Split text into (start offset, line without newline) pairs."""
    result: list[tuple[int, str]] = []
    pos = 0
    for line in text.split("\n"):
        result.append((pos, line))
        pos += len(line) + 1
    return result
