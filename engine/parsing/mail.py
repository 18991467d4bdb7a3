"""E-mail: .eml files (one message) and .mbox mailboxes (many), one page per message.

Messages are read with the standard library's `email` package and `email.policy.default`.
Each message is a page (page 1 for an .eml; the message's position for an mbox). Every
block of a message has its subject as heading. Its first block lists the From, To, Cc and
Date headers, so they are searchable; then come the body's paragraphs (the plain-text part
when there is one, else the HTML part turned into text by html.py), then one block naming
the attachments, then the text of each attachment of a supported type, read by the same
parsers as a file of that type (an `AttachmentReader` from dispatch, within the same
limits). An attachment's blocks add its file name and their own heading path under the
subject. The page's extracted text is those units joined with blank lines.

An attachment is indexed inside its message's page, not as a document of its own: it has
no file to open, move or delete apart from the message, so its citations point to the
message that holds it ("message 3", heading "Subject › report.pdf › Costs"). An attachment
that cannot be read is a warning on its message, never a failure of the mailbox.

An mbox is split on its "From " lines in memory rather than through
`mailbox.mbox`, which would open the file again by path (read-write when it can) instead of
reading the bytes already read under the size limit; ">From " lines are unescaped as in
mboxrd. A mailbox with more than `MAX_MESSAGES` messages is cut short with a warning.
"""

from __future__ import annotations

import email
import email.message
import email.policy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from engine.errors import ParseError, SkippedFile
from engine.parsing.document import Block, ParsedDocument
from engine.parsing.html import parse_html
from engine.parsing.limits import short_cause
from engine.parsing.textio import clean_inline, decode_text, paragraph_spans

MAX_MESSAGES = 20_000
MAX_ATTACHMENTS_READ = 20  # per message; the rest are listed by name only
HEADER_FIELDS = ("Subject", "From", "To", "Cc", "Date")
_FROM_LINE = re.compile(rb"^From ", re.MULTILINE)
_ESCAPED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)


# Reads an attachment (file name, bytes) as a document of its type; None for a type Docent
# does not read there. Raises ParseError or SkippedFile as parse_file does.
AttachmentReader = Callable[[str, bytes], ParsedDocument | None]


@dataclass
class _MessageText:
    subject: str
    units: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)  # text, heading
    warnings: list[str] = field(default_factory=list)
    ocr: bool = False  # an attachment was read by OCR

    def add(self, text: str, *heading: str) -> None:
        self.units.append((text, ((self.subject,) if self.subject else ()) + heading))


def parse_eml(
    path: str, data: bytes, read_attachment: AttachmentReader | None = None
) -> ParsedDocument:
    """Parse one message saved as .eml."""
    message = _read_message(data)
    if not any(message.keys()):
        raise ParseError(path, "damaged e-mail: no message headers found")
    text = _message_text(message, "", read_attachment)
    return ParsedDocument(
        path=path,
        kind="email",
        blocks=tuple(_blocks(text, 1)),
        pages=1,
        title=text.subject or None,
        warnings=tuple(text.warnings),
        ocr_pages=(1,) if text.ocr else (),
    )


def parse_mbox(
    path: str, data: bytes, read_attachment: AttachmentReader | None = None
) -> ParsedDocument:
    """Parse an mbox mailbox, one page per message in file order."""
    if not data.startswith(b"From "):
        raise ParseError(path, "damaged mbox: does not start with a 'From ' line")
    starts = [match.start() for match in _FROM_LINE.finditer(data)]
    warnings: list[str] = []
    if len(starts) > MAX_MESSAGES:
        warnings.append(
            f"stopped reading after {MAX_MESSAGES:,} of {len(starts):,} messages: "
            "the rest is not indexed"
        )
        starts = starts[: MAX_MESSAGES + 1]
    blocks: list[Block] = []
    ocr_pages: list[int] = []
    ends = [*starts[1:], len(data)]
    pages = min(len(starts), MAX_MESSAGES)
    for number, (start, end) in enumerate(zip(starts[:pages], ends, strict=False), start=1):
        raw = data[start:end]
        newline = raw.find(b"\n")
        raw = b"" if newline < 0 else _ESCAPED_FROM.sub(rb"\1", raw[newline + 1 :])
        text = _message_text(_read_message(raw), f"message {number}: ", read_attachment)
        blocks.extend(_blocks(text, number))
        warnings.extend(text.warnings)
        if text.ocr:
            ocr_pages.append(number)
    return ParsedDocument(
        path=path, kind="mbox", blocks=tuple(blocks), pages=pages, warnings=tuple(warnings),
        ocr_pages=tuple(ocr_pages),
    )  # fmt: skip


def _read_message(data: bytes) -> email.message.EmailMessage:
    message = email.message_from_bytes(data, policy=email.policy.default)
    return cast(email.message.EmailMessage, message)  # what policy.default makes


def _message_text(
    message: email.message.EmailMessage, where: str, read_attachment: AttachmentReader | None
) -> _MessageText:
    """Header lines, body paragraphs, the attachment list and the attachments' text."""
    headers = [(name, _header(message, name)) for name in HEADER_FIELDS]
    text = _MessageText(subject=dict(headers)["Subject"])
    # The subject heads every block of the message (its heading path, searchable and shown
    # with each passage), so the first block holds who wrote to whom and when. Repeated as
    # text, the subject shares the question's topic words, and the reader's excerpt picked
    # the header lines in place of the body's sentences (docs/benchmarks.md, "E-mail").
    header_lines = [f"{name}: {value}" for name, value in headers if value and name != "Subject"]
    if header_lines:
        text.add("\n".join(header_lines))
    try:
        for unit in _body_units(message):
            text.add(unit)
    except Exception as exc:  # a broken part loses its body, not the whole message
        text.warnings.append(f"{where}body unreadable ({short_cause(exc)})")
    if not text.units and text.subject:  # a subject alone is still the message's text
        text.add(f"Subject: {text.subject}")
    try:
        names = _attachment_names(message)
    except Exception as exc:
        text.warnings.append(f"{where}attachments unreadable ({short_cause(exc)})")
        names = []
    if names:
        text.add("Attachments: " + ", ".join(names))
        if read_attachment is not None:
            _read_attachments(message, text, where, read_attachment)
    return text


def _read_attachments(
    message: email.message.EmailMessage,
    text: _MessageText,
    where: str,
    read_attachment: AttachmentReader,
) -> None:
    """Add the text of each attachment of a supported type under its own heading."""
    read = 0
    for part in message.iter_attachments():
        name = clean_inline(part.get_filename() or "")
        if not name or read == MAX_ATTACHMENTS_READ:
            continue
        try:
            payload = part.get_payload(decode=True)
            document = read_attachment(name, payload) if isinstance(payload, bytes) else None
        except SkippedFile:
            continue  # an empty or image-only attachment: nothing to index, nothing wrong
        except ParseError as exc:
            text.warnings.append(f"{where}attachment {name} not read ({exc.reason})")
            continue
        except Exception as exc:  # a bug in a parser must not cost the message
            text.warnings.append(f"{where}attachment {name} not read ({short_cause(exc)})")
            continue
        if document is None or not document.blocks:
            continue
        read += 1
        text.ocr = text.ocr or bool(document.ocr_pages)
        for block in document.blocks:
            text.add(block.text, name, *block.heading)


def _blocks(text: _MessageText, page: int) -> list[Block]:
    blocks: list[Block] = []
    pos = 0
    for unit, heading in text.units:
        blocks.append(Block(unit, pos, pos + len(unit), page, heading, None))
        pos += len(unit) + 2  # the "\n\n" joining units
    return blocks


def _header(message: email.message.Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # a header the parser cannot make sense of is left out
        return ""
    return clean_inline(str(value)) if value is not None else ""


def _body_units(message: email.message.EmailMessage) -> list[str]:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return []
    content = _part_text(part)
    if part.get_content_subtype() == "html":
        return [block.text for block in parse_html("", content).blocks]
    units = []
    for start, end in paragraph_spans(content):
        unit = content[start:end].strip()
        if unit:
            units.append(unit)
    return units


def _part_text(part: email.message.MIMEPart) -> str:
    """The part's text; an unknown or wrong charset falls back to Docent's own decoding."""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, ValueError):
        content = None
    if isinstance(content, str):
        return content.replace("\r\n", "\n").replace("\r", "\n")
    payload = part.get_payload(decode=True)
    return decode_text(payload) if isinstance(payload, bytes) else ""


def _attachment_names(message: email.message.EmailMessage) -> list[str]:
    names = []
    for part in message.iter_attachments():
        part = cast(email.message.EmailMessage, part)
        name = clean_inline(part.get_filename() or "")
        if not name and part.get_content_type() == "message/rfc822":
            inner = part.get_payload()
            inner_message = inner[0] if isinstance(inner, list) and inner else None
            if not isinstance(inner_message, email.message.Message):
                inner_message = None
            subject = _header(inner_message, "Subject") if inner_message is not None else ""
            name = f"forwarded message {subject!r}" if subject else "forwarded message"
        names.append(name or f"unnamed {part.get_content_type()}")
    return names
