"""Chunking: parsed blocks -> passages bounded in the embedder's own tokens.

Chunks follow the document's structure: a chunk never crosses a page or a heading, and
within a section it is cut preferably at a paragraph break, then at a sentence end, then
between words. Neighbouring chunks overlap by a few sentences so a fact that straddles a
cut is whole in at least one of them. Every chunk keeps its provenance (page, heading
path, character span and lines) for citations.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import groupby

from engine.models.embedding import TokenCounter
from engine.parsing import Block

PARAGRAPH = 4  # quality of a cut before a token: paragraph > sentence > clause > word > none
SENTENCE = 3
CLAUSE = 2
WORD = 1
_SENTENCE_ENDS = frozenset(".!?。！？")
_CLAUSE_ENDS = frozenset(";:,")
HEADING_SEPARATOR = " > "
# Words the tokenizer cannot split (base64 blobs, long URLs) count as one token each, so
# chunks are also bounded in characters: passages must stay readable and fit prompts.
CHARS_PER_TOKEN_LIMIT = 6


@dataclass(frozen=True, slots=True)
class Chunk:
    text: str
    heading: tuple[str, ...]
    page: int | None
    start: int  # character span in the document's extracted text (the page's, for PDFs)
    end: int
    line_start: int | None
    line_end: int | None
    tokens: int

    @property
    def heading_text(self) -> str:
        return HEADING_SEPARATOR.join(self.heading)

    def embedding_text(self) -> str:
        return embedding_text(self.heading_text, self.text)


def embedding_text(heading: str, text: str) -> str:
    """What is embedded for a passage: its heading path gives it context."""
    return f"{heading}\n\n{text}" if heading else text


@dataclass(frozen=True, slots=True)
class ChunkingPolicy:
    target_tokens: int = 200
    max_tokens: int = 250
    overlap_tokens: int = 40

    def __post_init__(self) -> None:
        if not 0 <= self.overlap_tokens < self.target_tokens <= self.max_tokens:
            raise ValueError("need 0 <= overlap < target <= max tokens")


def chunk_blocks(
    blocks: Iterable[Block], tokens: TokenCounter, policy: ChunkingPolicy | None = None
) -> list[Chunk]:
    """Split a document's blocks into chunks, section by section."""
    policy = policy or ChunkingPolicy()
    chunks: list[Chunk] = []
    for (page, heading), section in groupby(blocks, key=lambda b: (b.page, b.heading)):
        chunks.extend(_chunk_section(list(section), page, heading, tokens, policy))
    return chunks


class _Section:
    """A run of blocks under one heading on one page, joined into one string."""

    def __init__(self, blocks: Sequence[Block]) -> None:
        self.blocks = blocks
        self.text = "\n\n".join(b.text for b in blocks)
        self.offsets: list[int] = []  # where each block starts in self.text
        position = 0
        for block in blocks:
            self.offsets.append(position)
            position += len(block.text) + 2

    def source_offset(self, offset: int, *, is_end: bool) -> tuple[int, int | None]:
        """Map an offset in the joined text to (source offset, source line)."""
        index = bisect.bisect_right(self.offsets, offset) - 1
        if is_end and index > 0 and offset == self.offsets[index]:
            index -= 1  # an end exactly at a block start belongs to the block before
        block = self.blocks[index]
        within = min(max(offset - self.offsets[index], 0), len(block.text))
        line = None
        if block.line is not None:
            probe = max(within - 1, 0) if is_end else within
            line = block.line + block.text.count("\n", 0, probe)
        return block.start + within, line


def _chunk_section(
    blocks: Sequence[Block],
    page: int | None,
    heading: tuple[str, ...],
    tokens: TokenCounter,
    policy: ChunkingPolicy,
) -> list[Chunk]:
    section = _Section(blocks)
    offsets = tokens.token_offsets(section.text)
    if not offsets:
        return []
    # The heading is embedded with every chunk, so it takes part of the token budget.
    heading_cost = len(tokens.token_offsets(HEADING_SEPARATOR.join(heading))) + 2 if heading else 0
    heading_cost = min(heading_cost, policy.target_tokens // 3)
    target = policy.target_tokens - heading_cost
    limit = policy.max_tokens - heading_cost
    overlap = min(policy.overlap_tokens, target // 3)
    quality = _break_quality(section.text, offsets)
    max_chars = policy.max_tokens * CHARS_PER_TOKEN_LIMIT

    chunks: list[Chunk] = []
    count = len(offsets)
    start = 0
    while start < count:
        end = _choose_cut(
            start, count, target, _char_limited(offsets, start, limit, max_chars), quality
        )
        chunks.append(_make_chunk(section, offsets, start, end, page, heading))
        if end >= count:
            break
        start = _choose_restart(start, end, overlap, quality)
    return chunks


def _break_quality(text: str, offsets: list[tuple[int, int]]) -> list[int]:
    """quality[i]: how good a cut right before token i is."""
    quality = [PARAGRAPH]
    for i in range(1, len(offsets)):
        gap = text[offsets[i - 1][1] : offsets[i][0]]
        previous = text[offsets[i - 1][1] - 1] if offsets[i - 1][1] > 0 else ""
        if "\n\n" in gap:
            quality.append(PARAGRAPH)
        elif "\n" in gap or (gap and previous in _SENTENCE_ENDS):
            quality.append(SENTENCE)
        elif gap and previous in _CLAUSE_ENDS:
            quality.append(CLAUSE)
        elif gap:
            quality.append(WORD)
        else:
            quality.append(0)
    return quality


def _char_limited(offsets: list[tuple[int, int]], start: int, limit: int, max_chars: int) -> int:
    """The token budget from `start`, shrunk so the chunk stays within max_chars."""
    first = offsets[start][0]
    end = min(start + limit, len(offsets))
    if offsets[end - 1][1] - first <= max_chars:
        return limit
    ends = [offsets[i][1] for i in range(start, end)]
    return max(1, bisect.bisect_right(ends, first + max_chars))


def _choose_cut(start: int, count: int, target: int, limit: int, quality: list[int]) -> int:
    """Token index where the chunk starting at `start` ends (exclusive)."""
    if count - start <= limit and count - start <= target + target // 4:
        return count
    target = min(target, limit)
    low = start + max(1, min((target * 3) // 5, limit))
    high = min(start + limit, count)
    best, best_key = high, (-1, 0)
    for i in range(low, high + 1):
        q = PARAGRAPH if i == count else quality[i]
        key = (q, -abs(i - (start + target)))
        if key > best_key:
            best, best_key = i, key
    return best


def _choose_restart(start: int, end: int, overlap: int, quality: list[int]) -> int:
    """Where the next chunk starts: the earliest sentence start within the overlap."""
    if overlap <= 0:
        return end
    earliest = max(start + 1, end - overlap)
    for minimum in (SENTENCE, CLAUSE, WORD):
        for i in range(earliest, end):
            if quality[i] >= minimum:
                return i
    return end


def _make_chunk(
    section: _Section,
    offsets: list[tuple[int, int]],
    start: int,
    end: int,
    page: int | None,
    heading: tuple[str, ...],
) -> Chunk:
    char_start, char_end = offsets[start][0], offsets[end - 1][1]
    source_start, line_start = section.source_offset(char_start, is_end=False)
    source_end, line_end = section.source_offset(char_end, is_end=True)
    return Chunk(
        text=section.text[char_start:char_end],
        heading=heading,
        page=page,
        start=source_start,
        end=source_end,
        line_start=line_start,
        line_end=line_end,
        tokens=end - start,
    )
