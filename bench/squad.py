"""SQuAD v1.1 dev as a retrieval corpus: one text file per paragraph, questions as queries.

Each question's own paragraph is its gold passage, so a hit is relevant exactly when its
path is that paragraph's file.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SQUAD_ZIP = (
    Path(__file__).resolve().parents[1].parent / "shared" / "data" / "squad-dev-v1.1.json.zip"
)


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    text: str
    answers: tuple[str, ...]
    gold: str  # relative path of the paragraph file


@dataclass(frozen=True, slots=True)
class Corpus:
    files: dict[str, str]  # relative path -> paragraph text
    questions: tuple[Question, ...]


def load(zip_path: Path = SQUAD_ZIP, articles: int | None = None) -> Corpus:
    """The first `articles` articles (all when None) as files and questions."""
    with zipfile.ZipFile(zip_path) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".json"))
        data = json.loads(archive.read(name))["data"]
    files: dict[str, str] = {}
    questions: list[Question] = []
    for article in data[:articles]:
        slug = re.sub(r"[^A-Za-z0-9]+", "-", article["title"]).strip("-")[:60]
        for number, paragraph in enumerate(article["paragraphs"]):
            relative = f"{slug}/p{number:03}.txt"
            files[relative] = paragraph["context"]
            for qa in paragraph["qas"]:
                answers = tuple(dict.fromkeys(a["text"] for a in qa["answers"]))
                questions.append(Question(qa["id"], qa["question"], answers, relative))
    return Corpus(files, tuple(questions))


def write(corpus: Corpus, folder: Path) -> None:
    for relative, text in corpus.files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n", encoding="utf-8")


@dataclass(frozen=True, slots=True)
class Split:
    """Some articles indexed less a few paragraphs each; the questions that makes."""

    files: dict[str, str]  # what is indexed
    indexed_articles: list[str]
    off_articles: list[str]
    removed: set[str]
    positives: list[Question]  # their own paragraph is indexed
    off_topic: list[Question]  # from the articles not indexed
    near_candidates: list[Question]  # their paragraph was removed
    near_miss: list[Question]  # ... and no indexed paragraph holds any gold answer


def split(
    corpus: Corpus, articles: Sequence[str], rng: Any, indexed: int, removed_per_article: int
) -> Split:
    """Index `indexed` of `articles` (drawn by `rng`), less `removed_per_article`
    paragraphs of each: answerable, off-topic and near-miss questions, as the relevance
    and answers benchmarks define them."""
    chosen = sorted(rng.sample(list(articles), indexed), key=list(articles).index)
    off_articles = [a for a in articles if a not in chosen]
    removed: set[str] = set()
    for article in chosen:
        paragraphs = [p for p in corpus.files if p.split("/")[0] == article]
        removed.update(rng.sample(paragraphs, removed_per_article))
    files = {
        p: text
        for p, text in corpus.files.items()
        if p.split("/")[0] in chosen and p not in removed
    }
    lowered = [text.lower() for text in files.values()]

    def answer_indexed(question: Question) -> bool:
        answers = [a.lower() for a in question.answers if a.strip()]
        return any(a in text for a in answers for text in lowered)

    near_candidates = [q for q in corpus.questions if q.gold in removed]
    return Split(
        files=files,
        indexed_articles=chosen,
        off_articles=off_articles,
        removed=removed,
        positives=[q for q in corpus.questions if q.gold in files],
        off_topic=[q for q in corpus.questions if q.gold.split("/")[0] in off_articles],
        near_candidates=near_candidates,
        near_miss=[q for q in near_candidates if not answer_indexed(q)],
    )


@dataclass(frozen=True, slots=True)
class Quality:
    recall_at_5: float
    mrr_at_10: float
    ndcg_at_10: float
    queries: int

    def to_dict(self) -> dict[str, float]:
        return {
            "recall@5": round(self.recall_at_5, 4),
            "mrr@10": round(self.mrr_at_10, 4),
            "ndcg@10": round(self.ndcg_at_10, 4),
            "queries": self.queries,
        }


def score(ranked_paths: Sequence[Sequence[str]], golds: Sequence[str]) -> Quality:
    """recall@5, MRR@10 and nDCG@10 with one relevant document per query."""
    recall = mrr = ndcg = 0.0
    for paths, gold in zip(ranked_paths, golds, strict=True):
        rank = next((i for i, p in enumerate(paths[:10], 1) if p == gold), None)
        if rank is None:
            continue
        recall += rank <= 5
        mrr += 1.0 / rank
        ndcg += 1.0 / math.log2(rank + 1)
    n = max(len(golds), 1)
    return Quality(recall / n, mrr / n, ndcg / n, len(golds))


@contextlib.contextmanager
def indexed(
    files: dict[str, str], embedder: Any, settings: Any = None
) -> Iterator[tuple[Any, Path]]:
    """A temporary home with `files` written to a folder, added and indexed: (assistant,
    folder). `settings`: an engine Settings (default: the defaults)."""
    from engine.assistant import Assistant

    with tempfile.TemporaryDirectory(prefix="docent-bench-") as tmp:
        folder = Path(tmp) / "docs"
        write(Corpus(files, ()), folder)
        with Assistant(home=Path(tmp) / "home", settings=settings, embedder=embedder) as assistant:
            assistant.add_folder(folder)
            assistant.index()
            yield assistant, folder
