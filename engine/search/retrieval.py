"""Hybrid retrieval: dense kNN (hnswlib) and BM25 (FTS5), fused by reciprocal rank.

Dense search finds paraphrases; keyword search finds rare names, codes and numbers the
embedder blurs. Reciprocal rank fusion combines the two rankings without calibrating
their scores against each other. Overlapping neighbours from one document (chunks
overlap by design) are merged into one passage so results are not near-duplicates.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from engine.index.vector_index import VectorIndex
from engine.models.embedding import Embedder
from engine.parsing.formats import place
from engine.search.keywords import KeywordPlanner
from engine.store import ChunkRecord, Store

Mode = Literal["hybrid", "dense", "keyword"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "keyword")
# Weighted reciprocal rank fusion: score = sum of weight / (k + rank) over the rankings.
# k = 1 and a dense weight of 0.7 were chosen on the first half of SQuAD dev and checked on
# the other half (bench/retrieval_quality.py, docs/benchmarks.md); they are the defaults
# of the settings rrf_k and rrf_dense_weight.
RRF_K = 1
DENSE_WEIGHT = 0.7


@dataclass(frozen=True, slots=True)
class SearchHit:
    """One retrieved passage with everything needed to cite it."""

    path: str
    page: int | None
    heading: str
    text: str
    score: float  # fused score (mode-specific scale); higher is better
    similarity: float  # cosine similarity of query and passage embeddings
    char_start: int
    char_end: int
    line_start: int | None
    line_end: int | None
    chunk_ids: tuple[int, ...]
    dense_rank: int | None = None  # 1-based rank in the dense list, None if absent
    keyword_rank: int | None = None
    place: str = ""  # where in the file, in words: "page 4", "slide 3" ("" for nowhere)
    ocr: bool = False  # the passage's page was read by OCR

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "page": self.page,
            "place": self.place or None,
            "ocr": self.ocr,
            "heading": self.heading or None,
            "score": round(self.score, 6),
            "similarity": round(self.similarity, 4),
            "text": self.text,
            "span": [self.char_start, self.char_end],
            "lines": [self.line_start, self.line_end] if self.line_start is not None else None,
            "chunk_ids": list(self.chunk_ids),
        }


class Retriever:
    """Searches the store and the vector index; safe to call from several threads."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        vectors: VectorIndex,
        candidates: int = 50,
        rrf_k: int = RRF_K,
        dense_weight: float = DENSE_WEIGHT,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.vectors = vectors
        self.candidates = candidates
        self.rrf_k = rrf_k
        self.dense_weight = dense_weight
        self._keywords = KeywordPlanner(store)
        self._keyword_thread = ThreadPoolExecutor(1, thread_name_prefix="docent-keyword")

    def search(
        self, query: str, k: int = 8, scope: str | None = None, mode: Mode = "hybrid"
    ) -> list[SearchHit]:
        return self.search_many([query], k=k, scope=scope, mode=mode)[0]

    def search_many(
        self, queries: Sequence[str], k: int = 8, scope: str | None = None, mode: Mode = "hybrid"
    ) -> list[list[SearchHit]]:
        """Search several queries with one embedding call."""
        vectors, keyword, depth, allowed = self._rank_inputs(queries, k, scope, mode)
        return [
            self._search_one([(vector, keyword_hits, 1.0)], k, depth, allowed, mode)
            for vector, keyword_hits in zip(vectors, keyword, strict=True)
        ]

    def search_in_context(
        self,
        query: str,
        context: Sequence[str],
        k: int = 8,
        scope: str | None = None,
        mode: Mode = "hybrid",
        context_weight: float = 0.5,
    ) -> list[SearchHit]:
        """Search `query`, steered by `context` queries (a conversation's earlier turns).

        Every query's rankings join one fusion, the context ones weighted by
        `context_weight`; a passage's similarity is its best against any of the queries.
        """
        queries = [query, *context]
        vectors, keyword, depth, allowed = self._rank_inputs(queries, k, scope, mode)
        weights = [1.0] + [context_weight] * len(context)
        return self._search_one(
            list(zip(vectors, keyword, weights, strict=True)), k, depth, allowed, mode
        )

    def _rank_inputs(
        self, queries: Sequence[str], k: int, scope: str | None, mode: Mode
    ) -> tuple[np.ndarray, list[list[tuple[int, float]]], int, set[int] | None]:
        """Query vectors and keyword rankings, computed side by side.

        The keyword side runs on a second thread while the queries are embedded: SQLite and
        torch both release the GIL, so the two overlap instead of adding up.
        """
        if mode not in MODES:
            raise ValueError(f"unknown search mode {mode!r}")
        depth = max(self.candidates, 4 * k)
        keyword_future = (
            self._keyword_thread.submit(self._keyword_rankings, list(queries), depth, scope)
            if mode != "dense"
            else None
        )
        vectors = self.embedder.embed(list(queries))
        allowed = self.store.chunk_ids_under(scope) if scope is not None else None
        keyword = keyword_future.result() if keyword_future else [[] for _ in queries]
        return vectors, keyword, depth, allowed

    def _keyword_rankings(
        self, queries: list[str], depth: int, scope: str | None
    ) -> list[list[tuple[int, float]]]:
        rankings = []
        for text in queries:
            match = self._keywords.match(text)
            rankings.append(self.store.keyword_search(match, depth, scope) if match else [])
        return rankings

    def _search_one(
        self,
        rankings: list[tuple[np.ndarray, list[tuple[int, float]], float]],
        k: int,
        depth: int,
        allowed: set[int] | None,
        mode: Mode,
    ) -> list[SearchHit]:
        """Fuse (query vector, keyword ranking, weight) triples into merged passages."""
        fused: dict[int, float] = {}
        dense_lists = []
        for vector, keyword, weight in rankings:
            dense = self.vectors.search(vector, depth, allowed) if mode != "keyword" else []
            dense_lists.append(dense)
            if mode == "dense":
                scored = {cid: weight * sim for cid, sim in dense}
            elif mode == "keyword":
                scored = {cid: -weight * bm25 for cid, bm25 in keyword}
            else:
                scored = {}
                for ranked, side in ((dense, self.dense_weight), (keyword, 1.0)):
                    for rank, (cid, _) in enumerate(ranked, 1):
                        scored[cid] = scored.get(cid, 0.0) + side / (self.rrf_k + rank)
            for cid, value in scored.items():
                fused[cid] = fused.get(cid, 0.0) + value
        first_dense, first_keyword = dense_lists[0], rankings[0][1]
        dense_rank = {cid: rank for rank, (cid, _) in enumerate(first_dense, 1)}
        keyword_rank = {cid: rank for rank, (cid, _) in enumerate(first_keyword, 1)}
        order = sorted(fused, key=lambda cid: -fused[cid])
        records = self.store.chunks(order[: 3 * k])
        similarities: dict[int, float] = {}
        for (vector, _, _), dense in zip(rankings, dense_lists, strict=True):
            for cid, sim in self._similarities(vector, list(records), dense).items():
                similarities[cid] = max(similarities.get(cid, -1.0), sim)
        hits: list[SearchHit] = []
        for cid in order[: 3 * k]:
            record = records.get(cid)
            if record is None:  # deleted since the index was read
                continue
            hit = _hit(record, fused[cid], similarities.get(cid, 0.0))
            hit = replace(hit, dense_rank=dense_rank.get(cid), keyword_rank=keyword_rank.get(cid))
            _merge_into(hits, hit)
            if len(hits) >= k:
                break
        return hits

    def _similarities(
        self, vector: np.ndarray, ids: list[int], dense: list[tuple[int, float]]
    ) -> dict[int, float]:
        known = dict(dense)
        missing = [cid for cid in ids if cid not in known]
        for found, matrix in self.store.iter_vectors(missing) if missing else ():
            for cid, score in zip(found.tolist(), (matrix @ vector).tolist(), strict=True):
                known[cid] = float(score)
        return known


def _hit(record: ChunkRecord, score: float, similarity: float) -> SearchHit:
    return SearchHit(
        path=record.path,
        page=record.page,
        heading=record.heading,
        text=record.text,
        score=score,
        similarity=similarity,
        char_start=record.char_start,
        char_end=record.char_end,
        line_start=record.line_start,
        line_end=record.line_end,
        chunk_ids=(record.id,),
        place=place(record.kind, record.page),
        ocr=record.ocr,
    )


def _merge_into(hits: list[SearchHit], new: SearchHit) -> None:
    """Add `new`, folding it with every hit of the same document section it overlaps.

    The merged passage takes the place of the best-ranked hit it absorbed; merging can
    chain (a chunk that bridges two earlier hits joins all three).
    """
    merged, position = new, len(hits)
    for index in range(len(hits) - 1, -1, -1):
        if _overlaps(hits[index], merged):
            merged = _combine(hits[index], merged)
            position = index
            del hits[index]
    hits.insert(min(position, len(hits)), merged)


def _overlaps(a: SearchHit, b: SearchHit) -> bool:
    return (
        a.path == b.path
        and a.page == b.page
        and a.heading == b.heading
        and b.char_start <= a.char_end
        and a.char_start <= b.char_end
    )


def _combine(hit: SearchHit, new: SearchHit) -> SearchHit:
    """One passage covering both overlapping hits; `hit` is the better-ranked one."""
    first, second = (hit, new) if new.char_start >= hit.char_start else (new, hit)
    if second.char_end <= first.char_end:  # fully contained
        text, end, line_end = first.text, first.char_end, first.line_end
    else:
        expected = max(first.char_end - second.char_start, 0)
        text = _join_overlapping(first.text, second.text, expected)
        end, line_end = second.char_end, second.line_end
    return replace(
        hit,
        text=text,
        char_start=first.char_start,
        char_end=end,
        line_start=first.line_start,
        line_end=line_end,
        score=max(hit.score, new.score),
        similarity=max(hit.similarity, new.similarity),
        chunk_ids=tuple(sorted({*hit.chunk_ids, *new.chunk_ids})),
        dense_rank=_best(hit.dense_rank, new.dense_rank),
        keyword_rank=_best(hit.keyword_rank, new.keyword_rank),
        ocr=hit.ocr or new.ocr,
    )


def _join_overlapping(first: str, second: str, expected: int) -> str:
    """first + second without repeating the text they share (first's tail, second's head).

    `expected` is the overlap the two spans imply in the source file. Markup can make the
    text overlap differ a little, so the matching length nearest to it wins; the longest
    match would swallow whole periods of repetitive text (tables, logs).
    """
    longest = min(len(first), len(second))
    low, high = max(1, expected // 2 - 50), min(longest, expected * 2 + 100)
    candidates = [s for s in range(low, high + 1) if first.endswith(second[:s])]
    if not candidates:  # the spans disagree with the text: fall back to the longest match
        candidates = [s for s in range(longest, 0, -1) if first.endswith(second[:s])][:1]
    if not candidates:
        return first + "\n\n" + second
    best = min(candidates, key=lambda size: abs(size - expected))
    return first + second[best:]


def _best(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)
