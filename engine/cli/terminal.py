"""What the command line shares: exit codes, Ctrl-C as cancel, a progress bar."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path
from typing import Any, TextIO

EXIT_USER_ERROR = 2
EXIT_FAILURE = 1
EXIT_INTERRUPTED = 130


class CancelOnSigint:
    """First Ctrl-C cancels the work cleanly; a second one interrupts at once."""

    def __init__(self, cancel: Any) -> None:
        self.cancel = cancel

    def __enter__(self) -> None:
        def handler(signum: int, frame: object) -> None:
            if self.cancel.cancelled:
                raise KeyboardInterrupt
            print("\ncancelling (Ctrl-C again to stop at once)…", file=sys.stderr)
            self.cancel.cancel()

        self.previous = signal.signal(signal.SIGINT, handler)

    def __exit__(self, *exc: object) -> None:
        signal.signal(signal.SIGINT, self.previous)


class ProgressBar:
    """A one-line progress display on a terminal; periodic lines otherwise."""

    def __init__(self, stream: TextIO, label: str) -> None:
        self.stream = stream
        self.label = label
        self.tty = stream.isatty()
        self.last = 0.0

    def __call__(self, progress: Any) -> None:
        now = time.monotonic()
        final = progress.current is None and progress.files_done >= progress.files_total
        if not final and now - self.last < (0.1 if self.tty else 5.0):
            return
        self.last = now
        total = max(progress.files_total, 1)
        filled = int(30 * progress.files_done / total)
        bar = "#" * filled + "." * (30 - filled)
        name = Path(progress.current).name if progress.current else ""
        line = (
            f"{self.label} [{bar}] {progress.files_done}/{progress.files_total} files, "
            f"{progress.chunks} passages {name[:40]}"
        )
        if self.tty:
            self.stream.write("\r" + line.ljust(110)[:110] + ("\n" if final else ""))
        elif progress.files_total:
            self.stream.write(line + "\n")
        self.stream.flush()
