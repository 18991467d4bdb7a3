"""The PDF page view: a page rendered off the GUI thread, the cited passage highlighted
over its words, page navigation, and damaged or locked files reported by name."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pypdf
import pypdfium2
import pytest
from PySide6.QtCore import QRectF, Qt

from desktop import page_view
from desktop.page_render import PageRenderError, find_passage, render_page
from desktop.page_view import NOT_LOCATED, PageView, is_pdf
from engine.parsing import parse_file

SHARED_PDFS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "pdfs"
WAIT_MS = 20_000

PAGES = [
    [
        "Quarterly report of the lighthouse keepers",
        "The lamp was cleaned and trimmed every evening at dusk.",
        "Visitors signed the book at the door of the tower.",
    ],
    [
        "Membership and fees",
        "The harbour club asks every member for a monthly fee",
        "of twelve euros, paid on the first working day of the",
        "month by bank transfer to the treasurer of the club.",
        "Guests pay nothing for their first three visits.",
    ],
    [
        "Safety",
        "The safety induction is held on the second Tuesday.",
    ],
]
# The passage spans lines 2-4 of page 2 (as the engine extracts them, with its newlines).
PASSAGE_START, PASSAGE_END = "The harbour club", "the treasurer of the club."


def pdf_bytes(pages: list[list[str]], rotate: int = 0) -> bytes:
    """A PDF with one page per list of lines, in Helvetica 12 pt from the top left."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{4 + 2 * n} 0 R" for n in range(len(pages)))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for lines in pages:
        page_number = len(objects) + 1
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Rotate {rotate} "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {page_number + 1} 0 R >>".encode()
        )
        shown = " ".join(
            "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") '"
            for line in lines
        )
        content = f"BT /F1 12 Tf 16 TL 72 720 Td {shown} ET".encode()
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


@pytest.fixture()
def report(tmp_path: Path) -> Path:
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf_bytes(PAGES))
    return path


def engine_passage(path: Path, page: int, start: str, end: str) -> str:
    """The passage as the engine stores it: the extracted page text, start to end."""
    document = parse_file(path)
    text = "\n".join(block.text for block in document.blocks if block.page == page)
    first = text.index(start)
    return text[first : text.index(end, first) + len(end)]


def word_rects(view: PageView, path: Path, page: int, word: str) -> list[QRectF]:
    """Where pdfium puts each occurrence of `word` on an unrotated page, in the canvas's
    coordinates: the truth the highlights are checked against."""
    document = pypdfium2.PdfDocument(path)
    try:
        pdf_page = document[page - 1]
        height = pdf_page.get_height()
        scale = view.canvas.width() / pdf_page.get_width()
        textpage = pdf_page.get_textpage()
        rects = []
        searcher = textpage.search(word, match_case=True, match_whole_word=True)
        while (found := searcher.get_next()) is not None:
            first, count = found
            boxes = [textpage.get_charbox(index) for index in range(first, first + count)]
            left, right = min(b[0] for b in boxes), max(b[2] for b in boxes)
            bottom, top = min(b[1] for b in boxes), max(b[3] for b in boxes)
            rects.append(
                QRectF(
                    left * scale,
                    (height - top) * scale,
                    (right - left) * scale,
                    (top - bottom) * scale,
                )
            )
        return rects
    finally:
        document.close()


def covered(rect: QRectF, highlights: list[QRectF]) -> bool:
    return any(h.contains(rect) for h in highlights)


@pytest.fixture()
def view(qtbot) -> PageView:
    widget = PageView()
    widget.resize(700, 900)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def show(qtbot, view: PageView, path: Path, page: int, passage: str | None = None) -> None:
    with qtbot.waitSignal(view.page_rendered, timeout=WAIT_MS):
        view.show_pdf(path, page, passage)


# -- highlights ----------------------------------------------------------------------------


def test_passage_is_highlighted_over_its_words(qtbot, view, report):
    passage = engine_passage(report, 2, PASSAGE_START, PASSAGE_END)
    assert "\n" in passage  # spans lines, as stored

    show(qtbot, view, report, 2, passage)

    highlights = view.highlight_rects()
    assert len(highlights) == 3  # one box per line of the passage
    for word in ("harbour", "twelve", "working", "transfer", "treasurer"):
        (rect,) = word_rects(view, report, 2, word)
        assert covered(rect, highlights), word
    for word in ("Membership", "Guests", "visits"):  # the lines around it are not marked
        (rect,) = word_rects(view, report, 2, word)
        assert not any(h.intersects(rect) for h in highlights), word
    assert view.page_label.text() == "Page 2 of 3"
    assert view.status.text() == ""


def test_highlights_follow_the_device_pixel_ratio(qtbot, view, report, monkeypatch):
    monkeypatch.setattr(PageView, "devicePixelRatioF", lambda self: 2.0)
    passage = engine_passage(report, 2, PASSAGE_START, PASSAGE_END)

    show(qtbot, view, report, 2, passage)

    image = view.canvas.image
    assert image is not None and image.devicePixelRatio() == 2.0
    assert image.width() == 2 * view.canvas.width()  # sharp: one image pixel per device pixel
    highlights = view.highlight_rects()
    (rect,) = word_rects(view, report, 2, "treasurer")
    assert covered(rect, highlights)
    (below,) = word_rects(view, report, 2, "Guests")
    assert not any(h.intersects(below) for h in highlights)


def test_a_wider_view_renders_the_page_again_at_its_new_width(qtbot, view, report):
    passage = engine_passage(report, 2, PASSAGE_START, PASSAGE_END)
    show(qtbot, view, report, 2, passage)
    narrow = view.canvas.image.width()

    with qtbot.waitSignal(view.page_rendered, timeout=WAIT_MS):
        view.resize(1000, 900)

    assert view.canvas.image.width() == view.scroll.viewport().width() > narrow + 100
    assert view.canvas.width() == view.scroll.viewport().width()
    (rect,) = word_rects(view, report, 2, "twelve")
    assert covered(rect, view.highlight_rects())


def test_passage_not_on_the_page_shows_the_page_without_highlights(qtbot, view, report):
    show(qtbot, view, report, 1, "Nothing of this sentence is printed on the page anywhere")

    assert view.canvas.image is not None and view.canvas.height() > view.canvas.width()
    assert view.highlight_rects() == []
    assert view.status.text() == NOT_LOCATED


def test_the_first_highlight_is_scrolled_into_view(qtbot, report, tmp_path):
    lines = [f"Filler line number {n} of the long page." for n in range(40)]
    lines += ["The cited sentence sits near the very bottom of the page."]
    path = tmp_path / "long.pdf"
    path.write_bytes(pdf_bytes([lines]))
    view = PageView()
    view.resize(500, 300)
    qtbot.addWidget(view)
    view.show()

    show(qtbot, view, path, 1, "The cited sentence sits near the very bottom of the page.")

    (highlight,) = view.highlight_rects()
    viewport = view.scroll.viewport()
    top_left = view.canvas.mapTo(viewport, highlight.topLeft().toPoint())
    assert view.scroll.verticalScrollBar().value() > 0
    assert viewport.rect().contains(top_left)


# -- navigation ----------------------------------------------------------------------------


def test_page_navigation_moves_and_stops_at_the_ends(qtbot, view, report):
    passage = engine_passage(report, 2, PASSAGE_START, PASSAGE_END)
    show(qtbot, view, report, 1)
    assert view.page_label.text() == "Page 1 of 3"
    assert not view.previous_button.isEnabled() and view.next_button.isEnabled()
    assert view.previous_button.accessibleName() == "Previous page"
    assert view.next_button.accessibleName() == "Next page"

    show(qtbot, view, report, 2, passage)
    with qtbot.waitSignal(view.page_rendered, timeout=WAIT_MS) as third:
        qtbot.keyClick(view.scroll, Qt.Key.Key_PageDown)
    assert third.args == [3, 3]
    assert view.page_label.text() == "Page 3 of 3"
    assert view.highlight_rects() == []  # the passage is highlighted on its own page only
    assert view.previous_button.isEnabled() and not view.next_button.isEnabled()

    view.next_page()  # past the end: nothing to render
    view.go_to_page(99)
    assert view.page == 3 and view.status.text() == ""

    with qtbot.waitSignal(view.page_rendered, timeout=WAIT_MS) as back:
        qtbot.keyClick(view.scroll, Qt.Key.Key_PageUp)
    assert back.args == [2, 3]
    assert len(view.highlight_rects()) == 3  # back on the cited page, highlighted again

    view.clear()
    assert view.canvas.image is None and view.page_label.text() == ""
    assert not view.previous_button.isEnabled() and not view.next_button.isEnabled()


def test_quick_paging_drops_the_pages_nobody_waits_for(qtbot, view, report, monkeypatch):
    rendered: list[int] = []

    def slow_render(path, page, passage, width_px):
        time.sleep(0.3)
        rendered.append(page)
        return render_page(path, page, passage, width_px)

    monkeypatch.setattr(page_view, "render_page", slow_render)
    shown: list[int] = []
    view.page_rendered.connect(lambda page, _count: shown.append(page))
    view.show_pdf(report, 1)
    view.show_pdf(report, 2)  # overtaken before it starts
    view.show_pdf(report, 3)
    qtbot.waitUntil(lambda: shown == [3], timeout=WAIT_MS)
    qtbot.wait(400)

    assert 2 not in rendered
    assert shown == [3]
    assert view.page_label.text() == "Page 3 of 3"


def test_rendering_happens_off_the_gui_thread(qtbot, view, report, monkeypatch):
    threads: list[int] = []

    def recording_render(path, page, passage, width_px):
        threads.append(threading.get_ident())
        return render_page(path, page, passage, width_px)

    monkeypatch.setattr(page_view, "render_page", recording_render)
    view.show_pdf(report, 1)
    assert view.status.text() == "Rendering page…"  # shown at once, the page comes later
    qtbot.waitSignal(view.page_rendered, timeout=WAIT_MS).wait()

    assert threads and threading.main_thread().ident not in threads


# -- files that cannot be shown ------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"%PDF-1.7\nnothing else", "damaged PDF"),
        (b"<html>not a pdf</html>", "damaged PDF"),
        (None, "file not found"),
    ],
)
def test_a_file_that_cannot_be_read_shows_an_error_naming_it(
    qtbot, view, report, tmp_path, content, reason
):
    path = tmp_path / "broken.pdf"
    if content is not None:
        path.write_bytes(content)
    show(qtbot, view, report, 1)  # a page on screen before: it must not linger

    with qtbot.waitSignal(view.render_failed, timeout=WAIT_MS) as failed:
        view.show_pdf(path, 1, "some passage")

    (message,) = failed.args
    assert "broken.pdf" in message and reason in message
    assert view.status.text() == message
    assert view.canvas.image is None


def test_truncated_pdf_is_damaged(report, tmp_path):
    path = tmp_path / "cut.pdf"
    path.write_bytes(report.read_bytes()[:300])
    with pytest.raises(PageRenderError) as caught:
        render_page(path, 1, None, 600)
    assert caught.value.reason.startswith("damaged PDF")
    assert str(path) in str(caught.value)


def test_empty_user_password_opens_and_a_real_one_is_reported(report, tmp_path):
    for password, name in (("", "open.pdf"), ("secret", "locked.pdf")):
        writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(report))
        writer.encrypt(user_password=password, owner_password="owner", algorithm="AES-256")
        with open(tmp_path / name, "wb") as handle:
            writer.write(handle)

    page = render_page(tmp_path / "open.pdf", 1, "The lamp was cleaned and trimmed", 600)
    assert page.page_count == 3 and len(page.highlights) == 1
    with pytest.raises(PageRenderError, match=r"locked\.pdf: encrypted, needs a password"):
        render_page(tmp_path / "locked.pdf", 1, None, 600)


# -- the renderer on its own ---------------------------------------------------------------


def test_rotated_page_is_rendered_turned_with_its_highlight(tmp_path):
    path = tmp_path / "turned.pdf"
    path.write_bytes(pdf_bytes(PAGES[:1], rotate=90))
    page = render_page(path, 1, "The lamp was cleaned and trimmed every evening at dusk.", 800)

    assert page.width == 800 and abs(page.height - 800 * 612 / 792) <= 1  # landscape
    (box,) = page.highlights
    assert box.bottom - box.top > 10 * (box.right - box.left)  # the line runs downwards
    assert 0 <= box.left < box.right <= page.width and 0 <= box.top < box.bottom <= page.height


def test_a_page_past_the_end_is_the_last_page(report):
    page = render_page(report, 9, None, 300)
    assert (page.page, page.page_count) == (3, 3)
    assert len(page.pixels) == page.bytes_per_line * page.height


def test_passage_is_found_despite_case_spacing_ligatures_and_accents():
    page = "The \ufb01le was  Caf\u00e9-\r\nready; nothing else."
    spans, share = find_passage(page, "the file was\ncafe\u0301 ready")
    assert share == 1.0
    ((first, last),) = spans
    assert page[first : last + 1] == "The \ufb01le was  Caf\u00e9-\r\nready"


def test_when_the_passage_is_not_there_whole_its_long_runs_of_words_are():
    page = "alpha beta gamma delta epsilon. zeta eta theta iota kappa lambda mu"
    passage = "alpha beta gamma delta epsilon. ZZZ eta theta iota kappa lambda"
    spans, share = find_passage(page, passage)
    assert [page[first : last + 1] for first, last in spans] == [
        "alpha beta gamma delta epsilon",
        "eta theta iota kappa lambda",
    ]
    assert share == pytest.approx(10 / 11)
    assert find_passage(page, "one two three four five") == ([], 0.0)
    assert find_passage(page, "") == ([], 0.0)


def test_right_to_left_words_in_visual_order_still_match():
    # pdfium often holds Arabic in visual order: each word's letters reversed
    spans, share = find_passage("يبيبح habibi يبيبح", "حبيبي habibi حبيبي")
    assert share == 1.0 and spans == [(0, 17)]


def test_only_pdfs_go_to_the_page_view():
    assert is_pdf("/docs/Report.PDF") and not is_pdf("/docs/notes.txt")


# -- the shared sample PDFs ----------------------------------------------------------------


@pytest.fixture(scope="module")
def shared_pdfs() -> Path:
    if not SHARED_PDFS.is_dir():
        pytest.skip(f"sample PDFs not found at {SHARED_PDFS}")
    return SHARED_PDFS


@pytest.mark.slow
@pytest.mark.parametrize("name", ["crazyones-pdfa.pdf", "multicolumn.pdf", "pdflatex-4-pages.pdf"])
def test_every_indexed_passage_of_a_sample_is_found_on_its_page(shared_pdfs, name):
    document = parse_file(shared_pdfs / name)
    for block in document.blocks:
        page = render_page(shared_pdfs / name, block.page, block.text, 900)
        assert page.passage_found == 1.0, block.text[:60]
        assert page.highlights
        for box in page.highlights:
            assert 0 <= box.left < box.right <= page.width
            assert 0 <= box.top < box.bottom <= page.height


@pytest.mark.slow
def test_sample_passage_is_highlighted_in_the_view(qtbot, view, shared_pdfs):
    path = shared_pdfs / "crazyones-pdfa.pdf"
    passage = next(b.text for b in parse_file(path).blocks if "misfits" in b.text)

    show(qtbot, view, path, 1, passage)

    highlights = view.highlight_rects()
    assert highlights
    for word in ("misfits", "rebels"):
        rects = word_rects(view, path, 1, word)
        assert rects and all(covered(rect, highlights) for rect in rects), word
