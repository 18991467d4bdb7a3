"""The engine process's loop (`serve`), run on a thread over a real pipe: what comes
back for commands it does not know or cannot take, and how it ends."""

from __future__ import annotations

import threading
from multiprocessing import Pipe
from typing import Any

from engine.service.host import serve
from engine.service.protocol import CLOSED, SHUTDOWN, UNEXPECTED, Failure

WAIT_S = 30


def _serving(home: str) -> tuple[Any, threading.Thread]:
    ours, theirs = Pipe()
    thread = threading.Thread(target=serve, args=(theirs, home), daemon=True)
    thread.start()
    return ours, thread


def _next(connection: Any) -> tuple[str, tuple[Any, ...]]:
    assert connection.poll(WAIT_S), "no event from the engine"
    return connection.recv()


def test_unknown_and_malformed_commands_are_reported_and_the_engine_goes_on(tmp_path):
    connection, thread = _serving(str(tmp_path / "home"))
    connection.send(("format_the_disk", 1, ()))
    unknown = "unknown command 'format_the_disk'"
    failure = Failure("format_the_disk", 1, "talking to the engine", UNEXPECTED, unknown)
    assert _next(connection) == ("failed", (failure,))
    connection.send(("add_folder", 2, ("one", "too many")))
    event, (failure,) = _next(connection)
    assert event == "failed" and (failure.command, failure.request) == ("add_folder", 2)
    assert failure.kind == UNEXPECTED and "unexpected error" in failure.message
    connection.send((SHUTDOWN, 0, ()))
    assert _next(connection) == (CLOSED, ())
    thread.join(WAIT_S)
    assert not thread.is_alive()


def test_the_front_end_going_away_shuts_the_engine_down(tmp_path):
    connection, thread = _serving(str(tmp_path / "home"))
    connection.close()
    thread.join(WAIT_S)
    assert not thread.is_alive()
