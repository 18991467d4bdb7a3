"""The keyword side of search: which words of a question go to FTS5, and how.

Function words are dropped (they match nearly every passage and only cost time). In a
large index, words that still occur in a large share of passages are dropped too: FTS5
scores every passage that matches any term, so one such word (porter stems "one" to
"on", "ins" to "in") can make a query 20 times slower while adding almost nothing to
BM25, whose weight for it is near zero. Document counts are cached per term.
"""

from __future__ import annotations

import re
import threading
import time

from engine.store import Store

_WORD = re.compile(r"\w+", re.UNICODE)
# Function words that match almost every passage and only slow BM25 down.
STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers herself him himself his how i if
    in into is it its itself just me more most my myself no nor not now of off on once
    only or other our ours ourselves out over own same she should so some such than that
    the their theirs them themselves then there these they this those through to too
    under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves
    """.split()
)


MAX_TERMS = 32
# A term is dropped when it occurs in more than this share of passages, but only in indexes
# large enough for it to matter (below COMMON_FLOOR passages nothing is dropped).
COMMON_SHARE = 0.10
COMMON_FLOOR = 20_000
CACHE_SECONDS = 120.0


def query_terms(text: str) -> list[str]:
    """The question's distinct content words, lower-cased, in order."""
    words = [w.lower() for w in _WORD.findall(text)]
    content = [w for w in words if w not in STOPWORDS] or words
    return list(dict.fromkeys(content))[:MAX_TERMS]


STEM_LETTERS = 5  # loose word matching compares the first letters of a word's stem
_SUFFIXES = ("ing", "ed", "es", "s", "e")


def stem(word: str) -> str:
    """A loose stem: one common suffix off, then the first letters ("fired" ~ "fires")."""
    word = word.lower()
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:STEM_LETTERS]


def word_stems(text: str) -> set[str]:
    """The loose stems of every word of `text`."""
    return {stem(w) for w in _WORD.findall(text)}


def term_coverage(question: str, passage: str) -> float:
    """Share of the question's content words that the passage contains (loosely matched)."""
    terms = {stem(t) for t in query_terms(question)}
    if not terms:
        return 0.0
    return len(terms & word_stems(passage)) / len(terms)


def match_expression(terms: list[str]) -> str | None:
    """An FTS5 MATCH expression: every term quoted (no FTS syntax survives), OR-ed."""
    if not terms:
        return None
    return " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)


def keyword_query(text: str) -> str | None:
    """The MATCH expression for a question, without frequency pruning."""
    return match_expression(query_terms(text))


class KeywordPlanner:
    """Builds MATCH expressions, leaving out terms too common to be worth scoring."""

    def __init__(
        self, store: Store, common_share: float = COMMON_SHARE, floor: int = COMMON_FLOOR
    ) -> None:
        self.store = store
        self.common_share = common_share
        self.floor = floor
        self._counts: dict[str, int] = {}
        self._total = 0
        self._filled_at = 0.0
        self._lock = threading.Lock()

    def match(self, text: str) -> str | None:
        terms = query_terms(text)
        total = self._passages()
        if total < self.floor or len(terms) <= 1:
            return match_expression(terms)
        counts = self._document_counts(terms)
        limit = self.common_share * total
        kept = [t for t in terms if counts[t] <= limit]
        if not kept:  # every word is common: keep the three rarest
            kept = sorted(terms, key=lambda t: counts[t])[:3]
        return match_expression(kept)

    def _passages(self) -> int:
        with self._lock:
            if time.monotonic() - self._filled_at > CACHE_SECONDS:
                self._counts.clear()
                self._total = self.store.stats().chunks
                self._filled_at = time.monotonic()
            return self._total

    def _document_counts(self, terms: list[str]) -> dict[str, int]:
        with self._lock:
            missing = [t for t in terms if t not in self._counts]
        found = {t: self.store.keyword_document_count(match_expression([t]) or "") for t in missing}
        with self._lock:
            self._counts.update(found)
            return {t: self._counts.get(t, found.get(t, 0)) for t in terms}
