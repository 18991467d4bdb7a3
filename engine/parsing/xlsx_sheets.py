"""Excel .xlsx/.xlsm: one page per worksheet, one block per row (see tables.py).

Read with openpyxl in read-only, values-only mode (the values Excel last calculated, not
formulas), streaming rows so that a huge sheet is never held in memory: a `TableBudget`
stops at a row and cell cap and leaves a warning. Page numbers count worksheets in tab order
(chart sheets have no cells and are left out); the heading is the sheet's name. The archive's
declared sizes are checked before openpyxl opens it, and openpyxl parses through defusedxml
when that is installed, as it is here, so entity-expansion XML is refused.
"""

from __future__ import annotations

import datetime as dt
import io
import warnings
from typing import Any

import defusedxml

from engine.errors import ParseError
from engine.parsing.archive import hostile_xml_reason, open_archive
from engine.parsing.document import Block, ParsedDocument
from engine.parsing.limits import short_cause
from engine.parsing.tables import SheetBlocks, TableBudget
from engine.parsing.textio import clean_inline

_LABEL = "XLSX"
_EXACT_INTEGER = 2**53  # floats below this print exactly as integers


def parse_xlsx(path: str, data: bytes, max_bytes: int) -> ParsedDocument:
    """Parse an .xlsx workbook into row blocks, one page per worksheet."""
    open_archive(path, data, max_bytes, _LABEL).close()  # size and encryption checks
    import openpyxl  # deferred: only workbooks need it

    budget = TableBudget()
    blocks: list[Block] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about every unsupported extension
        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:
            raise ParseError(path, _reason(exc)) from exc
        try:
            for page, worksheet in enumerate(workbook.worksheets, start=1):
                blocks.extend(_sheet_blocks(worksheet, page, budget))
                if budget.exhausted:
                    break
            sheets = len(workbook.worksheets)
            title = clean_inline(workbook.properties.title or "") or None
        except ParseError:
            raise
        except Exception as exc:
            raise ParseError(path, _reason(exc)) from exc
        finally:
            workbook.close()
    return ParsedDocument(
        path=path,
        kind="xlsx",
        blocks=tuple(blocks),
        pages=sheets,
        title=title,
        warnings=tuple(budget.warnings),
    )


def _sheet_blocks(worksheet: Any, page: int, budget: TableBudget) -> list[Block]:
    worksheet.reset_dimensions()  # the stored dimensions may lie; rows are padded to them
    sheet = SheetBlocks(str(worksheet.title), page, budget)
    for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1):
        if not sheet.add_row(number, [cell_text(value) for value in row]):
            break
    return sheet.finish()


def cell_text(value: object) -> str:
    """A cell value as a person reads it: 1200 not 1200.0, dates without a midnight time."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < _EXACT_INTEGER:
            return str(int(value))
        return format(value, ".15g")
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _reason(exc: BaseException) -> str:
    cause: BaseException | None = exc
    while cause is not None:  # openpyxl re-raises what went wrong as a ValueError
        if isinstance(cause, defusedxml.DefusedXmlException):
            return hostile_xml_reason("an XML part", _LABEL)
        cause = cause.__cause__ or cause.__context__
    return f"damaged {_LABEL}: {_cause(exc)}"


def _cause(exc: BaseException) -> str:
    if isinstance(exc, KeyError):  # a part the workbook lists is missing from the archive
        return f"missing part {exc}"
    return short_cause(exc)
