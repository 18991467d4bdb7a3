"""The chat panel's own rendering, without an engine."""

from __future__ import annotations

from desktop.chat_panel import linked_markers


def test_citation_markers_become_links():
    assert linked_markers("Fee is 12 euros [2].") == "Fee is 12 euros [\\[2\\]](cite:2)."
    assert linked_markers("[1, 3]") == "[\\[1\\]](cite:1)[\\[3\\]](cite:3)"
