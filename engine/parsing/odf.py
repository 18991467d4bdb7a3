"""What the OpenDocument parsers (odt, odp, ods) share: the archive, the XML, paragraph text.

OpenDocument files are zips whose content.xml holds the document. They are read with
zipfile and defusedxml rather than odfpy: odfpy builds a Python object for every element of
the whole document (and loads every embedded picture), which a large spreadsheet cannot
afford, while content.xml streams well with `iterparse`. The archive's declared sizes are
checked first, files encrypted with a password (META-INF/manifest.xml lists encryption data)
are refused, and XML that declares entities is refused by defusedxml.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator

from engine.errors import ParseError
from engine.parsing.archive import (
    iterparse_xml,
    open_archive,
    open_member,
    parse_xml,
    read_member,
)
from engine.parsing.textio import clean_inline

OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
DRAW = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
STYLE = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
PRESENTATION = "{urn:oasis:names:tc:opendocument:xmlns:presentation:1.0}"
CONTENT = "content.xml"
_MANIFEST = "META-INF/manifest.xml"
_META = "meta.xml"
_DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"
_MAX_SPACES = 100  # a text:s run longer than this is whitespace all the same
_WHITESPACE_TO_SPACE = str.maketrans("\n\r\t", "   ")
PARAGRAPHS = frozenset({TEXT + "p", TEXT + "h"})
# Inside a paragraph: left out of its text (footnote numbers, comments, tracked deletions).
_SKIPPED = frozenset(
    {TEXT + "note-citation", OFFICE + "annotation", TEXT + "tracked-changes", TEXT + "bookmark"}
)


def open_odf(path: str, data: bytes, max_bytes: int, label: str) -> zipfile.ZipFile:
    """Open an OpenDocument zip after the size checks; refuse password-protected files."""
    archive = open_archive(path, data, max_bytes, label)
    try:
        manifest = archive.read(_MANIFEST) if _MANIFEST in archive.namelist() else b""
    except Exception:
        manifest = b""
    if b"encryption-data" in manifest:
        archive.close()
        raise ParseError(path, f"password-protected (encrypted) {label} file")
    return archive


def stream_content(
    path: str, archive: zipfile.ZipFile, label: str
) -> Iterator[tuple[str, ET.Element]]:
    """(event, element) pairs of content.xml, "start" and "end" events."""
    with open_member(path, archive, CONTENT, label) as source:
        yield from iterparse_xml(path, source, CONTENT, label, ("start", "end"))


def document_title(path: str, archive: zipfile.ZipFile, label: str) -> str | None:
    """dc:title from meta.xml, when there is one."""
    if _META not in archive.namelist():
        return None
    root = parse_xml(path, read_member(path, archive, _META, label), _META, label)
    element = root.find(f"{OFFICE}meta/{_DC_TITLE}")
    return clean_inline(element.text or "") or None if element is not None else None


def paragraph_text(paragraph: ET.Element) -> tuple[str, list[ET.Element]]:
    """The text of a text:p or text:h, and the paragraphs nested in it (notes, text boxes),
    which are left out of its text for the caller to add after it."""
    parts: list[str] = []
    nested: list[ET.Element] = []

    def walk(element: ET.Element) -> None:
        for child in element:
            tag = child.tag
            if tag in PARAGRAPHS:
                nested.append(child)
            elif tag == TEXT + "s":
                parts.append(" " * min(_count(child.get(TEXT + "c")), _MAX_SPACES))
            elif tag == TEXT + "tab":
                parts.append("\t")
            elif tag == TEXT + "line-break":
                parts.append("\n")
            elif tag not in _SKIPPED:
                parts.append(_spaces(child.text))
                walk(child)
            parts.append(_spaces(child.tail))

    parts.append(_spaces(paragraph.text))
    walk(paragraph)
    return "".join(parts), nested


def paragraphs_within(element: ET.Element) -> list[str]:
    """The non-empty paragraphs anywhere under `element`, nested ones after their parent."""
    found: list[str] = []

    def visit(node: ET.Element) -> None:
        for child in node:
            if child.tag in PARAGRAPHS:
                add(child)
            elif child.tag not in _SKIPPED:
                visit(child)

    def add(paragraph: ET.Element) -> None:
        text, nested = paragraph_text(paragraph)
        text = clean_lines(text)
        if text:
            found.append(text)
        for inner in nested:
            add(inner)

    visit(element)
    return found


def clean_lines(text: str) -> str:
    """Collapse whitespace within each line; drop empty lines."""
    lines = (clean_inline(line) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def repeat_count(element: ET.Element, attribute: str) -> int:
    """table:number-rows-repeated and the like: how many times the element stands."""
    return _count(element.get(TABLE + attribute))


def _spaces(text: str | None) -> str:
    """Character data as ODF reads it: newlines and tabs in the XML are plain spaces (only
    text:line-break and text:tab make real ones)."""
    return text.translate(_WHITESPACE_TO_SPACE) if text else ""


def _count(value: str | None) -> int:
    return int(value) if value is not None and value.isdigit() and int(value) > 0 else 1
