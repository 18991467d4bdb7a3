"""Hiding what native code (llama.cpp) prints on stderr: load chatter, not errors we need.

llama.cpp reports progress and harmless fallbacks on the process's stderr even with
verbose output off; a terminal user should see Docent's sentences, not that. With
debug logging on, nothing is hidden.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def native_stderr_silenced(silence: bool) -> Iterator[None]:
    """Hide what llama.cpp's C code prints on stderr while loading (even with verbose off)."""
    if not silence:
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):
        yield
        return
    try:
        with open(os.devnull, "w") as devnull, contextlib.redirect_stderr(devnull):
            # llama-cpp-python's log callback writes to sys.stderr, the C code to fd 2
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
