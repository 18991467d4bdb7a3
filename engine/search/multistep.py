"""Multi-step retrieval: search, check what the passages cover, search again.

A question that needs two documents rarely finds both with one search. The loop runs
the question first, then at most `max_extra` more searches, each chosen by a
`QueryProposer` from what the question asks and what has been found:

- a comparison or conjunction ("Are A and B both ...?", "Which is older, A or B?") is
  searched once per named thing, and each keeps its own places among the sources;
- a bridge question ("What did the writer who ... write about?"), when the passages
  found do not cover the question, is searched again for the names the best passage
  (then the best one about a thing the question names) holds and the question lacks,
  together with the question's words the best passage did not cover; a passage found
  that way is kept only when it is about that name (the name in its file name or
  heading, or in its opening), and of the passages the names bring, those holding most
  of the question's words are kept;
- the loop stops when every part is covered, when a step finds nothing new, at the cap,
  or at the time budget.

`RuleProposer` needs no model (the bundled one cannot plan). A model that can plan may
be asked instead through another proposer on the same loop, budget and trace. Every
step is recorded (`LookupStep`: the query, why, what it added) for the Answer.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from engine.search.keywords import query_terms, stem, term_coverage, word_stems
from engine.search.names import compared_names, mentions, names_in, other_words
from engine.search.retrieval import Retriever, SearchHit

OPENING_CHARS = 200  # a passage "is about" a name found in its first characters
COVERED = 1.0  # the best passage holds this share of the question's words: covered
BRIDGE_PASSAGES = 2  # names for the next search come from the best passages this many
BRIDGE_NAMES = 3  # names searched in one bridge step (one embedding batch)
BRIDGE_KEEP = 2  # passages one bridge step may add: those holding most of the question
RULES_BUDGET_S = 1.0  # no new round starts after this long (the rules take milliseconds)
MODEL_BUDGET_S = 20.0  # ... when a model proposes the queries (it writes each one)


@dataclass(frozen=True, slots=True)
class LookupStep:
    """One search of an answer's retrieval."""

    query: str
    why: str  # "the question", "compare: 'Ed Wood'", "follow 'Ed Wood' from passage 1"
    added: tuple[str, ...] = ()  # paths of the passages it brought that were not there
    subject: str = ""  # the name it looked up ("" for the question itself)

    def to_dict(self) -> dict[str, object]:
        return {
            "query": self.query,
            "why": self.why,
            "subject": self.subject or None,
            "added": list(self.added),
        }


def lookup_summary(steps: Sequence[LookupStep]) -> str:
    """One line for a person: "Looked up: 'Scott Derrickson', then 'Ed Wood'" ("" when
    the question was the only search)."""
    names = [f"'{step.subject}'" for step in steps[1:] if step.subject]
    return "Looked up: " + ", then ".join(names) if names else ""


@dataclass(frozen=True, slots=True)
class Lookup:
    """What an answer's retrieval found: the passages, best first, and how."""

    hits: list[SearchHit]
    steps: tuple[LookupStep, ...]

    @classmethod
    def single(cls, query: str, hits: Sequence[SearchHit]) -> Lookup:
        """Passages found by one search of `query` (or given)."""
        return cls(list(hits), (LookupStep(query, "the question", tuple(h.path for h in hits)),))


@dataclass(frozen=True, slots=True)
class NextSearch:
    query: str
    why: str
    name: str = ""  # the passage found must be about this name ("" : any passage)
    source: str = ""  # the path of the passage the name was found in
    subject: str = ""  # what a person is told was looked up (default: the name)


@dataclass(slots=True)
class LookupState:
    """What the loop knows between steps (what a proposer reads)."""

    question: str
    found: list[SearchHit]
    steps: list[LookupStep] = field(default_factory=list)
    tried: set[str] = field(default_factory=set)  # queries already run


class QueryProposer(Protocol):
    def first(self, question: str) -> list[NextSearch]:
        """The searches to run after the question's own (a comparison's parts)."""
        ...

    def next(self, state: LookupState) -> list[NextSearch]:
        """The searches to run next, or [] when the question is covered."""
        ...


def _title(hit: SearchHit) -> str:
    return f"{Path(hit.path).stem} {hit.heading}"


def is_about(hit: SearchHit, name: str) -> bool:
    """Is the passage about `name`: in its file name, heading or opening?"""
    return mentions(_title(hit), name) or mentions(hit.text[:OPENING_CHARS], name)


def is_titled(hit: SearchHit, name: str) -> bool:
    """Is the passage about `name` and nothing broader: the name in its title (less any
    part in brackets: "Afterlife (Arcade Fire song)" is not about Arcade Fire) or heading,
    or opening its text?"""
    title = re.sub(r"\s*\(.*?\)", "", Path(hit.path).stem)
    opening = hit.text.lstrip()[: len(name) + 8]
    return any(mentions(text, name) for text in (title, hit.heading, opening))


def coverage(question: str, hits: Sequence[SearchHit]) -> float:
    """Share of the question's content words that the passages hold between them."""
    return term_coverage(question, " ".join(f"{_title(hit)} {hit.text}" for hit in hits))


class RuleProposer:
    """The next searches by rule: one per compared thing, then bridge names."""

    def __init__(self, covered: float = COVERED) -> None:
        self.covered = covered

    def first(self, question: str) -> list[NextSearch]:
        names = compared_names(question)
        rest = " ".join(other_words(question, names))
        return [NextSearch(f"{name} {rest}".strip(), f"compare: '{name}'", name) for name in names]

    def next(self, state: LookupState) -> list[NextSearch]:
        top = state.found[:1]
        if not top or coverage(state.question, top) >= self.covered:
            return []
        question_stems = word_stems(state.question)
        seen_text = " ".join(f"{_title(h)} {h.text}" for h in top)
        uncovered = [t for t in query_terms(state.question) if stem(t) not in word_stems(seen_text)]
        shown = state.found
        # name -> (rank of its passage, -question words in its sentence, order found)
        scored: dict[str, tuple[int, int, int]] = {}
        for hit in bridge_passages(state):
            rank = shown.index(hit)
            for name, near in bridge_names(hit, state.question):
                if word_stems(name) <= question_stems or name in scored:
                    continue
                if any(is_titled(other, name) for other in shown if other is not hit):
                    continue  # a passage about it is there already
                scored[name] = (rank, -near, len(scored))
        searches = []
        for name in sorted(scored, key=lambda n: scored[n]):
            query = " ".join([name, *uncovered])
            if query in state.tried:
                continue
            rank = scored[name][0]
            why = f"follow '{name}' from passage {rank + 1}"
            searches.append(NextSearch(query, why, name, shown[rank].path))
            if len(searches) == BRIDGE_NAMES:
                break
        return searches


def bridge_passages(state: LookupState) -> list[SearchHit]:
    """The passages to take the next names from: the best one, then the best of those
    about a thing the question names (where a bridge question's first hop lies)."""
    named = [n.text for n in names_in(state.question)]
    about = [h for h in state.found[1:] if any(is_about(h, name) for name in named)]
    rest = [h for h in state.found[1:] if h not in about]
    return (state.found[:1] + about + rest)[:BRIDGE_PASSAGES]


# a sentence: up to a full stop that does not end an initial ("John C. Calhoun")
_SENTENCE = re.compile(r"(?:[^.!?]|(?<=\b[A-Z])\.(?=\s*[A-Z]))+[.!?]*")


def bridge_names(hit: SearchHit, question: str) -> list[tuple[str, int]]:
    """The names a passage holds besides its own subject, each with the number of the
    question's words in the sentence it stands in (the likeliest bridge first)."""
    wanted = {stem(t) for t in query_terms(question)}
    found: list[tuple[str, int]] = []
    for sentence in _SENTENCE.finditer(hit.text):
        text = sentence.group()
        near = len(wanted & word_stems(text))
        for name in names_in(text):
            single = " " not in name.text
            if single and not text[: name.start].strip():
                continue  # one capitalised word opening a sentence is not a name
            if _DATE.match(name.text) or mentions(_title(hit), name.text):
                continue
            found.append((name.text, near))
    return found


_DATE = re.compile(
    r"^(January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)s?(\s+\d+)?$"
)


class MultiStepSearch:
    """Search, check coverage, search again: an answer's retrieval (a `Search`)."""

    def __init__(
        self,
        retriever: Retriever,
        sources: int,
        context_weight: float,
        max_extra: int = 2,
        budget_s: float = RULES_BUDGET_S,
        proposer: QueryProposer | None = None,
        keep: int = BRIDGE_KEEP,
    ) -> None:
        self.retriever = retriever
        self.sources = sources
        self.context_weight = context_weight
        self.max_extra = max_extra
        self.budget_s = budget_s
        self.proposer = proposer or RuleProposer()
        self.keep = keep

    def __call__(self, question: str, context: list[str], scope: str | None) -> Lookup:
        started = time.perf_counter()
        k = self.sources
        first = self.retriever.search_in_context(
            question, context, k=k, scope=scope, context_weight=self.context_weight
        )
        state = LookupState(question, list(first))
        state.steps.append(LookupStep(question, "the question", tuple(h.path for h in first)))
        state.tried.add(question)
        if self.max_extra <= 0:
            return Lookup(first, tuple(state.steps))
        parts = self.proposer.first(question)[: self.max_extra]
        if parts:
            lists = self._run(parts, state, scope)
            kept = [
                [h for h in found if is_about(h, part.name)] or found
                for part, found in zip(parts, lists, strict=True)
            ]
            state.found = _interleave([list(first), *kept])
            self._record(parts, kept, state, first)
            return Lookup(state.found, tuple(state.steps))
        extra = 0
        while extra < self.max_extra and time.perf_counter() - started < self.budget_s:
            searches = self.proposer.next(state)[: self.max_extra - extra]
            if not searches:
                break
            extra += len(searches)
            lists = self._run(searches, state, scope)
            have = {h.path for h in state.found[:k]}
            picks: list[SearchHit | None] = []
            for search, found in zip(searches, lists, strict=True):
                taken = {p.path for p in picks if p is not None}
                about = [h for h in found if h.path not in have and h.path not in taken]
                about = [h for h in about if not search.name or is_about(h, search.name)]
                # a passage titled by the name before one that only mentions it
                picks.append(min(about, key=lambda h: _aboutness(h, search.name), default=None))
            chosen = _best_picks(state.question, picks, self.keep)
            new: list[SearchHit] = []
            sources: set[str] = set()
            for search, pick in zip(searches, picks, strict=True):
                added = (pick.path,) if pick is not None and id(pick) in chosen else ()
                subject = search.subject or search.name
                state.steps.append(LookupStep(search.query, search.why, added, subject))
                if added:
                    new.append(pick)  # type: ignore[arg-type]
                    sources.add(search.source)
            if not new:
                break  # the step found nothing new
            state.found = _make_room(state.found, new, k, sources)
        return Lookup(state.found, tuple(state.steps))

    def _run(
        self, searches: Sequence[NextSearch], state: LookupState, scope: str | None
    ) -> list[list[SearchHit]]:
        queries = [s.query for s in searches]
        state.tried.update(queries)
        return self.retriever.search_many(queries, k=self.sources, scope=scope)

    def _record(
        self,
        searches: Sequence[NextSearch],
        lists: Sequence[Sequence[SearchHit]],
        state: LookupState,
        first: Sequence[SearchHit],
    ) -> None:
        shown = {h.path for h in state.found[: self.sources]}
        seen = {h.path for h in first}
        for search, found in zip(searches, lists, strict=True):
            added = tuple(h.path for h in found if h.path in shown and h.path not in seen)
            seen.update(added)
            state.steps.append(LookupStep(search.query, search.why, added, search.name))


def _aboutness(hit: SearchHit, name: str) -> int:
    """0: the passage's file is named for `name` alone; 1: titled by it; 2: mentions it."""
    if name and word_stems(Path(hit.path).stem) == word_stems(name):
        return 0
    return 1 if name and is_titled(hit, name) else 2


def _best_picks(question: str, picks: Sequence[SearchHit | None], keep: int) -> set[int]:
    """The ids of the `keep` passages found that hold the most of the question's words
    (the likeliest second hop), earlier searches first among equals."""
    found = [(i, p) for i, p in enumerate(picks) if p is not None]
    found.sort(key=lambda item: (-coverage(question, [item[1]]), item[0]))
    return {id(p) for _, p in found[:keep]}


def _key(hit: SearchHit) -> tuple[str, int, int]:
    return (hit.path, hit.char_start, hit.char_end)


def _interleave(lists: Sequence[Sequence[SearchHit]]) -> list[SearchHit]:
    """Take from each list in turn (best first), skipping passages already taken."""
    taken: list[SearchHit] = []
    keys: set[tuple[str, int, int]] = set()
    depth = max((len(x) for x in lists), default=0)
    for rank in range(depth):
        for hits in lists:
            if rank < len(hits) and _key(hits[rank]) not in keys:
                taken.append(hits[rank])
                keys.add(_key(hits[rank]))
    return taken


def _make_room(
    found: Sequence[SearchHit], new: Sequence[SearchHit], k: int, sources: set[str]
) -> list[SearchHit]:
    """The new passages inside the first `k` places, in place of the weakest ones found
    before, except the passages that led to them; what they displaced follows after."""
    room = max(0, k - len(new))
    kept = {id(h) for h in found if h.path in sources}
    for hit in found:
        if len(kept) >= room:
            break
        kept.add(id(hit))
    first = [h for h in found if id(h) in kept][:room]
    taken = {id(h) for h in first}
    return [*first, *new, *(h for h in found if id(h) not in taken)]
