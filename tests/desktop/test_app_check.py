"""`docent-desktop --check`: the real app starts offscreen on a fresh home (first run: the
sample folder), indexes, loads the model and exits by itself; the packaged app's smoke
test runs the same."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run_check(home: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "desktop.app", "--check", "--home", str(home)],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )


@pytest.mark.slow
def test_the_app_checks_itself_on_a_first_run(tmp_path):
    home = tmp_path / "home"
    done = run_check(home)
    line = [x for x in done.stdout.splitlines() if x.startswith("check:")]
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert line[0] == "check: window shown"  # first, before any engine work is done
    assert line[1].startswith("check: ok; indexed 5 new file(s), 0 failure(s)")
    assert (home / "desktop.ini").is_file()  # window state kept under --home


@pytest.mark.slow
def test_a_check_that_cannot_load_the_model_fails(tmp_path):
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    (home / "config" / "settings.toml").write_text(f'model = "{tmp_path / "missing.gguf"}"\n')
    done = run_check(home)
    assert done.returncode == 1
    assert "check: FAILED" in done.stdout and "missing.gguf" in done.stdout


def test_a_failure_reported_by_the_engine_ends_the_check_at_once(qtbot, capsys):
    """An index that cannot start never finishes: the check must not wait for it."""
    from PySide6.QtCore import QObject, Signal

    from desktop.app import _quit_when_ready
    from engine.errors import StoreError
    from engine.service.protocol import Failure

    class Bridge(QObject):
        index_finished = Signal(object)
        model_state = Signal(str, str)
        failed = Signal(object)

    class App:
        def __init__(self) -> None:
            self.codes: list[int] = []

        def exit(self, code: int) -> None:
            self.codes.append(code)

    app, bridge = App(), Bridge()
    _quit_when_ready(app, bridge)
    bridge.model_state.emit("ready", "model loaded")
    error = StoreError("Cannot load dependency data")
    bridge.failed.emit(Failure.of("start", 1, "opening the index", error))
    assert app.codes == [1]
    out = capsys.readouterr().out
    assert "check: FAILED; opening the index: Cannot load dependency data" in out
