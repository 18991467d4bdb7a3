"""The Assistant facade on a real store and vector index, with a fake embedder."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.assistant import Assistant
from engine.errors import EmbedderMismatchError, UserInputError
from tests.fakes import FakeEmbedder


def _docs(root: Path) -> Path:
    docs = root / "docs"
    (docs / "house").mkdir(parents=True)
    boiler = "# Boiler\n\nThe boiler is inspected every October.\n"
    (docs / "house" / "boiler.md").write_text(boiler)
    (docs / "lease.txt").write_text("The lease ends on 31 March 2027. Pets need consent.\n")
    return docs


def _indexed_home(root: Path) -> Path:
    """A home whose folder of documents was indexed with the default fake embedder."""
    home = root / "home"
    with Assistant(home, embedder=FakeEmbedder()) as first:
        first.add_folder(_docs(root))
        first.index()
    return home


@pytest.fixture()
def assistant(tmp_path: Path):
    with Assistant(tmp_path / "home", embedder=FakeEmbedder()) as assistant:
        yield assistant


def test_add_sync_search_status_and_remove(assistant: Assistant, tmp_path: Path):
    docs = _docs(tmp_path)
    info = assistant.add_folder(docs)
    assert info.path == str(docs.resolve()) and info.exists
    report = assistant.index()
    assert report.added == 2 and not report.failures
    hits = assistant.search("When is the boiler inspected?", k=2)
    assert Path(hits[0].path).name == "boiler.md"
    status = assistant.status()
    assert status.documents == 2 and status.indexed == 2 and status.chunks >= 2
    assert status.embedder == "fake-hashed-words"
    assistant.remove_folder(docs)
    assert assistant.folders() == [] and assistant.status().chunks == 0
    assert assistant.search("boiler", k=2) == []


def test_a_folder_that_is_not_one_is_refused_with_its_name(assistant: Assistant, tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(UserInputError, match="nowhere"):
        assistant.add_folder(missing)
    with pytest.raises(UserInputError, match="Docent's own data"):
        assistant.add_folder(assistant.paths.data_dir)


def test_another_embedder_is_refused_until_reembedded(tmp_path: Path):
    home = _indexed_home(tmp_path)
    other = FakeEmbedder("fake-other", dimension=32)
    with Assistant(home, embedder=other) as second:
        with pytest.raises(EmbedderMismatchError, match="fake-hashed-words"):
            second.search("boiler", k=1)
        assert second.reembed() == second.status().chunks
        assert Path(second.search("boiler October", k=1)[0].path).name == "boiler.md"
        assert second.status().embedder == "fake-other"


def test_the_index_survives_a_restart(tmp_path: Path):
    home = _indexed_home(tmp_path)
    embedder = FakeEmbedder()
    with Assistant(home, embedder=embedder) as again:
        report = again.index()
        assert report.added == 0 and embedder.texts_embedded <= 1  # at most the query
        assert again.search("lease March", k=1)[0].path.endswith("lease.txt")
