"""PDF: every shared sample PDF parses or fails with a human reason, in a worker with a
deadline; pages, encryption, damage, per-page failures and the paragraph heuristic."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pypdf
import pytest

from engine.errors import ParseError, SkippedFile
from engine.parsing import ParsedDocument, ParseWorker, parse_file
from engine.parsing.pdf import page_blocks_from_text

NO_TEXT = "no extractable text (image-only or empty)"
EXACT_REASONS = {NO_TEXT, "encrypted, no password", "empty file"}
REASON_PREFIXES = ("damaged PDF: ", "too large (")
SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "pdfs"
SAMPLE_NAMES = sorted(p.name for p in SAMPLES.glob("*") if p.name != "LICENSE") or ["(none)"]


@pytest.fixture(scope="module")
def worker():
    with ParseWorker(timeout_s=120) as parse_worker:
        yield parse_worker


@pytest.mark.slow  # every PDF of the shared robustness set, a minute in all
@pytest.mark.parametrize("name", SAMPLE_NAMES)
def test_every_shared_pdf_parses_or_fails_with_a_human_reason(name, worker, shared_pdfs):
    started = time.monotonic()
    try:
        document = worker.parse(shared_pdfs / name)
    except ParseError as error:  # SkippedFile included
        assert "timed out" not in error.reason and "crashed" not in error.reason
        assert error.reason in EXACT_REASONS or error.reason.startswith(REASON_PREFIXES), error
    else:
        assert isinstance(document, ParsedDocument)
        assert document.kind == "pdf"
        assert document.pages is not None and document.pages >= 1
        assert document.blocks
        assert all(1 <= block.page <= document.pages for block in document.blocks)
        assert all(block.line is None for block in document.blocks)
        pages = [block.page for block in document.blocks]
        assert pages == sorted(pages)
    assert time.monotonic() - started < 120


def test_password_protected_sample_reports_encryption(shared_pdfs):
    with pytest.raises(ParseError) as caught:
        parse_file(shared_pdfs / "libreoffice-writer-password.pdf")
    assert caught.value.reason == "encrypted, no password"
    assert not isinstance(caught.value, SkippedFile)


@pytest.mark.slow
def test_long_german_book_keeps_its_117_pages(shared_pdfs, check_blocks):
    document = parse_file(shared_pdfs / "GeoTopo-komprimiert.pdf")

    assert document.pages == 117
    assert len({block.page for block in document.blocks}) >= 100
    assert document.title == "Geometrie und Topologie"
    assert any("Topologische" in block.text for block in document.blocks if block.page == 4)
    check_blocks(document)


@pytest.mark.parametrize("name", ["multicolumn.pdf", "crazyones-pdfa.pdf"])
def test_text_samples_have_paragraphs(shared_pdfs, name, check_blocks):
    document = parse_file(shared_pdfs / name)

    assert len(document.blocks) >= 5  # split into paragraphs, not one block per page
    check_blocks(document)


def test_ligatures_are_expanded(shared_pdfs):
    document = parse_file(shared_pdfs / "crazyones-pdfa.pdf")
    text = " ".join(block.text for block in document.blocks)
    assert "The misfits." in text
    assert "\ufb01" not in text


def test_image_only_pdf_is_skipped(shared_pdfs):
    with pytest.raises(SkippedFile) as caught:
        parse_file(shared_pdfs / "cmyk-image.pdf")
    assert caught.value.reason == NO_TEXT


def test_pages_without_text_are_a_warning(shared_pdfs):
    document = parse_file(shared_pdfs / "imagemagick-images.pdf")
    assert document.pages == 6
    assert document.warnings == ("pages 4, 5 have no extractable text",)
    assert {block.page for block in document.blocks} == {1, 2, 3, 6}


def test_empty_user_password_is_tried(shared_pdfs, tmp_path):
    source = pypdf.PdfReader(shared_pdfs / "crazyones-pdfa.pdf")
    for password, name in (("", "open.pdf"), ("secret", "locked.pdf")):
        writer = pypdf.PdfWriter(clone_from=source)
        writer.encrypt(user_password=password, owner_password="owner", algorithm="AES-256")
        with open(tmp_path / name, "wb") as handle:
            writer.write(handle)

    assert len(parse_file(tmp_path / "open.pdf").blocks) >= 5
    with pytest.raises(ParseError, match="encrypted, no password"):
        parse_file(tmp_path / "locked.pdf")


@pytest.mark.parametrize("case", ["header-only", "html-named-pdf", "truncated"])
def test_garbage_and_truncated_pdfs_are_damaged(tmp_path, shared_pdfs, case):
    content = {
        "header-only": b"%PDF-1.7\nnothing else",
        "html-named-pdf": b"<html>not a pdf</html>",
        "truncated": (shared_pdfs / "crazyones-pdfa.pdf").read_bytes()[:4000],
    }[case]
    path = tmp_path / "bad.pdf"
    path.write_bytes(content)

    with pytest.raises(ParseError) as caught:
        parse_file(path)

    assert caught.value.reason.startswith("damaged PDF: "), caught.value.reason
    assert len(caught.value.reason) < 130


def test_pdf_without_extension_is_recognised_by_content(shared_pdfs, tmp_path):
    path = tmp_path / "download"
    shutil.copyfile(shared_pdfs / "crazyones-pdfa.pdf", path)
    assert parse_file(path).kind == "pdf"


def test_a_failing_page_is_skipped_with_a_warning(shared_pdfs, monkeypatch):
    real_extract = pypdf.PageObject.extract_text
    calls = {"n": 0}

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise ValueError("bad content stream\nwith detail")
        return real_extract(self, *args, **kwargs)

    monkeypatch.setattr(pypdf.PageObject, "extract_text", flaky)
    document = parse_file(shared_pdfs / "pdflatex-4-pages.pdf")

    assert document.pages == 4
    assert {block.page for block in document.blocks} == {1, 3, 4}
    assert document.warnings == ("page 2 could not be read (bad content stream)",)


def test_all_pages_failing_is_damage(shared_pdfs, monkeypatch):
    def broken(self, *args, **kwargs):
        raise KeyError("/Font")

    monkeypatch.setattr(pypdf.PageObject, "extract_text", broken)
    with pytest.raises(ParseError) as caught:
        parse_file(shared_pdfs / "pdflatex-4-pages.pdf")
    assert caught.value.reason == "damaged PDF: '/Font'"


def test_blank_lines_split_paragraphs_when_present():
    text = "First para\ncontinues here\n\nSecond para"
    blocks = page_blocks_from_text(text, 3)
    assert [(b.text, b.page) for b in blocks] == [
        ("First para\ncontinues here", 3),
        ("Second para", 3),
    ]


def test_layout_heuristic_without_blank_lines():
    page = (
        "1 Introduction\n"
        "This is a long line of body text that fills the column width nicely\n"
        "and this line continues the very same paragraph to its natural end.\n"
        "It stops here.\n"
        "A second paragraph starts with another full line of body text here\n"
        "and ends on this line which is also full width without any stop\n"
        "Table a 1\n"
        "Table b 2\n"
        "Final body paragraph line that is long enough to count as full text"
    )
    blocks = page_blocks_from_text(page, 1)

    assert [b.text.split("\n")[0] for b in blocks] == [
        "1 Introduction",
        "This is a long line of body text that fills the column width nicely",
        "A second paragraph starts with another full line of body text here",
        "Final body paragraph line that is long enough to count as full text",
    ]
    assert blocks[2].text.endswith("Table b 2")
    for block in blocks:
        assert page[block.start : block.end] == block.text
