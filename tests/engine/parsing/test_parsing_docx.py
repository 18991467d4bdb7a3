"""DOCX built by hand with zipfile: styles to headings, tables, runs, damaged archives."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from engine.errors import ParseError, SkippedFile
from engine.parsing import parse_file

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    "</Types>"
)
# A localised heading style: its id is not "Heading1" but its name is "heading 1".
STYLES = (
    f'<w:styles xmlns:w="{W_NS}">'
    '<w:style w:type="paragraph" w:styleId="berschrift1"><w:name w:val="heading 1"/></w:style>'
    '<w:style w:type="paragraph" w:styleId="Custom"><w:name w:val="Custom Outline"/>'
    '<w:pPr><w:outlineLvl w:val="2"/></w:pPr></w:style>'
    "</w:styles>"
)
CORE = (
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/'
    'metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
    "<dc:title>Core Title</dc:title></cp:coreProperties>"
)


def para(text: str, style: str | None = None) -> str:
    props = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f'<w:p>{props}<w:r><w:t xml:space="preserve">{text}</w:t></w:r></w:p>'


def document_xml(body: str) -> str:
    return f'<?xml version="1.0"?><w:document xmlns:w="{W_NS}"><w:body>{body}</w:body></w:document>'


def make_docx(tmp_path: Path, body: str, *, name: str = "doc.docx", extra=None) -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("word/document.xml", document_xml(body))
        for member, content in (extra or {}).items():
            archive.writestr(member, content)
    return path


def test_offsets_index_the_paragraphs_joined_by_blank_lines(tmp_path, check_blocks):
    body = para("Title Text", "Title") + para("Intro text") + para("") + para("  Body  ")
    document = parse_file(make_docx(tmp_path, body))

    joined = "Title Text\n\nIntro text\n\n  Body  "
    assert document.kind == "docx"
    assert document.title == "Title Text"
    assert [(b.text, b.start, b.end) for b in document.blocks] == [
        ("Intro text", 12, 22),
        ("Body", 26, 30),
    ]
    assert all(b.heading == ("Title Text",) and b.line is None for b in document.blocks)
    check_blocks(document, joined)


def test_heading_styles_tables_and_run_content(tmp_path, check_blocks):
    body = (
        para("Report", "Title")
        + para("Setup", "Heading1")
        + '<w:p><w:pPr><w:tabs><w:tab w:val="left" w:pos="720"/></w:tabs></w:pPr>'
        "<w:r><w:t>Hel</w:t></w:r><w:r><w:rPr><w:b/></w:rPr><w:t>lo</w:t></w:r>"
        "<w:r><w:tab/><w:t>world</w:t><w:br/><w:t>next line</w:t></w:r>"
        "<w:del><w:r><w:delText>deleted words</w:delText></w:r></w:del></w:p>"
        + para("Details", "Heading2")
        + "<w:tbl><w:tr><w:tc>"
        + para("cell one")
        + para("second line")
        + "</w:tc><w:tc>"
        + para("")
        + "</w:tc><w:tc>"
        + para("cell three")
        + "</w:tc></w:tr></w:tbl>"
        + para("Localised", "berschrift1")
        + para("After localised heading.")
        + para("Outlined", "Custom")
        + '<w:p><w:pPr><w:outlineLvl w:val="1"/></w:pPr><w:r><w:t>Direct</w:t></w:r></w:p>'
        + "<w:sdt><w:sdtContent>"
        + para("Inside a content control.")
        + "</w:sdtContent></w:sdt>"
    )
    extra = {"word/styles.xml": STYLES, "docProps/core.xml": CORE}
    document = parse_file(make_docx(tmp_path, body, extra=extra))

    assert document.title == "Core Title"
    assert [(b.text, b.heading) for b in document.blocks] == [
        ("Hello\tworld\nnext line", ("Report", "Setup")),
        ("cell one\nsecond line", ("Report", "Setup", "Details")),
        ("cell three", ("Report", "Setup", "Details")),
        ("After localised heading.", ("Report", "Localised")),
        ("Inside a content control.", ("Report", "Localised", "Direct")),
    ]
    check_blocks(document)


def test_only_empty_paragraphs_means_no_text(tmp_path):
    with pytest.raises(SkippedFile) as caught:
        parse_file(make_docx(tmp_path, para("") + para("   ")))
    assert caught.value.reason == "no extractable text (image-only or empty)"


def test_not_a_zip(tmp_path):
    path = tmp_path / "fake.docx"
    path.write_bytes(b"this is not a zip archive at all")
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason == "damaged DOCX: not a valid zip archive"


def test_missing_document_xml(tmp_path):
    path = tmp_path / "empty.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason == "damaged DOCX: word/document.xml missing"


def test_bad_xml(tmp_path):
    path = tmp_path / "bad.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w:document><unclosed>")
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason.startswith("damaged DOCX: bad XML in word/document.xml (")
    assert not isinstance(caught.value, SkippedFile)


def test_document_xml_that_expands_past_the_limit_is_too_large(tmp_path):
    path = make_docx(tmp_path, para("x" * 200_000))
    assert path.stat().st_size < 50_000  # compresses well: the archive itself is small
    with pytest.raises(ParseError) as caught:
        parse_file(path, max_bytes=100_000)
    assert caught.value.reason.startswith("too large (")
    assert caught.value.reason.endswith("limit 97.7 KB) when uncompressed")


def test_entity_expansion_is_refused(tmp_path, billion_laughs):
    path = tmp_path / "lol.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", billion_laughs)
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason.startswith("refused DOCX: word/document.xml declares XML entities")


def test_an_encrypted_docx_is_named_as_such(tmp_path):
    path = tmp_path / "secret.docx"
    path.write_bytes(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 512)
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason == "password-protected (encrypted) or legacy binary DOCX file"
