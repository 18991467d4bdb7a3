"""The engine's own process: runs `EngineService` for a front end at the other end of a pipe.

Messages are pickled tuples (engine.service.protocol). In: `(command, request, args)`,
or `(SHUTDOWN, 0, ())`. Out: `(event, args)`, ending with `(CLOSED, ())` once the engine
has saved and closed. The front end closing its end of
the pipe also shuts the engine down, so a crashed window never leaves it running.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from multiprocessing.connection import Connection
from typing import Any

from engine.service.protocol import CLOSED, COMMANDS, SHUTDOWN, UNEXPECTED, Failure

log = logging.getLogger(__name__)


def serve(connection: Connection, home: str | None) -> None:
    """Process entry: open the engine on `home` and serve commands until shutdown."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    _yield_to_the_window()
    from engine.service.engine_service import EngineService

    send_lock = threading.Lock()

    def emit(event: str, args: tuple[Any, ...]) -> None:
        # If the front end is gone, the loop below notices and shuts down.
        with send_lock, contextlib.suppress(BrokenPipeError, EOFError, OSError):
            connection.send((event, args))

    def open_assistant() -> Any:
        from engine.assistant import Assistant

        return Assistant(home)

    service = EngineService(open_assistant, emit)
    try:
        while True:
            try:
                command, request, args = connection.recv()
            except (EOFError, OSError):
                break
            if command == SHUTDOWN:
                break
            if command not in COMMANDS:
                unknown = f"unknown command {command!r}"
                failure = Failure(command, request, "talking to the engine", UNEXPECTED, unknown)
                emit("failed", (failure,))
                continue
            try:
                service.dispatch(command, request, args)
            except Exception as exc:  # a malformed command: reported, the engine goes on
                log.exception("command %s failed", command)
                emit("failed", (Failure.of(command, request, command, exc),))
    finally:
        service.shutdown()
        emit(CLOSED, ())
        connection.close()


ENGINE_NICENESS = 5


def _yield_to_the_window() -> None:
    """Run the engine at a slightly lower priority than the window, so that on a laptop
    whose cores are all busy indexing or answering, the GUI thread is scheduled first."""
    if hasattr(os, "nice"):
        with contextlib.suppress(OSError):
            os.nice(ENGINE_NICENESS)
