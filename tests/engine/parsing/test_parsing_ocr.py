"""OCR: images and image-only PDF pages are read offline when OCR is on, skipped as today
when it is off; absurd, bomb-sized and damaged images fail with a reason, before decoding."""

from __future__ import annotations

import io
import re
import struct
import zlib
from pathlib import Path

import numpy
import pypdf
import pytest
from PIL import Image, ImageDraw, ImageFont

from engine.errors import ParseError, SkippedFile
from engine.parsing import ParseWorker, is_supported, parse_file
from engine.parsing.ocr import MAX_PIXELS, _lines, read_image

SENTENCE = "Docent reads the quarterly invoice offline"
SECOND = "Scanned letters become searchable text"
NO_TEXT = "no extractable text (image-only or empty)"


def picture(*lines: str, mode: str = "RGB") -> Image.Image:
    """Black text on white, large enough for OCR to read reliably."""
    font = ImageFont.load_default(size=48)
    image = Image.new(mode, (1400, 120 + 100 * len(lines)), "white")
    draw = ImageDraw.Draw(image)
    for index, line in enumerate(lines):
        draw.text((50, 60 + 100 * index), line, fill="black", font=font)
    return image


def words_found(expected: str, text: str) -> float:
    """The share of `expected`'s words found in `text`, ignoring case (OCR slips a little)."""
    words = re.findall(r"[a-z]+", expected.lower())
    return sum(word in text.lower() for word in words) / len(words)


def all_text(document) -> str:
    return "\n".join(block.text for block in document.blocks)


def png_header(width: int, height: int) -> bytes:
    """A PNG that declares the given size but holds next to no pixel data."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sentence as a PNG, a one-page image-only PDF, and a two-frame TIFF."""
    folder = tmp_path_factory.mktemp("scans")
    image = picture(SENTENCE)
    paths = {"png": folder / "note.png", "pdf": folder / "scan.pdf", "tiff": folder / "fax.tif"}
    image.save(paths["png"])
    image.convert("RGB").save(paths["pdf"], resolution=200)
    first, second = picture(SENTENCE, mode="L"), picture(SECOND, mode="L")
    first.save(paths["tiff"], save_all=True, append_images=[second])
    return paths


# -- with OCR off nothing changes -------------------------------------------------------------


def test_ocr_off_skips_images_and_image_only_pdfs(scans):
    with pytest.raises(SkippedFile) as png:
        parse_file(scans["png"])
    with pytest.raises(SkippedFile) as pdf:
        parse_file(scans["pdf"], ocr=False)

    assert png.value.reason == "binary file (.png; OCR is off)"
    assert pdf.value.reason == NO_TEXT
    assert not is_supported(scans["png"])
    assert is_supported(scans["png"], ocr=True) and is_supported(scans["tiff"], ocr=True)


def test_the_worker_passes_the_ocr_setting_to_the_child(scans, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    with ParseWorker(timeout_s=60) as off, pytest.raises(SkippedFile, match="OCR is off"):
        off.parse(scans["png"])
    with ParseWorker(timeout_s=60, ocr=True) as on, pytest.raises(ParseError) as caught:
        on.parse(broken)  # refused before the OCR engine would load
    assert caught.value.reason == "damaged image: not a readable image"


# -- refused before decoding ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("width", "height", "reason"),
    [
        (100_000, 100_000, "image too large (decompression bomb)"),
        (12_000, 10_000, "image too large (12000x10000 pixels, limit 100 MP)"),
    ],
    ids=["beyond-pillow-limit", "beyond-docent-limit"],
)
def test_bomb_sized_images_are_refused_with_the_reason(tmp_path, width, height, reason):
    path = tmp_path / "bomb.png"
    path.write_bytes(png_header(width, height))
    assert path.stat().st_size < 200

    with pytest.raises(ParseError) as caught:
        parse_file(path, ocr=True)

    assert caught.value.reason == reason
    assert not isinstance(caught.value, SkippedFile)


def test_read_image_refuses_huge_pixel_arrays():
    side = int(MAX_PIXELS**0.5) + 10
    pixels = numpy.broadcast_to(numpy.uint8(255), (side, side))  # no memory behind it
    with pytest.raises(ParseError, match="image too large"):
        read_image(pixels)


@pytest.mark.parametrize("case", ["garbage", "truncated", "zero-width"])
def test_damaged_pngs_are_parse_errors(tmp_path, case):
    good = io.BytesIO()
    picture(SENTENCE).save(good, format="PNG")
    content = {
        "garbage": b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4,
        "truncated": good.getvalue()[: len(good.getvalue()) // 2],
        "zero-width": png_header(0, 10),
    }[case]
    path = tmp_path / "damaged.png"
    path.write_bytes(content)

    with pytest.raises(ParseError) as caught:
        parse_file(path, ocr=True)

    assert caught.value.reason.startswith("damaged image: "), caught.value.reason
    assert not isinstance(caught.value, SkippedFile)
    assert len(caught.value.reason) < 130


def test_a_spent_budget_leaves_pdf_pages_unread(scans):
    with pytest.raises(SkippedFile) as caught:
        parse_file(scans["pdf"], ocr=True, ocr_budget_s=0)
    assert caught.value.reason == "image-only, and OCR ran out of time or pages"


def test_boxes_become_lines_in_reading_order():
    boxes = [
        (700, 12, 900, 40, "column two"),  # far to the right: its own line
        (10, 60, 200, 90, "second"),
        (210, 62, 400, 92, "row"),  # close beside "second": joined
        (10, 10, 300, 40, "First row"),
    ]
    assert _lines(boxes) == ["First row", "column two", "second row"]
    assert _lines([]) == []


def test_columns_are_read_one_after_the_other():
    title = [(300, 0, 700, 30, "A title across both columns")]
    left = [(0, 50 + 40 * row, 480, 80 + 40 * row, f"left {row}") for row in range(4)]
    right = [(500, 50 + 40 * row, 990, 80 + 40 * row, f"right {row}") for row in range(4)]
    footer = [(0, 300, 990, 330, "A footer line across the page")]

    lines = _lines(title + right + left + footer)

    assert lines == [
        "A title across both columns",
        *(f"left {row}" for row in range(4)),
        *(f"right {row}" for row in range(4)),
        "A footer line across the page",
    ]


def test_a_table_of_short_cells_is_read_row_by_row():
    cells = [
        (x, 40 * row, x + 60, 40 * row + 30, f"r{row}c{x // 500}")
        for row in range(5)
        for x in (0, 500)
    ]
    assert _lines(cells) == [line for row in range(5) for line in (f"r{row}c0", f"r{row}c1")]


# -- the real OCR engine ----------------------------------------------------------------------


@pytest.mark.slow  # loads the OCR models and reads a picture: a few seconds
def test_png_is_read_by_ocr_as_one_page(scans, check_blocks):
    document = parse_file(scans["png"], ocr=True)

    assert document.kind == "image"
    assert document.pages == 1
    assert document.ocr_pages == (1,)
    assert {block.page for block in document.blocks} == {1}
    assert words_found(SENTENCE, all_text(document)) >= 0.8, all_text(document)
    check_blocks(document)


@pytest.mark.slow
def test_image_only_pdf_page_is_read_by_ocr(scans, check_blocks):
    document = parse_file(scans["pdf"], ocr=True)

    assert document.kind == "pdf"
    assert document.pages == 1
    assert document.ocr_pages == (1,)
    assert document.warnings == ()
    assert words_found(SENTENCE, all_text(document)) >= 0.8, all_text(document)
    check_blocks(document)


@pytest.mark.slow
def test_only_pages_without_a_text_layer_are_read_by_ocr(scans, shared_pdfs, tmp_path):
    writer = pypdf.PdfWriter(clone_from=shared_pdfs / "crazyones-pdfa.pdf")
    writer.append(pypdf.PdfReader(scans["pdf"]))
    mixed = tmp_path / "mixed.pdf"
    with open(mixed, "wb") as handle:
        writer.write(handle)
    text_pages = len(pypdf.PdfReader(shared_pdfs / "crazyones-pdfa.pdf").pages)

    document = parse_file(mixed, ocr=True)

    scanned = text_pages + 1
    assert document.ocr_pages == (scanned,)
    pages = [block.page for block in document.blocks]
    assert pages == sorted(pages) and pages[-1] == scanned
    assert "The misfits." in all_text(document)
    ocr_text = "\n".join(b.text for b in document.blocks if b.page == scanned)
    assert words_found(SENTENCE, ocr_text) >= 0.8, ocr_text


@pytest.mark.slow
def test_multi_page_tiff_is_one_page_per_frame(scans):
    document = parse_file(scans["tiff"], ocr=True)

    assert document.pages == 2
    assert document.ocr_pages == (1, 2)
    by_page = {
        page: "\n".join(b.text for b in document.blocks if b.page == page) for page in (1, 2)
    }
    assert words_found(SENTENCE, by_page[1]) >= 0.8, by_page
    assert words_found(SECOND, by_page[2]) >= 0.8, by_page

    hurried = parse_file(scans["tiff"], ocr=True, ocr_budget_s=0)
    assert hurried.ocr_pages == (1,)  # the first frame is always read
    assert hurried.warnings == ("page 2 not read by OCR (time or page limit)",)


@pytest.mark.slow
def test_a_blank_image_has_no_text(tmp_path):
    path = tmp_path / "blank.jpg"
    Image.new("RGB", (800, 600), "white").save(path)
    with pytest.raises(SkippedFile) as caught:
        parse_file(path, ocr=True)
    assert caught.value.reason == "no text found by OCR"


@pytest.mark.slow  # starts a parser child, which loads the OCR models
def test_ocr_runs_in_the_worker(scans):
    with ParseWorker(timeout_s=120, ocr=True) as worker:
        document = worker.parse(scans["png"])
    assert document.ocr_pages == (1,)
    assert words_found(SENTENCE, all_text(document)) >= 0.8, all_text(document)


@pytest.mark.slow
def test_pages_read_by_ocr_are_recorded_and_shown(scans, tmp_path):
    from engine.assistant import Assistant
    from tests.fakes import FakeEmbedder

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "scan.pdf").write_bytes(scans["pdf"].read_bytes())
    (docs / "typed.txt").write_text("The typed note about the garden shed.\n")
    with Assistant(tmp_path / "home", embedder=FakeEmbedder()) as assistant:
        assistant.add_folder(docs)
        assistant.index()

        status = assistant.status()
        assert status.read_by_ocr == ((str(docs / "scan.pdf"), (1,)),)
        assert status.to_dict()["read_by_ocr"] == [{"path": str(docs / "scan.pdf"), "pages": [1]}]
        scanned = assistant.search("quarterly invoice offline", k=1)[0]
        assert (Path(scanned.path).name, scanned.page, scanned.ocr) == ("scan.pdf", 1, True)
        assert scanned.place == "page 1"
        typed = assistant.search("garden shed", k=1)[0]
        assert (Path(typed.path).name, typed.ocr) == ("typed.txt", False)
