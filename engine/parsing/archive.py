"""Safe opening of zip-based documents (OOXML, OpenDocument, EPUB) and of the XML inside them.

Every archive is checked before anything in it is decompressed: the uncompressed sizes its
directory declares must add up to no more than the size limit (a zip bomb is refused by
arithmetic, not by running out of memory), and zipfile itself never inflates a member past
its declared size. XML read here goes through defusedxml, which refuses entity declarations
(billion laughs) and external entities instead of expanding them.
"""

from __future__ import annotations

import contextlib
import io
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Iterator
from typing import IO

import defusedxml
import defusedxml.ElementTree as SafeET

from engine.errors import ParseError
from engine.parsing.limits import too_large

# Microsoft's Compound File header: legacy .doc/.xls/.ppt, and password-protected OOXML
# (Office wraps the encrypted zip in one).
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    OSError,
    EOFError,
    NotImplementedError,
    RuntimeError,
    ValueError,  # zipfile on some corrupt headers ("negative seek value")
)
MAX_MEMBERS = 20_000  # more files than any real document holds
_PROLOG_BYTES = 65_536  # a DTD sits in the prolog, before the root element


def open_archive(path: str, data: bytes, max_bytes: int, label: str) -> zipfile.ZipFile:
    """Open `data` as a zip, refusing encrypted containers and archives that expand past
    `max_bytes`. `label` names the format in reasons ("damaged PPTX: ...")."""
    if data.startswith(CFB_MAGIC):
        raise ParseError(path, f"password-protected (encrypted) or legacy binary {label} file")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except ZIP_ERRORS as exc:
        raise ParseError(path, f"damaged {label}: not a valid zip archive") from exc
    try:
        check_expanded_size(path, archive, max_bytes, label)
    except ParseError:
        archive.close()
        raise
    return archive


def check_expanded_size(path: str, archive: zipfile.ZipFile, max_bytes: int, label: str) -> None:
    """Refuse an archive whose members, uncompressed, add up to more than `max_bytes`."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise ParseError(path, f"damaged {label}: {len(members):,} files in the archive")
    if any(member.flag_bits & 0x1 for member in members):
        raise ParseError(path, f"password-protected (encrypted) {label} file")
    expanded = sum(member.file_size for member in members)
    if expanded > max_bytes:
        raise ParseError(path, too_large(expanded, max_bytes) + " when uncompressed")


@contextlib.contextmanager
def _member_errors(path: str, name: str, label: str) -> Iterator[None]:
    """A missing or unreadable member is a damaged document."""
    try:
        yield
    except KeyError as exc:
        raise ParseError(path, f"damaged {label}: {name} missing") from exc
    except ZIP_ERRORS as exc:
        raise ParseError(path, f"damaged {label}: cannot read {name} ({exc})") from exc


def read_member(path: str, archive: zipfile.ZipFile, name: str, label: str) -> bytes:
    """Read one member; a missing or unreadable one is a damaged document."""
    with _member_errors(path, name, label):
        return archive.read(name)


def open_member(path: str, archive: zipfile.ZipFile, name: str, label: str) -> IO[bytes]:
    """Open one member for streaming; a missing one is a damaged document."""
    with _member_errors(path, name, label):
        return archive.open(name)


def refuse_doctypes(path: str, archive: zipfile.ZipFile, label: str) -> None:
    """Refuse an archive whose XML parts declare a DTD, where entities would be declared.

    For libraries that parse the parts themselves (python-pptx, which does not expand
    entities, but would otherwise quietly read such a part as empty). Office and
    OpenDocument parts never carry a DTD; only each part's prolog is read.
    """
    for member in archive.infolist():
        if not member.filename.endswith((".xml", ".rels")) or member.is_dir():
            continue
        try:
            with archive.open(member) as stream:
                prolog = stream.read(_PROLOG_BYTES)
        except ZIP_ERRORS as exc:
            reason = f"damaged {label}: cannot read {member.filename} ({exc})"
            raise ParseError(path, reason) from exc
        if b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog:
            raise ParseError(path, hostile_xml_reason(member.filename, label))


def parse_xml(path: str, data: bytes, member: str, label: str) -> ET.Element:
    """Parse one XML member safely; hostile or broken XML is a `ParseError` naming the cause."""
    try:
        return SafeET.fromstring(data)
    except defusedxml.DefusedXmlException as exc:
        raise ParseError(path, hostile_xml_reason(member, label)) from exc
    except ET.ParseError as exc:
        raise ParseError(path, f"damaged {label}: bad XML in {member} ({exc})") from exc


def iterparse_xml(
    path: str, source: IO[bytes], member: str, label: str, events: tuple[str, ...]
) -> Iterator[tuple[str, ET.Element]]:
    """Stream (event, element) pairs from one XML member, as `parse_xml` guards it."""
    try:
        yield from SafeET.iterparse(source, events=events)
    except defusedxml.DefusedXmlException as exc:
        raise ParseError(path, hostile_xml_reason(member, label)) from exc
    except ET.ParseError as exc:
        raise ParseError(path, f"damaged {label}: bad XML in {member} ({exc})") from exc
    except ZIP_ERRORS as exc:
        raise ParseError(path, f"damaged {label}: cannot read {member} ({exc})") from exc


def hostile_xml_reason(member: str, label: str) -> str:
    """The reason for XML that declares entities or a DTD: refused, never expanded."""
    return f"refused {label}: {member} declares XML entities (possible entity-expansion attack)"
