"""Excerpts: the sentences of a retrieved passage that bear on the question.

A small model reads a short prompt faster and better than a long one. Instead of whole
200-token chunks, the reader's prompt carries from each source the few sentences that
share the most words with the question, in their original order, with "…" where
sentences were left out. A source that shares no word with the question keeps its
opening sentence, so the model still sees what it is about. Sentence boundaries come
from engine.answer.citations, so an excerpt never splits "Michael E. Mann" or "0.3", after
hard-wrapped lines are joined, so it never cuts a sentence at the end of a line either.
"""

from __future__ import annotations

import re

from engine.answer.citations import sentences
from engine.search.keywords import query_terms, stem, word_stems

_BLOCK_START = re.compile(r"\s*(?:$|#|[-*+•]\s|\d{1,3}[.)]\s|\||>)")
_LINE_OF_ITS_OWN = re.compile(r"\s*(?:#|\|)")  # a heading or a table row


def unwrap(text: str) -> str:
    """Join hard-wrapped lines, so a sentence broken over two lines stays one sentence.

    A line break stays where a paragraph ends (blank line), before a heading, list item,
    table row or quote, and after a heading or table row; anywhere else it is the
    writer's editor wrapping the line (a list item's wrapped text joins its item, as
    Markdown reads it).
    """
    out: list[str] = []
    for line in text.split("\n"):
        previous = out[-1] if out else ""
        if (
            previous.strip()
            and not _LINE_OF_ITS_OWN.match(previous)
            and not _BLOCK_START.match(line)
        ):
            out[-1] = previous.rstrip() + " " + line.lstrip()
        else:
            out.append(line)
    return "\n".join(out)


def sentence_scores(question: str, parts: list[str]) -> list[float]:
    """How much of the question each sentence holds: its distinct question stems, with
    names and numbers counting double (they pin the answer down)."""
    terms: dict[str, float] = {}
    for word in query_terms(question):
        weight = 2.0 if word[:1].isdigit() else 1.0
        terms[stem(word)] = max(terms.get(stem(word), 0.0), weight)
    capitalised = {stem(w) for w in question.split()[1:] if w[:1].isupper()}
    for key in capitalised & terms.keys():
        terms[key] = 2.0
    return [sum(w for key, w in terms.items() if key in word_stems(part)) for part in parts]


def excerpt(text: str, question: str, keep: int) -> str:
    """`text` cut to its `keep` sentences most related to `question` (whole if shorter)."""
    parts = [part.strip() for part, _ in sentences(unwrap(text))]
    parts = [part for part in parts if part]
    if keep <= 0 or len(parts) <= keep:
        return text.strip()
    scores = sentence_scores(question, parts)
    ranked = sorted(range(len(parts)), key=lambda i: (-scores[i], i))
    chosen = sorted(i for i in ranked[:keep] if scores[i] > 0) or [0]
    out: list[str] = []
    previous = -1
    for i in chosen:
        if (out and i != previous + 1) or (not out and i > 0):
            out.append("…")
        out.append(parts[i])
        previous = i
    if previous < len(parts) - 1:
        out.append("…")
    return " ".join(out)
