"""Rich Text Format (.rtf): one block per paragraph of the text striprtf extracts.

striprtf (small, pure Python, BSD-licensed) turns the markup into text: \\par and \\line
become newlines, hex and Unicode escapes are decoded by the document's code page, and
pictures, font tables and other destinations are dropped. RTF has no blank line between
paragraphs, so each non-empty line of the extracted text is a block; offsets point into
that text. Heading styles are not read (no heading paths), and `Block.line` is left empty:
lines of the markup mean nothing to a reader. The title comes from the \\info group.
"""

from __future__ import annotations

import re

from engine.errors import ParseError
from engine.parsing.document import Block, ParsedDocument
from engine.parsing.limits import short_cause
from engine.parsing.textio import clean_inline, decode_text, lines_with_offsets

_MAGIC = "{\\rtf"
_INFO_TITLE = re.compile(r"\{\\info\b.*?\{\\title\s+([^{}\\]*)\}", re.DOTALL)
_TITLE_SEARCH_CHARS = 65_536
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def parse_rtf(path: str, data: bytes) -> ParsedDocument:
    """Parse RTF bytes into one block per non-empty line of text."""
    from striprtf.striprtf import rtf_to_text  # deferred: only RTF needs it

    markup = decode_text(data)
    if not markup.lstrip().startswith(_MAGIC):
        raise ParseError(path, "damaged RTF: does not start with {\\rtf")
    try:
        text = rtf_to_text(markup, errors="replace")
    except Exception as exc:
        raise ParseError(path, f"damaged RTF: {short_cause(exc)}") from exc
    text = _CONTROL.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
    blocks = []
    for start, line in lines_with_offsets(text):
        stripped = line.strip()
        if stripped:
            begin = start + len(line) - len(line.lstrip())
            blocks.append(Block(stripped, begin, begin + len(stripped), None, (), None))
    match = _INFO_TITLE.search(markup, 0, _TITLE_SEARCH_CHARS)
    title = clean_inline(match.group(1)) if match else ""
    return ParsedDocument(path=path, kind="rtf", blocks=tuple(blocks), title=title or None)
