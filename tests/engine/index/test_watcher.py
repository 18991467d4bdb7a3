"""FolderWatcher against real watchdog observers on a temporary folder."""

from __future__ import annotations

import errno
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from engine.errors import DocentError, UserInputError
from engine.index.ignore import IgnoreRules
from engine.index.watcher import FolderWatcher

TIMEOUT = 10.0


class Recorder:
    """Collects batches; tests wait on its condition instead of sleeping."""

    def __init__(self) -> None:
        self.batches: list[set[Path]] = []
        self.threads: list[threading.Thread] = []
        self.cond = threading.Condition()

    def __call__(self, paths: set[Path]) -> None:
        with self.cond:
            self.batches.append(set(paths))
            self.threads.append(threading.current_thread())
            self.cond.notify_all()

    @property
    def seen(self) -> set[Path]:
        with self.cond:
            return set().union(*self.batches)

    def wait_for(self, predicate: Callable[[], bool], timeout: float = TIMEOUT) -> bool:
        with self.cond:
            return self.cond.wait_for(predicate, timeout)

    def wait_seen(self, *paths: Path, timeout: float = TIMEOUT) -> bool:
        wanted = set(paths)
        return self.wait_for(lambda: wanted <= set().union(*self.batches), timeout)


def wait_until(predicate: Callable[[], bool], timeout: float = TIMEOUT) -> bool:
    """Poll a condition that has no event to wait on (short waits, generous deadline)."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not predicate():
        if time.monotonic() > deadline:
            return False
        pause.wait(0.01)
    return True


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    folder = (tmp_path / "notes").resolve()
    folder.mkdir()
    return folder


@pytest.fixture()
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture()
def watcher(root: Path, recorder: Recorder) -> Iterator[FolderWatcher]:
    w = FolderWatcher(recorder, rules=IgnoreRules(), debounce_s=0.2, max_delay_s=2.0)
    w.watch(root)
    w.start()
    yield w
    w.stop()


def barrier(root: Path, recorder: Recorder, name: str = "zz-barrier.md") -> Path:
    """Write a marker file and wait for it: every earlier event has been handled by then."""
    marker = root / name
    marker.write_text("marker")
    assert recorder.wait_seen(marker)
    return marker


def test_create_is_delivered_on_the_dispatcher_thread(watcher, root, recorder) -> None:
    (root / "a.md").write_text("hello")
    assert recorder.wait_seen(root / "a.md")
    assert recorder.threads[0] is not threading.current_thread()
    assert recorder.threads[0].name == "docent-watcher"


def test_in_place_modify_is_delivered(root, recorder) -> None:
    target = root / "a.md"
    target.write_text("one")
    w = FolderWatcher(recorder, rules=IgnoreRules(), debounce_s=0.2)
    w.watch(root)
    with w:
        with open(target, "r+") as handle:
            handle.write("two")
        assert recorder.wait_seen(target)


def test_touch_is_delivered(watcher, root, recorder) -> None:
    target = root / "a.md"
    target.write_text("one")
    barrier(root, recorder)
    with recorder.cond:
        recorder.batches.clear()
    os.utime(target, (1_000_000, 1_000_000))  # attribute change only, no write
    assert recorder.wait_seen(target)


def test_delete_is_delivered(root, recorder) -> None:
    target = root / "a.md"
    target.write_text("doomed")
    w = FolderWatcher(recorder, rules=IgnoreRules(), debounce_s=0.2)
    w.watch(root)
    with w:
        target.unlink()
        assert recorder.wait_seen(target)


def test_rename_delivers_both_paths_in_one_batch(root, recorder) -> None:
    (root / "old.md").write_text("x")
    w = FolderWatcher(recorder, rules=IgnoreRules(), debounce_s=0.2)
    w.watch(root)
    with w:
        os.rename(root / "old.md", root / "new.md")
        assert recorder.wait_seen(root / "new.md")
        assert {root / "old.md", root / "new.md"} <= recorder.batches[0]


def test_folder_move_and_delete_deliver_the_folder_path(root, recorder) -> None:
    (root / "dir").mkdir()
    (root / "dir" / "a.md").write_text("x")
    w = FolderWatcher(recorder, rules=IgnoreRules(), debounce_s=0.2)
    w.watch(root)
    with w:
        os.rename(root / "dir", root / "moved")
        assert recorder.wait_seen(root / "dir", root / "moved")
        (root / "moved" / "a.md").unlink()
        (root / "moved").rmdir()
        assert recorder.wait_seen(root / "moved" / "a.md")
        barrier(root, recorder)
        assert root not in recorder.seen  # the root's "modified" events are noise


def test_editor_save_pattern_delivers_only_the_real_file(watcher, root, recorder) -> None:
    swap, tmp, real = root / ".a.md.swp", root / "a.md.tmp", root / "a.md"
    swap.write_text("swap")
    tmp.write_text("new content")
    os.replace(tmp, real)
    swap.unlink()
    (root / ".git").mkdir()
    (root / ".git" / "index").write_text("git")
    assert recorder.wait_seen(real)
    barrier(root, recorder)
    seen = recorder.seen
    assert swap not in seen and tmp not in seen
    assert not any(".git" in p.parts for p in seen)


def test_a_burst_of_2000_files_arrives_in_few_batches(watcher, root, recorder) -> None:
    sub = root / "checkout"
    sub.mkdir()
    paths = [sub / f"file{i:04d}.md" for i in range(2000)]
    for path in paths:
        path.write_text("content")
    assert recorder.wait_seen(*paths, timeout=20)
    files = [batch - {sub} for batch in recorder.batches]
    assert len([b for b in files if b]) <= 5, [len(b) for b in recorder.batches]
    assert set().union(*files) == set(paths)


def test_quick_writes_to_one_file_coalesce(watcher, root, recorder) -> None:
    target = root / "a.md"
    for i in range(10):
        target.write_text(f"version {i}")
    assert recorder.wait_seen(target)
    marker = barrier(root, recorder)
    assert recorder.batches == [{target}, {marker}]


def test_max_delay_delivers_during_a_steady_trickle(root, recorder) -> None:
    w = FolderWatcher(recorder, rules=IgnoreRules(), debounce_s=0.5, max_delay_s=0.6)
    w.watch(root)
    with w:
        paths = [root / f"t{i:02d}.md" for i in range(15)]
        pace = threading.Event()
        for path in paths:  # one write every 0.1 s for 1.5 s: never quiet for 0.5 s
            path.write_text("tick")
            pace.wait(0.1)
        batches_during_trickle = len(recorder.batches)
        assert recorder.wait_seen(*paths)
    assert batches_during_trickle > 1
    assert recorder.seen == set(paths)


def test_callback_error_goes_to_on_error_and_watching_continues(root) -> None:
    errors: list[BaseException] = []
    recorder = Recorder()
    calls = 0

    def on_batch(paths: set[Path]) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("indexer exploded")
        recorder(paths)

    def on_error(exc: BaseException) -> None:
        with recorder.cond:
            errors.append(exc)
            recorder.cond.notify_all()

    w = FolderWatcher(on_batch, rules=IgnoreRules(), debounce_s=0.1, on_error=on_error)
    w.watch(root)
    with w:
        (root / "first.md").write_text("x")
        assert recorder.wait_for(lambda: bool(errors))
        assert isinstance(errors[0], RuntimeError)
        (root / "second.md").write_text("y")
        assert recorder.wait_seen(root / "second.md")


def test_default_error_handler_logs_with_traceback(root, caplog) -> None:
    failed = threading.Event()

    def on_batch(paths: set[Path]) -> None:
        failed.set()
        raise ValueError("boom")

    w = FolderWatcher(on_batch, rules=IgnoreRules(), debounce_s=0.1)
    w.watch(root)
    with caplog.at_level("ERROR", logger="engine.index.watcher"), w:
        (root / "a.md").write_text("x")
        assert failed.wait(TIMEOUT)
        assert wait_until(lambda: any(r.exc_info for r in caplog.records))
    assert "boom" in caplog.text


def test_events_during_a_callback_wait_for_the_next_batch(watcher, root) -> None:
    release, entered = threading.Event(), threading.Event()
    recorder = Recorder()

    def slow(paths: set[Path]) -> None:
        entered.set()
        assert release.wait(TIMEOUT)
        recorder(paths)

    watcher.on_batch = slow
    (root / "one.md").write_text("1")
    assert entered.wait(TIMEOUT)
    (root / "two.md").write_text("2")
    assert wait_until(lambda: watcher.pending >= 1)
    release.set()
    assert recorder.wait_seen(root / "one.md", root / "two.md")
    assert recorder.batches[0] == {root / "one.md"}
    assert root / "two.md" not in recorder.batches[0]


def test_flush_delivers_now_and_stop_keeps_pending(root, recorder) -> None:
    # Creating a folder raises exactly one event, so `pending` settles at a known count.
    w = FolderWatcher(recorder, rules=IgnoreRules(), debounce_s=30, max_delay_s=60)
    w.watch(root)
    w.start()
    (root / "a").mkdir()
    (root / "b").mkdir()
    assert wait_until(lambda: w.pending == 2)
    w.flush()
    assert recorder.batches == [{root / "a", root / "b"}]
    assert recorder.threads[0] is threading.current_thread()
    (root / "c").mkdir()
    assert wait_until(lambda: w.pending == 1)
    w.stop()
    assert w.pending == 1 and len(recorder.batches) == 1
    w.flush()
    assert recorder.batches[-1] == {root / "c"} and w.pending == 0
    w.start()  # a stopped watcher can start again
    (root / "d").mkdir()
    assert wait_until(lambda: w.pending == 1)
    w.stop()
    w.flush()
    assert recorder.batches[-1] == {root / "d"}


def test_stop_is_prompt_and_joins_every_thread(root, recorder) -> None:
    before = set(threading.enumerate())
    w = FolderWatcher(recorder, rules=IgnoreRules(), debounce_s=0.1)
    w.watch(root)
    w.start()
    assert len(set(threading.enumerate()) - before) >= 2  # dispatcher and observer
    (root / "a.md").write_text("x")
    assert recorder.wait_seen(root / "a.md")
    started = time.monotonic()
    w.stop()
    assert time.monotonic() - started < 2.0
    assert set(threading.enumerate()) <= before
    w.stop()  # idempotent


def test_missing_folder_is_a_user_error(tmp_path, recorder) -> None:
    w = FolderWatcher(recorder, rules=IgnoreRules())
    with pytest.raises(UserInputError, match="nope"):
        w.watch(tmp_path / "nope")
    (tmp_path / "file.md").write_text("x")
    with pytest.raises(UserInputError):
        w.watch(tmp_path / "file.md")
    assert w.folders() == []


def test_watch_is_idempotent_and_unwatch_stops_delivery(tmp_path, recorder) -> None:
    a, b = (tmp_path / "a").resolve(), (tmp_path / "b").resolve()
    a.mkdir()
    b.mkdir()
    w = FolderWatcher(recorder, rules=IgnoreRules(), debounce_s=0.1)
    w.watch(a)
    w.watch(a)
    with w:
        w.watch(b)  # added while running
        assert w.folders() == [a, b]
        (a / "before.md").write_text("x")
        assert recorder.wait_seen(a / "before.md")
        w.unwatch(a)
        w.unwatch(a)
        assert w.folders() == [b]
        (a / "after.md").write_text("x")
        (b / "other.md").write_text("x")
        assert recorder.wait_seen(b / "other.md")
        w.flush()
        assert a / "after.md" not in recorder.seen


def test_watch_limit_is_explained(root, recorder, monkeypatch) -> None:
    import engine.index.watcher as module

    class FullObserver:
        def schedule(self, *args, **kwargs) -> None:
            pass

        def start(self) -> None:
            raise OSError(errno.ENOSPC, "inotify watch limit reached")

        def stop(self) -> None:
            pass

    monkeypatch.setattr(module, "Observer", FullObserver)
    w = FolderWatcher(recorder, rules=IgnoreRules())
    w.watch(root)
    with pytest.raises(DocentError, match="max_user_watches"):
        w.start()
    with pytest.raises(DocentError, match="cannot watch"):
        w.start()  # a failed start leaves nothing running, so it can be retried
    w.stop()
