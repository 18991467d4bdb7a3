"""Parse files in a child process with a deadline, so one pathological file cannot stall
an indexing run.

pypdf is pure Python and cannot be interrupted from another thread, so the parser runs in
a separate process that can be killed. The child is started with "spawn" (the parent holds
torch threads; forking it is unsafe) and imports only `engine.parsing`. Errors cross the
pipe as (kind, reason) and are raised again in the parent as the same class.
"""

from __future__ import annotations

import multiprocessing
import signal
import time
import traceback
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import TracebackType
from typing import Any

from engine.errors import ParseError, SkippedFile
from engine.parsing.dispatch import parse_file
from engine.parsing.document import ParsedDocument
from engine.parsing.limits import DEFAULT_MAX_BYTES

_ERROR_CLASSES: dict[str, type[ParseError]] = {"skipped": SkippedFile, "error": ParseError}
_CLOSE_GRACE_S = 2.0
# OCR starts no new page after this share of the deadline, so that a long scan returns the
# pages read so far (with a warning) instead of timing out with nothing.
_OCR_SHARE_OF_DEADLINE = 0.75


class ParserBugError(RuntimeError):
    """The parser itself failed unexpectedly in the child; carries the child's traceback."""


class ParseWorker:
    """A restartable child process that runs `parse_file`, one request at a time.

    Use `parse(path)`, or `submit(path)` then `result()`. A request that exceeds
    `timeout_s` (counted from submit) kills the child and raises `ParseError`; so does a
    child that dies. The next submit starts a fresh child. `ocr` is passed to `parse_file`
    in the child, with an OCR budget of a share of `timeout_s`.
    """

    def __init__(
        self, timeout_s: float = 60.0, max_bytes: int = DEFAULT_MAX_BYTES, *, ocr: bool = False
    ) -> None:
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.ocr = ocr
        self._context = multiprocessing.get_context("spawn")
        self._process: BaseProcess | None = None
        self._connection: Connection | None = None
        self._pending: tuple[str, float] | None = None

    @property
    def pid(self) -> int | None:
        """The child's process id, or None when no child is running."""
        process = self._process
        return process.pid if process is not None and process.is_alive() else None

    def submit(self, path: str | Path, *, _test_sleep_s: float = 0.0) -> None:
        """Send one file to the child. `_test_sleep_s` is for tests only: the child sleeps
        that long before parsing, standing in for a file that takes too long."""
        if self._pending is not None:
            raise ValueError("a request is already outstanding; call result() first")
        name = str(path)
        deadline = time.monotonic() + self.timeout_s
        message = (name, _test_sleep_s)
        try:
            self._ensure_child().send(message)
        except (BrokenPipeError, EOFError, OSError):
            self._stop_child()  # the idle child died; one retry with a fresh one
            self._ensure_child().send(message)
        self._pending = (name, deadline)

    def result(self) -> ParsedDocument:
        """Wait for the outstanding request; raise as `parse_file` would, or on timeout/crash."""
        if self._pending is None:
            raise ValueError("no request outstanding; call submit() first")
        name, deadline = self._pending
        self._pending = None
        connection = self._connection
        assert connection is not None
        try:
            ready = connection.poll(max(0.0, deadline - time.monotonic()))
        except (EOFError, OSError):
            ready = True  # recv below reports the dead child
        if not ready:
            self._stop_child(kill=True)
            raise ParseError(name, f"timed out after {self.timeout_s:g} s (file too complex)")
        try:
            reply = connection.recv()
        except (EOFError, OSError):
            code = self._stop_child(kill=True)
            raise ParseError(name, f"parser crashed (exit code {code})") from None
        return _unpack(name, reply)

    def parse(self, path: str | Path) -> ParsedDocument:
        """Parse one file in the child: submit + result."""
        self.submit(path)
        return self.result()

    def close(self) -> None:
        """Stop the child (killing it if it is busy). The worker can be used again after."""
        busy = self._pending is not None
        self._pending = None
        self._stop_child(kill=busy)

    def __enter__(self) -> ParseWorker:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _ensure_child(self) -> Connection:
        if self._process is not None and self._process.is_alive() and self._connection:
            return self._connection
        self._stop_child(kill=True)
        parent_end, child_end = self._context.Pipe(duplex=True)
        options = {
            "max_bytes": self.max_bytes,
            "ocr": self.ocr,
            "ocr_budget_s": self.timeout_s * _OCR_SHARE_OF_DEADLINE,
        }
        process = self._context.Process(
            target=_child_main, args=(child_end, options), name="docent-parser", daemon=True
        )
        process.start()
        child_end.close()  # so the parent sees EOF when the child dies
        self._process, self._connection = process, parent_end
        return parent_end

    def _stop_child(self, *, kill: bool = False) -> int | None:
        """Stop the child; return its exit code (None if there was none)."""
        process, connection = self._process, self._connection
        self._process = self._connection = None
        if connection is not None:
            connection.close()  # an idle child reads EOF and exits
        if process is None:
            return None
        if kill:
            process.kill()
        process.join(_CLOSE_GRACE_S)
        if process.is_alive():
            process.kill()
            process.join(_CLOSE_GRACE_S)
        code = process.exitcode
        process.close()
        return code


def _unpack(name: str, reply: tuple[Any, ...]) -> ParsedDocument:
    status = reply[0]
    if status == "ok":
        return reply[1]
    if status in _ERROR_CLASSES:
        raise _ERROR_CLASSES[status](reply[1], reply[2])
    raise ParserBugError(f"parser failed on {name}:\n{reply[1]}")


def _child_main(connection: Connection, options: dict[str, Any]) -> None:
    """Child process loop: parse each path received until the pipe closes.

    `options` are `parse_file`'s keyword arguments (max_bytes, ocr, ocr_budget_s).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle

    while True:
        try:
            path, sleep_s = connection.recv()
        except (EOFError, OSError):
            return
        if sleep_s:
            time.sleep(sleep_s)
        try:
            reply: tuple[Any, ...] = ("ok", parse_file(path, **options))
        except SkippedFile as exc:
            reply = ("skipped", exc.path, exc.reason)
        except ParseError as exc:
            reply = ("error", exc.path, exc.reason)
        except MemoryError:
            reply = ("error", path, "out of memory while parsing")
        except Exception:
            reply = ("bug", traceback.format_exc())
        try:
            connection.send(reply)
        except (BrokenPipeError, OSError):
            return
