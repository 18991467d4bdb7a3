"""The indexer against real SQLite, hnswlib and the bundled embedder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from engine.assistant import Assistant
from engine.errors import EmbedderMismatchError
from engine.jobs import CancelToken


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture()
def docs(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    write(
        root / "notes.md",
        "# Garden\n\nThe greenhouse heater is set to 14 degrees.\n\n"
        "## Tools\n\nThe spade lives in the blue shed.\n",
    )
    write(root / "travel.txt", "Our ferry to Orkney leaves Aberdeen at 17:00 on Tuesdays.\n")
    write(root / "sub" / "recipe.txt", "Marmalade needs Seville oranges and two kilos of sugar.\n")
    return root


@pytest.fixture()
def assistant(home: Path, embedder, docs: Path):
    a = Assistant(home=home, embedder=embedder)
    a.add_folder(docs)
    yield a
    a.close()


def consistent(a: Assistant) -> None:
    """Store and vector index agree, with no orphans or duplicates."""
    assert a.store.check_integrity() == []
    indexer = a.indexer
    assert indexer.vectors.live_ids() == set(a.store.chunk_ids().tolist())
    docs = a.store.documents_under("/")
    assert len(docs) == len(set(docs))


def top_path(a: Assistant, query: str) -> str:
    return a.search(query, k=1)[0].path


def test_first_sync_indexes_every_file(assistant, docs):
    report = assistant.index()
    assert report.added == 3 and not report.failures
    status = assistant.status()
    assert status.indexed == 3 and status.chunks >= 4
    assert top_path(assistant, "what temperature is the greenhouse") == str(docs / "notes.md")
    hit = assistant.search("where is the spade kept", k=1)[0]
    assert hit.heading == "Garden > Tools" and hit.line_start == 7
    consistent(assistant)


def test_touch_reembeds_nothing(assistant, docs):
    assistant.index()
    before = assistant.store.chunk_ids().tolist()
    os.utime(docs / "travel.txt", ns=(1, 2_000_000_000_000_000_000))
    report = assistant.index()
    assert report.touched == 1 and report.chunks_added == 0 and report.chunks_removed == 0
    assert assistant.store.chunk_ids().tolist() == before
    assert assistant.index().unchanged == 3  # and the new mtime was recorded


def test_edit_replaces_only_that_file(assistant, docs):
    assistant.index()
    write(docs / "travel.txt", "The ferry now leaves from Scrabster at 09:00.\n")
    report = assistant.index()
    assert report.updated == 1 and report.added == 0 and report.unchanged == 2
    assert "Scrabster" in assistant.search("ferry departure port", k=1)[0].text
    assert not any("Aberdeen" in h.text for h in assistant.search("Aberdeen ferry", k=5))
    consistent(assistant)


def test_rename_and_move_keep_chunks(assistant, docs):
    assistant.index()
    ids = assistant.store.chunk_ids().tolist()
    (docs / "travel.txt").rename(docs / "trips.txt")
    (docs / "sub").mkdir(exist_ok=True)
    shutil.move(docs / "notes.md", docs / "sub" / "garden.md")
    report = assistant.index()
    assert report.moved == 2 and report.chunks_added == 0 and report.removed == 0
    assert assistant.store.chunk_ids().tolist() == ids
    assert top_path(assistant, "ferry to Orkney") == str(docs / "trips.txt")
    assert top_path(assistant, "greenhouse heater") == str(docs / "sub" / "garden.md")
    consistent(assistant)


def test_copy_reuses_vectors(assistant, docs):
    assistant.index()
    shutil.copy(docs / "travel.txt", docs / "travel-copy.txt")
    report = assistant.index()
    assert report.copied == 1 and report.added == 0
    paths = {h.path for h in assistant.search("ferry to Orkney", k=5)}
    assert {str(docs / "travel.txt"), str(docs / "travel-copy.txt")} <= paths


def test_delete_removes_chunks_keywords_and_vectors(assistant, docs):
    assistant.index()
    (docs / "sub" / "recipe.txt").unlink()
    report = assistant.index()
    assert report.removed == 1 and report.chunks_removed >= 1
    assert all("Seville" not in h.text for h in assistant.search("Seville marmalade", k=5))
    assert assistant.store.keyword_search('"seville"', 5) == []
    consistent(assistant)


def test_bad_files_are_reported_and_the_run_goes_on(assistant, docs):
    (docs / "broken.pdf").write_bytes(b"%PDF-1.4\n this is not really a pdf")
    (docs / "photo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    report = assistant.index()
    assert report.added == 3
    failures = dict(report.failures)
    assert failures[str(docs / "broken.pdf")].startswith("damaged PDF")
    # images are read by OCR (on by default): a damaged one is reported as such
    assert failures[str(docs / "photo.png")].startswith("damaged image")
    problems = {p.path: p for p in assistant.status().problems}
    assert problems[str(docs / "broken.pdf")].status == "failed"
    # Unchanged failures are not retried; fixing the file indexes it.
    assert assistant.index().unchanged == 5
    write(docs / "broken.pdf", "")
    (docs / "broken.pdf").unlink()
    assert assistant.index().removed == 1


def test_ignored_files_are_not_indexed(home, embedder, docs):
    write(docs / ".hidden" / "secret.txt", "hidden words")
    write(docs / "node_modules" / "pkg" / "readme.md", "vendored words")
    write(docs / "draft.log", "log words")
    from engine.settings import Settings

    with Assistant(
        home=home, embedder=embedder, settings=Settings(ignore_patterns=("*.log",))
    ) as a:
        a.add_folder(docs)
        a.index()
        paths = set(a.store.documents_under(str(docs)))
    assert paths == {
        str(docs / "notes.md"),
        str(docs / "travel.txt"),
        str(docs / "sub" / "recipe.txt"),
    }


def test_cancel_then_resume_converges(assistant, docs):
    for i in range(20):
        write(docs / "many" / f"f{i:02}.txt", f"Document number {i} talks about topic {i}.\n")
    cancel = CancelToken()
    seen = []

    def progress(p):
        seen.append(p)
        if p.files_done >= 3:
            cancel.cancel()

    first = assistant.index(progress=progress, cancel=cancel)
    assert first.cancelled and assistant.status().indexed < 23
    second = assistant.index()
    assert not second.cancelled and assistant.status().indexed == 23
    assert seen[0].files_total == 23
    consistent(assistant)


def test_missing_folder_keeps_its_index(assistant, docs, tmp_path):
    assistant.index()
    docs.rename(tmp_path / "unplugged")
    report = assistant.index()
    assert report.removed == 0 and ("folder not found" in dict(report.failures).values())
    assert assistant.status().indexed == 3


def test_reindex_survives_restart(home, embedder, docs):
    with Assistant(home=home, embedder=embedder) as a:
        a.add_folder(docs)
        a.index()
        ids = a.store.chunk_ids().tolist()
    with Assistant(home=home, embedder=embedder) as b:
        report = b.index()
        assert report.unchanged == 3 and b.store.chunk_ids().tolist() == ids
        assert top_path(b, "Seville oranges") == str(docs / "sub" / "recipe.txt")


class RenamedEmbedder:
    """The real embedder under another name: a stand-in for 'the user changed models'."""

    def __init__(self, real) -> None:
        self.real = real
        self.model_id = "local:some-other-embedder"
        self.dimension = real.dimension
        self.tokens = real.tokens

    def embed(self, texts):
        return self.real.embed(texts)


def test_changing_the_embedder_requires_reembed(home, embedder, docs):
    with Assistant(home=home, embedder=embedder) as a:
        a.add_folder(docs)
        a.index()
    other = RenamedEmbedder(embedder)
    with Assistant(home=home, embedder=other) as b:
        with pytest.raises(EmbedderMismatchError, match="reembed"):
            b.search("oranges")
        assert b.reembed() == b.status().chunks
        assert b.status().embedder == other.model_id
        assert top_path(b, "Seville oranges") == str(docs / "sub" / "recipe.txt")


def test_move_seen_as_delete_then_create_reembeds_nothing(assistant, docs, tmp_path):
    """A move split over two passes (e.g. two watcher batches) reuses the parked vectors."""
    assistant.index()
    outside = tmp_path / "elsewhere.txt"
    shutil.move(docs / "travel.txt", outside)
    assert assistant.index().removed == 1
    shutil.move(outside, docs / "sub" / "travel.txt")
    report = assistant.index()
    assert report.moved == 1 and report.chunks_embedded == 0 and report.added == 0
    assert top_path(assistant, "ferry to Orkney") == str(docs / "sub" / "travel.txt")
    consistent(assistant)


def test_new_content_is_embedded_and_counted(assistant, docs):
    report = assistant.index()
    assert report.chunks_embedded == report.chunks_added >= 3


def test_a_parser_bug_is_logged_and_the_run_goes_on(assistant, docs, caplog):
    """A bug in a parser (not a bad file) is logged with its traceback, never swallowed."""
    from engine.parsing.worker import ParserBugError

    indexer = assistant.indexer
    real = indexer._worker

    class BuggyOnTravel:
        def submit(self, path):
            self.path = str(path)
            real.submit(path)

        def result(self):
            parsed = real.result()
            if self.path.endswith("travel.txt"):
                raise ParserBugError("parser failed on travel.txt:\nTraceback: KeyError 'x'")
            return parsed

        def close(self):
            real.close()

    indexer._worker = BuggyOnTravel()
    report = assistant.index()
    assert report.added == 2
    assert dict(report.failures)[str(docs / "travel.txt")].startswith("internal parser error")
    assert any("parser bug" in r.message and r.exc_info for r in caplog.records)


def test_watcher_batch_for_a_subfolder_honours_anchored_patterns(home, embedder, docs):
    from engine.settings import Settings

    write(docs / "sub" / "drafts" / "wip.md", "Unfinished draft about otters.\n")
    with Assistant(
        home=home, embedder=embedder, settings=Settings(ignore_patterns=("sub/drafts/*",))
    ) as a:
        a.add_folder(docs)
        indexer = a.indexer
        indexer.index_paths([docs / "sub"])
        assert set(a.store.documents_under(str(docs))) == {str(docs / "sub" / "recipe.txt")}
