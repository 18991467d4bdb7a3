"""ODP built by hand with zipfile: slides as pages, titles as headings, notes, damage."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from engine.errors import ParseError
from engine.parsing import is_supported, parse_file

NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0"'
)


def frame(kind: str | None, *paragraphs: str) -> str:
    attribute = f' presentation:class="{kind}"' if kind else ""
    body = "".join(f"<text:p>{p}</text:p>" for p in paragraphs)
    return f"<draw:frame{attribute}><draw:text-box>{body}</draw:text-box></draw:frame>"


SLIDES = (
    '<draw:page draw:name="page1">'
    + frame("title", "Boiler plan")
    + frame("outline", "Replace in March", "", "Budget 1,200")
    + "<draw:g>"
    + frame(None, "Grouped box")
    + "</draw:g>"
    + "<draw:frame><table:table><table:table-row><table:table-cell><text:p>Pump</text:p>"
    "</table:table-cell><table:table-cell><text:p>300</text:p></table:table-cell>"
    "</table:table-row></table:table></draw:frame>"
    + "<presentation:notes><draw:page-thumbnail/>"
    + frame("notes", "Mention the warranty.")
    + "</presentation:notes></draw:page>"
    + '<draw:page draw:name="page2">'
    + frame("title", "Questions")
    + "</draw:page>"
)


def make_odp(tmp_path: Path, slides: str = SLIDES) -> Path:
    content = (
        f'<?xml version="1.0"?><office:document-content {NAMESPACES}><office:body>'
        f"<office:presentation>{slides}</office:presentation></office:body>"
        "</office:document-content>"
    )
    path = tmp_path / "deck.odp"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.presentation")
        archive.writestr("content.xml", content)
    return path


def test_slides_titles_notes(tmp_path, check_blocks):
    path = make_odp(tmp_path)
    document = parse_file(path)

    assert is_supported(path)
    assert document.kind == "odp"
    assert document.pages == 2
    assert document.title == "Boiler plan"
    assert [(b.text, b.page, b.heading) for b in document.blocks] == [
        ("Replace in March\nBudget 1,200", 1, ("Boiler plan",)),
        ("Grouped box", 1, ("Boiler plan",)),
        ("Pump | 300", 1, ("Boiler plan",)),
        ("Mention the warranty.", 1, ("Boiler plan", "Notes")),
        ("Questions", 2, ("Questions",)),
    ]
    check_blocks(document)
    slide = "\n\n".join(["Boiler plan", *(b.text for b in document.blocks[:4])])
    assert all(slide[b.start : b.end] == b.text for b in document.blocks[:4])


def test_password_protected(tmp_path):
    path = make_odp(tmp_path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(
            "META-INF/manifest.xml",
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:'
            'manifest:1.0"><manifest:file-entry manifest:full-path="content.xml">'
            "<manifest:encryption-data/></manifest:file-entry></manifest:manifest>",
        )
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason == "password-protected (encrypted) ODP file"


def test_bad_xml_and_hostile_xml(tmp_path, billion_laughs):
    path = make_odp(tmp_path, "<draw:page><unclosed>")
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason.startswith("damaged ODP: bad XML in content.xml (")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("content.xml", billion_laughs)
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason.startswith("refused ODP: content.xml declares XML entities")


def test_not_a_zip(tmp_path):
    path = tmp_path / "deck.odp"
    path.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason == "damaged ODP: not a valid zip archive"
