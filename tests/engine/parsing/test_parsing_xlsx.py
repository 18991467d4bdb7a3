"""XLSX written with openpyxl: one page per sheet, one block per row, caps and damage."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path

import openpyxl
import pytest

from engine.errors import ParseError, SkippedFile
from engine.parsing import is_supported, parse_file, tables, xlsx_sheets


def make_workbook(tmp_path: Path, name: str = "budget.xlsx") -> Path:
    workbook = openpyxl.Workbook()
    costs = workbook.active
    costs.title = "Costs"
    costs.append(["House budget 2024"])
    costs.append(["Item", "Cost", "Due"])
    costs.append(["Boiler", 1200.0, dt.datetime(2024, 3, 1)])
    costs.append(["Roof tiles", 350.5, None])
    costs["A7"] = "Gutters"
    costs["C7"] = True
    notes = workbook.create_sheet("Notes")
    notes.append(["Ask the plumber about the warranty."])
    workbook.properties.title = "House"
    path = tmp_path / name
    workbook.save(path)
    return path


def test_rows_render_with_header_names_one_page_per_sheet(tmp_path, check_blocks):
    path = make_workbook(tmp_path)
    document = parse_file(path)

    assert is_supported(path)
    assert document.kind == "xlsx"
    assert document.title == "House"
    assert document.pages == 2
    assert document.warnings == ()
    assert [(b.text, b.page, b.heading, b.line) for b in document.blocks] == [
        ("Row 1 — House budget 2024", 1, ("Costs",), 1),
        ("Row 3 — Item: Boiler, Cost: 1200, Due: 2024-03-01", 1, ("Costs",), 3),
        ("Row 4 — Item: Roof tiles, Cost: 350.5", 1, ("Costs",), 4),
        ("Row 7 — Item: Gutters, Due: TRUE", 1, ("Costs",), 7),
        ("Row 1 — Ask the plumber about the warranty.", 2, ("Notes",), 1),
    ]
    costs = "\n".join(b.text for b in document.blocks if b.page == 1)
    check_blocks(document)
    for block in document.blocks[:4]:
        assert costs[block.start : block.end] == block.text


def test_sheet_without_a_header_lists_values(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append([2021, 14.25])
    workbook.active.append([2022, 15])
    workbook.save(tmp_path / "numbers.xlsx")

    document = parse_file(tmp_path / "numbers.xlsx")

    assert [b.text for b in document.blocks] == ["Row 1 — 2021, 14.25", "Row 2 — 2022, 15"]


def test_missing_header_names_fall_back_to_column_letters(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.append(["Name", None, "Town"])
    workbook.active.append(["Ada", "x", "London"])
    workbook.save(tmp_path / "gaps.xlsx")

    document = parse_file(tmp_path / "gaps.xlsx")

    assert [b.text for b in document.blocks] == ["Row 2 — Name: Ada, B: x, Town: London"]


def test_row_cap_stops_with_a_warning(tmp_path, monkeypatch):
    workbook = openpyxl.Workbook()
    for number in range(50):
        workbook.active.append(["Item", number])
    workbook.save(tmp_path / "long.xlsx")
    monkeypatch.setattr(
        xlsx_sheets, "TableBudget", functools.partial(tables.TableBudget, max_rows=10)
    )

    document = parse_file(tmp_path / "long.xlsx")

    assert len(document.blocks) == 10
    assert document.warnings == (
        "stopped reading after 10 rows with text (in 'Sheet'): the rest is not indexed",
    )


def test_far_away_cell_cannot_make_the_parser_walk_forever(tmp_path, monkeypatch):
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = 2024
    workbook.active["A1048576"] = "last"
    workbook.active["XFD2"] = "wide"
    workbook.save(tmp_path / "sparse.xlsx")
    monkeypatch.setattr(
        xlsx_sheets, "TableBudget", functools.partial(tables.TableBudget, max_scanned=1000)
    )

    document = parse_file(tmp_path / "sparse.xlsx")

    assert [b.text for b in document.blocks] == ["Row 1 — 2024", "Row 2 — wide"]
    assert document.warnings == (
        "stopped reading after 1,000 rows (in 'Sheet'): the rest is not indexed",
    )


def test_empty_workbook_has_no_text(tmp_path):
    openpyxl.Workbook().save(tmp_path / "empty.xlsx")
    with pytest.raises(SkippedFile):
        parse_file(tmp_path / "empty.xlsx")


def test_not_a_zip(tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_bytes(b"Item,Cost\nBoiler,1200\n")
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason == "damaged XLSX: not a valid zip archive"


def test_truncated_workbook(tmp_path):
    path = make_workbook(tmp_path)
    path.write_bytes(path.read_bytes()[:1500])
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason == "damaged XLSX: not a valid zip archive"


def test_password_protected_workbook(tmp_path):
    path = tmp_path / "secret.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4000))
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason == "password-protected (encrypted) or legacy binary XLSX file"


def test_missing_workbook_part(tmp_path, rezip):
    source = make_workbook(tmp_path)
    path = rezip(source, tmp_path / "broken.xlsx", {}, drop=("xl/workbook.xml",))
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason.startswith("damaged XLSX: ")
    assert not isinstance(caught.value, SkippedFile)


def test_bad_xml_in_a_sheet(tmp_path, rezip):
    source = make_workbook(tmp_path)
    path = rezip(source, tmp_path / "bad.xlsx", {"xl/worksheets/sheet1.xml": "<worksheet><x"})
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason.startswith("damaged XLSX: ")


def test_entity_expansion_is_refused(tmp_path, rezip, billion_laughs):
    source = make_workbook(tmp_path)
    path = rezip(source, tmp_path / "lol.xlsx", {"xl/worksheets/sheet1.xml": billion_laughs})
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason == (
        "refused XLSX: an XML part declares XML entities (possible entity-expansion attack)"
    )


def test_zip_bomb_is_refused_before_reading(tmp_path, rezip):
    source = make_workbook(tmp_path)
    path = rezip(source, tmp_path / "bomb.xlsx", {"xl/media/padding.bin": bytes(3_000_000)})
    assert path.stat().st_size < 100_000
    with pytest.raises(ParseError) as caught:
        parse_file(path, max_bytes=1_000_000)
    assert caught.value.reason.startswith("too large (2.9 MB, limit 976.6 KB)")
    assert caught.value.reason.endswith(" when uncompressed")


def test_encrypted_zip_member_is_refused(tmp_path):
    source = make_workbook(tmp_path)
    data = bytearray(source.read_bytes())
    central = data.find(b"PK\x01\x02")  # the first member's central directory entry
    data[central + 8] |= 1  # its general-purpose flags: encrypted
    path = tmp_path / "zipcrypto.xlsx"
    path.write_bytes(bytes(data))
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason == "password-protected (encrypted) XLSX file"
