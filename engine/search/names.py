"""Named things in text, and questions that ask about several of them at once.

A name is a run of capitalised words (joined by the small words names contain: "Bank of
America Tower", "Leonardo da Vinci"), a word with a digit or inner capital ("LNW-80"),
or a quoted title. Leading function words are not part of it ("Are Joe Elliott" is
"Joe Elliott"). A comparison or conjunction question names two or more things joined by
"and", "or" or a comma ("Are Joe Elliott and Paul Meany both keyboardists?", "Who was
born first, Ed Wood or Scott Derrickson?"): each of them is searched on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from engine.search.keywords import STOPWORDS, query_terms, stem, word_stems

# an initial ("J." of "J. I. Clements") is one word with its full stop
_TOKEN = re.compile(r"[A-Z]\.(?=\s*[A-Z])|[\"“”]|[\w][\w\-.'’&]*[\w]|[\w]|[^\w\s]")
_QUOTED = re.compile(r"[\"“]([^\"“”]{2,80})[\"”]")
# small words inside names, between two capitalised words
_JOINERS = frozenset("of the de la le les von van der den du del da di dos y for on upon".split())
# capitalised at the start of a question or sentence but not a name
_NOT_NAMES = STOPWORDS | frozenset(
    "whose name names also many much one two three first last same".split()
)
# between two names: they are asked about side by side
_SIDE_BY_SIDE = re.compile(r"^(,|,?\s*(and|or|nor))(\s+(the|a|an))?$", re.IGNORECASE)
_CONJUNCTION = re.compile(r"\b(and|or|nor)\b", re.IGNORECASE)
# words a comparison adds that say nothing about what to search for
COMPARING_WORDS = frozenset(
    """both either neither same different older younger first earlier later longer shorter
    taller higher bigger larger smaller more less""".split()
)


@dataclass(frozen=True, slots=True)
class Name:
    text: str
    start: int
    end: int


def _is_capitalised(word: str) -> bool:
    return word[:1].isupper() or (any(c.isdigit() for c in word) and any(c.isalpha() for c in word))


def names_in(text: str) -> list[Name]:
    """The names in `text`, in order (quoted titles first where they overlap)."""
    found: list[Name] = [
        Name(m.group(1).strip(), m.start(1), m.end(1)) for m in _QUOTED.finditer(text)
    ]
    taken = [(n.start, n.end) for n in found]
    run: list[re.Match[str]] = []

    def close() -> None:
        words = list(run)
        while words and words[-1].group().lower() in _JOINERS:
            words.pop()
        while words and words[0].group().lower() in _NOT_NAMES:
            words.pop(0)
        while words and words[-1].group().lower() in _JOINERS:
            words.pop()
        if words:
            start, end = words[0].start(), words[-1].end()
            if not any(s <= start < e for s, e in taken):
                found.append(Name(text[start:end].rstrip(".'’"), start, end))
        run.clear()

    for match in _TOKEN.finditer(text):
        word = match.group()
        starts = word[0].isalnum() and _is_capitalised(word)
        continues = bool(run) and (word.isdigit() or (word in _JOINERS))
        if starts or continues:
            run.append(match)
        else:
            close()
    close()
    found.sort(key=lambda n: n.start)
    return found


def compared_names(question: str) -> list[str]:
    """The things a comparison or conjunction question asks about side by side (two or
    more, joined by "and", "or" or commas ending in one of them), or [] when it is not
    such a question ("Park Holme, South Australia" is one place, not two)."""
    names = names_in(question)
    best: list[Name] = []
    group: list[Name] = []
    joined = False  # the group holds an "and"/"or" between two of its names
    for name in names:
        between = question[group[-1].end : name.start].strip() if group else ""
        if group and _SIDE_BY_SIDE.match(between):
            group.append(name)
            joined = joined or bool(_CONJUNCTION.search(between))
        else:
            group, joined = [name], False
        if joined and len(group) > len(best):
            best = list(group)
    return [n.text for n in best]


def other_words(question: str, names: list[str]) -> list[str]:
    """The question's content words that are not part of `names` nor comparing words."""
    inside = set().union(*(word_stems(n) for n in names)) if names else set()
    return [
        t
        for t in query_terms(question)
        if stem(t) not in inside and t not in COMPARING_WORDS and not t.isdigit()
    ]


def mentions(text: str, name: str) -> bool:
    """Does `text` hold every word of `name` (loosely matched)?"""
    wanted = word_stems(name)
    return bool(wanted) and wanted <= word_stems(text)
