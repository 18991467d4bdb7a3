"""Rows of a table (spreadsheet sheet, CSV file) turned into citable blocks.

Shared by the xlsx, ods and csv parsers. Choice: one block per non-empty row, never several
rows per block, so that every hit names one sheet and one row. A row is rendered with its
column names, "Row 12 — Item: Boiler, Cost: 1,200", and `Block.line` is the row number as a
spreadsheet shows it (1-based, the header row included). Each sheet is one page; its
extracted text is its rendered rows joined by newlines, and block offsets point into it.

The header is the first of the opening rows whose cells are all words (no numbers or dates)
and that names at least two columns (one, in a one-column table); rows above it (a title, a
note) are kept as plain rows. Without such a row, values are listed without names. A
`TableBudget` shared by all sheets of a document caps how many rows and cells are read, so a
huge or hostile sheet is cut short with a warning instead of filling memory.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from engine.parsing.document import Block
from engine.parsing.textio import clean_inline

MAX_TABLE_ROWS = 100_000  # non-empty rows turned into blocks, per document
MAX_TABLE_CELLS = 2_000_000  # cells looked at, empty ones included, per document
MAX_SCANNED_ROWS = 3_000_000  # rows walked, empty ones included (Excel has 1,048,576)
HEADER_LOOKAHEAD = 20  # opening non-empty rows considered when looking for the header
ROW_SEPARATOR = " — "
_NOT_A_NAME = re.compile(r"^[\s\d.,:;/%+\-()€$£¥'\"]*$")  # numbers, dates, amounts


def column_letter(index: int) -> str:
    """Spreadsheet column name of a 0-based index: 0 -> A, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


@dataclass
class TableBudget:
    """Rows and cells left to read for one document; records why reading stopped."""

    max_rows: int = MAX_TABLE_ROWS
    max_cells: int = MAX_TABLE_CELLS
    max_scanned: int = MAX_SCANNED_ROWS
    rows: int = 0
    cells: int = 0
    scanned: int = 0
    warnings: list[str] = field(default_factory=list)
    exhausted: bool = False

    def scan(self, width: int, sheet: str) -> bool:
        """Account for one row of `width` cells walked in `sheet`; False once over a cap."""
        if self.exhausted:
            return False
        self.scanned += 1
        self.cells += width
        if self.scanned > self.max_scanned or self.cells > self.max_cells:
            if self.scanned > self.max_scanned:
                return self._stop(_cut_short(f"{self.max_scanned:,} rows", sheet))
            return self._stop(_cut_short(f"{self.max_cells:,} cells", sheet))
        return True

    def keep_row(self, sheet: str) -> bool:
        """Account for one non-empty row kept; False once the row cap is reached."""
        if self.exhausted:
            return False
        if self.rows >= self.max_rows:
            return self._stop(_cut_short(f"{self.max_rows:,} rows with text", sheet))
        self.rows += 1
        return True

    def _stop(self, warning: str) -> bool:
        self.exhausted = True
        self.warnings.append(warning)
        return False


class SheetBlocks:
    """Collects one sheet's rows and renders them as blocks on one page."""

    def __init__(self, name: str, page: int, budget: TableBudget) -> None:
        self.name = name
        self.page = page
        self.budget = budget
        self.blocks: list[Block] = []
        self._pending: list[tuple[int, list[str]]] = []
        self._header: list[str] | None = None
        self._decided = False
        self._pos = 0

    @property
    def heading(self) -> tuple[str, ...]:
        return (self.name,) if self.name else ()

    def add_row(self, number: int, values: Sequence[str]) -> bool:
        """Add row `number` (1-based) of cell texts; False when the budget says stop."""
        if not self.budget.scan(len(values), self.name):
            return False
        cells = [clean_inline(value) for value in values]
        while cells and not cells[-1]:
            cells.pop()
        if not any(cells):
            return True
        if not self.budget.keep_row(self.name):
            return False
        if self._decided:
            self._emit(number, cells)
            return True
        self._pending.append((number, cells))
        if len(self._pending) >= HEADER_LOOKAHEAD:
            self._decide()
        return True

    def finish(self) -> list[Block]:
        """Render rows still held back for header detection; return the sheet's blocks."""
        if not self._decided:
            self._decide()
        return self.blocks

    def _decide(self) -> None:
        self._decided = True
        pending, self._pending = self._pending, []
        header_at = _header_index([cells for _, cells in pending])
        for index, (number, cells) in enumerate(pending):
            if index == header_at and len(pending) > index + 1:
                self._header = cells
            else:
                self._emit(number, cells)

    def _emit(self, number: int, cells: list[str]) -> None:
        text = f"Row {number}{ROW_SEPARATOR}{self._render(cells)}"
        self.blocks.append(
            Block(text, self._pos, self._pos + len(text), self.page, self.heading, number)
        )
        self._pos += len(text) + 1  # the "\n" joining rows

    def _render(self, cells: list[str]) -> str:
        header = self._header
        if header is None:
            return ", ".join(cell for cell in cells if cell)
        parts = []
        for index, cell in enumerate(cells):
            if cell:
                name = header[index] if index < len(header) and header[index] else None
                parts.append(f"{name or column_letter(index)}: {cell}")
        return ", ".join(parts)


def _cut_short(limit: str, sheet: str) -> str:
    where = f" (in {sheet!r})" if sheet else ""
    return f"stopped reading after {limit}{where}: the rest is not indexed"


def _header_index(rows: list[list[str]]) -> int | None:
    """Index of the row that names the columns, or None when the table has no header."""
    if not rows:
        return None
    widest = max(sum(1 for cell in cells if cell) for cells in rows)
    wanted = min(2, widest)
    for index, cells in enumerate(rows):
        filled = [cell for cell in cells if cell]
        if len(filled) >= wanted and not any(_NOT_A_NAME.match(cell) for cell in filled):
            return index
    return None
