"""EPUB built by hand with zipfile: spine order, chapter titles from the TOC, DRM, damage."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from engine.errors import ParseError, SkippedFile
from engine.parsing import is_supported, parse_file

CONTAINER = (
    '<?xml version="1.0"?><container version="1.0" '
    'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
    '<rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
    "</rootfiles></container>"
)
OPF = """<?xml version="1.0"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Boilers  for Beginners</dc:title>
</metadata>
<manifest>
<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>
<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>
<item id="cover" href="Text/cover.xhtml" media-type="application/xhtml+xml"/>
<item id="c1" href="Text/chapter%201.xhtml" media-type="application/xhtml+xml"/>
<item id="c2" href="Text/c2.xhtml" media-type="application/xhtml+xml"/>
<item id="img" href="Images/pic.png" media-type="image/png"/>
</manifest>
<spine toc="ncx"><itemref idref="cover"/><itemref idref="c2"/><itemref idref="c1"/></spine>
</package>"""
NAV = (
    '<html xmlns="http://www.w3.org/1999/xhtml"><body><nav epub:type="toc"><ol>'
    '<li><a href="Text/c2.xhtml#start">Getting&nbsp;Started</a></li></ol></nav></body></html>'
)
NCX = (
    '<ncx xmlns="http://www.daisy.org/z3986/2005/ncx/"><navMap>'
    '<navPoint id="p1"><navLabel><text>Ignored: nav wins</text></navLabel>'
    '<content src="Text/c2.xhtml"/></navPoint>'
    '<navPoint id="p2"><navLabel><text>Chapter One</text></navLabel>'
    '<content src="Text/chapter%201.xhtml"/></navPoint></navMap></ncx>'
)
COVER = "<html><head><title>Boilers</title></head><body><p>A book about boilers.</p></body></html>"
CHAPTER_ONE = (
    "<html><body><h1>Chapter One</h1><p>Boilers heat water.</p>"
    "<h2>Safety</h2><p>Call an engineer.</p></body></html>"
)
CHAPTER_TWO = "<html><body><h2>Tools</h2><p>You need a spanner &amp; a torch.</p></body></html>"


def make_epub(tmp_path: Path, name: str = "book.epub", **replace: str | bytes | None) -> Path:
    """An EPUB of the members above; `replace` swaps members in, None leaves one out."""
    members: dict[str, str | bytes | None] = {
        "META-INF/container.xml": CONTAINER,
        "OEBPS/content.opf": OPF,
        "OEBPS/nav.xhtml": NAV,
        "OEBPS/toc.ncx": NCX,
        "OEBPS/Text/cover.xhtml": COVER,
        "OEBPS/Text/chapter 1.xhtml": CHAPTER_ONE,
        "OEBPS/Text/c2.xhtml": CHAPTER_TWO,
    }
    members.update(replace)
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/epub+zip", zipfile.ZIP_STORED)
        for member, content in members.items():
            if content is not None:
                archive.writestr(member, content)
    return path


def test_chapters_in_spine_order_with_titles(tmp_path, check_blocks):
    path = make_epub(tmp_path)
    document = parse_file(path)

    assert is_supported(path)
    assert document.kind == "epub"
    assert document.title == "Boilers for Beginners"
    assert document.pages == 3
    assert [(b.text, b.page, b.heading) for b in document.blocks] == [
        ("A book about boilers.", 1, ("Boilers",)),
        ("You need a spanner & a torch.", 2, ("Getting Started", "Tools")),
        ("Boilers heat water.", 3, ("Chapter One",)),
        ("Call an engineer.", 3, ("Chapter One", "Safety")),
    ]
    assert all(b.line is None for b in document.blocks)
    check_blocks(document)


def test_missing_chapter_is_a_warning(tmp_path):
    path = make_epub(tmp_path, **{"OEBPS/Text/c2.xhtml": None})
    document = parse_file(path)
    assert document.warnings == ("chapter 2 (OEBPS/Text/c2.xhtml) is missing or unreadable",)
    assert [b.page for b in document.blocks] == [1, 3, 3]


def test_drm_is_refused(tmp_path):
    encryption = (
        '<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
        'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>'
        '<enc:EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/>'
        "</enc:EncryptedData></encryption>"
    )
    path = make_epub(tmp_path, **{"META-INF/encryption.xml": encryption})
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason == "DRM-protected (encrypted) EPUB"


def test_font_obfuscation_is_not_drm(tmp_path):
    encryption = (
        '<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
        'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData>'
        '<enc:EncryptionMethod Algorithm="http://www.idpf.org/2008/embedding"/>'
        "</enc:EncryptedData></encryption>"
    )
    path = make_epub(tmp_path, **{"META-INF/encryption.xml": encryption})
    assert len(parse_file(path).blocks) == 4


def test_missing_container(tmp_path):
    path = make_epub(tmp_path, **{"META-INF/container.xml": None})
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason == "damaged EPUB: META-INF/container.xml missing"


def test_package_without_spine(tmp_path):
    path = make_epub(
        tmp_path, **{"OEBPS/content.opf": '<package xmlns="http://www.idpf.org/2007/opf"/>'}
    )
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason == "damaged EPUB: the package document has no spine"


def test_bad_package_xml(tmp_path):
    path = make_epub(tmp_path, **{"OEBPS/content.opf": "<package><metadata>"})
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason.startswith("damaged EPUB: bad XML in OEBPS/content.opf (")


def test_entity_expansion_is_refused(tmp_path, billion_laughs):
    path = make_epub(tmp_path, **{"OEBPS/content.opf": billion_laughs})
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason == (
        "refused EPUB: OEBPS/content.opf declares XML entities (possible entity-expansion attack)"
    )


def test_entities_in_a_chapter_are_not_expanded(tmp_path, billion_laughs):
    chapter = billion_laughs.replace(b"<lolz>&lol9;</lolz>", b"<html><p>&lol9; ok</p></html>")
    path = make_epub(tmp_path, **{"OEBPS/Text/c2.xhtml": chapter})
    document = parse_file(path)
    texts = [b.text for b in document.blocks if b.page == 2]
    assert "&lol9; ok" in texts  # html.parser leaves unknown entities as they are
    assert not any("lollol" in text for text in texts)


def test_not_a_zip_and_truncated(tmp_path):
    path = make_epub(tmp_path)
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason == "damaged EPUB: not a valid zip archive"


def test_zip_bomb_is_refused_before_reading(tmp_path):
    path = make_epub(tmp_path, **{"OEBPS/Text/c2.xhtml": "<p>" + "a" * 3_000_000 + "</p>"})
    with pytest.raises(ParseError) as caught:
        parse_file(path, max_bytes=1_000_000)
    assert caught.value.reason.endswith(" when uncompressed")


def test_book_of_images_has_no_text(tmp_path):
    empty = "<html><body><img src='../Images/pic.png'/></body></html>"
    path = make_epub(
        tmp_path,
        **{
            "OEBPS/Text/cover.xhtml": empty,
            "OEBPS/Text/c2.xhtml": empty,
            "OEBPS/Text/chapter 1.xhtml": empty,
        },
    )
    with pytest.raises(SkippedFile):
        parse_file(path)
