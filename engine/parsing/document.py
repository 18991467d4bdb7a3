"""The parsed form of a document: paragraph-like blocks that remember where they came from.

Kept in its own module so every format parser can build these without importing the facade.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Block:
    """One paragraph-like unit of a document, with its provenance.

    `text` is exactly `extracted[start:end]`, where `extracted` is the document's extracted
    text (for PDFs: that page's extracted text; for DOCX and HTML: the paragraphs joined with
    blank lines; for slides, sheets, chapters and messages: that page's). It never starts or
    ends with whitespace. `line` is the 1-based source line where the text begins, for formats
    read as text (plain text, code, Markdown, reST, HTML); for spreadsheets and CSV it is the
    row number a spreadsheet shows.
    """

    text: str
    start: int
    end: int
    page: int | None = None
    heading: tuple[str, ...] = ()
    line: int | None = None


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    """A file turned into blocks, plus what the indexer and the UI need to know about it.

    `ocr_pages` lists the pages whose text was read by OCR (a scanned PDF page, an image
    file's page 1, a TIFF's frames), so the UI can say so; () when OCR read nothing.
    """

    path: str
    kind: str
    blocks: tuple[Block, ...]
    pages: int | None = None
    title: str | None = None
    warnings: tuple[str, ...] = ()
    ocr_pages: tuple[int, ...] = ()
