"""HTML: headings, block elements, skipped elements, entities, charset, line numbers."""

from __future__ import annotations

from engine.parsing import parse_file

PAGE = """\
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Caf&eacute; &amp; Co</title>
<style>p { color: red }</style><script>var hidden = "<p>no</p>";</script></head>
<body>
<h1>Menu</h1>
<p>Fresh   coffee,
   <b>strong</b> tea &amp; cake&#8364;<br>second line</p>
<h2>Hot <em>drinks</em></h2>
<ul><li>Espresso<li>Latte</ul>
<h3>Prices</h3>
<table><tr><td>Small</td><td>2 &euro;</td></tr></table>
<h2>Recipes</h2>
<pre>
  keep   this
    indentation</pre>
<div>outer <p>inner</p> tail</div>
<noscript>enable js</noscript>
<h1>Contact</h1>
<p>Call us.
</body></html>
"""


def test_blocks_headings_and_entities(tmp_path, check_blocks):
    path = tmp_path / "menu.html"
    path.write_text(PAGE, encoding="utf-8")

    document = parse_file(path)

    assert document.kind == "html"
    assert document.title == "Café & Co"
    assert [(b.text, b.heading) for b in document.blocks] == [
        ("Fresh coffee, strong tea & cake€\nsecond line", ("Menu",)),
        ("Espresso", ("Menu", "Hot drinks")),
        ("Latte", ("Menu", "Hot drinks")),
        ("Small", ("Menu", "Hot drinks", "Prices")),
        ("2 €", ("Menu", "Hot drinks", "Prices")),
        ("keep   this\n    indentation", ("Menu", "Recipes")),
        ("outer", ("Menu", "Recipes")),
        ("inner", ("Menu", "Recipes")),
        ("tail", ("Menu", "Recipes")),
        ("Call us.", ("Contact",)),
    ]
    check_blocks(document)


def test_line_numbers_point_at_the_source(tmp_path):
    path = tmp_path / "menu.htm"
    path.write_text(PAGE, encoding="utf-8")
    lines = PAGE.split("\n")

    document = parse_file(path)

    assert [b.line for b in document.blocks][:2] == [6, 9]
    for block in document.blocks:
        first_word = block.text.split()[0].rstrip(",")
        assert first_word in lines[block.line - 1], (block.text, block.line)


def test_offsets_index_units_joined_by_blank_lines(tmp_path):
    path = tmp_path / "small.html"
    path.write_text("<h1>Head</h1><p> One </p><p>Two</p>", encoding="utf-8")

    document = parse_file(path)

    # Extracted text is "Head\n\nOne\n\nTwo": headings count, but are not blocks.
    assert [(b.text, b.start, b.end) for b in document.blocks] == [("One", 6, 9), ("Two", 11, 14)]


def test_declared_charset_is_used_when_not_utf8(tmp_path):
    path = tmp_path / "old.html"
    html = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'
    path.write_bytes(html.encode() + "<p>Grüße aus Köln</p>".encode("latin-1"))

    document = parse_file(path)

    assert document.blocks[0].text == "Grüße aus Köln"
