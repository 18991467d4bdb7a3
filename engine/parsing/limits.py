"""Size limits and the human wording of why a file was not read, shared by every format."""

from __future__ import annotations

DEFAULT_MAX_BYTES = 100 * 2**20
_UNITS = ((2**30, "GB"), (2**20, "MB"), (2**10, "KB"))


def human_size(size: int, *, trim: bool = False) -> str:
    """'123.4 MB', '2.5 KB', '12 bytes'; with `trim`, a zero decimal is dropped ('100 MB')."""
    for factor, unit in _UNITS:
        if size >= factor:
            number = f"{size / factor:.1f}"
            if trim:
                number = number.removesuffix(".0")
            return f"{number} {unit}"
    return f"{size} bytes"


def too_large(size: int, limit: int) -> str:
    """The reason given for a file over the size limit."""
    return f"too large ({human_size(size)}, limit {human_size(limit, trim=True)})"


def short_cause(exc: BaseException) -> str:
    """A one-line, bounded description of an exception for a human reason."""
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    message = message or type(exc).__name__
    return message if len(message) <= 100 else message[:97] + "..."
