"""Chunking with the embedder's real WordPiece tokenizer."""

from __future__ import annotations

import itertools

import pytest

from engine.index.chunking import ChunkingPolicy, chunk_blocks
from engine.parsing import Block


def blocks_from(text: str, page: int | None = None, heading: tuple[str, ...] = ()):
    """Paragraph blocks of `text` with exact spans and line numbers."""
    out, position = [], 0
    for paragraph in text.split("\n\n"):
        start = text.index(paragraph, position)
        position = start + len(paragraph)
        stripped = paragraph.strip()
        if stripped:
            s = text.index(stripped, start)
            out.append(
                Block(
                    text=stripped,
                    start=s,
                    end=s + len(stripped),
                    page=page,
                    heading=heading,
                    line=text.count("\n", 0, s) + 1,
                )
            )
    return out


SENTENCE = "The quick brown fox jumps over the lazy dog near the riverbank at dawn."


def test_short_section_is_one_chunk_with_provenance(tokens):
    text = "First paragraph here.\n\nSecond paragraph, line one.\nLine two."
    (chunk,) = chunk_blocks(blocks_from(text, heading=("Intro",)), tokens)
    assert chunk.heading == ("Intro",) and chunk.page is None
    assert text[chunk.start : chunk.end] == chunk.text
    assert (chunk.line_start, chunk.line_end) == (1, 4)
    assert chunk.embedding_text().startswith("Intro\n\n")


def test_long_text_is_bounded_overlapping_and_cut_at_sentences(tokens):
    text = " ".join(f"Sentence {i}: {SENTENCE}" for i in range(120))
    policy = ChunkingPolicy(target_tokens=200, max_tokens=250, overlap_tokens=40)
    chunks = chunk_blocks(blocks_from(text), tokens, policy)
    assert len(chunks) >= 8
    for chunk in chunks:
        assert len(tokens.token_offsets(chunk.embedding_text())) <= policy.max_tokens
        assert chunk.tokens >= 100 or chunk is chunks[-1]
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.text.startswith("Sentence") and chunk.text.endswith(".")
    for first, second in itertools.pairwise(chunks):
        assert second.start < first.end, "neighbours must overlap"
        assert second.start > first.start
    assert chunks[-1].end == len(text)


def test_chunks_never_cross_pages_or_headings(tokens):
    blocks = (
        blocks_from("Page one text. " * 5, page=1)
        + blocks_from("Page two text. " * 5, page=2)
        + blocks_from("Under a heading.", page=2, heading=("Part B",))
    )
    chunks = chunk_blocks(blocks, tokens)
    assert [(c.page, c.heading) for c in chunks] == [(1, ()), (2, ()), (2, ("Part B",))]


def test_paragraph_breaks_are_preferred_cuts(tokens):
    paragraph = " ".join([SENTENCE] * 6)  # ~90 tokens
    text = "\n\n".join([paragraph] * 6)
    chunks = chunk_blocks(blocks_from(text), tokens)
    assert len(chunks) >= 2
    for chunk in chunks[:-1]:
        # a cut at a paragraph end: the chunk's end is one of the paragraph ends
        assert text[chunk.end : chunk.end + 2] == "\n\n"


def test_heading_takes_part_of_the_budget(tokens):
    heading = tuple(f"Very long heading level {i} with many words" for i in range(4))
    text = " ".join(f"Sentence {i}: {SENTENCE}" for i in range(60))
    policy = ChunkingPolicy()
    for chunk in chunk_blocks(blocks_from(text, heading=heading), tokens, policy):
        assert len(tokens.token_offsets(chunk.embedding_text())) <= policy.max_tokens + 10


def test_unsplittable_words_are_bounded_in_characters(tokens):
    """A base64 blob: every 120-character 'word' is a single [UNK] token."""
    text = " ".join("QUJD" * 30 for _ in range(60))
    chunks = chunk_blocks(blocks_from(text), tokens)
    assert len(chunks) > 1
    assert all(len(c.text) <= 250 * 6 for c in chunks)
    assert chunks[0].start == 0 and chunks[-1].end == len(text)


def test_policy_is_validated():
    with pytest.raises(ValueError):
        ChunkingPolicy(target_tokens=100, max_tokens=50)
