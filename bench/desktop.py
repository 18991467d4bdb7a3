"""The desktop app: launch to window shown, and the longest event-loop stall while it
indexes and answers.

Each run is a fresh process (offscreen Qt platform) on a fresh home, so it is a first run:
the sample folder is added and indexed and the model loads, all behind the window. Launch
time runs from just before the process is started to the first event-loop turn after
`show()`. A 5 ms timer on the GUI thread measures every gap between its ticks; a stall is
a gap minus the interval. Phases: first-run start (opening, indexing the sample folder,
loading the model, concurrently), indexing a folder of 300 generated files, and
answering two questions (streaming into the chat), switching voices (bundled adapters,
hot swap), training an adapter from 16 paragraphs until its third step, then cancelled,
and showing PDF pages with the cited passage highlighted (desktop.page_view: the first page
of every shared sample PDF that opens and a page with a passage the engine extracted from
it, then a burst of page turns through a long book, as when Page Down is held).
The engine runs in its own process (desktop.bridge); the run also reports which heavy
modules ended up imported in the GUI process (expected: none).

Page rendering is also timed on its own (`desktop.page_render.render_page`, no Qt, in this
process) for the same pages at a typical width: p50 and p95 per render.
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

from bench.common import percentile, summary_ms

RUNS = 3
TARGET_LAUNCH_S = 2.0
TARGET_STALL_MS = 100.0
SHARED_PDFS = Path(__file__).resolve().parents[2] / "shared" / "data" / "pdfs"
PAGE_WIDTH_PX = 900  # a typical sources pane on a laptop, in device pixels
RENDER_REPEATS = 3  # each page is rendered this many times for the percentiles
BURST_PAGES = 20  # page turns in the burst...
BURST_INTERVAL_MS = 30  # ...this far apart (a held key's auto-repeat)
SETTLE_MS = 2000  # after training, before the pages: the window settles

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
    # what the window does once training ends is the "after training" phase; the pages
    # come after it has settled, so that their phase holds only their own stalls
    end_phase("after training")
    QTimer.singleShot(SETTLE_MS, show_pdf_pages)

PAGES = json.loads(Path(sys.argv[3]).read_text())
PDF_PAGES = PAGES["pages"]  # [path, page, passage or None]
BURST = PAGES["burst"]  # [path of a long PDF, page turns, ms between] or None
PAGE_WIDTH = PAGES["width"]
SETTLE_MS = PAGES["settle_ms"]

def show_pdf_pages():
    end_phase("showing PDF pages")
    from PySide6.QtWidgets import QStackedWidget
    from desktop.page_view import PageView
    view = getattr(window.sources, "page_view", None)  # the window's own, once it has one
    if view is None:
        view = PageView()
        view.resize(PAGE_WIDTH + 20, 1000)
        view.show()
    elif isinstance(view.parentWidget(), QStackedWidget):
        view.parentWidget().setCurrentWidget(view)  # on screen, so that it paints
    result["page_view_width"] = view.scroll.viewport().width()
    pending = list(PDF_PAGES)
    asked = [0.0]
    shown_ms = result["page_shown_ms"] = []
    failed = result["page_failed"] = []
    burst = {"shown": 0, "turned": 0}
    turner = QTimer()
    state["page_view"], state["page_turner"] = view, turner

    def next_page():
        if "burst_end" in state:
            finish()
        elif pending:
            path, page, passage = pending.pop(0)
            asked[0] = time.perf_counter()
            view.show_pdf(path, page, passage)
        elif BURST:
            path, turns, interval = BURST
            state["burst_end"] = turns + 1
            view.show_pdf(path, 1, None)
            turner.setInterval(interval)
            turner.start()
        else:
            finish()

    def turn_page():  # as when Page Down is held
        burst["turned"] += 1
        view.next_page()
        if burst["turned"] >= BURST[1]:
            turner.stop()

    def on_page(page, _count):
        if "burst_end" not in state:
            shown_ms.append(round((time.perf_counter() - asked[0]) * 1000, 1))
            QTimer.singleShot(0, next_page)
        elif page == state["burst_end"]:
            result["burst_shown"] = burst["shown"]
            finish()
        else:
            burst["shown"] += 1

    def on_failed(message):
        failed.append(message)
        QTimer.singleShot(0, next_page)

    turner.timeout.connect(turn_page)
    view.page_rendered.connect(on_page)
    view.render_failed.connect(on_failed)
    next_page()

def finish():
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
    pages, unopened = _pdf_pages()
    rendering = _render_timing(pages) if pages else {"skipped": f"no PDFs in {SHARED_PDFS}"}
    rendering["not_shown"] = unopened
    book = max(pages, key=lambda item: item[3], default=None)  # the most pages
    burst = [book[0], BURST_PAGES, BURST_INTERVAL_MS] if book else None
    runs = []
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    for _ in range(RUNS):
        with tempfile.TemporaryDirectory(prefix="docent-bench-desktop-") as tmp:
            plan = Path(tmp) / "pdf-pages.json"
            shown = [[path, page, passage] for path, page, passage, _count in pages]
            plan.write_text(
                json.dumps(
                    {"pages": shown, "burst": burst, "width": PAGE_WIDTH_PX, "settle_ms": SETTLE_MS}
                )
            )
            started = time.time()
            child = subprocess.run(
                [sys.executable, "-c", CHILD, tmp, repr(started), str(plan)],
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
    shown_ms = [ms for r in runs for ms in r.get("page_shown_ms", [])]
    rendering["in_app_request_to_page_shown_ms"] = {
        "p50_ms": round(percentile(shown_ms, 50), 1),
        "p95_ms": round(percentile(shown_ms, 95), 1),
        "n": len(shown_ms),
    }
    rendering["in_app_failures"] = sorted({m for r in runs for m in r.get("page_failed", [])})
    rendering["in_app_width_px"] = runs[0].get("page_view_width")
    if burst:
        rendering["burst"] = {
            "file": Path(burst[0]).name,
            "page_turns": BURST_PAGES,
            "interval_ms": BURST_INTERVAL_MS,
            "pages_drawn_before_the_last": [r.get("burst_shown") for r in runs],
        }
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
        "pdf_page_rendering": rendering,
        "target": f"launch <= {TARGET_LAUNCH_S:g} s, stalls <= {TARGET_STALL_MS:g} ms",
        "met": statistics.median(launch) <= TARGET_LAUNCH_S
        and max(stalls.values()) <= TARGET_STALL_MS,
    }


def _pdf_pages() -> tuple[list[tuple[str, int, str | None, int]], list[str]]:
    """(path, page, passage or None, page count) to show for each shared PDF that opens:
    its first page, and the page of the longest passage the engine extracts from it; and
    the files that do not open, with the reason."""
    from desktop.page_render import PageRenderError, render_page
    from engine.errors import DocentError
    from engine.parsing import parse_file

    pages: list[tuple[str, int, str | None, int]] = []
    unopened: list[str] = []
    for path in sorted(SHARED_PDFS.glob("*.pdf")):
        try:
            count = render_page(path, 1, None, 100).page_count
        except PageRenderError as error:
            unopened.append(f"{path.name}: {error.reason}")
            continue
        pages.append((str(path), 1, None, count))
        try:
            blocks = parse_file(path).blocks
        except DocentError:
            continue  # nothing indexed from it (scans, ...): no passage to show
        passage = max(blocks, key=lambda block: len(block.text))
        pages.append((str(path), passage.page or 1, passage.text, count))
    return pages, unopened


def _render_timing(pages: list[tuple[str, int, str | None, int]]) -> dict[str, Any]:
    """Per-render time of `render_page` at `PAGE_WIDTH_PX`, first pages and passages."""
    from desktop.page_render import render_page

    first: list[float] = []
    cited: list[float] = []
    found: list[float] = []
    slowest = (0.0, "")
    for path, page, passage, _count in pages:
        for repeat in range(RENDER_REPEATS):
            started = time.perf_counter()
            rendered = render_page(path, page, passage, PAGE_WIDTH_PX)
            seconds = time.perf_counter() - started
            (cited if passage else first).append(seconds)
            slowest = max(slowest, (seconds, f"{Path(path).name} page {page}"))
            if passage and repeat == 0:
                found.append(rendered.passage_found)
    return {
        "width_px": PAGE_WIDTH_PX,
        "repeats": RENDER_REPEATS,
        "first_pages": summary_ms(first),
        "passage_pages_with_highlights": summary_ms(cited),
        "all": summary_ms(first + cited),
        "slowest": f"{slowest[1]}: {slowest[0] * 1000:.1f} ms",
        "passages": {
            "found_whole": sum(share == 1.0 for share in found),
            "found_in_part": sum(0 < share < 1.0 for share in found),
            "not_found": sum(share == 0 for share in found),
        },
    }


def page_rendering_markdown(rendering: dict[str, Any] | None) -> str:
    """The PDF page part of the desktop section of docs/benchmarks.md."""
    if not rendering:
        return "PDF page rendering: not measured in this run.\n"
    if "skipped" in rendering:
        return f"PDF page rendering: skipped ({rendering['skipped']}).\n"
    rows = "\n".join(
        f"| {label} | {s['p50_ms']} ms | {s['p95_ms']} ms | {s['max_ms']} ms | {s['n']} |"
        for label, s in (
            ("first pages", rendering["first_pages"]),
            ("passage pages, highlighted", rendering["passage_pages_with_highlights"]),
            ("all", rendering["all"]),
        )
    )
    in_app = rendering.get("in_app_request_to_page_shown_ms", {})
    passages = rendering["passages"]
    burst = rendering.get("burst")
    burst_line = (
        f" A burst of {burst['page_turns']} page turns {burst['interval_ms']} ms apart through "
        f"{burst['file']} put {burst['pages_drawn_before_the_last']} pages on screen before "
        "the last, per run (a page overtaken before its render starts is skipped)."
        if burst
        else ""
    )
    width = rendering.get("in_app_width_px")
    in_app_width = f"at the {width} px the window gives it" if width else "in the window"
    not_shown = "; ".join(rendering.get("not_shown", [])) or "none"
    return f"""PDF pages (desktop.page_view, rendered by pypdfium2 in a worker thread; the stall
phase "showing PDF pages" above covers them): `render_page` at {rendering["width_px"]} px wide,
every shared sample PDF that opens, its first page and the page of its longest extracted
passage with that passage highlighted, {rendering["repeats"]} times each:

| pages | p50 | p95 | max | renders |
| --- | --- | --- | --- | --- |
{rows}

In the app ({in_app_width}), from `show_pdf` to the page on screen: p50
{in_app.get("p50_ms")} ms, p95 {in_app.get("p95_ms")} ms ({in_app.get("n")} pages).
Passages located on their page: whole {passages["found_whole"]}, in part
{passages["found_in_part"]}, not at all {passages["not_found"]}.{burst_line}
Not shown (with the reason on screen): {not_shown}.
"""
