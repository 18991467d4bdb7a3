"""The chat panel on its own, offscreen, fed as the window feeds it (no engine): the
welcome pane, the turns, the footer, the markers' hover text, Copy and Regenerate."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QToolTip

from desktop.chat_panel import ChatPanel, linked_markers
from desktop.welcome import NO_FOLDER, NO_SUGGESTIONS, WAITING_FOR_SUGGESTIONS
from engine.answer.citations import Citation
from engine.answer.suggestions import SuggestedQuestion
from engine.assistant import FolderInfo

LEASE = Citation(
    1, "/home/me/papers/lease.pdf", 4, 0, 90, None, "Pets are allowed with consent.", "page 4"
)
SCAN = Citation(
    2, "/home/me/papers/boiler.pdf", 2, 0, 80, None, "The boiler: every October.", "page 2", True
)
NOTES = Citation(3, "/home/me/notes.md", None, 5, 60, 2, "Kiln < 1280 °C & booked.", "")


class FakeStatus:
    def __init__(self, *folders: FolderInfo) -> None:
        self.folders = folders


def panel(qtbot) -> ChatPanel:
    chat = ChatPanel()
    qtbot.addWidget(chat)
    chat.resize(700, 600)
    chat.show()
    return chat


def test_citation_markers_become_links():
    assert linked_markers("Fee is 12 euros [2].") == "Fee is 12 euros [\\[2\\]](cite:2)."
    assert linked_markers("[1, 3]") == "[\\[1\\]](cite:1)[\\[3\\]](cite:3)"


def test_the_welcome_pane_names_the_folders_and_offers_questions_from_them(qtbot):
    chat = panel(qtbot)
    assert chat.pages.currentWidget() is chat.welcome
    chat.show_status(FakeStatus(FolderInfo("/home/me/papers", 12, True)))
    assert chat.welcome.folders.text() == "/home/me/papers  ·  12 documents"
    assert not chat.welcome.add_folder_button.isVisible()
    assert chat.welcome.suggestions_state.text() == WAITING_FOR_SUGGESTIONS

    chat.show_suggestions(
        (
            SuggestedQuestion("What is the pottery kiln?", "/home/me/papers/equipment.md", "t"),
            SuggestedQuestion("What are the regular hours?", "/home/me/papers/hours.md", "t"),
        )
    )
    assert chat.welcome.suggested_questions() == [
        "What is the pottery kiln?",
        "What are the regular hours?",
    ]
    first = chat.welcome.suggestion_buttons[0]
    qtbot.waitUntil(first.isVisible)  # a widget added to a shown one shows a moment later
    assert first.description() == "from equipment.md"
    assert not chat.welcome.suggestions_state.isVisible()

    chat.show_suggestions(())  # indexed, yet nothing to suggest
    assert chat.welcome.suggested_questions() == []
    assert chat.welcome.suggestions_state.text() == NO_SUGGESTIONS


def test_without_a_folder_the_welcome_says_what_to_do(qtbot):
    chat = panel(qtbot)
    chat.show_status(FakeStatus())
    assert chat.welcome.folders.text() == NO_FOLDER
    assert not chat.welcome.suggestions_heading.isVisible()
    with qtbot.waitSignal(chat.add_folder_requested):
        qtbot.mouseClick(chat.welcome.add_folder_button, Qt.MouseButton.LeftButton)


def test_a_suggestion_click_sends_it_as_a_question(qtbot):
    chat = panel(qtbot)
    chat.show_status(FakeStatus(FolderInfo("/docs", 3, True)))
    chat.show_suggestions((SuggestedQuestion("What is the pottery kiln?", "/docs/e.md", "t"),))
    with qtbot.waitSignal(chat.send) as sent:
        qtbot.mouseClick(chat.welcome.suggestion_buttons[0], Qt.MouseButton.LeftButton)
    assert sent.args == ["What is the pottery kiln?"]


def answered(qtbot) -> ChatPanel:
    chat = panel(qtbot)
    chat.begin("What does the lease say about pets?", "warm ×1")
    chat.append("Pets are allowed")
    chat.finish(
        "Pets are allowed with consent [1]. The boiler is checked in October [2].",
        citations=(LEASE, SCAN),
        seconds=4.25,
    )
    return chat


def test_turns_are_framed_apart_and_the_answer_is_markdown(qtbot):
    chat = answered(qtbot)
    chat.begin("And the kiln?")
    chat.finish("**Kiln** rules:\n\n- booked [3]\n- under 1280 °C", citations=(NOTES,))
    first, second = chat.views
    assert chat.pages.currentWidget() is chat.transcript
    qtbot.waitUntil(second.isVisible)
    assert first.geometry().bottom() < second.geometry().top()  # one frame each, apart
    assert second.question.text() == "And the kiln?"
    document = second.answer.document()
    assert document.toPlainText().startswith("Kiln rules:")  # Markdown rendered, not shown
    assert document.begin().next().textList() is not None  # a list
    assert "cite:3" in second.answer.toHtml()


def test_the_footer_says_sources_time_voice_and_notes(qtbot):
    chat = answered(qtbot)
    footer = chat.views[0].footer
    qtbot.waitUntil(footer.isVisible)
    plain = chat.views[0].plain_text().splitlines()
    assert plain[-4:] == [
        "Sources: [1] lease.pdf, page 4, [2] boiler.pdf, page 2",
        "4.2 s",
        "voice: warm ×1",
        "read by OCR: [2]",
    ]
    assert 'href="cite:2"' in footer.text()  # a source in the footer selects it
    with qtbot.waitSignal(chat.citation_clicked) as clicked:
        footer.linkActivated.emit("cite:2")
    assert clicked.args == [2]

    chat.begin("When is the kiln fired?")
    chat.finish("On Fridays [1].", citations=(NOTES,), seconds=1.0, attributed=True)
    assert chat.views[1].plain_text().splitlines()[-3:] == [
        "Sources: [3] notes.md",  # a text file: no page to name
        "1.0 s",
        "sources matched by Docent",
    ]


def test_hovering_a_marker_shows_the_cited_passage(qtbot):
    chat = answered(qtbot)
    view = chat.views[0]
    assert view.tooltip_for(QUrl("cite:1")) == (
        "<p><b>[1] lease.pdf, page 4</b></p><p>Pets are allowed with consent.</p>"
    )
    view.answer.highlighted.emit(QUrl("cite:2"))  # what QTextBrowser sends on hover
    assert QToolTip.isVisible()
    assert QToolTip.text() == (
        "<p><b>[2] boiler.pdf, page 2</b> (read by OCR)</p><p>The boiler: every October.</p>"
    )
    view.answer.highlighted.emit(QUrl())  # the mouse left the link
    qtbot.waitUntil(lambda: not QToolTip.isVisible(), timeout=2000)

    chat.begin("And the kiln?")
    chat.finish("Booked [3].", citations=(NOTES,))
    assert "Kiln &lt; 1280 °C &amp; booked." in chat.views[1].tooltip_for(QUrl("cite:3"))


def test_copy_puts_the_answer_and_its_sources_on_the_clipboard(qtbot):
    chat = answered(qtbot)
    qtbot.mouseClick(chat.views[0].copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text().splitlines() == [
        "Pets are allowed with consent [1]. The boiler is checked in October [2].",
        "",
        "Sources:",
        "- [1] `/home/me/papers/lease.pdf`, page 4",
        "- [2] `/home/me/papers/boiler.pdf`, page 2 (read by OCR)",
    ]


def test_regenerate_is_offered_on_the_last_answer_when_nothing_runs(qtbot):
    chat = answered(qtbot)
    chat.begin("And the kiln?")
    first, second = chat.views
    qtbot.waitUntil(second.isVisible)
    assert not first.regenerate_button.isVisible() and not second.regenerate_button.isVisible()
    chat.finish("Booked [3].", citations=(NOTES,))
    assert not first.regenerate_button.isVisible() and second.regenerate_button.isVisible()
    with qtbot.waitSignal(chat.regenerate):
        qtbot.mouseClick(second.regenerate_button, Qt.MouseButton.LeftButton)
    chat.drop_last_turn()
    assert [t.question for t in chat.turns] == ["What does the lease say about pets?"]
    chat.show_turns([])
    assert chat.pages.currentWidget() is chat.welcome
