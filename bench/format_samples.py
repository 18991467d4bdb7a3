"""Generated sample files, one per format, for bench/file_formats.py: SQuAD paragraphs
written with each format's own library where it has a writer (python-pptx, openpyxl, the
standard `email` and `csv` modules) and as minimal valid packages otherwise (ODF, EPUB,
RTF). Each sample holds `units` pages, slides, sheets, chapters or messages."""

from __future__ import annotations

import csv
import email.policy
import zipfile
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from xml.sax.saxutils import escape

import openpyxl
from pptx import Presentation
from pptx.util import Inches

Paragraphs = list[str]

SLIDES = 60
SHEETS = 4
ROWS_PER_SHEET = 2_500
CHAPTERS = 30
MESSAGES = 300
ODF = "urn:oasis:names:tc:opendocument:xmlns"
ODF_NAMESPACES = (
    f'xmlns:office="{ODF}:office:1.0" xmlns:text="{ODF}:text:1.0" '
    f'xmlns:table="{ODF}:table:1.0" xmlns:draw="{ODF}:drawing:1.0" '
    f'xmlns:presentation="{ODF}:presentation:1.0"'
)


def _take(paragraphs: Paragraphs, start: int, count: int) -> Paragraphs:
    return [paragraphs[(start + i) % len(paragraphs)] for i in range(count)]


def pptx(folder: Path, paragraphs: Paragraphs) -> tuple[Path, int]:
    deck = Presentation()
    for number in range(SLIDES):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = f"Slide {number + 1}"
        slide.placeholders[1].text_frame.text = paragraphs[number % len(paragraphs)][:600]
        slide.notes_slide.notes_text_frame.text = paragraphs[(number + 7) % len(paragraphs)]
        box = slide.shapes.add_textbox(Inches(1), Inches(6), Inches(8), Inches(1))
        box.text_frame.text = paragraphs[(number + 3) % len(paragraphs)][:200]
    path = folder / "deck.pptx"
    deck.save(path)
    return path, SLIDES


def _rows(paragraphs: Paragraphs, sheet: int) -> list[list[object]]:
    rows: list[list[object]] = [["Item", "Cost", "Notes"]]
    for row in range(ROWS_PER_SHEET):
        words = paragraphs[(sheet * ROWS_PER_SHEET + row) % len(paragraphs)].split()
        rows.append([" ".join(words[:3]), row * 3 + sheet, " ".join(words[3:15])])
    return rows


def xlsx(folder: Path, paragraphs: Paragraphs) -> tuple[Path, int]:
    book = openpyxl.Workbook(write_only=True)
    for sheet in range(SHEETS):
        worksheet = book.create_sheet(f"Sheet {sheet + 1}")
        for row in _rows(paragraphs, sheet):
            worksheet.append(row)
    path = folder / "book.xlsx"
    book.save(path)
    return path, SHEETS


def ods(folder: Path, paragraphs: Paragraphs) -> tuple[Path, int]:
    sheets = []
    for sheet in range(SHEETS):
        rows = "".join(
            "<table:table-row>"
            + "".join(
                f"<table:table-cell><text:p>{escape(str(value))}</text:p></table:table-cell>"
                for value in row
            )
            + "</table:table-row>"
            for row in _rows(paragraphs, sheet)
        )
        sheets.append(f'<table:table table:name="Sheet {sheet + 1}">{rows}</table:table>')
    body = f"<office:spreadsheet>{''.join(sheets)}</office:spreadsheet>"
    return _odf(folder / "book.ods", "spreadsheet", body), SHEETS


def csv_file(folder: Path, paragraphs: Paragraphs) -> tuple[Path, int]:
    path = folder / "table.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(_rows(paragraphs, 0))
    return path, 1


def odp(folder: Path, paragraphs: Paragraphs) -> tuple[Path, int]:
    pages = "".join(
        f'<draw:page draw:name="p{n}">'
        f'<draw:frame presentation:class="title"><draw:text-box><text:p>Slide {n}</text:p>'
        f'</draw:text-box></draw:frame><draw:frame presentation:class="outline">'
        f"<draw:text-box><text:p>{escape(paragraphs[n % len(paragraphs)][:600])}</text:p>"
        "</draw:text-box></draw:frame></draw:page>"
        for n in range(1, SLIDES + 1)
    )
    body = f"<office:presentation>{pages}</office:presentation>"
    return _odf(folder / "deck.odp", "presentation", body), SLIDES


def odt(folder: Path, paragraphs: Paragraphs) -> tuple[Path, int]:
    parts = []
    for chapter in range(CHAPTERS):
        parts.append(f'<text:h text:outline-level="1">Chapter {chapter + 1}</text:h>')
        parts.extend(
            f"<text:p>{escape(text)}</text:p>" for text in _take(paragraphs, chapter * 10, 10)
        )
    body = f"<office:text>{''.join(parts)}</office:text>"
    return _odf(folder / "guide.odt", "text", body), 1


def _odf(path: Path, kind: str, body: str) -> Path:
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODF_NAMESPACES}>'
        f"<office:body>{body}</office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "mimetype", f"application/vnd.oasis.opendocument.{kind}", zipfile.ZIP_STORED
        )
        archive.writestr("content.xml", content)
    return path


def epub(folder: Path, paragraphs: Paragraphs) -> tuple[Path, int]:
    path = folder / "book.epub"
    items = "".join(
        f'<item id="c{n}" href="c{n}.xhtml" media-type="application/xhtml+xml"/>'
        for n in range(CHAPTERS)
    )
    spine = "".join(f'<itemref idref="c{n}"/>' for n in range(CHAPTERS))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", "application/epub+zip", zipfile.ZIP_STORED)
        archive.writestr(
            "META-INF/container.xml",
            '<?xml version="1.0"?><container version="1.0" '
            'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
            '<rootfile full-path="content.opf" media-type="application/oebps-package+xml"/>'
            "</rootfiles></container>",
        )
        archive.writestr(
            "content.opf",
            '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" '
            'version="3.0"><metadata xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<dc:title>Sample book</dc:title></metadata><manifest>{items}</manifest>"
            f"<spine>{spine}</spine></package>",
        )
        for n in range(CHAPTERS):
            text = "".join(f"<p>{escape(p)}</p>" for p in _take(paragraphs, n * 10, 10))
            archive.writestr(
                f"c{n}.xhtml",
                '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Chapter</title>'
                f"</head><body><h1>Chapter {n + 1}</h1>{text}</body></html>",
            )
    return path, CHAPTERS


def rtf(folder: Path, paragraphs: Paragraphs) -> tuple[Path, int]:
    body = "".join(
        "{\\pard " + text.encode("ascii", "replace").decode().replace("\\", "") + "\\par}\n"
        for text in _take(paragraphs, 0, 300)
    )
    path = folder / "letter.rtf"
    path.write_text("{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}}\n" + body + "}")
    return path, 1


def _message(number: int, paragraphs: Paragraphs) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = f"Message {number}"
    message["From"] = "Ada <ada@example.org>"
    message["To"] = "bob@example.org"
    message["Date"] = "Tue, 05 Mar 2024 10:00:00 +0000"
    message.set_content("\n\n".join(_take(paragraphs, number * 3, 3)))
    return message


def mbox(folder: Path, paragraphs: Paragraphs) -> tuple[Path, int]:
    path = folder / "inbox.mbox"
    with open(path, "wb") as handle:
        for number in range(MESSAGES):
            handle.write(b"From ada@example.org Tue Mar  5 10:00:00 2024\n")
            raw = _message(number, paragraphs).as_bytes(policy=email.policy.default)
            handle.write(raw.replace(b"\nFrom ", b"\n>From ") + b"\n")
    return path, MESSAGES


def eml_with_attachments(folder: Path, paragraphs: Paragraphs) -> tuple[Path, int]:
    """One message carrying the .xlsx and .pptx samples as attachments."""
    message = _message(0, paragraphs)
    for sample, subtype in ((xlsx, "xlsx"), (pptx, "pptx")):
        attached, _ = sample(folder, paragraphs)
        message.add_attachment(
            attached.read_bytes(), maintype="application", subtype=subtype, filename=attached.name
        )
    path = folder / "quote.eml"
    path.write_bytes(message.as_bytes(policy=email.policy.default))
    return path, 1


SAMPLES: dict[str, tuple[str, Callable[[Path, Paragraphs], tuple[Path, int]]]] = {
    "pptx": ("slides", pptx),
    "odp": ("slides", odp),
    "xlsx": ("sheets", xlsx),
    "ods": ("sheets", ods),
    "csv": ("files", csv_file),
    "epub": ("chapters", epub),
    "odt": ("documents", odt),
    "rtf": ("documents", rtf),
    "mbox": ("messages", mbox),
    "eml + 2 attachments": ("messages", eml_with_attachments),
}
"""Format -> (what its unit is called, writer of a sample and its unit count)."""
