"""PPTX written with python-pptx: slides as pages, titles as headings, notes, damage."""

from __future__ import annotations

from pathlib import Path

import pytest
from pptx import Presentation
from pptx.util import Inches

from engine.errors import ParseError, SkippedFile
from engine.parsing import is_supported, parse_file

TITLE_AND_CONTENT = 1
TITLE_ONLY = 5
BLANK = 6


def make_deck(tmp_path: Path, name: str = "plan.pptx") -> Path:
    deck = Presentation()
    first = deck.slides.add_slide(deck.slide_layouts[TITLE_AND_CONTENT])
    first.shapes.title.text = "Boiler  plan"
    body = first.placeholders[1].text_frame
    body.text = "Replace in March"
    body.add_paragraph().text = ""
    body.add_paragraph().text = "Budget 1,200"
    table = first.shapes.add_table(2, 2, Inches(1), Inches(4), Inches(4), Inches(1)).table
    for (row, column), text in {(0, 0): "Item", (0, 1): "Cost", (1, 0): "Pump"}.items():
        table.cell(row, column).text = text
    first.notes_slide.notes_text_frame.text = "Mention the warranty.\nAsk about dates."

    divider = deck.slides.add_slide(deck.slide_layouts[TITLE_ONLY])
    divider.shapes.title.text = "Questions"

    untitled = deck.slides.add_slide(deck.slide_layouts[BLANK])
    group = untitled.shapes.add_group_shape()
    box = group.shapes.add_textbox(Inches(1), Inches(1), Inches(3), Inches(1))
    box.text_frame.text = "Inside a group"
    untitled.notes_slide.notes_text_frame.text = "Untitled notes"
    path = tmp_path / name
    deck.save(path)
    return path


def test_slides_are_pages_with_titles_as_headings_and_notes(tmp_path, check_blocks):
    path = make_deck(tmp_path)
    document = parse_file(path)

    assert is_supported(path)
    assert document.kind == "pptx"
    assert document.pages == 3
    assert document.title == "Boiler plan"  # no core title: the first slide's
    assert [(b.text, b.page, b.heading) for b in document.blocks] == [
        ("Replace in March\nBudget 1,200", 1, ("Boiler plan",)),
        ("Item | Cost", 1, ("Boiler plan",)),
        ("Pump", 1, ("Boiler plan",)),
        ("Mention the warranty.", 1, ("Boiler plan", "Notes")),
        ("Ask about dates.", 1, ("Boiler plan", "Notes")),
        ("Questions", 2, ("Questions",)),
        ("Inside a group", 3, ()),
        ("Untitled notes", 3, ("Notes",)),
    ]
    check_blocks(document)
    first_slide = "\n\n".join(["Boiler plan", *(b.text for b in document.blocks if b.page == 1)])
    for block in document.blocks[:5]:
        assert first_slide[block.start : block.end] == block.text


def test_core_title_wins(tmp_path):
    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[TITLE_ONLY])
    slide.shapes.title.text = "Slide title"
    deck.core_properties.title = "Deck title"
    deck.save(tmp_path / "titled.pptx")
    assert parse_file(tmp_path / "titled.pptx").title == "Deck title"


def test_deck_without_text(tmp_path):
    deck = Presentation()
    deck.slides.add_slide(deck.slide_layouts[BLANK])
    deck.save(tmp_path / "blank.pptx")
    with pytest.raises(SkippedFile):
        parse_file(tmp_path / "blank.pptx")


def test_not_a_zip(tmp_path):
    path = tmp_path / "fake.pptx"
    path.write_text("slides go here")
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason == "damaged PPTX: not a valid zip archive"


def test_truncated(tmp_path):
    path = make_deck(tmp_path)
    path.write_bytes(path.read_bytes()[:-200])
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason == "damaged PPTX: not a valid zip archive"


def test_password_protected(tmp_path):
    path = tmp_path / "secret.pptx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000))
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason == "password-protected (encrypted) or legacy binary PPTX file"


def test_missing_slide_part(tmp_path, rezip):
    path = rezip(make_deck(tmp_path), tmp_path / "holes.pptx", {}, drop=("ppt/slides/slide1.xml",))
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason.startswith("damaged PPTX: ")


def test_another_office_document_renamed(tmp_path):
    import openpyxl

    openpyxl.Workbook().save(tmp_path / "sheet.pptx")
    with pytest.raises(ParseError) as caught:
        parse_file(tmp_path / "sheet.pptx")
    assert caught.value.reason == "damaged PPTX: not a PowerPoint presentation"


def test_bad_xml(tmp_path, rezip):
    path = rezip(make_deck(tmp_path), tmp_path / "bad.pptx", {"ppt/slides/slide2.xml": "<p:sld"})
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason.startswith("damaged PPTX: ")


def test_entity_expansion_is_refused(tmp_path, rezip, billion_laughs):
    path = rezip(
        make_deck(tmp_path), tmp_path / "lol.pptx", {"ppt/slides/slide2.xml": billion_laughs}
    )
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason == (
        "refused PPTX: ppt/slides/slide2.xml declares XML entities "
        "(possible entity-expansion attack)"
    )


def test_zip_bomb_is_refused_before_reading(tmp_path, rezip):
    path = rezip(
        make_deck(tmp_path), tmp_path / "bomb.pptx", {"ppt/media/pad.bin": bytes(3_000_000)}
    )
    with pytest.raises(ParseError) as caught:
        parse_file(path, max_bytes=1_000_000)
    assert caught.value.reason.startswith("too large (")
    assert caught.value.reason.endswith(" when uncompressed")
