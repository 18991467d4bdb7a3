"""RTF written by hand: paragraphs, escapes, title, pictures, damage."""

from __future__ import annotations

import pytest

from engine.errors import ParseError, SkippedFile
from engine.parsing import is_supported, parse_file

DOCUMENT = (
    r"{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Arial;}}{\info{\title Boiler notes}}"
    r"{\pict\pngblip 89504e470d0a1a0a}"
    r"\pard Caf\'e9 au lait\par\par  Second para\line same para \u8364? euro\par}"
)


def test_paragraphs_escapes_and_title(tmp_path, check_blocks):
    path = tmp_path / "notes.rtf"
    path.write_text(DOCUMENT, encoding="ascii")

    document = parse_file(path)

    assert is_supported(path)
    assert document.kind == "rtf"
    assert document.title == "Boiler notes"
    assert [(b.text, b.page, b.heading, b.line) for b in document.blocks] == [
        ("Café au lait", None, (), None),
        ("Second para", None, (), None),
        ("same para € euro", None, (), None),
    ]
    check_blocks(document)


def test_not_rtf(tmp_path):
    path = tmp_path / "fake.rtf"
    path.write_text("plain words pretending")
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason == "damaged RTF: does not start with {\\rtf"


def test_truncated_rtf_keeps_its_text(tmp_path):
    path = tmp_path / "cut.rtf"
    path.write_text(DOCUMENT[: DOCUMENT.index(r"\line")])
    assert [b.text for b in parse_file(path).blocks] == ["Café au lait", "Second para"]


def test_markup_only(tmp_path):
    path = tmp_path / "empty.rtf"
    path.write_text(r"{\rtf1\ansi{\fonttbl{\f0 Arial;}}\pard\par}")
    with pytest.raises(SkippedFile):
        parse_file(path)


def test_oversized(tmp_path):
    path = tmp_path / "big.rtf"
    path.write_text(r"{\rtf1 " + "word " * 300_000 + "}")
    with pytest.raises(ParseError) as caught:
        parse_file(path, max_bytes=1_000_000)
    assert caught.value.reason.startswith("too large (")
