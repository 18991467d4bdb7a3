"""OpenDocument spreadsheets (.ods): one page per sheet, one block per row (see tables.py).

content.xml is streamed (see odf.py) one table:table-row at a time, and each row is dropped
once read. Rows and cells that ODF stores once with a repeat count are expanded only when
they hold text (an empty row repeated a million times, as LibreOffice writes at the end of
a sheet, costs nothing), and never past `MAX_COLUMNS` columns or the `TableBudget`'s caps.
A cell's text is what the spreadsheet displays (its paragraphs); page numbers count sheets
in tab order and the heading is the sheet's name.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from engine.parsing.document import Block, ParsedDocument
from engine.parsing.odf import (
    OFFICE,
    TABLE,
    document_title,
    open_odf,
    paragraphs_within,
    repeat_count,
    stream_content,
)
from engine.parsing.tables import SheetBlocks, TableBudget

_LABEL = "ODS"
MAX_COLUMNS = 1024  # cells right of this are not read
_CELLS = frozenset({TABLE + "table-cell", TABLE + "covered-table-cell"})


def parse_ods(path: str, data: bytes, max_bytes: int) -> ParsedDocument:
    """Parse an .ods workbook into row blocks, one page per sheet."""
    budget = TableBudget()
    blocks: list[Block] = []
    sheet: SheetBlocks | None = None
    sheets = 0
    row_number = 0
    with open_odf(path, data, max_bytes, _LABEL) as archive:
        open_elements: list[ET.Element] = []
        for event, element in stream_content(path, archive, _LABEL):
            if event == "start":
                open_elements.append(element)
                if element.tag == TABLE + "table" and sheet is None:
                    sheets += 1
                    sheet = SheetBlocks(element.get(TABLE + "name", ""), sheets, budget)
                    row_number = 0
                continue
            open_elements.pop()
            if element.tag == TABLE + "table-row" and sheet is not None:
                if not budget.exhausted:
                    row_number = _add_rows(sheet, element, row_number)
                if open_elements:
                    open_elements[-1].remove(element)  # read: let it go
            elif (
                element.tag == TABLE + "table"
                and sheet is not None
                and not any(e.tag == TABLE + "table" for e in open_elements)  # not nested
            ):
                blocks.extend(sheet.finish())
                sheet = None
        title = document_title(path, archive, _LABEL)
    return ParsedDocument(
        path=path,
        kind="ods",
        blocks=tuple(blocks),
        pages=sheets,
        title=title,
        warnings=tuple(budget.warnings),
    )


def _add_rows(sheet: SheetBlocks, row: ET.Element, row_number: int) -> int:
    """Add one table-row (repeated as ODF says); return the number of the last row."""
    values = _row_values(row)
    repeats = repeat_count(row, "number-rows-repeated")
    if not any(values):
        return row_number + repeats
    for _ in range(repeats):
        row_number += 1
        if not sheet.add_row(row_number, values):
            break
    return row_number


def _row_values(row: ET.Element) -> list[str]:
    values: list[str] = []
    column = 0
    for cell in row:
        if cell.tag not in _CELLS or column >= MAX_COLUMNS:
            continue
        repeats = repeat_count(cell, "number-columns-repeated")
        text = " ".join(paragraphs_within(cell)) or cell.get(OFFICE + "value", "")
        if text:
            values.extend([""] * (column - len(values)))
            values.extend([text] * min(repeats, MAX_COLUMNS - column))
        column += repeats
    return values
