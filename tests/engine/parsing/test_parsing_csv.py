"""CSV and TSV with the stdlib csv module: header names, row numbers, delimiters, fallbacks."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from engine.errors import SkippedFile
from engine.parsing import delimited, is_supported, parse_file, tables


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_rows_carry_header_names_and_row_numbers(tmp_path, check_blocks):
    source = 'Item,Cost\nBoiler,"1,200"\n\n"Roof\ntiles",350\n'
    path = write(tmp_path, "costs.csv", source)

    document = parse_file(path)

    assert is_supported(path)
    assert document.kind == "csv"
    assert document.pages == 1
    assert [(b.text, b.page, b.heading, b.line) for b in document.blocks] == [
        ("Row 2 — Item: Boiler, Cost: 1,200", 1, (), 2),
        ("Row 4 — Item: Roof tiles, Cost: 350", 1, (), 4),
    ]
    check_blocks(document)  # `line` is the row number, not a line of the rendered rows
    rendered = "\n".join(b.text for b in document.blocks)
    assert all(rendered[b.start : b.end] == b.text for b in document.blocks)


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("semicolons.csv", "Name;Town\nAda;London\nAlan;Wilmslow\n"),
        ("tabs.tsv", "Name\tTown\nAda\tLondon\nAlan\tWilmslow\n"),
        ("pipes.csv", "Name|Town\nAda|London\nAlan|Wilmslow\n"),
    ],
)
def test_delimiters(tmp_path, name, source):
    document = parse_file(write(tmp_path, name, source))
    assert [b.text for b in document.blocks] == [
        "Row 2 — Name: Ada, Town: London",
        "Row 3 — Name: Alan, Town: Wilmslow",
    ]


def test_windows_1252_and_title_rows(tmp_path):
    source = "Café accounts\r\nWhat,Amount\r\nCroissant,2.50\r\n"
    document = parse_file(write(tmp_path, "cafe.csv", source, "cp1252"))
    assert [b.text for b in document.blocks] == [
        "Row 1 — Café accounts",
        "Row 3 — What: Croissant, Amount: 2.50",
    ]


def test_numbers_only_means_no_header(tmp_path):
    document = parse_file(write(tmp_path, "readings.csv", "1,2.5\n2,3.5\n"))
    assert [b.text for b in document.blocks] == ["Row 1 — 1, 2.5", "Row 2 — 2, 3.5"]


def test_row_cap_stops_with_a_warning(tmp_path, monkeypatch):
    source = "n,square\n" + "".join(f"{n},{n * n}\n" for n in range(100))
    monkeypatch.setattr(delimited, "TableBudget", functools.partial(tables.TableBudget, max_rows=5))
    document = parse_file(write(tmp_path, "squares.csv", source))
    assert len(document.blocks) == 4  # the header row counts as a row read
    assert document.warnings == ("stopped reading after 5 rows with text: the rest is not indexed",)


def test_unsplittable_file_falls_back_to_plain_text(tmp_path, monkeypatch):
    monkeypatch.setattr(delimited.csv, "field_size_limit", lambda: 10, raising=False)
    source = 'a,b\n"' + "x" * 200_000 + "\n\nend of file\n"
    document = parse_file(write(tmp_path, "runaway.csv", source))
    assert document.kind == "csv"
    assert document.blocks[-1].text == "end of file"
    assert document.warnings[0].startswith("not readable as a table (field larger than")
    assert document.warnings[0].endswith("); indexed as plain text")


def test_empty_rows_only_means_no_text(tmp_path):
    with pytest.raises(SkippedFile):
        parse_file(write(tmp_path, "blank.csv", ",,\n,,\n"))


def test_binary_content_is_skipped(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(SkippedFile) as caught:
        parse_file(path)
    assert caught.value.reason == "binary file"
