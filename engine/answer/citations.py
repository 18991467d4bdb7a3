"""Citations: `[n]` markers in an answer, mapped back to the sources the prompt numbered.

Models cite as `[2]`, `[1, 3]`, `[1][2]` or `[1-2]`. Each number that names a prompt
source becomes a Citation (path, page, span, passage text); numbers that name nothing
are dropped from the text and counted, so a front end never shows a link to nowhere.

Small models often answer right but write no marker at all. `attribute` then matches
each sentence of the answer to the source that holds its words (numbers and names
count double; words merely repeated from the question count for nothing) and marks it
only when the support is clear; the answer says it was attributed, not model-cited.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from engine.search.keywords import STOPWORDS, stem, word_stems
from engine.search.retrieval import SearchHit

_MARKER = re.compile(r"\[\s*(\d{1,3}(?:\s*(?:[,;]|-|–)\s*\d{1,3})*)\s*\]")
_NUMBER = re.compile(r"\d{1,3}")
_RANGE = re.compile(r"^\s*(\d{1,3})\s*[-–]\s*(\d{1,3})\s*$")
MAX_RANGE = 20
# A sentence ends at . ! ? before whitespace or the end, or at a line break; not after an
# initial ("Michael E. Mann") or a common abbreviation, and never inside "0.3".
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)|\n")
_NOT_AN_END = re.compile(r"(?:(?:^|\s)[A-Z]|\b(?:Mr|Mrs|Ms|Dr|St|Prof|vs|etc|e\.g|i\.e|No|Fig))$")
_WORD = re.compile(r"\w+", re.UNICODE)
MIN_SUPPORT = 0.6  # share of a sentence's weighted words its source must contain


@dataclass(frozen=True, slots=True)
class Citation:
    n: int
    path: str
    page: int | None
    char_start: int
    char_end: int
    line_start: int | None
    text: str  # the passage as the model saw it
    place: str = ""  # "page 4", "slide 3"; "" for nowhere
    ocr: bool = False  # its page was read by OCR

    def to_dict(self) -> dict[str, object]:
        return {
            "n": self.n,
            "path": self.path,
            "page": self.page,
            "place": self.place or None,
            "ocr": self.ocr,
            "span": [self.char_start, self.char_end],
            "line": self.line_start,
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class CitedAnswer:
    text: str  # the answer with markers that point nowhere removed
    citations: tuple[Citation, ...]  # distinct sources, in order of first citation
    dropped: int  # markers (numbers) that named no source

    @property
    def uncited(self) -> bool:
        return not self.citations


def resolve_citations(answer: str, sources: Sequence[SearchHit]) -> CitedAnswer:
    """Map the answer's markers to `sources` (numbered from 1); drop the rest."""
    cited: dict[int, Citation] = {}
    dropped = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal dropped
        valid: list[int] = []
        for n in _numbers(match.group(1)):
            if 1 <= n <= len(sources):
                valid.append(n)
                if n not in cited:
                    cited[n] = _citation(n, sources[n - 1])
            else:
                dropped += 1
        if not valid:
            return ""
        return "".join(f"[{n}]" for n in dict.fromkeys(valid))

    text = _MARKER.sub(replace, answer)
    text = re.sub(r"[ \t]+([.,;:!?])", r"\1", text) if dropped else text
    return CitedAnswer(text.strip(), tuple(cited.values()), dropped)


def _numbers(body: str) -> list[int]:
    numbers: list[int] = []
    for part in re.split(r"[,;]", body):
        span = _RANGE.match(part)
        if span:
            low, high = int(span.group(1)), int(span.group(2))
            if low <= high and high - low <= MAX_RANGE:
                numbers.extend(range(low, high + 1))
                continue
        numbers.extend(int(n) for n in _NUMBER.findall(part))
    return numbers


def _citation(n: int, hit: SearchHit) -> Citation:
    return Citation(
        n=n,
        path=hit.path,
        page=hit.page,
        char_start=hit.char_start,
        char_end=hit.char_end,
        line_start=hit.line_start,
        text=hit.text,
        place=hit.place,
        ocr=hit.ocr,
    )


def attribute(answer: str, sources: Sequence[SearchHit], question: str = "") -> str:
    """`answer` with `[n]` after each sentence whose words source n clearly holds."""
    source_words = [word_stems(hit.text + " " + hit.heading) for hit in sources]
    asked = word_stems(question)
    out: list[str] = []
    position = 0
    for sentence, end in sentences(answer):
        out.append(answer[position:end])
        position = end
        best = _best_source(sentence, source_words, asked)
        if best is not None:
            body = out[-1].rstrip()
            trail = out[-1][len(body) :]
            stripped = body.rstrip(".!?")
            out[-1] = f"{stripped} [{best}]{body[len(stripped) :]}{trail}"
    out.append(answer[position:])
    return "".join(out)


def sentences(text: str) -> list[tuple[str, int]]:
    """(sentence, end offset) pairs covering `text`."""
    found: list[tuple[str, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if match.group(0) != "\n" and _NOT_AN_END.search(text, 0, match.start()):
            continue
        if text[start : match.end()].strip():
            found.append((text[start : match.end()], match.end()))
        start = match.end()
    if text[start:].strip():
        found.append((text[start:], len(text)))
    return found


def supported(answer: str, sources: Sequence[SearchHit], question: str = "") -> list[bool]:
    """For each sentence of `answer` (markers ignored): does some source clearly hold it?"""
    source_words = [word_stems(hit.text + " " + hit.heading) for hit in sources]
    asked = word_stems(question)
    plain = _MARKER.sub("", answer)
    return [_best_source(s, source_words, asked) is not None for s, _ in sentences(plain)]


def support(sentence: str, text: str, question: str = "") -> float:
    """Share of the sentence's weighted words (less those asked about) that `text` holds."""
    words = _weighted(_MARKER.sub("", sentence))
    asked = word_stems(question)
    own = {w: weight for w, weight in words.items() if w not in asked} or words
    total = sum(own.values())
    if not total:
        return 0.0
    available = word_stems(text)
    return sum(weight for w, weight in own.items() if w in available) / total


def _best_source(sentence: str, source_words: list[set[str]], asked: set[str]) -> int | None:
    words = _weighted(sentence)
    own = {w: weight for w, weight in words.items() if w not in asked} or words
    total = sum(own.values())
    if not total:
        return None
    best, best_support = None, 0.0
    for n, available in enumerate(source_words, 1):
        support = sum(weight for w, weight in own.items() if w in available) / total
        if support > best_support:
            best, best_support = n, support
    return best if best_support >= MIN_SUPPORT else None


def _weighted(text: str) -> dict[str, float]:
    weights: dict[str, float] = {}
    for raw in _WORD.findall(text):
        word = raw.lower()
        if word in STOPWORDS:
            continue
        weight = 2.0 if raw[0].isdigit() or raw[0].isupper() else 1.0
        key = stem(word)
        weights[key] = max(weights.get(key, 0.0), weight)
    return weights
