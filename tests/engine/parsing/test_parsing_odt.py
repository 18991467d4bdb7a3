"""ODT built by hand with zipfile: headings, Title style, notes, lists, damage."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from engine.errors import ParseError, SkippedFile
from engine.parsing import is_supported, parse_file

NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/"'
)
MANIFEST = (
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)
BODY = """
<office:automatic-styles>
  <style:style style:name="P1" style:family="paragraph" style:parent-style-name="Title"/>
</office:automatic-styles>
<office:body><office:text>
  <text:p text:style-name="P1">Boiler Guide</text:p>
  <text:p>Intro with<text:s text:c="3"/>spaces<text:tab/>and a<text:line-break/>break.</text:p>
  <text:h text:outline-level="1">Setup</text:h>
  <text:p>Turn it on<text:note text:note-class="footnote"><text:note-citation>1</text:note-citation>
    <text:note-body><text:p>Carefully.</text:p></text:note-body></text:note> slowly.</text:p>
  <text:list><text:list-item><text:p>First step</text:p></text:list-item></text:list>
  <text:h text:outline-level="2">Parts</text:h>
  <table:table><table:table-row><table:table-cell><text:p>Pump</text:p></table:table-cell>
  </table:table-row></table:table>
  <text:p/>
  <text:h text:outline-level="1">Care</text:h>
  <text:p><text:span>Bleed the </text:span>radiators.</text:p>
</office:text></office:body>"""


def content(body: str) -> str:
    head = f'<?xml version="1.0"?><office:document-content {NAMESPACES}>'
    return f"{head}{body}</office:document-content>"


def make_odt(tmp_path: Path, body: str = BODY, *, meta: str | None = None, **extra: str) -> Path:
    path = tmp_path / "guide.odt"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text", zipfile.ZIP_STORED)
        archive.writestr("META-INF/manifest.xml", extra.pop("manifest", MANIFEST))
        archive.writestr("content.xml", extra.pop("content", content(body)))
        if meta is not None:
            archive.writestr(
                "meta.xml",
                f"<office:document-meta {NAMESPACES}><office:meta><dc:title>{meta}</dc:title>"
                "</office:meta></office:document-meta>",
            )
    return path


def test_paragraphs_headings_and_offsets(tmp_path, check_blocks):
    path = make_odt(tmp_path)
    document = parse_file(path)

    assert is_supported(path)
    assert document.kind == "odt"
    assert document.title == "Boiler Guide"
    assert [(b.text, b.heading) for b in document.blocks] == [
        ("Intro with spaces and a\nbreak.", ("Boiler Guide",)),
        ("Turn it on slowly.", ("Boiler Guide", "Setup")),
        ("Carefully.", ("Boiler Guide", "Setup")),
        ("First step", ("Boiler Guide", "Setup")),
        ("Pump", ("Boiler Guide", "Setup", "Parts")),
        ("Bleed the radiators.", ("Boiler Guide", "Care")),
    ]
    headings = ["Boiler Guide", "Setup", "Parts", "Care"]
    units = [b.text for b in document.blocks]
    joined = "\n\n".join(
        [
            headings[0],
            units[0],
            headings[1],
            *units[1:4],
            headings[2],
            units[4],
            headings[3],
            units[5],
        ]
    )
    check_blocks(document, joined)


def test_meta_title_wins(tmp_path):
    assert parse_file(make_odt(tmp_path, meta="Official Title")).title == "Official Title"


def test_empty_document(tmp_path):
    with pytest.raises(SkippedFile):
        parse_file(
            make_odt(tmp_path, "<office:body><office:text><text:p/></office:text></office:body>")
        )


def test_password_protected(tmp_path):
    manifest = MANIFEST.replace("/>", "><manifest:encryption-data/></manifest:file-entry>", 1)
    with pytest.raises(ParseError) as caught:
        parse_file(make_odt(tmp_path, manifest=manifest, content="\x00\x01 encrypted bytes"))
    assert caught.value.reason == "password-protected (encrypted) ODT file"


def test_bad_xml(tmp_path):
    with pytest.raises(ParseError) as caught:
        parse_file(make_odt(tmp_path, content=content("<office:body><text:p>open")))
    assert caught.value.reason.startswith("damaged ODT: bad XML in content.xml (")


def test_missing_content(tmp_path):
    path = tmp_path / "hollow.odt"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason == "damaged ODT: content.xml missing"


def test_entity_expansion_is_refused(tmp_path, billion_laughs):
    with pytest.raises(ParseError) as caught:
        parse_file(make_odt(tmp_path, content=billion_laughs.decode()))
    assert caught.value.reason == (
        "refused ODT: content.xml declares XML entities (possible entity-expansion attack)"
    )


def test_truncated_and_bomb(tmp_path):
    path = make_odt(
        tmp_path,
        "<office:body><office:text><text:p>"
        + "word " * 400_000
        + "</text:p></office:text></office:body>",
    )
    with pytest.raises(ParseError) as caught:
        parse_file(path, max_bytes=1_000_000)
    assert caught.value.reason.endswith(" when uncompressed")
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason == "damaged ODT: not a valid zip archive"
