"""Plain text and the facade: paragraphs, line numbers, encodings, binary detection, errors."""

from __future__ import annotations

import builtins
import os
import random
from pathlib import Path

import pytest

from engine.errors import ParseError, SkippedFile
from engine.parsing import is_supported, parse_file

NO_TEXT = "no extractable text (image-only or empty)"
PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10" + bytes(range(256)) * 4


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8", newline="")
    else:
        path.write_bytes(data)
    return path


def test_paragraphs_are_split_on_blank_lines_with_offsets_and_lines(tmp_path, check_blocks):
    source = "First para\nline two\n\n\n   Second para  \n \t \nThird\n"
    document = parse_file(write(tmp_path, "notes.txt", source))

    assert document.kind == "text"
    assert [b.text for b in document.blocks] == ["First para\nline two", "Second para", "Third"]
    assert [b.line for b in document.blocks] == [1, 5, 7]
    assert [(b.start, b.end) for b in document.blocks] == [(0, 19), (25, 36), (43, 48)]
    assert all(b.page is None and b.heading == () for b in document.blocks)
    check_blocks(document, source)


def test_crlf_and_cr_are_normalised_before_offsets(tmp_path, check_blocks):
    document = parse_file(write(tmp_path, "dos.txt", b"a\r\nb\r\n\r\nc\rd\r\n"))

    assert [b.text for b in document.blocks] == ["a\nb", "c\nd"]
    assert [b.line for b in document.blocks] == [1, 4]
    check_blocks(document, "a\nb\n\nc\nd\n")


@pytest.mark.parametrize(
    ("data", "label"),
    [
        ("café naïve €\n\nzweiter Absatz".encode(), "utf-8"),
        (b"\xef\xbb\xbf" + "café naïve €\n\nzweiter Absatz".encode(), "utf-8 BOM"),
        ("café naïve €\r\n\r\nzweiter Absatz".encode("utf-16"), "utf-16 native BOM"),
        (b"\xff\xfe" + "café naïve €\n\nzweiter Absatz".encode("utf-16-le"), "utf-16 LE BOM"),
        (b"\xfe\xff" + "café naïve €\n\nzweiter Absatz".encode("utf-16-be"), "utf-16 BE BOM"),
        ("café naïve €\n\nzweiter Absatz".encode("utf-32"), "utf-32 BOM"),
        ("café naïve €\n\nzweiter Absatz".encode("cp1252"), "windows-1252"),
    ],
)
def test_encodings_decode_to_the_same_text(tmp_path, data, label, check_blocks):
    document = parse_file(write(tmp_path, "enc.txt", data))

    assert [b.text for b in document.blocks] == ["café naïve €", "zweiter Absatz"], label
    check_blocks(document, "café naïve €\n\nzweiter Absatz")


def test_latin1_file_falls_back_from_utf8(tmp_path):
    document = parse_file(write(tmp_path, "latin.txt", "café au lait".encode("latin-1")))
    assert document.blocks[0].text == "café au lait"


@pytest.mark.parametrize(
    ("name", "kind"),
    [("script.py", "code"), ("server.log", "text"), ("README", "text"), ("config.yaml", "data")],
)
def test_text_files_are_recognised_by_extension_or_content(tmp_path, name, kind, check_blocks):
    source = {
        "script.py": "import os\n\n\ndef main():\n    return os.sep\n",
        "server.log": "12:00 started\n12:01 ready\n",
        "README": "Read me first.\n\nThen the rest.\n",
        "config.yaml": "key: value\nlist:\n  - a\n",
    }[name]
    path = write(tmp_path, name, source)

    document = parse_file(path)

    assert document.kind == kind
    assert is_supported(path)
    check_blocks(document, source)


def test_png_is_rejected_by_extension(tmp_path):
    with pytest.raises(SkippedFile) as caught:
        parse_file(write(tmp_path, "image.png", PNG_BYTES))
    assert caught.value.reason == "binary file (.png; OCR is off)"


@pytest.mark.parametrize(
    "data",
    [
        PNG_BYTES,
        random.Random(7).randbytes(4096) + b"\x00",
        b"no NULs but control bytes \x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f" * 20,
    ],
    ids=["png-bytes", "random-with-nul", "control-characters"],
)
def test_binary_content_is_skipped_whatever_the_name(tmp_path, data):
    path = write(tmp_path, "mystery.dat", data)

    with pytest.raises(SkippedFile) as caught:
        parse_file(path)

    assert caught.value.reason == "binary file"
    assert not is_supported(path)


def test_a_single_nul_byte_marks_otherwise_clean_text_as_binary(tmp_path):
    path = write(tmp_path, "almost.txt", b"perfectly normal words " * 200 + b"\x00")
    with pytest.raises(SkippedFile, match="binary file"):
        parse_file(path)


def test_binary_content_with_text_extension_is_skipped(tmp_path):
    with pytest.raises(SkippedFile, match="binary file"):
        parse_file(write(tmp_path, "fake.txt", b"text\x00\x00\x00" * 100))


def test_office_formats_other_than_docx_are_unsupported(tmp_path):
    path = write(tmp_path, "old.doc", b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    with pytest.raises(SkippedFile) as caught:
        parse_file(path)
    assert caught.value.reason == "unsupported format (.doc)"
    assert not is_supported(path)


def test_too_large_names_size_and_limit(tmp_path):
    path = write(tmp_path, "big.txt", b"x" * (3 * 2**20 + 2**19))
    with pytest.raises(ParseError) as caught:
        parse_file(path, max_bytes=2**20)
    assert caught.value.reason == "too large (3.5 MB, limit 1 MB)"
    assert not isinstance(caught.value, SkippedFile)


def test_default_limit_is_100_mb(tmp_path):
    path = tmp_path / "sparse.txt"
    with open(path, "wb") as handle:  # sparse: costs no disk
        handle.truncate(100 * 2**20 + 1)
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason == "too large (100.0 MB, limit 100 MB)"


def test_missing_file(tmp_path):
    with pytest.raises(ParseError) as caught:
        parse_file(tmp_path / "nowhere.txt")
    assert caught.value.reason == "file not found"
    assert caught.value.path == str(tmp_path / "nowhere.txt")
    assert not isinstance(caught.value, SkippedFile)


def test_permission_denied(tmp_path, monkeypatch):
    path = write(tmp_path, "secret.txt", "hidden")
    if os.geteuid() == 0:  # root reads anything: simulate what chmod 000 does for a user
        real_open = builtins.open

        def refusing_open(file, *args, **kwargs):
            if os.fspath(file) == str(path):
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(file, *args, **kwargs)

        monkeypatch.setattr(builtins, "open", refusing_open)
    else:
        path.chmod(0)
    try:
        with pytest.raises(ParseError) as caught:
            parse_file(path)
    finally:
        path.chmod(0o644)
    assert caught.value.reason == "permission denied"


def test_empty_and_blank_files_are_skipped(tmp_path):
    with pytest.raises(SkippedFile) as empty:
        parse_file(write(tmp_path, "empty.txt", b""))
    with pytest.raises(SkippedFile) as blank:
        parse_file(write(tmp_path, "blank.md", " \n\n\t\n"))
    assert empty.value.reason == "empty file"
    assert blank.value.reason == NO_TEXT


def test_folder_and_fifo_are_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(SkippedFile, match="not a regular file"):
        parse_file(fifo)  # opening a FIFO would block forever
    with pytest.raises(ParseError, match="is a folder"):
        parse_file(tmp_path)
    assert not is_supported(fifo)


def test_is_supported_is_decided_by_extension_first(tmp_path):
    assert is_supported(tmp_path / "missing.md")
    assert is_supported(tmp_path / "missing.PDF")
    assert is_supported(tmp_path / "missing.docx")
    assert not is_supported(tmp_path / "missing.jpg")
    assert not is_supported(tmp_path / "missing-no-extension")
    assert not is_supported(write(tmp_path, "empty-no-extension", b""))
    assert is_supported(write(tmp_path, "notes-no-extension", "plain words\n"))


def test_reading_asks_for_the_file_not_the_limit_and_notices_growth(tmp_path):
    import tracemalloc

    from engine.errors import ParseError
    from engine.parsing.dispatch import _read

    path = tmp_path / "note.txt"
    path.write_bytes(b"x" * 1000)
    tracemalloc.start()
    try:
        assert _read(path, "note.txt", 1000, max_bytes=50_000_000) == b"x" * 1000
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000  # not a 50 MB buffer for a 1 kB file

    assert _read(path, "note.txt", 10, max_bytes=5000) == b"x" * 1000  # grew since measured
    with pytest.raises(ParseError, match="too large"):
        _read(path, "note.txt", 10, max_bytes=500)
