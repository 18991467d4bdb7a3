"""ODS built by hand with zipfile: sheets as pages, repeated rows and cells, caps, damage."""

from __future__ import annotations

import functools
import zipfile
from pathlib import Path

import pytest

from engine.errors import ParseError
from engine.parsing import is_supported, ods, parse_file, tables

NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
)


def cell(text: str = "", repeat: int = 1, value: str | None = None) -> str:
    attributes = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    if value is not None:
        attributes += f' office:value-type="float" office:value="{value}"'
    body = f"<text:p>{text}</text:p>" if text else ""
    return f"<table:table-cell{attributes}>{body}</table:table-cell>"


def row(*cells: str, repeat: int = 1) -> str:
    attributes = f' table:number-rows-repeated="{repeat}"' if repeat > 1 else ""
    return f"<table:table-row{attributes}>{''.join(cells)}</table:table-row>"


def sheet(name: str, *rows: str) -> str:
    return f'<table:table table:name="{name}">{"".join(rows)}</table:table>'


def make_ods(tmp_path: Path, *sheets: str, name: str = "book.ods") -> Path:
    content = (
        f'<?xml version="1.0"?><office:document-content {NAMESPACES}><office:body>'
        f"<office:spreadsheet>{''.join(sheets)}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", content)
    return path


COSTS = sheet(
    "Costs",
    row(cell("Item"), cell("Cost")),
    row(cell("Boiler"), cell("1,200.00 €", value="1200")),
    row(cell(), repeat=3),
    row(cell("Pipe"), cell(repeat=2), cell("spare"), repeat=2),
    row(cell(), repeat=1_048_000),
)


def test_rows_sheets_and_repeats(tmp_path, check_blocks):
    path = make_ods(tmp_path, COSTS, sheet("Notes", row(cell("Call Tuesday"))))
    document = parse_file(path)

    assert is_supported(path)
    assert document.kind == "ods"
    assert document.pages == 2
    assert [(b.text, b.page, b.heading, b.line) for b in document.blocks] == [
        ("Row 2 — Item: Boiler, Cost: 1,200.00 €", 1, ("Costs",), 2),
        ("Row 6 — Item: Pipe, D: spare", 1, ("Costs",), 6),
        ("Row 7 — Item: Pipe, D: spare", 1, ("Costs",), 7),
        ("Row 1 — Call Tuesday", 2, ("Notes",), 1),
    ]
    check_blocks(document)


def test_value_is_used_when_a_cell_shows_no_text(tmp_path):
    document = parse_file(make_ods(tmp_path, sheet("S", row(cell(value="42"), cell(value="7")))))
    assert [b.text for b in document.blocks] == ["Row 1 — 42, 7"]


def test_huge_repeats_stop_at_the_caps(tmp_path, monkeypatch):
    monkeypatch.setattr(ods, "TableBudget", functools.partial(tables.TableBudget, max_rows=5))
    path = make_ods(tmp_path, sheet("Big", row(cell("7", repeat=1_000_000), repeat=1_000_000)))
    document = parse_file(path)
    assert [b.line for b in document.blocks] == [1, 2, 3, 4, 5]
    assert document.blocks[0].text == "Row 1 — " + ", ".join(["7"] * ods.MAX_COLUMNS)
    assert document.warnings == (
        "stopped reading after 5 rows with text (in 'Big'): the rest is not indexed",
    )


def test_entity_expansion_is_refused(tmp_path, billion_laughs):
    path = tmp_path / "lol.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("content.xml", billion_laughs)
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason.startswith("refused ODS: content.xml declares XML entities")


def test_damaged_truncated_and_bomb(tmp_path):
    path = make_ods(tmp_path, sheet("S", row(cell("y" * 3_000_000))))
    with pytest.raises(ParseError) as caught:
        parse_file(path, max_bytes=1_000_000)
    assert caught.value.reason.endswith(" when uncompressed")
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason == "damaged ODS: not a valid zip archive"
