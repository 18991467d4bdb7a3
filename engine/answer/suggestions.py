"""Suggested questions: a few questions a newcomer can click, drawn from the indexed documents.

No model is asked. A few documents spread over the folders are read from the store, and
each gives a topic: a section heading ("Pottery kiln"), else its title (a first heading,
or a short first line), else its file name when that is made of words, else its most
repeated word. A topic becomes a question in one of a few plain phrasings ("What is the
pottery kiln?", "What should I know about key fobs?"), and a question is kept only when
the bundled retrieval answers it from that very document: its best passage comes from the
document and clears the relevance gate. So every suggestion leads to an answer, not to
"your documents don't seem to cover this". Documents are taken in a fixed order, so the
same index always suggests the same questions.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from engine.search.keywords import STOPWORDS
from engine.search.retrieval import SearchHit
from engine.store import ChunkRecord, DocumentRecord, Store

SUGGESTIONS = 4  # questions the welcome pane shows
DOCUMENTS_READ = 12  # documents looked at, at most, to find them
TOPICS_PER_DOCUMENT = 3
CHUNKS_READ = 40  # of each document, from its start
CHECK_DEPTH = 4  # passages retrieved to check a question
MAX_TOPIC_WORDS = 8
SHORT_TOPIC_WORDS = 4  # "What is the ...?" only for topics this short
HEADING_SEPARATOR = " > "  # between the levels of a chunk's heading path

# Section names that say where a passage is, not what it is about.
GENERIC_HEADINGS = frozenset(
    """
    abstract acknowledgements acknowledgments afterword appendix background bibliography
    conclusion conclusions contents contact credits foreword glossary index introduction
    notes overview preface references summary
    """.split()
) | {"table of contents", "further reading", "see also"}
# Files that describe a folder rather than its subject: read last.
FOLDER_NOTES = frozenset({"readme", "license", "licence", "changelog", "contributing", "copying"})
_DETERMINERS = frozenset(
    "the a an my our your their his her its this that these those some any each every all no"
    " one two three".split()
)
_NUMBERING = re.compile(
    r"^\s*(?:(?:chapter|section|part|appendix)\s+\w+\s*[:.\-–]?|\d+(?:\.\d+)*[.)]?|[ivxlc]+[.)])\s+",
    re.IGNORECASE,
)
_GREETING = re.compile(r"(?:welcome|hello|about this)\b", re.IGNORECASE)  # not a subject
_WORD = re.compile(r"[^\W\d_][\w'’\-]*", re.UNICODE)


@dataclass(frozen=True, slots=True)
class SuggestedQuestion:
    """A question to offer, and the document (and topic) it was drawn from."""

    question: str
    path: str
    topic: str


class Searcher(Protocol):
    def search_many(self, queries: Sequence[str], k: int = 8) -> list[list[SearchHit]]: ...


class Gate(Protocol):
    def passes(self, question: str, hits: Sequence[SearchHit]) -> bool: ...


def suggest_questions(
    store: Store, searcher: Searcher, gate: Gate, count: int = SUGGESTIONS
) -> list[SuggestedQuestion]:
    """Up to `count` questions, one per document, each answerable from its document."""
    chosen: list[SuggestedQuestion] = []
    asked: set[str] = set()
    for document in spread_documents(store, DOCUMENTS_READ):
        if len(chosen) >= count:
            break
        chunks = store.document_chunks(document.id)[:CHUNKS_READ]
        candidates = [
            (question, topic)
            for topic in document_topics(document.path, chunks)[:TOPICS_PER_DOCUMENT]
            for question in phrasings(topic, len(chosen))
            if question.lower() not in asked
        ]
        if not candidates:
            continue
        results = searcher.search_many([question for question, _ in candidates], CHECK_DEPTH)
        for (question, topic), hits in zip(candidates, results, strict=True):
            if hits and hits[0].path == document.path and gate.passes(question, hits[:1]):
                chosen.append(SuggestedQuestion(question, document.path, topic.text))
                asked.add(question.lower())
                break
    return chosen


def spread_documents(store: Store, limit: int) -> list[DocumentRecord]:
    """Up to `limit` indexed documents, taken in turn from each folder and spread evenly
    over each folder's files by path; files such as README come last."""
    per_folder: list[list[DocumentRecord]] = []
    seen: set[str] = set()
    for folder in store.folders():
        documents = [
            d
            for path, d in sorted(store.documents_under(folder.path).items())
            if d.status == "indexed" and path not in seen
        ]
        seen.update(d.path for d in documents)
        documents.sort(key=lambda d: Path(d.path).stem.lower() in FOLDER_NOTES)
        per_folder.append(_evenly_spaced(documents, limit))
    interleaved = [d for group in _round_robin(per_folder) for d in group]
    interleaved.sort(key=lambda d: Path(d.path).stem.lower() in FOLDER_NOTES)
    return interleaved[:limit]


def _evenly_spaced(items: list[DocumentRecord], count: int) -> list[DocumentRecord]:
    if len(items) <= count:
        return items
    return [items[i * len(items) // count] for i in range(count)]


def _round_robin(groups: list[list[DocumentRecord]]) -> Iterator[list[DocumentRecord]]:
    for position in range(max((len(g) for g in groups), default=0)):
        yield [group[position] for group in groups if position < len(group)]


# "question": a heading that is one; "noun": a noun phrase; "word": a document's most
# repeated word
TopicKind = Literal["question", "noun", "word"]


@dataclass(frozen=True, slots=True)
class Topic:
    """What a question asks about: `text` as written in a question ("the pottery kiln")."""

    text: str
    kind: TopicKind
    plural: bool = False
    short: bool = False  # a noun phrase short enough for "What is ...?"


def document_topics(path: str, chunks: Sequence[ChunkRecord]) -> list[Topic]:
    """The document's topics, the most specific first: section headings, its title, its
    file name, its most repeated word."""
    text = "\n".join(chunk.text for chunk in chunks)
    headings = [
        [part.strip() for part in chunk.heading.split(HEADING_SEPARATOR) if part.strip()]
        for chunk in chunks
    ]
    titles = list(dict.fromkeys(parts[0] for parts in headings if parts))
    sections = list(dict.fromkeys(parts[-1] for parts in headings if len(parts) > 1))
    if not sections and len(titles) > 1:  # headings all at one level: they are sections
        sections, titles = titles, []
    names = [*sections, *titles]
    if not names and chunks:
        names.append(_first_line(chunks[0].text))
    names.append(_words_of_file_name(path))
    topics = [topic for name in names if (topic := _topic(name, text)) is not None]
    if not topics and (word := _most_repeated_word(text)):
        topics.append(Topic(word, "word"))
    distinct: dict[str, Topic] = {}
    for topic in topics:
        distinct.setdefault(topic.text.lower(), topic)
    return list(distinct.values())


# The phrasings, in the order the first suggestion tries them; each later suggestion starts
# one further along, so four suggestions do not all read alike.
_PHRASINGS = ("what_is", "should_know", "documents_say")


def phrasings(topic: Topic, position: int) -> list[str]:
    """Questions about `topic`, the phrasing preferred at `position` first."""
    if topic.kind == "question":
        return [topic.text]
    start = position % len(_PHRASINGS)
    out = []
    for name in _PHRASINGS[start:] + _PHRASINGS[:start]:
        if name == "what_is" and topic.kind == "noun" and topic.short:
            out.append(f"What {'are' if topic.plural else 'is'} {topic.text}?")
        elif name == "should_know":
            out.append(f"What should I know about {topic.text}?")
        elif name == "documents_say":
            out.append(f"What do my documents say about {topic.text}?")
    return out


def _topic(name: str, text: str) -> Topic | None:
    """A heading, title or file name as a question's topic, or None when it names none."""
    name = name.strip().strip("\"'“”‘’*_#").strip()
    if name.endswith("?") and 2 <= len(name.split()) <= 2 * MAX_TOPIC_WORDS:
        return Topic(name[0].upper() + name[1:], "question")
    if ":" in name:  # "Larkspur Cooperative: opening hours" is about the part after it
        name = name.rsplit(":", 1)[1]
    name = _NUMBERING.sub("", name).strip(" .:;,-–—")
    words = name.split()
    if not words or len(words) > MAX_TOPIC_WORDS or not any(_WORD.fullmatch(w) for w in words):
        return None
    if (
        name.lower() in GENERIC_HEADINGS
        or _GREETING.match(name)
        or not re.search(r"[^\W\d_]{2}", name)
    ):
        return None
    words = [_usual_case(word, text) for word in words]
    first = words[0]
    # "Installing the printer" is about doing something; "Opening hours" is a thing
    gerund = (
        first.lower().endswith("ing")
        and len(first) > 5
        and (len(words) == 1 or words[1].lower() in _DETERMINERS or words[1][:1].isupper())
    )
    bare = first[:1].isupper() or first.lower() in _DETERMINERS or gerund or first[0].isdigit()
    phrase = " ".join(words)
    return Topic(
        phrase if bare else f"the {phrase}",
        "noun",
        plural=_plural(words),
        short=len(words) <= SHORT_TOPIC_WORDS and not gerund,
    )


def _usual_case(word: str, text: str) -> str:
    """A capitalised word of a heading as a sentence would write it: kept when `text`
    treats it as a name, lower-cased otherwise ("Pottery kiln" -> "pottery kiln")."""
    if not (word[:1].isupper() and word[1:].islower()):
        return word  # "FAQ", "iPhone", "kiln": as written
    return word if _is_name(word, text) else word.lower()


def _is_name(word: str, text: str) -> bool:
    """Does `text` write `word` capitalised in mid-sentence, or capitalised and never in
    lower case?"""
    capitalised = list(re.finditer(rf"\b{re.escape(word)}\b", text))
    for match in capitalised:
        before = text[: match.start()].rstrip(" \t")
        if before and before[-1] not in ".!?:\n#>*-\"'“(":
            return True
    return bool(capitalised) and not re.search(rf"\b{re.escape(word.lower())}\b", text)


def _plural(words: list[str]) -> bool:
    """Does the phrase's head noun (its last word before of/for/in/...) look plural?"""
    head = words[-1]
    for at, word in enumerate(words[1:], 1):
        if word.lower() in {"of", "for", "in", "on", "at", "to", "with", "and", "from"}:
            head = words[at - 1]
            break
    head = head.lower()
    return head.endswith("s") and not head.endswith(("ss", "us", "is", "'s", "’s"))


def _first_line(text: str) -> str:
    """A text file's first line when it reads as a title (short, no full stop)."""
    line = text.strip().split("\n", 1)[0].strip()
    if len(line) > 80 or line.endswith((".", ",", ";")):
        return ""
    return line


def _words_of_file_name(path: str) -> str:
    """'2023-tax-return.pdf' -> '2023 tax return'; '' for names like 'IMG_0042.jpg'."""
    words = re.split(r"[\s_\-.]+", Path(path).stem)
    words = [w for w in words if w]
    lettered = [w for w in words if re.fullmatch(r"[^\W\d_]{3,}", w)]
    numbers = len(words) - len(lettered)
    if not lettered or len(words) > 6 or (numbers and (numbers > 1 or len(lettered) < 2)):
        return ""  # "IMG 0042", "scan 3 2": a camera's or scanner's name, not a subject
    return " ".join(words)


def _most_repeated_word(text: str) -> str:
    """The content word `text` repeats most (at least twice), in its usual case."""
    counts: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = {}
    for word in _WORD.findall(text):
        key = word.lower()
        if len(key) < 5 or key in STOPWORDS:
            continue
        counts[key] += 1
        forms.setdefault(key, Counter())[word] += 1
    if not counts:
        return ""
    word, times = counts.most_common(1)[0]
    if times < 2:
        return ""
    return _usual_case(forms[word].most_common(1)[0][0], text)
