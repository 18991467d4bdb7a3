"""The desktop app: launch to window shown, and the longest event-loop stall while it
indexes and answers.

Each run is a fresh process (offscreen Qt platform) on a fresh home, so it is a first run:
the sample folder is added and indexed and the model loads, all behind the window. Launch
time runs from just before the process is started to the first event-loop turn after
`show()`. A 5 ms timer on the GUI thread measures every gap between its ticks; a stall is
a gap minus the interval. Phases: first-run start (opening, indexing the sample folder,
loading the model, concurrently), indexing a folder of 300 generated files, and
answering two questions (streaming into the chat), switching voices (bundled adapters,
hot swap) and training an adapter from 16 paragraphs until its third step, then cancelled.
The engine runs in its own process (desktop.bridge); the run also reports which heavy
modules ended up imported in the GUI process (expected: none).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RUNS = 3
TARGET_LAUNCH_S = 2.0
TARGET_STALL_MS = 100.0

CHILD = r"""
import json, sys, time
from pathlib import Path
started = float(sys.argv[2])
from PySide6.QtCore import QElapsedTimer, QSettings, QTimer
from PySide6.QtWidgets import QApplication
from desktop.app import launch

home = Path(sys.argv[1])
app = QApplication([])
settings = QSettings(str(home / "desktop.ini"), QSettings.Format.IniFormat)
window, bridge = launch(app, home, settings)
result = {"stalls": {}}
phase = {"name": "start", "max": 0.0}
clock = QElapsedTimer()
clock.start()
last = [clock.elapsed()]

def tick():
    now = clock.elapsed()
    phase["max"] = max(phase["max"], now - last[0] - 5)
    last[0] = now

import gc
gc_started = [0.0]
def gc_pause(phase_, info):
    if phase_ == "start":
        gc_started[0] = time.perf_counter()
    else:
        pause = (time.perf_counter() - gc_started[0]) * 1000
        result["gc_max_ms"] = round(max(result.get("gc_max_ms", 0.0), pause), 1)
gc.callbacks.append(gc_pause)

timer = QTimer()
timer.setInterval(5)
timer.timeout.connect(tick)

def shown():
    result["launch_s"] = time.time() - started
    timer.start()

QTimer.singleShot(0, shown)
state = {"indexed": False, "ready": False, "step": "start", "questions": 0}

def end_phase(next_name):
    result["stalls"][phase["name"]] = round(phase["max"], 1)
    phase["name"], phase["max"] = next_name, 0.0

def big_folder():
    folder = home / "many"
    folder.mkdir()
    for n in range(300):
        (folder / f"note-{n}.txt").write_text(
            f"Note {n}. " + " ".join(f"word{(n * 7 + k) % 997}" for k in range(150)))
    return folder

def advance(big_folder_done=False):
    if state["step"] == "start" and state["indexed"] and state["ready"]:
        end_phase("indexing 300 files")
        state["step"] = "indexing"
        bridge.add_folder(str(big_folder()))
    elif state["step"] == "indexing" and big_folder_done:
        end_phase("answering")
        state["step"] = "answering"
        window.ask("How much does membership cost per month?")

def on_indexed(report):
    if state["step"] == "start":
        state["indexed"] = True
        advance()
    elif state["step"] == "indexing" and report.added >= 300:
        advance(True)

def on_model(status, _detail):
    if status == "ready":
        state["ready"] = True
        advance()

VOICES = [("concise", 1.0), ("warm", 1.0), ("concise", 0.5), ("none", 1.0)] * 3

def on_answered(_request):
    state["questions"] += 1
    if state["questions"] == 1:
        QTimer.singleShot(0, lambda: window.ask("When is the safety induction held?"))
        return
    end_phase("switching voices")
    next_voice()

def next_voice():
    if VOICES:
        name, scale = VOICES.pop(0)
        window.select_voice(name, scale)
        return
    end_phase("training")
    samples = home / "writing"
    samples.mkdir()
    (samples / "notes.md").write_text("\n\n".join(
        f"Entry {n}: the lighthouse lamp was cleaned, trimmed and logged at dusk."
        for n in range(16)))
    bridge.train_adapter(str(samples), "bench-voice")

def on_voice(_voice):
    if state["step"] == "answering":
        QTimer.singleShot(0, next_voice)

def on_training(progress):
    if progress.phase == "training" and progress.step >= 3 and not state.get("cancelled"):
        state["cancelled"] = True
        bridge.cancel_training()

def on_trained(_result):
    end_phase("done")
    heavy = ("torch", "transformers", "sentence_transformers", "llama_cpp", "peft")
    result["gui_imports"] = [m for m in heavy if m in sys.modules]
    print(json.dumps(result), flush=True)
    app.quit()

bridge.voice_applied.connect(on_voice)
bridge.training_progress.connect(on_training)
bridge.training_finished.connect(on_trained)
bridge.failed.connect(lambda what, message: print(what, message, file=sys.stderr))

bridge.index_finished.connect(on_indexed)
bridge.model_state.connect(on_model)
bridge.answer_finished.connect(on_answered)
QTimer.singleShot(900_000, app.quit)
app.exec()
"""


def run(embedder: Any) -> dict[str, Any]:
    runs = []
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory(prefix="docent-bench-desktop-") as tmp:
            started = time.time()
            child = subprocess.run(
                [sys.executable, "-c", CHILD, tmp, repr(started)],
                capture_output=True,
                text=True,
                env=env,
                cwd=Path(__file__).resolve().parents[1],
                timeout=1200,
            )
            if child.returncode != 0 or not child.stdout.strip():
                raise RuntimeError(f"the app run failed:\n{child.stderr[-3000:]}")
            runs.append(json.loads(child.stdout.strip().splitlines()[-1]))
    launch = [r["launch_s"] for r in runs]
    phases = list(runs[0]["stalls"])
    stalls = {p: max(r["stalls"][p] for r in runs) for p in phases}
    stalls.pop("done", None)
    return {
        "runs": RUNS,
        "launch_s": {"median": round(statistics.median(launch), 2), "all": launch},
        "max_stall_ms": stalls,
        "stall_ms_per_run": [{p: r["stalls"][p] for p in stalls} for r in runs],
        "longest_gc_pause_ms": max(r.get("gc_max_ms", 0.0) for r in runs),
        "heavy_modules_in_gui_process": sorted({m for r in runs for m in r["gui_imports"]}),
        "target": f"launch <= {TARGET_LAUNCH_S:g} s, stalls <= {TARGET_STALL_MS:g} ms",
        "met": statistics.median(launch) <= TARGET_LAUNCH_S
        and max(stalls.values()) <= TARGET_STALL_MS,
    }
