"""E-mail built with the stdlib: .eml and .mbox, one page per message, headers first."""

from __future__ import annotations

import email.policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from engine.errors import ParseError
from engine.parsing import is_supported, mail, parse_file


def plain_message(subject: str, body: str, sender: str = "Ada <ada@example.org>") -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = "bob@example.org"
    message["Date"] = "Tue, 05 Mar 2024 10:00:00 +0000"
    message.set_content(body)
    return message


def write_eml(tmp_path: Path, message: EmailMessage, name: str = "mail.eml") -> Path:
    path = tmp_path / name
    path.write_bytes(message.as_bytes(policy=email.policy.default))
    return path


def test_headers_body_paragraphs_and_attachments(tmp_path, check_blocks):
    message = plain_message("Boiler quote", "Hello Bob,\n\nThe boiler costs 1,200.\nRegards\n")
    message.add_attachment(
        b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="quote.pdf"
    )
    path = write_eml(tmp_path, message)

    document = parse_file(path)

    assert is_supported(path)
    assert document.kind == "email"
    assert document.title == "Boiler quote"
    assert document.pages == 1
    heading = ("Boiler quote",)
    assert [(b.text, b.page, b.heading) for b in document.blocks] == [
        (
            "From: Ada <ada@example.org>\nTo: bob@example.org\n"
            "Date: Tue, 05 Mar 2024 10:00:00 +0000",
            1,
            heading,
        ),
        ("Hello Bob,", 1, heading),
        ("The boiler costs 1,200.\nRegards", 1, heading),
        ("Attachments: quote.pdf", 1, heading),
    ]
    check_blocks(document, "\n\n".join(b.text for b in document.blocks))


def test_html_only_body_is_turned_into_text(tmp_path):
    message = plain_message("Newsletter", "placeholder")
    message.set_content(
        "<html><body><h1>News</h1><p>Caf&eacute; opens <b>Monday</b>.</p>"
        "<script>x()</script></body></html>",
        subtype="html",
    )
    document = parse_file(write_eml(tmp_path, message))
    assert [b.text for b in document.blocks[1:]] == ["Café opens Monday."]


def test_plain_part_is_preferred_over_html(tmp_path):
    message = plain_message("Both", "Plain words.")
    message.add_alternative("<p>HTML words.</p>", subtype="html")
    document = parse_file(write_eml(tmp_path, message))
    assert [b.text for b in document.blocks[1:]] == ["Plain words."]


def test_encoded_headers_and_unknown_charset(tmp_path):
    raw = (
        b"Subject: =?utf-8?q?Caf=C3=A9_menu?=\r\nFrom: a@example.org\r\n"
        b"Content-Type: text/plain; charset=x-unknown\r\n\r\nCaf\xc3\xa9 au lait\r\n"
    )
    path = tmp_path / "odd.eml"
    path.write_bytes(raw)
    document = parse_file(path)
    assert document.title == "Café menu"
    assert [b.text for b in document.blocks] == [
        "From: a@example.org",
        "Café au lait",
    ]


def test_the_subject_heads_the_blocks_instead_of_repeating_as_text(tmp_path):
    document = parse_file(write_eml(tmp_path, plain_message("Lease renewal", "Due in May.")))
    assert all(block.heading == ("Lease renewal",) for block in document.blocks)
    assert not any("Lease renewal" in block.text for block in document.blocks)


def test_a_message_with_only_a_subject_keeps_it_as_text(tmp_path):
    path = tmp_path / "note.eml"
    path.write_text("Subject: Call the plumber\n\n")
    document = parse_file(path)
    assert [(b.text, b.heading) for b in document.blocks] == [
        ("Subject: Call the plumber", ("Call the plumber",))
    ]


def test_forwarded_message_is_listed_as_an_attachment(tmp_path):
    outer = plain_message("Fwd: plans", "See below.")
    outer.add_attachment(plain_message("Plans", "Inner body."))
    document = parse_file(write_eml(tmp_path, outer))
    assert document.blocks[-1].text == "Attachments: forwarded message 'Plans'"


def test_mbox_has_one_page_per_message(tmp_path, check_blocks):
    first = plain_message("First", "From the start we knew.\n\nSecond paragraph.")
    second = plain_message("Second", "Short note.", sender="carol@example.org")
    data = b""
    for message in (first, second):
        body = message.as_bytes(policy=email.policy.default.clone(linesep="\n"))
        body = body.replace(b"\nFrom the start", b"\n>From the start")  # mboxrd escaping
        data += b"From ada@example.org Tue Mar  5 10:00:00 2024\n" + body + b"\n"
    path = tmp_path / "inbox.mbox"
    path.write_bytes(data)

    document = parse_file(path)

    assert is_supported(path)
    assert document.kind == "mbox"
    assert document.pages == 2
    assert [(b.text.splitlines()[0], b.page, b.heading) for b in document.blocks] == [
        ("From: Ada <ada@example.org>", 1, ("First",)),
        ("From the start we knew.", 1, ("First",)),
        ("Second paragraph.", 1, ("First",)),
        ("From: carol@example.org", 2, ("Second",)),
        ("Short note.", 2, ("Second",)),
    ]
    check_blocks(document)


def test_mbox_message_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(mail, "MAX_MESSAGES", 2)
    data = b"".join(
        b"From x Tue Mar  5 10:00:00 2024\nSubject: n%d\n\nbody %d\n\n" % (n, n) for n in range(5)
    )
    path = tmp_path / "many.mbox"
    path.write_bytes(data)
    document = parse_file(path)
    assert document.pages == 2
    assert document.warnings == ("stopped reading after 2 of 5 messages: the rest is not indexed",)


def test_eml_without_headers_is_damaged(tmp_path):
    path = tmp_path / "notes.eml"
    path.write_text("just some words\nwithout any header\n")
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason == "damaged e-mail: no message headers found"


def test_mbox_without_from_line_is_damaged(tmp_path):
    path = tmp_path / "box.mbox"
    path.write_text("Subject: hi\n\nbody\n")
    with pytest.raises(ParseError) as caught:
        parse_file(path)
    assert caught.value.reason == "damaged mbox: does not start with a 'From ' line"


def test_truncated_message_keeps_what_is_there(tmp_path):
    message = plain_message("Cut", "x")
    message.add_attachment(
        bytes(range(256)) * 40, maintype="image", subtype="png", filename="photo.png"
    )
    data = message.as_bytes(policy=email.policy.default)
    path = tmp_path / "cut.eml"
    path.write_bytes(data[: len(data) // 2])
    document = parse_file(path)
    assert document.blocks[0].text.startswith("From: Ada")
    assert document.blocks[0].heading == ("Cut",)
    assert document.blocks[-1].text == "Attachments: photo.png"


def _sheet_bytes(tmp_path: Path) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Quote"
    book.active.append(["Item", "Cost"])
    book.active.append(["Boiler pump", "340"])
    book.save(tmp_path / "quote.xlsx")
    return (tmp_path / "quote.xlsx").read_bytes()


def test_attachments_of_supported_types_are_read_under_their_name(tmp_path, check_blocks):
    message = plain_message("Boiler quote", "See the attached quote.\n")
    message.add_attachment(
        _sheet_bytes(tmp_path),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename="quote.xlsx",
    )
    message.add_attachment("# Notes\n\nThe plumber comes on Friday.\n", filename="notes.md")
    message.add_attachment(b"\x89PNG\r\n\x1a\n", maintype="image", subtype="png", filename="a.png")
    message.add_attachment(b"not a zip", maintype="application", subtype="zip", filename="x.docx")

    document = parse_file(write_eml(tmp_path, message))

    by_text = {b.text: b.heading for b in document.blocks}
    assert by_text["Row 2 — Item: Boiler pump, Cost: 340"] == (
        "Boiler quote",
        "quote.xlsx",
        "Quote",
    )
    assert by_text["The plumber comes on Friday."] == ("Boiler quote", "notes.md", "Notes")
    assert "Attachments: quote.xlsx, notes.md, a.png, x.docx" in by_text
    assert not any("a.png" in heading for heading in by_text.values())  # OCR is off
    [warning] = document.warnings
    assert warning.startswith("attachment x.docx not read ("), warning
    assert document.ocr_pages == ()
    check_blocks(document, "\n\n".join(b.text for b in document.blocks))


def test_an_attachment_in_a_mailbox_is_cited_as_its_message(tmp_path):
    first = plain_message("Keys", "The spare key is with the neighbour.\n")
    second = plain_message("Lease", "Attached.\n")
    second.add_attachment("The lease ends on 31 March 2027.\n", filename="lease.txt")
    mbox = tmp_path / "inbox.mbox"
    mbox.write_bytes(
        b"".join(
            b"From ada@example.org Tue Mar  5 10:00:00 2024\n"
            + m.as_bytes(policy=email.policy.default)
            + b"\n"
            for m in (first, second)
        )
    )

    document = parse_file(mbox)

    [lease] = [b for b in document.blocks if "31 March 2027" in b.text]
    assert (lease.page, lease.heading) == (2, ("Lease", "lease.txt"))
    assert document.warnings == ()


def test_attachment_reading_is_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(mail, "MAX_ATTACHMENTS_READ", 2)
    message = plain_message("Many", "Three notes.\n")
    for n in range(3):
        message.add_attachment(f"Note number {n} text.\n", filename=f"note{n}.txt")

    document = parse_file(write_eml(tmp_path, message))

    texts = [b.text for b in document.blocks]
    assert "Note number 1 text." in texts and "Note number 2 text." not in texts
