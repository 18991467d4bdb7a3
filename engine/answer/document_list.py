"""'Which of my documents ...' questions, answered as a list of documents.

"Which files mention the boiler inspection?" or "List the documents about the lease" ask
for documents, not for a fact: squeezed into prose from six passages, most of them would
be lost. Such a question is recognised by how it opens; its topic ("the boiler
inspection") is searched deeper than an answer searches, and every document with a
passage that clears the relevance gate for the topic is listed once, with the sentence
that matched best and a citation. The model is not called.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from engine.answer.excerpts import excerpt, unwrap
from engine.search.keywords import query_terms
from engine.search.retrieval import Retriever, SearchHit


class Gate(Protocol):
    """engine.answer.answering.RelevanceGate"""

    def passes(self, question: str, hits: Sequence[SearchHit]) -> bool: ...


_KINDS = r"(?:files?|documents?|docs|notes|pdfs?|papers|reports|letters|e-?mails)"
_LISTING = re.compile(
    r"^\s*(?:(?P<asking>(?:which|what)\s+(?:of\s+(?:my|the|our)\s+)?)"
    r"|(?:please\s+)?(?:list|show|find|give)\s+(?:me\s+)?(?:all\s+)?(?:of\s+)?(?:the\s+|my\s+)?)"
    rf"{_KINDS}\b\s*(?P<rest>.*?)[?.!\s]*$",
    re.IGNORECASE,
)
_LEAD = re.compile(
    r"^(?:(?:do|does|that|which|contain|contains|are|is|have|has|talk|talks|mention|mentions|"
    r"refer|refers|discuss|discusses|cover|covers|say|says|deal|deals|anything|something|"
    r"about|on|to|with|of|i|we)\b[\s,]*)+",
    re.IGNORECASE,
)
# "Which file is the newest?" asks about the files themselves, not for a topic
_ATTRIBUTES = frozenset(
    "newest oldest latest earliest biggest largest smallest longest shortest recent last "
    "first most least modified changed edited opened".split()
)
MAX_DOCUMENTS = 12  # listed at most; the Sources panel has them all
SEARCH_DEPTH = 40  # passages searched for the topic
SNIPPET_CHARS = 160


def listing_topic(question: str) -> str | None:
    """The topic of a "which documents ..." question, or None for any other question."""
    match = _LISTING.match(question)
    if match is None:
        return None
    rest = match.group("rest")
    topic = _LEAD.sub("", rest).strip(" ,")
    if match.group("asking") and topic == rest.strip(" ,"):
        return None  # "What document formed the Parliament?" asks a fact, not for files
    words = set(query_terms(topic))
    if not words or words <= _ATTRIBUTES:
        return None
    return topic


@dataclass(frozen=True, slots=True)
class DocumentLister:
    """Finds the documents about a topic: the best passage of each, best first."""

    retriever: Retriever
    gate: Gate

    def documents(self, topic: str, scope: str | None) -> list[SearchHit]:
        hits = self.retriever.search(topic, k=SEARCH_DEPTH, scope=scope)
        best: dict[str, SearchHit] = {}
        for hit in hits:
            if hit.path not in best and self.gate.passes(topic, [hit]):
                best[hit.path] = hit
        return list(best.values())[:MAX_DOCUMENTS]


def listing_text(topic: str, documents: list[SearchHit]) -> str:
    """The answer: one line per document with its best sentence and its citation."""
    if not documents:
        return f"None of your documents seems to be about {topic}."
    count = "One document" if len(documents) == 1 else f"{len(documents)} documents"
    lines = [f"{count} about {topic}:"]
    for n, hit in enumerate(documents, 1):
        sentence = unwrap(excerpt(hit.text, topic, 1)).strip(" …")
        if len(sentence) > SNIPPET_CHARS:
            sentence = sentence[: SNIPPET_CHARS - 1].rstrip() + "…"
        page = f", {hit.place}" if hit.place else ""
        lines.append(f"- {Path(hit.path).name}{page}: “{sentence}” [{n}]")
    return "\n".join(lines)
