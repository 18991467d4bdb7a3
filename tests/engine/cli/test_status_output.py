"""`docent status` in words: pages read by OCR are listed by document, as page runs."""

from __future__ import annotations

from pathlib import Path

from engine.assistant import Assistant
from engine.cli.main import _status, page_list
from tests.fakes import FakeEmbedder


def test_page_list_joins_runs():
    assert page_list([1]) == "page 1"
    assert page_list([3, 1, 2, 7, 9, 10]) == "pages 1-3, 7, 9-10"


def test_status_lists_pages_read_by_ocr(tmp_path: Path, capsys):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "note.txt").write_text("A typed note.\n")
    with Assistant(tmp_path / "home", embedder=FakeEmbedder()) as assistant:
        assistant.add_folder(docs)
        assistant.index()
        _status(assistant, as_json=False)
        assert "read by OCR" not in capsys.readouterr().out

        folder = assistant.store.folders()[0]
        assistant.store.put_document(
            folder_id=folder.id, path=str(docs / "scan.pdf"), size=1, mtime_ns=1, sha256="s",
            status="indexed", kind="pdf", pages=4, ocr_pages=(2, 3, 4),
        )  # fmt: skip
        _status(assistant, as_json=False)
    out = capsys.readouterr().out
    assert "read by OCR: 3 pages in 1 document" in out
    assert f"{docs / 'scan.pdf'}: pages 2-4" in out
