"""Plain text, source code, CSV, logs and other text files: paragraphs between blank lines."""

from __future__ import annotations

from engine.parsing.document import ParsedDocument
from engine.parsing.textio import BlockBuilder, LineIndex, paragraph_spans


def parse_text(path: str, text: str, kind: str = "text") -> ParsedDocument:
    """Split decoded text into blank-line-separated blocks with line numbers."""
    builder = BlockBuilder(text, lines=LineIndex(text))
    for start, end in paragraph_spans(text):
        builder.add(start, end)
    return ParsedDocument(path=path, kind=kind, blocks=tuple(builder.blocks))
