"""A hit says where it sits in words a person looks for: "slide 2", "sheet 1", "message 2"."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from pptx import Presentation

from engine.assistant import Assistant
from engine.parsing.formats import place
from tests.fakes import FakeEmbedder

BLANK_WITH_TITLE = 5  # python-pptx's default template: "Title Only"


@pytest.mark.parametrize(
    ("kind", "page", "expected"),
    [
        ("pdf", 4, "page 4"),
        ("docx", None, ""),
        ("pptx", 3, "slide 3"),
        ("odp", 1, "slide 1"),
        ("xlsx", 2, "sheet 2"),
        ("epub", 5, "chapter 5"),
        ("mbox", 7, "message 7"),
        ("email", 1, ""),
        ("csv", 1, ""),
        ("image", 1, ""),
        (None, 2, "page 2"),
    ],
)
def test_place_names_the_unit_of_each_kind(kind, page, expected):
    assert place(kind, page) == expected


def _folder(root: Path) -> Path:
    docs = root / "docs"
    docs.mkdir()
    deck = Presentation()
    for title in ("Welcome", "The boiler is serviced in October"):
        deck.slides.add_slide(deck.slide_layouts[BLANK_WITH_TITLE]).shapes.title.text = title
    deck.save(docs / "house.pptx")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Budget"
    sheet.append(["Item", "Cost"])
    sheet.append(["Gutter cleaning", "180"])
    book.save(docs / "costs.xlsx")
    messages = [
        "From: ana@example.org\nSubject: Keys\n\nThe spare key is with the neighbour.\n",
        "From: ben@example.org\nSubject: Lease\n\nThe lease renewal is due in spring.\n",
    ]
    (docs / "inbox.mbox").write_text(
        "".join(f"From sender@example.org Mon Jan  1 00:00:00 2024\n{m}\n" for m in messages)
    )
    return docs


def test_hits_carry_their_place(tmp_path: Path):
    with Assistant(tmp_path / "home", embedder=FakeEmbedder()) as assistant:
        assistant.add_folder(_folder(tmp_path))
        assistant.index()

        def top(query: str):
            return assistant.search(query, k=1)[0]

        boiler = top("boiler serviced October")
        assert (Path(boiler.path).name, boiler.place) == ("house.pptx", "slide 2")
        gutter = top("Gutter cleaning cost")
        assert (Path(gutter.path).name, gutter.place) == ("costs.xlsx", "sheet 1")
        lease = top("lease renewal spring")
        assert (Path(lease.path).name, lease.place) == ("inbox.mbox", "message 2")
        assert not (boiler.ocr or gutter.ocr or lease.ocr)
        assert lease.to_dict()["place"] == "message 2"
