"""Hybrid retrieval with the real embedder, SQLite FTS5 and hnswlib."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from engine.assistant import Assistant
from engine.search.keywords import keyword_query


def test_keyword_query_quotes_every_word_and_drops_stopwords():
    assert keyword_query('What is the "AND" of x-ray* NEAR(a b)?') == (
        '"x" OR "ray" OR "near" OR "b"'
    )
    assert keyword_query("the of and") == '"the" OR "of" OR "and"'  # nothing but stopwords
    assert keyword_query("?!") is None


@pytest.fixture()
def small(home: Path, embedder, tmp_path: Path):
    root = tmp_path / "docs"
    (root / "hr").mkdir(parents=True)
    (root / "it").mkdir()
    (root / "hr" / "leave.md").write_text(
        "# Leave policy\n\nEmployees get 27 days of paid holiday per year.\n"
    )
    (root / "it" / "printers.md").write_text(
        "# Printers\n\nThe third floor printer has asset tag ZX-4471-Q.\n\n"
        "Paper jams are cleared by opening tray two.\n"
    )
    (root / "it" / "laptops.md").write_text(
        "# Laptops\n\nStaff laptops are replaced every four years.\n"
    )
    a = Assistant(home=home, embedder=embedder)
    a.add_folder(root)
    a.index()
    yield a, root
    a.close()


def test_keyword_side_finds_rare_codes(small):
    a, root = small
    keyword = a.search("ZX-4471-Q", k=1, mode="keyword")
    assert keyword[0].path == str(root / "it" / "printers.md")
    hybrid = a.search("ZX-4471-Q", k=1)
    assert hybrid[0].path == str(root / "it" / "printers.md")
    assert hybrid[0].keyword_rank == 1


def test_dense_side_finds_paraphrases(small):
    a, root = small
    hits = a.search("how much vacation do workers have", k=1, mode="dense")
    assert hits[0].path == str(root / "hr" / "leave.md")
    assert hits[0].similarity > 0.3


def test_scope_limits_results_to_a_folder(small):
    a, root = small
    hits = a.search("holiday days per year", k=5, scope=root / "it")
    assert hits and all(h.path.startswith(str(root / "it") + "/") for h in hits)
    assert a.search("holiday days", k=5, scope=root / "hr")[0].path.endswith("leave.md")


def test_overlapping_neighbours_are_merged(home, embedder, tmp_path):
    root = tmp_path / "long"
    root.mkdir()
    sentences = [
        f"Lighthouse keeper log entry {i}: the lamp at Skerryvore was trimmed and "
        f"the fog signal tested {i} times."
        for i in range(60)
    ]
    (root / "log.txt").write_text(" ".join(sentences) + "\n")
    with Assistant(home=home, embedder=embedder) as a:
        a.add_folder(root)
        a.index()
        assert a.status().chunks >= 4
        hits = a.search("Skerryvore lighthouse lamp trimmed fog signal", k=4)
    spans = sorted((h.char_start, h.char_end) for h in hits)
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start > end, "two returned passages overlap"
    merged = [h for h in hits if len(h.chunk_ids) > 1]
    assert merged, "neighbouring overlapping chunks were not merged"
    for hit in merged:
        source = (root / "log.txt").read_text()
        assert hit.text == source[hit.char_start : hit.char_end]


def test_hybrid_beats_either_side_on_labelled_questions(home, embedder, tmp_path, squad_zip):
    from bench import squad

    corpus = squad.load(squad_zip, articles=4)
    folder = tmp_path / "squad"
    squad.write(corpus, folder)
    questions = corpus.questions[::2]
    golds = [str(folder / q.gold) for q in questions]
    with Assistant(home=home, embedder=embedder) as a:
        a.add_folder(folder)
        a.index()
        quality = {}
        for mode in ("keyword", "dense", "hybrid"):
            results = a.search_many([q.text for q in questions], k=10, mode=mode)
            quality[mode] = squad.score([[h.path for h in hits] for hits in results], golds)
    assert quality["hybrid"].mrr_at_10 > quality["dense"].mrr_at_10, quality
    assert quality["hybrid"].mrr_at_10 > quality["keyword"].mrr_at_10, quality
    assert quality["hybrid"].recall_at_5 >= max(
        quality["dense"].recall_at_5, quality["keyword"].recall_at_5
    ), quality


def test_common_terms_are_left_out_of_large_keyword_queries(tmp_path):
    import numpy as np

    from engine.search.keywords import KeywordPlanner
    from engine.store import NewChunk, Store

    store = Store(tmp_path / "db.sqlite3")
    folder = store.add_folder("/d")
    for i in range(40):
        text = f"alpha report number {i}" + (" zebra" if i == 7 else "")
        chunk = NewChunk(
            ord=0,
            text=text,
            heading="",
            page=None,
            char_start=0,
            char_end=len(text),
            line_start=1,
            line_end=1,
            tokens=5,
        )
        store.put_document(
            folder_id=folder.id,
            path=f"/d/{i}.txt",
            size=1,
            mtime_ns=1,
            sha256=str(i),
            status="indexed",
            chunks=[chunk],
            vectors=np.ones((1, 4), dtype=np.float32),
        )
    planner = KeywordPlanner(store, common_share=0.25, floor=10)
    assert planner.match("alpha zebra") == '"zebra"'  # 'alpha' is in every passage
    assert planner.match("alpha report") in ('"alpha" OR "report"', '"report" OR "alpha"')
    small = KeywordPlanner(store, common_share=0.25, floor=1000)  # small index: keep all
    assert small.match("alpha zebra") == '"alpha" OR "zebra"'
    store.close()
