"""Plain records the store hands out and takes in."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Folder:
    id: int
    path: str
    added_at: float


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    id: int
    folder_id: int
    path: str
    size: int
    mtime_ns: int
    sha256: str | None
    status: str  # 'indexed', 'failed' or 'skipped'
    error: str | None
    kind: str | None
    pages: int | None
    ocr_pages: tuple[int, ...] = ()  # pages whose text was read by OCR


@dataclass(frozen=True, slots=True)
class NewChunk:
    """A chunk about to be stored; its vector travels alongside."""

    ord: int
    text: str
    heading: str
    page: int | None
    char_start: int
    char_end: int
    line_start: int | None
    line_end: int | None
    tokens: int


@dataclass(frozen=True, slots=True)
class ChunkRecord:
    id: int
    document_id: int
    path: str
    ord: int
    text: str
    heading: str
    page: int | None
    char_start: int
    char_end: int
    line_start: int | None
    line_end: int | None
    tokens: int
    kind: str | None = None  # the document's kind ("pdf", "pptx", ...)
    ocr: bool = False  # the passage's page was read by OCR

    def as_new(self) -> NewChunk:
        """The same passage, ready to be stored again (under another document)."""
        return NewChunk(
            ord=self.ord, text=self.text, heading=self.heading, page=self.page,
            char_start=self.char_start, char_end=self.char_end, line_start=self.line_start,
            line_end=self.line_end, tokens=self.tokens,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class StoreStats:
    folders: int
    documents: int
    indexed: int
    failed: int
    skipped: int
    chunks: int
