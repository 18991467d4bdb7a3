"""Shared checks for the parsing tests: the block invariants every format must keep."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from engine.parsing import ParsedDocument

SHARED_PDFS = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "pdfs"

# Nine levels of ten-fold entity expansion: 10**9 "lol"s if a parser expanded it.
BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol0 "lol">\n'
    + "".join(f'<!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">\n' for level in range(1, 10))
    + "]>\n<lolz>&lol9;</lolz>"
).encode()


def _check_blocks(document: ParsedDocument, source: str | None = None) -> None:
    """Blocks are non-empty, stripped, ordered without overlap per page, and (when the
    coordinate space is known) exactly the slice of it they claim to be."""
    assert document.blocks, "expected at least one block"
    previous_end: dict[int | None, int] = {}
    for block in document.blocks:
        assert block.text, block
        assert block.text == block.text.strip(), block
        assert 0 <= block.start < block.end, block
        assert block.end - block.start == len(block.text), block
        assert block.start >= previous_end.get(block.page, 0), "blocks overlap or go backwards"
        previous_end[block.page] = block.end
        if source is not None:
            assert source[block.start : block.end] == block.text, block
            if block.line is not None:
                assert block.line == source.count("\n", 0, block.start) + 1, block


@pytest.fixture
def check_blocks() -> Callable[..., None]:
    """The block-invariant checker, as a fixture (test modules do not import each other)."""
    return _check_blocks


def _rezip(
    source: Path, target: Path, replace: Mapping[str, bytes | str], drop: tuple[str, ...] = ()
) -> Path:
    """Copy a zip-based document, replacing or adding members and dropping others."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename not in replace and info.filename not in drop:
                new.writestr(info, old.read(info))
        for name, content in replace.items():
            new.writestr(name, content)
    return target


@pytest.fixture
def rezip() -> Callable[..., Path]:
    """`rezip(source, target, {member: content}, drop=(member,))`: edit a zip's members."""
    return _rezip


@pytest.fixture
def billion_laughs() -> bytes:
    """An XML document whose entities would expand to a billion "lol"s."""
    return BILLION_LAUGHS


@pytest.fixture(scope="session")
def shared_pdfs() -> Path:
    """The folder of real-world sample PDFs shared by the project, or skip."""
    if not SHARED_PDFS.is_dir():
        pytest.skip(f"sample PDFs not found at {SHARED_PDFS}")
    return SHARED_PDFS
