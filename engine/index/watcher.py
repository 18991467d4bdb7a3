"""Live folder watching: raw watchdog events in, debounced batches of changed paths out.

The watcher knows nothing of indexing. It collects the absolute paths touched by
events into one pending set and, from a single dispatcher thread, hands the whole set
to a callback once the folders have been quiet for `debounce_s` (or `max_delay_s` after
the oldest pending event, so a steady stream is still delivered). A `git checkout` of
thousands of files therefore becomes one or a few calls, never thousands.

What is delivered:

- created, modified, attribute-changed (``touch``) and closed-after-write files: the path;
- deleted files or folders: the path (a folder path means "everything under it");
- moves, of files or folders: both the source and the destination;
- created folders: the folder path (its contents may not have produced events yet).

Paths the ignore rules reject, relative to the watched folder, are never delivered: the
editor pattern "write ``a.md.tmp``, rename it to ``a.md``" delivers only ``a.md``, and
nothing under ``.git/`` ever appears. Folder "modified" events (a child changed) are
dropped: the child's own event is what matters.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from engine.errors import DocentError, UserInputError
from engine.index.ignore import IgnoreRules

logger = logging.getLogger(__name__)

_FILE_EVENTS = frozenset({"created", "modified", "attrib", "closed", "deleted", "moved"})
_DIR_EVENTS = frozenset({"created", "deleted", "moved"})


class _Handler(FileSystemEventHandler):
    """Forwards one watched folder's relevant events to the watcher."""

    def __init__(self, watcher: FolderWatcher, root: Path) -> None:
        self.watcher = watcher
        self.root = root

    def dispatch(self, event: FileSystemEvent) -> None:
        kinds = _DIR_EVENTS if event.is_directory else _FILE_EVENTS
        if event.event_type not in kinds:
            return
        raw = [event.src_path, event.dest_path] if event.event_type == "moved" else [event.src_path]
        paths = []
        for item in raw:
            path = Path(os.fsdecode(item))
            try:
                if not self.watcher.rules.ignores(path, self.root):
                    paths.append(path)
            except ValueError:  # not under the root: a move from/to outside reports ""
                continue
        if paths:
            self.watcher._add(paths)


class FolderWatcher:
    """Watches folders; calls on_batch(paths) with coalesced changed paths after a quiet period.

    The callback runs on the watcher's dispatcher thread, one call at a time; events that
    arrive meanwhile wait for the next batch. Exceptions from it go to `on_error` (default:
    logged with a traceback) and watching goes on. Folders are resolved (symlinks followed)
    before watching, and delivered paths are under the resolved folder.
    """

    def __init__(
        self,
        on_batch: Callable[[set[Path]], None],
        *,
        rules: IgnoreRules,
        debounce_s: float = 0.3,
        max_delay_s: float = 2.0,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.on_batch = on_batch
        self.rules = rules
        self.debounce_s = debounce_s
        self.max_delay_s = max_delay_s
        self.on_error = on_error
        self._lock = threading.RLock()  # folders, observers, running state
        self._cond = threading.Condition()  # pending set and its timestamps
        self._delivering = threading.Lock()  # one callback at a time (dispatcher or flush)
        self._pending: set[Path] = set()
        self._oldest = 0.0  # monotonic time of the first event in the pending set
        self._latest = 0.0  # monotonic time of the latest event
        self._folders: list[Path] = []
        self._observers: dict[Path, BaseObserver] = {}
        self._dispatcher: threading.Thread | None = None
        self._stop_dispatcher = threading.Event()

    # -- folders ---------------------------------------------------------------------------

    def watch(self, folder: Path) -> None:
        """Watch `folder` recursively (from now on if running, else from start()). Idempotent."""
        resolved = Path(folder).expanduser().resolve()
        if not resolved.is_dir():
            raise UserInputError(f"cannot watch {folder}: it is not an existing folder")
        with self._lock:
            if resolved in self._folders:
                return
            if self._dispatcher is not None:
                self._observers[resolved] = self._start_observer(resolved)
            self._folders.append(resolved)

    def unwatch(self, folder: Path) -> None:
        """Stop watching `folder` and drop its pending paths; unknown folders are ignored."""
        resolved = Path(folder).expanduser().resolve()
        with self._lock:
            if resolved not in self._folders:
                return
            self._folders.remove(resolved)
            observer = self._observers.pop(resolved, None)
            if observer is not None:
                observer.stop()
                observer.join()
            remaining = list(self._folders)
        with self._cond:
            self._pending = {
                p
                for p in self._pending
                if not p.is_relative_to(resolved) or any(p.is_relative_to(f) for f in remaining)
            }

    def folders(self) -> list[Path]:
        """The watched folders (resolved), in the order they were added."""
        with self._lock:
            return list(self._folders)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Start the dispatcher and one observer per folder; on failure nothing keeps running."""
        with self._lock:
            if self._dispatcher is not None:
                return
            # A fresh flag per dispatcher: one still finishing a callback after stop()
            # must not be revived by this start().
            self._stop_dispatcher = threading.Event()
            self._dispatcher = threading.Thread(
                target=self._dispatch_loop,
                args=(self._stop_dispatcher,),
                name="docent-watcher",
                daemon=True,
            )
            self._dispatcher.start()
            try:
                for folder in self._folders:
                    self._observers[folder] = self._start_observer(folder)
            except BaseException:
                self.stop()
                raise

    def stop(self, timeout: float = 5.0) -> None:
        """Stop observers and the dispatcher, waiting up to `timeout` s for a running callback.

        Pending paths are kept, not delivered: flush() delivers them, start() resumes.
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            observers = list(self._observers.values())
            self._observers.clear()
            dispatcher, self._dispatcher = self._dispatcher, None
            stop_flag = self._stop_dispatcher
        for observer in observers:
            observer.stop()
        for observer in observers:
            observer.join(max(0.0, deadline - time.monotonic()))
        with self._cond:
            stop_flag.set()
            self._cond.notify_all()
        if dispatcher is not None and dispatcher is not threading.current_thread():
            dispatcher.join(max(0.0, deadline - time.monotonic()))
            if dispatcher.is_alive():
                logger.warning("watcher callback still running after %.1f s at stop", timeout)

    def __enter__(self) -> FolderWatcher:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- batches ---------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        """How many distinct paths wait for the next batch."""
        with self._cond:
            return len(self._pending)

    def flush(self) -> None:
        """Deliver the pending paths now, on the calling thread (for shutdown and tests)."""
        with self._delivering:
            batch = self._take()
            if batch:
                self._deliver(batch)

    def _add(self, paths: list[Path]) -> None:
        """Record changed paths (called on observer threads)."""
        now = time.monotonic()
        with self._cond:
            if not self._pending:
                self._oldest = now
                self._cond.notify()  # the dispatcher waits without a timeout when idle
            self._pending.update(paths)
            self._latest = now

    def _take(self) -> set[Path]:
        with self._cond:
            batch, self._pending = self._pending, set()
            return batch

    def _dispatch_loop(self, stop_flag: threading.Event) -> None:
        while True:
            with self._cond:
                while True:
                    if stop_flag.is_set():
                        return
                    if not self._pending:
                        self._cond.wait()
                        continue
                    due = min(self._latest + self.debounce_s, self._oldest + self.max_delay_s)
                    wait = due - time.monotonic()
                    if wait <= 0:
                        break
                    self._cond.wait(wait)
            self.flush()

    def _deliver(self, batch: set[Path]) -> None:
        try:
            self.on_batch(batch)
        except Exception as exc:
            if self.on_error is None:
                logger.exception("watcher callback failed on %d path(s)", len(batch))
                return
            try:
                self.on_error(exc)
            except Exception:
                logger.exception("watcher error handler failed")

    def _start_observer(self, folder: Path) -> BaseObserver:
        """A started recursive observer for `folder`, or a DocentError saying why not."""
        observer: BaseObserver | None = None
        try:
            observer = Observer()  # opens an inotify instance on Linux: may fail too
            observer.schedule(_Handler(self, folder), str(folder), recursive=True)
            observer.start()
        except OSError as exc:
            if observer is not None:
                with contextlib.suppress(Exception):
                    observer.stop()  # releases the inotify instance and its reader thread
            if exc.errno == errno.ENOSPC:
                raise DocentError(
                    f"cannot watch {folder}: the system limit on watched folders is reached "
                    "(raise fs.inotify.max_user_watches)"
                ) from exc
            raise DocentError(f"cannot watch {folder}: {exc}") from exc
        return observer
