"""CSV and TSV: one block per row, rendered with the header's column names (see tables.py).

Read with the standard library's csv module after the same decoding as plain text. The
delimiter is a tab for .tsv and sniffed among , ; tab and | for .csv. The whole file is one
page (page 1) with no heading; `Block.line` is the row number as a spreadsheet shows it.
A file the csv module cannot split (a runaway quote swallowing the rest of the file, say)
is indexed as plain text instead, with a warning, since its words are still worth finding.
"""

from __future__ import annotations

import csv
import io

from engine.parsing.document import ParsedDocument
from engine.parsing.limits import short_cause
from engine.parsing.tables import SheetBlocks, TableBudget
from engine.parsing.text import parse_text
from engine.parsing.textio import decode_text

_SNIFF_CHARS = 16_384
_CANDIDATE_DELIMITERS = ",;\t|"


def parse_delimited(path: str, data: bytes, *, tab_separated: bool = False) -> ParsedDocument:
    """Parse CSV/TSV bytes into one block per non-empty row."""
    text = decode_text(data)
    delimiter = "\t" if tab_separated else sniff_delimiter(text)
    budget = TableBudget()
    sheet = SheetBlocks("", 1, budget)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, row in enumerate(reader, start=1):
            if not sheet.add_row(number, row):
                break
    except csv.Error as exc:
        document = parse_text(path, text, "csv")
        warning = f"not readable as a table ({short_cause(exc)}); indexed as plain text"
        return ParsedDocument(path=path, kind="csv", blocks=document.blocks, warnings=(warning,))
    blocks = tuple(sheet.finish())
    return ParsedDocument(
        path=path, kind="csv", blocks=blocks, pages=1, warnings=tuple(budget.warnings)
    )


def sniff_delimiter(text: str) -> str:
    """The delimiter a CSV most likely uses; a comma when the sample does not tell."""
    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # whole lines only
    try:
        return csv.Sniffer().sniff(sample, delimiters=_CANDIDATE_DELIMITERS).delimiter
    except csv.Error:
        return ","
