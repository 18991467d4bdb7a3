"""Add, edit, rename and delete files while watching: the index converges each time."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.assistant import Assistant
from engine.settings import Settings


def eventually(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout} s")


@pytest.fixture()
def live(home: Path, embedder, tmp_path: Path):
    folder = tmp_path / "watched"
    folder.mkdir()
    (folder / "existing.md").write_text("# Boats\n\nThe rowing boat is painted green.\n")
    a = Assistant(home=home, embedder=embedder, settings=Settings(debounce_ms=150))
    a.add_folder(folder)
    a.index()
    reports = []
    errors: list[BaseException] = []
    batch = threading.Event()

    def on_indexed(report):
        reports.append(report)
        batch.set()

    a.start_watching(on_indexed=on_indexed, on_error=errors.append)
    yield a, folder, reports, errors
    a.close()
    assert not errors, errors


def paths(a: Assistant, query: str, k: int = 5) -> list[str]:
    return [h.path for h in a.search(query, k=k)]


def consistent(a: Assistant) -> bool:
    indexer = a.indexer
    return a.store.check_integrity() == [] and indexer.vectors.live_ids() == set(
        a.store.chunk_ids().tolist()
    )


def test_add_edit_rename_delete_while_watching(live):
    a, folder, reports, _ = live
    new = folder / "kites.txt"
    new.write_text("The red kite was flown at Bembridge beach in May.\n")
    eventually(lambda: str(new) in paths(a, "where was the kite flown"))

    new.write_text("The red kite was flown at Freshwater Bay in June.\n")
    eventually(lambda: any("Freshwater" in h.text for h in a.search("kite flown", k=3)))
    assert not any("Bembridge" in h.text for h in a.search("Bembridge kite", k=5))

    reports.clear()
    renamed = folder / "sub" / "kites-2024.txt"
    renamed.parent.mkdir()
    new.rename(renamed)
    eventually(
        lambda: a.store.document(str(renamed)) is not None and a.store.document(str(new)) is None
    )
    # Into a just-created folder the move may arrive as two batches (create then delete, or
    # delete then create): seen as a move or as a copy plus a removal; nothing is embedded.
    eventually(lambda: sum(r.moved + r.copied for r in reports) == 1)
    assert sum(r.chunks_embedded for r in reports) == 0
    assert str(renamed) in paths(a, "kite flown at Freshwater Bay")

    renamed.unlink()
    eventually(lambda: a.store.document(str(renamed)) is None)
    assert all("kite" not in h.text for h in a.search("red kite", k=5))
    eventually(lambda: consistent(a))


def test_editor_style_save_via_temp_file(live):
    a, folder, _, _ = live
    target = folder / "existing.md"
    tmp = folder / ".existing.md.swp"
    tmp.write_text("# Boats\n\nThe rowing boat is now painted yellow.\n")
    os.replace(tmp, target)
    eventually(lambda: any("yellow" in h.text for h in a.search("rowing boat colour", k=2)))
    assert a.store.document(str(tmp)) is None
    eventually(lambda: consistent(a))


def test_moving_a_whole_directory(live):
    a, folder, _, _ = live
    src = folder / "projects"
    src.mkdir()
    for i in range(5):
        (src / f"p{i}.md").write_text(f"Project {i} is codenamed Heron-{i}.\n")
    eventually(lambda: len(a.store.documents_under(str(src))) == 5)
    ids = set(a.store.chunk_ids().tolist())
    shutil.move(src, folder / "archive")
    eventually(
        lambda: (
            len(a.store.documents_under(str(folder / "archive"))) == 5
            and not a.store.documents_under(str(src))
        )
    )
    assert set(a.store.chunk_ids().tolist()) == ids
    shutil.rmtree(folder / "archive")
    eventually(lambda: not a.store.documents_under(str(folder / "archive")))
    eventually(lambda: consistent(a))


def test_burst_of_files_is_indexed_in_few_batches(live):
    a, folder, reports, _ = live
    reports.clear()
    burst = folder / "checkout"
    burst.mkdir()
    for i in range(200):
        (burst / f"f{i:03}.txt").write_text(f"File {i} mentions the number {i * 13}.\n")
    eventually(lambda: len(a.store.documents_under(str(burst))) == 200, timeout=120)
    assert len([r for r in reports if r.added]) <= 10
    eventually(lambda: consistent(a))


def test_changes_while_not_running_are_caught_up(home, embedder, tmp_path):
    folder = tmp_path / "offline"
    folder.mkdir()
    (folder / "a.txt").write_text("Alpha file about apricots.\n")
    (folder / "b.txt").write_text("Beta file about bananas.\n")
    with Assistant(home=home, embedder=embedder) as a:
        a.add_folder(folder)
        a.index()
    (folder / "a.txt").unlink()
    (folder / "c.txt").write_text("Gamma file about cherries.\n")
    with Assistant(home=home, embedder=embedder) as b:
        b.start_watching()
        report = b.index()  # the catch-up pass `docent watch` runs at start
        assert report.added == 1 and report.removed == 1
        assert set(b.store.documents_under(str(folder))) == {
            str(folder / "b.txt"),
            str(folder / "c.txt"),
        }
