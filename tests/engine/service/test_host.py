"""The engine process's loop (`serve`), run on a thread over a real pipe: what comes
back for commands it does not know or cannot take, and how it ends."""

from __future__ import annotations

import threading
from multiprocessing import Pipe
from typing import Any

from engine.service.host import serve

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
    connection.send(("format_the_disk", ()))
    unknown = ("talking to the engine", "unknown command 'format_the_disk'")
    assert _next(connection) == ("failed", unknown)
    connection.send(("add_folder", ("one", "too many")))
    event, (what, message) = _next(connection)
    assert event == "failed" and what == "add_folder" and "unexpected error" in message
    connection.send(("shutdown", ()))
    assert _next(connection) == ("closed", ())
    thread.join(WAIT_S)
    assert not thread.is_alive()


def test_the_front_end_going_away_shuts_the_engine_down(tmp_path):
    connection, thread = _serving(str(tmp_path / "home"))
    connection.close()
    thread.join(WAIT_S)
    assert not thread.is_alive()
