"""EPUB e-books: chapters in the spine's reading order, one page per chapter.

Read with zipfile and defusedxml: META-INF/container.xml names the package document (OPF),
whose manifest and spine give the chapter files in reading order. Each chapter is XHTML and
goes through html.py, so its paragraphs, list items and cells become blocks exactly as for
a web page. `Block.page` is the chapter's position in the spine (1-based, the cover and
other front matter included, so the numbers match the book's own order); offsets point into
that chapter's extracted text. The chapter title heads the heading path: the table of
contents' label for the file (EPUB 2 NCX or EPUB 3 navigation document), else the chapter's
first heading, else its <title>. `Block.line` is left empty: lines of the XHTML files mean
nothing to a reader.

EbookLib was not used: it is AGPL-licensed, and it loads every item of the book. Books with
DRM (content listed in META-INF/encryption.xml, beyond font obfuscation) are refused.
"""

from __future__ import annotations

import posixpath
import xml.etree.ElementTree as ET
import zipfile
from html.parser import HTMLParser
from urllib.parse import unquote, urldefrag

from engine.errors import ParseError
from engine.parsing.archive import ZIP_ERRORS, open_archive, parse_xml, read_member
from engine.parsing.document import Block, ParsedDocument
from engine.parsing.html import decode_html, parse_html
from engine.parsing.textio import clean_inline

_LABEL = "EPUB"
_CONTAINER = "META-INF/container.xml"
_ENCRYPTION = "META-INF/encryption.xml"
_CONTAINER_NS = "{urn:oasis:names:tc:opendocument:xmlns:container}"
_OPF_NS = "{http://www.idpf.org/2007/opf}"
_NCX_NS = "{http://www.daisy.org/z3986/2005/ncx/}"
_DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"
_XENC_NS = "{http://www.w3.org/2001/04/xmlenc#}"
_FONT_OBFUSCATION = frozenset(
    {"http://www.idpf.org/2008/embedding", "http://ns.adobe.com/pdf/enc#RC"}
)
_CHAPTER_TYPES = frozenset({"application/xhtml+xml", "text/html", "application/xml"})
_NCX_TYPE = "application/x-dtbncx+xml"


def parse_epub(path: str, data: bytes, max_bytes: int) -> ParsedDocument:
    """Parse an EPUB into blocks, one page per spine item."""
    with open_archive(path, data, max_bytes, _LABEL) as archive:
        _refuse_drm(path, archive)
        opf_path = _package_path(path, archive)
        package = _xml(path, archive, opf_path)
        base = posixpath.dirname(opf_path)
        manifest = _manifest(package, base)
        spine = _spine(path, package, manifest)
        toc = _toc_titles(path, archive, package, manifest)
        blocks: list[Block] = []
        warnings: list[str] = []
        for number, (href, media_type) in enumerate(spine, start=1):
            if media_type not in _CHAPTER_TYPES:
                continue
            try:
                raw = archive.read(href)
            except (KeyError, *ZIP_ERRORS):
                warnings.append(f"chapter {number} ({href}) is missing or unreadable")
                continue
            blocks.extend(_chapter_blocks(path, raw, number, toc.get(href, "")))
    title_element = package.find(f"{_OPF_NS}metadata/{_DC_TITLE}")
    title = clean_inline(title_element.text or "") if title_element is not None else ""
    return ParsedDocument(
        path=path,
        kind="epub",
        blocks=tuple(blocks),
        pages=len(spine),
        title=title or None,
        warnings=tuple(warnings),
    )


def _chapter_blocks(path: str, raw: bytes, page: int, toc_title: str) -> list[Block]:
    chapter = parse_html(path, decode_html(raw))
    first_heading = next((b.heading[0] for b in chapter.blocks if b.heading), "")
    title = toc_title or first_heading or chapter.title or ""
    blocks = []
    for block in chapter.blocks:
        inner = block.heading[1:] if block.heading[:1] == (title,) else block.heading
        heading = (title, *inner) if title else inner
        blocks.append(Block(block.text, block.start, block.end, page, heading, None))
    return blocks


def _refuse_drm(path: str, archive: zipfile.ZipFile) -> None:
    if _ENCRYPTION not in archive.namelist():
        return
    root = _xml(path, archive, _ENCRYPTION)
    for method in root.iter(f"{_XENC_NS}EncryptionMethod"):
        if method.get("Algorithm") not in _FONT_OBFUSCATION:
            raise ParseError(path, "DRM-protected (encrypted) EPUB")


def _package_path(path: str, archive: zipfile.ZipFile) -> str:
    container = _xml(path, archive, _CONTAINER)
    rootfile = container.find(f"{_CONTAINER_NS}rootfiles/{_CONTAINER_NS}rootfile")
    full_path = rootfile.get("full-path") if rootfile is not None else None
    if not full_path:
        raise ParseError(path, f"damaged {_LABEL}: {_CONTAINER} names no package document")
    return posixpath.normpath(unquote(full_path))


def _manifest(package: ET.Element, base: str) -> dict[str, tuple[str, str, str]]:
    """Manifest id -> (archive path, media type, properties)."""
    items: dict[str, tuple[str, str, str]] = {}
    for item in package.iter(f"{_OPF_NS}item"):
        item_id, href = item.get("id"), item.get("href")
        if item_id and href:
            member = _resolve(base, href)
            items[item_id] = (member, item.get("media-type", ""), item.get("properties", ""))
    return items


def _spine(
    path: str, package: ET.Element, manifest: dict[str, tuple[str, str, str]]
) -> list[tuple[str, str]]:
    spine = package.find(f"{_OPF_NS}spine")
    if spine is None:
        raise ParseError(path, f"damaged {_LABEL}: the package document has no spine")
    order = []
    for itemref in spine.iter(f"{_OPF_NS}itemref"):
        entry = manifest.get(itemref.get("idref", ""))
        if entry is not None:
            order.append((entry[0], entry[1]))
    return order


def _toc_titles(
    path: str,
    archive: zipfile.ZipFile,
    package: ET.Element,
    manifest: dict[str, tuple[str, str, str]],
) -> dict[str, str]:
    """Chapter file -> its first label in the table of contents (EPUB 3 nav, else NCX)."""
    titles: dict[str, str] = {}
    for member, _media_type, properties in manifest.values():
        if "nav" in properties.split() and member in archive.namelist():
            raw = read_member(path, archive, member, _LABEL)
            for href, label in _NavLinks.read(decode_html(raw)):
                titles.setdefault(_resolve(posixpath.dirname(member), href), label)
    spine = package.find(f"{_OPF_NS}spine")
    ncx_id = spine.get("toc") if spine is not None else None
    ncx = manifest.get(ncx_id or "") or next(
        (entry for entry in manifest.values() if entry[1] == _NCX_TYPE), None
    )
    if ncx is not None and ncx[0] in archive.namelist():
        root = _xml(path, archive, ncx[0])
        for point in root.iter(f"{_NCX_NS}navPoint"):
            text = point.find(f"{_NCX_NS}navLabel/{_NCX_NS}text")
            content = point.find(f"{_NCX_NS}content")
            if text is not None and content is not None and content.get("src"):
                member = _resolve(posixpath.dirname(ncx[0]), content.get("src", ""))
                titles.setdefault(member, clean_inline(text.text or ""))
    return {member: title for member, title in titles.items() if title}


class _NavLinks(HTMLParser):
    """The (href, label) links inside an EPUB 3 navigation document's toc <nav>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[str, str]] = []
        self._nav_depth = 0
        self._href: str | None = None
        self._label: list[str] = []

    @classmethod
    def read(cls, text: str) -> list[tuple[str, str]]:
        parser = cls()
        try:
            parser.feed(text)
            parser.close()
        except AssertionError:  # malformed markup: keep the links found so far
            pass
        return parser.links

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "nav":
            self._nav_depth += 1
        elif tag == "a" and self._nav_depth:
            self._href = dict(attrs).get("href")
            self._label = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav":
            self._nav_depth = max(0, self._nav_depth - 1)
        elif tag == "a" and self._href is not None:
            self.links.append((self._href, clean_inline("".join(self._label))))
            self._href = None

    def handle_data(self, data: str) -> None:
        if self._href is not None:
            self._label.append(data)


def _resolve(base: str, href: str) -> str:
    """An href relative to `base` as an archive member name, without its #fragment."""
    target = unquote(urldefrag(href)[0])
    return posixpath.normpath(posixpath.join(base, target)) if target else ""


def _xml(path: str, archive: zipfile.ZipFile, member: str) -> ET.Element:
    return parse_xml(path, read_member(path, archive, member, _LABEL), member, _LABEL)
