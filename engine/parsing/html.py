"""HTML: h1-h6 make the heading path; paragraphs, list items, cells and pre text are blocks.

Uses the standard library's tolerant html.parser. Whitespace is collapsed as a browser
would, except inside <pre>. The extracted text is the text units (headings included, the
<title> excluded) joined with blank lines; `Block.line` is the source line where each
block's text begins.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from engine.errors import ParseError
from engine.parsing.document import Block, ParsedDocument
from engine.parsing.textio import clean_inline, decode_text, push_heading

_HEADINGS = {f"h{level}": level for level in range(1, 7)}
# Elements whose content is never shown as text.
_SKIP = frozenset("script style template noscript svg math iframe object canvas select".split())
# Elements that start and end a unit of text.
_BREAKING = frozenset(
    """
    address article aside blockquote body caption center dd details dialog div dl dt fieldset
    figcaption figure footer form header hr html legend li main nav ol p section summary table
    tbody td tfoot th thead tr ul
    """.split()
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_SNIFF_BYTES = 4096


def decode_html(data: bytes) -> str:
    """Decode HTML bytes, honouring a <meta charset> when the bytes are not UTF-8."""
    match = _META_CHARSET.search(data[:_SNIFF_BYTES])
    declared = match.group(1).decode("ascii") if match else None
    return decode_text(data, declared)


def parse_html(path: str, text: str) -> ParsedDocument:
    """Parse decoded HTML into blocks under their heading path."""
    collector = _Collector()
    try:
        collector.feed(text)
        collector.close()
    except AssertionError as exc:  # _markupbase still asserts on some malformed markup
        raise ParseError(path, f"damaged HTML: {exc}") from exc
    collector.flush()

    blocks: list[Block] = []
    stack: list[tuple[int, str]] = []
    heading: tuple[str, ...] = ()
    pos = 0
    for unit, level, line in collector.units:
        if level is not None:
            heading, stack = push_heading(stack, level, clean_inline(unit))
        else:
            blocks.append(Block(unit, pos, pos + len(unit), None, heading, line))
        pos += len(unit) + 2  # the "\n\n" joining units
    title = clean_inline(collector.title) or None
    return ParsedDocument(path=path, kind="html", blocks=tuple(blocks), title=title)


class _Collector(HTMLParser):
    """Turns the tag stream into (text, heading level or None, source line) units."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.units: list[tuple[str, int | None, int | None]] = []
        self.title = ""
        self._parts: list[str] = []
        self._line: int | None = None
        self._skip_depth = 0
        self._pre_depth = 0
        self._in_title = False
        self._heading_level: int | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skip_depth += 1
        elif self._skip_depth:
            return
        elif tag == "title":
            self._in_title = True
        elif tag in _HEADINGS:
            self.flush()
            self._heading_level = _HEADINGS[tag]
        elif tag == "br":
            self._parts.append("\n")
        elif tag == "pre" or tag in _BREAKING:
            self._break()
            self._pre_depth += tag == "pre"

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif self._skip_depth:
            return
        elif tag == "title":
            self._in_title = False
        elif tag in _HEADINGS:
            self.flush()
            self._heading_level = None
        elif tag == "pre" or tag in _BREAKING:
            self._break()
            if tag == "pre":
                self._pre_depth = max(0, self._pre_depth - 1)

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if self._in_title:
            self.title += data
            return
        if self._line is None and data.strip():
            lead = len(data) - len(data.lstrip())
            self._line = self.getpos()[0] + data.count("\n", 0, lead)
        self._parts.append(data if self._pre_depth else re.sub(r"\s+", " ", data))

    def _break(self) -> None:
        # Block elements inside a heading (<h2><span><div>..) do not split the heading.
        if self._heading_level is None:
            self.flush()

    def flush(self) -> None:
        """End the current unit of text, if it has any."""
        raw = "".join(self._parts)
        if self._pre_depth:
            text = raw.strip()
        else:  # collapsed already; only <br> newlines remain, trim around them
            text = "\n".join(part.strip() for part in raw.split("\n")).strip()
        if text:
            self.units.append((text, self._heading_level, self._line))
        self._parts.clear()
        self._line = None
