"""ParseWorker: results and errors cross the process boundary; timeouts and crashes kill
and replace the child without stalling the caller."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from engine.errors import ParseError, SkippedFile
from engine.parsing import ParseWorker, parse_file


@pytest.fixture
def note(tmp_path: Path) -> Path:
    path = tmp_path / "note.md"
    path.write_text("# Title\n\nHello from the child.\n", encoding="utf-8")
    return path


def wait_for_pid(worker: ParseWorker, timeout_s: float = 30.0) -> int:
    deadline = time.monotonic() + timeout_s
    while worker.pid is None:
        assert time.monotonic() < deadline, "child never started"
        time.sleep(0.05)
    return worker.pid


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_parse_returns_the_same_document_as_in_process(note):
    with ParseWorker(timeout_s=60) as worker:
        assert worker.pid is None  # started lazily
        document = worker.parse(note)
        assert worker.pid is not None and worker.pid != os.getpid()
    assert document == parse_file(note)


def test_errors_cross_as_the_same_class_and_reason(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.touch()
    big = tmp_path / "big.txt"
    big.write_text("x" * 2048)
    with ParseWorker(timeout_s=60, max_bytes=1024) as worker:
        with pytest.raises(SkippedFile) as skipped:
            worker.parse(empty)
        with pytest.raises(ParseError) as missing:
            worker.parse(tmp_path / "missing.txt")
        with pytest.raises(ParseError) as too_large:
            worker.parse(big)  # the limit is passed to the child
    assert (skipped.value.path, skipped.value.reason) == (str(empty), "empty file")
    assert type(missing.value) is ParseError
    assert missing.value.reason == "file not found"
    assert too_large.value.reason == "too large (2.0 KB, limit 1 KB)"


def test_timeout_kills_the_child_and_the_next_file_parses(note):
    with ParseWorker(timeout_s=3) as worker:
        started = time.monotonic()
        worker.submit(note, _test_sleep_s=60)
        first_pid = wait_for_pid(worker)
        with pytest.raises(ParseError) as caught:
            worker.result()
        elapsed = time.monotonic() - started

        assert caught.value.reason == "timed out after 3 s (file too complex)"
        assert caught.value.path == str(note)
        assert 2.5 < elapsed < 15
        assert not process_exists(first_pid)
        assert worker.pid is None  # restarted lazily, on the next submit

        assert worker.parse(note).blocks[0].text == "Hello from the child."
        assert worker.pid != first_pid


def test_a_dying_child_is_reported_and_replaced(note):
    with ParseWorker(timeout_s=60) as worker:
        worker.submit(note, _test_sleep_s=60)
        pid = wait_for_pid(worker)
        os.kill(pid, signal.SIGKILL)
        started = time.monotonic()
        with pytest.raises(ParseError) as caught:
            worker.result()

        assert time.monotonic() - started < 10  # noticed at once, not at the deadline
        assert caught.value.reason == f"parser crashed (exit code {-signal.SIGKILL})"
        assert worker.parse(note).title == "Title"


def test_one_request_at_a_time(note):
    with ParseWorker(timeout_s=60) as worker:
        with pytest.raises(ValueError):
            worker.result()
        worker.submit(note)
        with pytest.raises(ValueError):
            worker.submit(note)
        assert worker.result().kind == "markdown"


def test_close_stops_the_child_and_the_worker_can_be_reused(note):
    worker = ParseWorker(timeout_s=60)
    worker.parse(note)
    pid = worker.pid
    worker.close()
    assert worker.pid is None
    assert not process_exists(pid)
    try:
        assert worker.parse(note).kind == "markdown"
    finally:
        worker.close()


def test_close_while_busy_kills_the_child(note):
    worker = ParseWorker(timeout_s=60)
    worker.submit(note, _test_sleep_s=60)
    pid = wait_for_pid(worker)
    started = time.monotonic()
    worker.close()
    assert time.monotonic() - started < 5
    assert not process_exists(pid)
