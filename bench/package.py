"""The Linux package (`make package` first): its size, what dominates it, and how fast it
starts compared with the same app run from the source tree.

Start-up is measured as in the desktop benchmark's launch figure, on fresh homes (first
runs: the sample folder is indexed and the model loads): from just before the process
starts to the line `docent-desktop --check` prints at the first event-loop turn after the
window is shown, and to the line saying indexing and model loading are done. The same
runs of `python -m desktop.app --check` from the source tree are the baseline. The CLI
start is `docent status` on an empty home, against `python -m engine.cli status`.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BUNDLE = REPO / "dist" / "docent"
RUNS = 3


def _tree_size(path: Path) -> int:
    if path.is_file() or path.is_symlink():
        return path.lstat().st_size
    return sum(f.lstat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def _largest(folder: Path, top: int = 12) -> list[tuple[str, float]]:
    sizes = [(entry.name, _tree_size(entry)) for entry in folder.iterdir()]
    sizes.sort(key=lambda item: -item[1])
    return [(name, round(size / 2**20, 1)) for name, size in sizes[:top]]


def _timed_check(command: list[str]) -> tuple[float, float]:
    """Seconds to 'window shown' and to 'check: ok' for one fresh first run."""
    with tempfile.TemporaryDirectory(prefix="docent-bench-package-") as home:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        started = time.perf_counter()
        process = subprocess.Popen(
            [*command, "--check", "--home", home],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
            cwd=REPO,
        )
        shown = ready = None
        assert process.stdout is not None
        for line in process.stdout:
            now = time.perf_counter() - started
            if line.startswith("check: window shown"):
                shown = now
            elif line.startswith("check: ok"):
                ready = now
            elif line.startswith("check: FAILED"):
                raise RuntimeError(f"{command[0]} --check failed: {line.strip()}")
        process.wait(timeout=600)
        if shown is None or ready is None or process.returncode != 0:
            raise RuntimeError(f"{command[0]} --check did not finish (exit {process.returncode})")
        return shown, ready


def _timed_cli(command: list[str]) -> float:
    with tempfile.TemporaryDirectory(prefix="docent-bench-package-") as home:
        started = time.perf_counter()
        subprocess.run([*command, "--home", home, "status"], check=True, capture_output=True)
        return time.perf_counter() - started


def run(_embedder: Any) -> dict[str, Any]:
    if not (BUNDLE / "docent-desktop").is_file():
        raise RuntimeError(f"no package in {BUNDLE}: run `make package` first")
    tarballs = sorted((REPO / "dist").glob("docent-*-linux-*.tar.gz"))
    internal = BUNDLE / "_internal"
    frozen_app, source_app = [str(BUNDLE / "docent-desktop")], [sys.executable, "-m", "desktop.app"]
    frozen_cli, source_cli = [str(BUNDLE / "docent")], [sys.executable, "-m", "engine.cli"]
    frozen, source = [], []
    for _ in range(RUNS):  # interleaved, so both meet the same machine state
        frozen.append(_timed_check(frozen_app))
        source.append(_timed_check(source_app))
    cli_frozen = [_timed_cli(frozen_cli) for _ in range(RUNS)]
    cli_source = [_timed_cli(source_cli) for _ in range(RUNS)]

    def median(values: list[float]) -> float:
        return round(statistics.median(values), 2)

    shown_frozen, shown_source = median([s for s, _ in frozen]), median([s for s, _ in source])
    ready_frozen, ready_source = median([r for _, r in frozen]), median([r for _, r in source])
    return {
        "bundle_mb": round(_tree_size(BUNDLE) / 2**20),
        "tarball_mb": round(tarballs[-1].stat().st_size / 2**20) if tarballs else None,
        "files": sum(1 for f in BUNDLE.rglob("*") if f.is_file()),
        "largest_mb": _largest(internal),
        "largest_in_torch_lib_mb": _largest(internal / "torch" / "lib", 6)
        if (internal / "torch" / "lib").is_dir()
        else [],
        "window_shown_s": {"package": shown_frozen, "source": shown_source},
        "ready_s": {"package": ready_frozen, "source": ready_source},
        "cli_status_s": {"package": median(cli_frozen), "source": median(cli_source)},
        "ratio_window_shown": round(shown_frozen / shown_source, 2),
        "runs": RUNS,
    }
