"""The sources panel, offscreen, on fake search hits: cards, folding, selection, preview."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QWidget

from desktop.source_card import (
    CITED_NOTE,
    DARK_COLOURS,
    LIGHT_COLOURS,
    OCR_NOTE,
    card_excerpt,
    text_colours,
)
from desktop.sources_panel import SourcesPanel
from engine.answer.answering import RelevanceGate
from engine.answer.relevance import RelevanceLabel
from engine.search.retrieval import SearchHit

QUESTION = "When is the kiln fired?"
MARK = LIGHT_COLOURS.mark_background


def fake_hit(
    path: str,
    text: str,
    similarity: float,
    place: str = "",
    page: int | None = None,
    heading: str = "",
    ocr: bool = False,
    span: tuple[int, int] | None = None,
) -> SearchHit:
    start, end = span or (0, len(text))
    return SearchHit(
        path, page, heading, text, 0.5, similarity, start, end, None, None, (1,), place=place,
        ocr=ocr,
    )  # fmt: skip


def shown(widget: QWidget) -> bool:
    """Visible once the panel is (a widget added to a shown layout appears a moment later)."""
    return widget.isVisibleTo(widget.window())


@pytest.fixture()
def panel(qtbot) -> SourcesPanel:
    panel = SourcesPanel()
    qtbot.addWidget(panel)
    panel.resize(420, 700)
    panel.show()
    return panel


@pytest.fixture()
def kiln_file(tmp_path) -> tuple[Path, SearchHit]:
    before = "The studio opens at nine.\n"
    passage = "The kiln is fired every second Tuesday."
    path = tmp_path / "studio.txt"
    path.write_text(before + passage + "\nGlazes dry overnight.\n")
    span = (len(before), len(before) + len(passage))
    return path, fake_hit(str(path), passage, 0.62, heading="Firing", span=span)


def three_hits(folder: Path) -> list[SearchHit]:
    return [
        fake_hit(str(folder / "kiln.pdf"), "The kiln is fired on Tuesdays.", 0.7, "page 4", 4),
        fake_hit(str(folder / "scan.pdf"), "Kiln firing log.", 0.3, "page 2", 2, ocr=True),
        fake_hit(str(folder / "recipes.md"), "Bread needs a hot oven.", 0.01),
    ]


def test_a_card_shows_file_place_label_and_the_questions_words(panel, tmp_path):
    hits = three_hits(tmp_path)
    panel.show_sources(hits, QUESTION, cited={1})
    first = panel.cards[0]
    assert first.name_label.text() == "[1]  kiln.pdf"
    assert first.name_label.toolTip() == hits[0].path  # the full path
    assert first.place_label.text() == "page 4"  # the engine's words, as given
    assert first.relevance_label.text() == RelevanceLabel.STRONG
    assert "similarity" not in first.relevance_label.text()
    excerpt = first.excerpt_label.text()
    assert f"{MARK}; color: #000000'>kiln</span>" in excerpt
    assert "'>fired</span>" in excerpt and "'>Tuesdays</span>" not in excerpt
    assert first.relevance.explanation == first.relevance_label.toolTip()
    assert "Source 1: kiln.pdf, page 4. Strong match, cited in the answer" in (
        first.accessibleName()
    )


def test_cited_and_ocr_notes_show_only_where_they_apply(panel, tmp_path):
    panel.show_sources(three_hits(tmp_path), QUESTION, cited={1})
    cited, scanned = panel.cards[0], panel.cards[1]
    assert shown(cited.cited_label) and cited.cited_label.text() == CITED_NOTE
    assert not shown(scanned.cited_label)
    assert shown(scanned.ocr_label) and scanned.ocr_label.text() == OCR_NOTE
    assert not shown(cited.ocr_label)
    assert "read by OCR" in scanned.accessibleName()


def test_passages_below_the_floor_are_folded_under_other_passages(panel, qtbot, tmp_path):
    panel.show_sources(three_hits(tmp_path), QUESTION)
    folded = panel.cards[2]
    assert panel.folded_cards() == [folded]
    assert shown(panel.other_toggle) and panel.other_toggle.text() == "Other passages (1)"
    assert not panel.other_expanded() and not shown(folded)  # collapsed by default
    assert [card.number for card in panel.shown_cards()] == [1, 2]
    qtbot.mouseClick(panel.other_toggle, Qt.MouseButton.LeftButton)
    assert panel.other_expanded() and shown(folded)
    assert folded.relevance_label.text() == RelevanceLabel.WEAK
    qtbot.mouseClick(panel.other_toggle, Qt.MouseButton.LeftButton)
    assert not shown(folded)


def test_nothing_to_fold_hides_the_fold_and_everything_folded_says_so(panel, tmp_path):
    hits = three_hits(tmp_path)
    panel.show_sources(hits[:2], QUESTION)
    assert not shown(panel.other_toggle) and not shown(panel.note)
    panel.show_sources([hits[2]], QUESTION)
    assert panel.other_toggle.text() == "Other passages (1)" and not panel.other_expanded()
    assert shown(panel.note) and "No passage is close enough" in panel.note.text()
    assert panel.current_number() is None and panel.where.text() == ""


def test_the_engines_floor_decides_what_is_folded(panel, tmp_path):
    panel.show_sources(three_hits(tmp_path), QUESTION)
    panel.select(2)
    panel.set_relevance_gate(RelevanceGate(0.49, 0.6, 0.5))  # a stricter floor
    assert [card.number for card in panel.folded_cards()] == [2, 3]
    assert panel.current_number() == 2 and panel.other_expanded()  # still chosen, unfolded


def test_choosing_a_card_previews_it_in_its_context(panel, qtbot, kiln_file):
    path, hit = kiln_file
    other = fake_hit(str(path.parent / "gone.txt"), "Kiln shelves are cleaned.", 0.55)
    panel.show_sources([other, hit], QUESTION)
    assert panel.current_number() == 1 and panel.cards[0].selected
    assert not panel.open_button.isEnabled()  # that file is gone
    qtbot.mouseClick(panel.cards[1].excerpt_label, Qt.MouseButton.LeftButton)
    assert panel.current_number() == 2 and not panel.cards[0].selected
    assert panel.where.text().startswith(str(path))
    assert panel.open_button.isEnabled()
    assert panel.preview_stack.currentWidget() is panel.preview
    assert "background-color" in panel.preview.toHtml()  # the passage, shown at once
    qtbot.waitUntil(lambda: "Glazes dry overnight." in panel.preview.toPlainText())
    assert "The studio opens at nine." in panel.preview.toPlainText()


def test_the_keyboard_moves_through_the_cards_it_shows(panel, qtbot, tmp_path):
    panel.show_sources(three_hits(tmp_path), QUESTION)
    first, second, folded = panel.cards
    first.setFocus()
    qtbot.keyClick(first, Qt.Key.Key_Down)
    assert panel.current_number() == 2 and second.hasFocus()
    qtbot.keyClick(second, Qt.Key.Key_Down)
    assert panel.current_number() == 2  # the folded card is not stepped into
    qtbot.keyClick(second, Qt.Key.Key_Up)
    assert panel.current_number() == 1 and first.hasFocus()
    panel.set_other_expanded(True)
    qtbot.keyClick(first, Qt.Key.Key_End)
    assert panel.current_number() == 3 and folded.hasFocus()
    second.setFocus()  # Tab to a card, then Enter chooses it
    qtbot.keyClick(second, Qt.Key.Key_Return)
    assert panel.current_number() == 2
    assert all(card.focusPolicy() == Qt.FocusPolicy.StrongFocus for card in panel.cards)


def test_a_citation_unfolds_the_passage_it_names(panel, tmp_path):
    panel.show_sources(three_hits(tmp_path), QUESTION, cited={3})
    panel.select(3)
    assert panel.other_expanded() and shown(panel.cards[2]) and panel.cards[2].selected
    assert panel.where.text() == str(tmp_path / "recipes.md")


def test_the_answer_after_its_sources_keeps_the_choice(panel, tmp_path):
    hits = three_hits(tmp_path)
    panel.show_sources(hits, QUESTION)
    panel.select(2)
    panel.show_sources(hits, QUESTION, cited={2})
    assert panel.current_number() == 2 and shown(panel.cards[1].cited_label)
    panel.show_sources([], "")
    assert panel.cards == [] and panel.current_number() is None
    assert not panel.open_button.isEnabled() and shown(panel.note)


def test_a_pdf_source_shows_its_page(panel, tmp_path):
    panel.show_sources(three_hits(tmp_path), QUESTION)
    assert panel.preview_stack.currentWidget() is panel.page_view
    assert panel.page_view.path == str(tmp_path / "kiln.pdf") and panel.page_view.page == 4
    panel.select(3)  # a Markdown file: text again, and the page view let go
    assert panel.preview_stack.currentWidget() is panel.preview
    assert panel.page_view.path is None


def test_a_pdf_that_cannot_be_shown_falls_back_to_its_text(panel, qtbot, tmp_path):
    panel.show_sources(three_hits(tmp_path), QUESTION)  # kiln.pdf does not exist
    qtbot.waitUntil(lambda: panel.preview_stack.currentWidget() is panel.preview)
    assert "The kiln is fired on Tuesdays." in panel.preview.toPlainText()
    assert "kiln.pdf" in panel.preview.toPlainText()  # the reason, naming the file


def test_the_excerpt_is_the_matching_lines_cut_short():
    filler = "Clay is wedged before it is thrown on the wheel. " * 12
    text = f"{filler}The kiln is fired every second Tuesday. {filler}"
    shown = card_excerpt(text, QUESTION, limit=120)
    assert "kiln is fired" in shown and len(shown) <= 122
    assert shown.startswith("…") and shown.endswith("…")
    assert card_excerpt("Short and sweet.", QUESTION) == "Short and sweet."


def test_the_highlight_follows_a_dark_palette(panel, tmp_path):
    dark = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, "#202124"),
        (QPalette.ColorRole.Base, "#2b2b2b"),
        (QPalette.ColorRole.Text, "#e8e8e8"),
        (QPalette.ColorRole.WindowText, "#e8e8e8"),
    ):
        dark.setColor(role, QColor(colour))
    assert text_colours(dark).mark_background == DARK_COLOURS.mark_background
    panel.show_sources(three_hits(tmp_path), QUESTION)
    panel.setPalette(dark)
    excerpt = panel.cards[0].excerpt_label.text()
    assert f"{DARK_COLOURS.mark_background}; color: {DARK_COLOURS.mark_text}'>kiln" in excerpt
