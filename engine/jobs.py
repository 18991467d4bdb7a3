"""Long work: a cancel token and progress records, shared by every long-running task."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass


class CancelToken:
    """Set from any thread to stop long work at the next safe point."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


@dataclass(frozen=True, slots=True)
class IndexProgress:
    files_done: int
    files_total: int
    chunks: int
    current: str | None


IndexProgressCallback = Callable[[IndexProgress], None]
