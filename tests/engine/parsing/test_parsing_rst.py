"""reStructuredText: titles by adornment, levels by first appearance, transitions."""

from __future__ import annotations

from engine.parsing import parse_file

MANUAL = """\
=========
 Manual
=========

Opening paragraph
over two lines.

Install
=======

Generic steps.

Linux
-----

Use make::

    make install

Windows
-------

Run setup.

----------

After a transition.

Usage
=====

Short
~~~~~

Deep text.

Too short underline
===

ordinary text follows
"""


def test_section_levels_follow_order_of_first_adornment(tmp_path, check_blocks):
    path = tmp_path / "manual.rst"
    path.write_text(MANUAL, encoding="utf-8")

    document = parse_file(path)

    assert document.kind == "rst"
    assert document.title == "Manual"
    assert [(b.text, b.heading) for b in document.blocks] == [
        ("Opening paragraph\nover two lines.", ("Manual",)),
        ("Generic steps.", ("Manual", "Install")),
        ("Use make::", ("Manual", "Install", "Linux")),
        ("make install", ("Manual", "Install", "Linux")),
        ("Run setup.", ("Manual", "Install", "Windows")),
        ("After a transition.", ("Manual", "Install", "Windows")),
        ("Deep text.", ("Manual", "Usage", "Short")),
        ("Too short underline\n===", ("Manual", "Usage", "Short")),
        ("ordinary text follows", ("Manual", "Usage", "Short")),
    ]
    assert [b.line for b in document.blocks][:3] == [5, 11, 16]
    check_blocks(document, MANUAL)


def test_underline_only_style_can_be_the_top_level(tmp_path, check_blocks):
    source = (
        "Chapter\n*******\n\nText.\n\nSection\n+++++++\n\nMore.\n\nNext Chapter\n****\n\nEnd.\n"
    )
    path = tmp_path / "doc.rst"
    path.write_text(source, encoding="utf-8")

    document = parse_file(path)

    assert [b.heading for b in document.blocks] == [
        ("Chapter",),
        ("Chapter", "Section"),
        ("Next Chapter",),
    ]
    check_blocks(document, source)
