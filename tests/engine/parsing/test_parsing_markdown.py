"""Markdown: ATX and setext headings, fenced code, front matter, block invariants."""

from __future__ import annotations

from pathlib import Path

from engine.parsing import parse_file

GUIDE = """\
---
title: "The Guide"
tags: [a, b]
---
Preface before any heading.

# Install #

Intro para
still intro
## Linux
Use the package manager.

```sh
# this is a comment, not a heading

make install
```

### Debian
apt works.

## Windows
Run the installer.

Usage Notes
===========
- item one
---
Body under the setext heading.

Sub part
--------

***

text after a rule

# C#
Sharp text.
"""


def parse_source(tmp_path: Path, source: str, name: str = "doc.md"):
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    return parse_file(path)


def test_heading_paths_follow_atx_and_setext_levels(tmp_path, check_blocks):
    document = parse_source(tmp_path, GUIDE)

    assert document.kind == "markdown"
    assert document.title == "The Guide"
    by_text = {block.text: block.heading for block in document.blocks}
    assert by_text == {
        "Preface before any heading.": (),
        "Intro para\nstill intro": ("Install",),
        "Use the package manager.": ("Install", "Linux"),
        "```sh\n# this is a comment, not a heading\n\nmake install\n```": ("Install", "Linux"),
        "apt works.": ("Install", "Linux", "Debian"),
        "Run the installer.": ("Install", "Windows"),
        "- item one": ("Usage Notes",),
        "Body under the setext heading.": ("Usage Notes",),
        "text after a rule": ("Usage Notes", "Sub part"),
        "Sharp text.": ("C#",),
    }
    check_blocks(document, GUIDE)


def test_fenced_code_is_one_block_and_headings_are_not_blocks(tmp_path):
    document = parse_source(tmp_path, GUIDE)
    texts = [block.text for block in document.blocks]

    fence = next(text for text in texts if text.startswith("```"))
    assert fence.count("\n") == 4  # blank line inside the fence did not split it
    assert not any(text.lstrip().startswith("#") for text in texts)
    assert "Usage Notes" not in " ".join(texts)
    assert not any(text.strip("-=* ") == "" for text in texts)  # rules and underlines


def test_line_numbers_point_at_the_source(tmp_path):
    document = parse_source(tmp_path, GUIDE)
    lines = GUIDE.split("\n")
    for block in document.blocks:
        assert lines[block.line - 1].strip() == block.text.split("\n")[0].strip()


def test_title_falls_back_to_first_h1_and_unclosed_fence_runs_to_end(tmp_path, check_blocks):
    source = "## Minor\n\n# Main Title\n\n~~~\ncode\n# still code\n"
    document = parse_source(tmp_path, source, "notes.markdown")

    assert document.title == "Main Title"
    assert [b.text for b in document.blocks] == ["~~~\ncode\n# still code"]
    assert document.blocks[0].heading == ("Main Title",)
    check_blocks(document, source)


def test_indented_hash_and_hashtag_are_not_headings(tmp_path):
    source = "#hashtag line\n\n    # indented code\n\nreal text\n"
    document = parse_source(tmp_path, source)
    assert [b.heading for b in document.blocks] == [(), (), ()]
    assert document.blocks[0].text == "#hashtag line"
