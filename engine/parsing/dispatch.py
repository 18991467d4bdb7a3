"""Turn a file into paragraph blocks that remember their page, heading path and line.

One module per format; `parse_file` here picks the format, enforces the size limit, turns
environment problems into `ParseError`/`SkippedFile` with a human reason, and never lets a
bad file raise anything else. `ParseWorker` runs the same in a child process with a
deadline, for files that could stall the parser. With `ocr`, image files and the scanned
pages of PDFs are read by OCR; without it, image files are skipped as binary.
"""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Callable
from pathlib import Path

from engine.errors import ParseError, SkippedFile
from engine.parsing.delimited import parse_delimited
from engine.parsing.document import ParsedDocument
from engine.parsing.docx import parse_docx
from engine.parsing.epub import parse_epub
from engine.parsing.formats import (
    BINARY_EXTENSIONS,
    IMAGE_EXTENSIONS,
    UNSUPPORTED_EXTENSIONS,
    kind_for,
)
from engine.parsing.html import decode_html, parse_html
from engine.parsing.image import parse_image
from engine.parsing.limits import DEFAULT_MAX_BYTES, too_large
from engine.parsing.mail import AttachmentReader, parse_eml, parse_mbox
from engine.parsing.markdown import parse_markdown
from engine.parsing.odp import parse_odp
from engine.parsing.ods import parse_ods
from engine.parsing.odt import parse_odt
from engine.parsing.pdf import NO_TEXT, parse_pdf
from engine.parsing.pptx_slides import parse_pptx
from engine.parsing.rst import parse_rst
from engine.parsing.rtf import parse_rtf
from engine.parsing.text import parse_text
from engine.parsing.textio import SNIFF_BYTES, decode_text, looks_like_text
from engine.parsing.xlsx_sheets import parse_xlsx

_PDF_MAGIC = b"%PDF-"
# Zip-based formats: each parser gets (path, bytes, max_bytes) and checks expanded sizes.
_ARCHIVE_PARSERS: dict[str, Callable[[str, bytes, int], ParsedDocument]] = {
    "docx": parse_docx,
    "xlsx": parse_xlsx,
    "pptx": parse_pptx,
    "epub": parse_epub,
    "odt": parse_odt,
    "odp": parse_odp,
    "ods": parse_ods,
}


def parse_file(
    path: str | Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    ocr: bool = False,
    ocr_budget_s: float | None = None,
) -> ParsedDocument:
    """Parse one file into blocks.

    Raises `SkippedFile` for files deliberately not indexed (binary, empty, no text) and
    `ParseError` for files that cannot be read (missing, unreadable, too large, damaged).
    With `ocr`, images and PDF pages without a text layer are read by OCR, which starts no
    new page once `ocr_budget_s` seconds have passed since the call (None: no limit).
    """
    started = time.monotonic()
    file = Path(path)
    name = str(path)
    suffix = file.suffix.lower()
    size = _regular_file_size(file, name)
    if suffix in BINARY_EXTENSIONS:
        raise SkippedFile(name, f"binary file ({suffix})")
    if suffix in IMAGE_EXTENSIONS and not ocr:
        raise SkippedFile(name, f"binary file ({suffix}; OCR is off)")
    if suffix in UNSUPPORTED_EXTENSIONS:
        raise SkippedFile(name, f"unsupported format ({suffix})")
    if size > max_bytes:
        raise ParseError(name, too_large(size, max_bytes))
    data = _read(file, name, size, max_bytes)
    if not data:
        raise SkippedFile(name, "empty file")

    deadline = None if ocr_budget_s is None else started + ocr_budget_s
    document = _parse_data(name, data, kind_for(file), suffix, max_bytes, ocr, deadline)
    if not document.blocks:
        raise SkippedFile(name, NO_TEXT)
    return document


def _parse_data(
    name: str,
    data: bytes,
    kind: str | None,
    suffix: str,
    max_bytes: int,
    ocr: bool,
    deadline: float | None,
) -> ParsedDocument:
    """Parse bytes already read (a file's, or an e-mail attachment's) by their kind."""
    if kind == "pdf" or (kind is None and data.startswith(_PDF_MAGIC)):
        return parse_pdf(name, data, ocr=ocr, ocr_deadline=deadline)
    if kind == "image":
        return parse_image(name, data, deadline=deadline)
    if kind in _ARCHIVE_PARSERS:
        return _ARCHIVE_PARSERS[kind](name, data, max_bytes)
    if kind in ("email", "mbox"):
        if not looks_like_text(data[:SNIFF_BYTES]):
            raise SkippedFile(name, "binary file")
        reader = _attachment_reader(max_bytes, ocr, deadline)
        return (parse_eml if kind == "email" else parse_mbox)(name, data, reader)
    return _parse_text_format(name, data, kind or "text", suffix)


def _attachment_reader(max_bytes: int, ocr: bool, deadline: float | None) -> AttachmentReader:
    """How a message's attachments are read: by the same parsers, within the same limits
    (images only with OCR on; messages attached to messages stay listed by name)."""

    def read(name: str, data: bytes) -> ParsedDocument | None:
        suffix = Path(name).suffix.lower()
        kind = kind_for(Path(name))
        if kind is None or kind in ("email", "mbox") or (kind == "image" and not ocr):
            return None
        if len(data) > max_bytes:
            raise ParseError(name, too_large(len(data), max_bytes))
        return _parse_data(name, data, kind, suffix, max_bytes, ocr, deadline)

    return read


def is_supported(path: Path, *, ocr: bool = False) -> bool:
    """Cheap check for the folder walker: worth handing to `parse_file`?

    Decided by extension when it is known (images only with `ocr`); otherwise by sniffing
    the first 8 KiB of a regular file. Files that cannot be inspected (unreadable, special
    files) are not.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in BINARY_EXTENSIONS or suffix in UNSUPPORTED_EXTENSIONS:
        return False
    if suffix in IMAGE_EXTENSIONS:
        return ocr
    if kind_for(path) is not None:
        return True
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return False
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError:
        return False
    return bool(head) and (head.startswith(_PDF_MAGIC) or looks_like_text(head))


def _parse_text_format(name: str, data: bytes, kind: str, suffix: str) -> ParsedDocument:
    if not looks_like_text(data[:SNIFF_BYTES]):
        raise SkippedFile(name, "binary file")
    if kind == "csv":
        return parse_delimited(name, data, tab_separated=suffix == ".tsv")
    if kind == "rtf":
        return parse_rtf(name, data)
    if kind == "html":
        return parse_html(name, decode_html(data))
    text = decode_text(data)
    if kind == "markdown":
        return parse_markdown(name, text)
    if kind == "rst":
        return parse_rst(name, text)
    return parse_text(name, text, kind)


def _regular_file_size(file: Path, name: str) -> int:
    try:
        info = os.stat(file)
    except OSError as exc:
        raise ParseError(name, _os_reason(exc)) from exc
    if stat.S_ISDIR(info.st_mode):
        raise ParseError(name, "is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise SkippedFile(name, "not a regular file")
    return info.st_size


def _read(file: Path, name: str, size: int, max_bytes: int) -> bytes:
    """The file's bytes, at most `max_bytes`. Asks for the size it had when measured (asking
    for `max_bytes` would have Python set aside that much for every small file), then for
    whatever it grew by since, up to the limit."""
    try:
        with open(file, "rb") as handle:
            data = handle.read(min(size, max_bytes) + 1)
            if len(data) > size:
                data += handle.read(max_bytes + 1 - len(data))
    except OSError as exc:
        raise ParseError(name, _os_reason(exc)) from exc
    if len(data) > max_bytes:  # the file grew after it was measured
        raise ParseError(name, too_large(len(data), max_bytes))
    return data


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError | NotADirectoryError):
        return "file not found"
    if isinstance(exc, PermissionError):
        return "permission denied"
    return f"cannot read ({exc.strerror or type(exc).__name__})"
