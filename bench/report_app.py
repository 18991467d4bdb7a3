"""The desktop app and Linux package sections of docs/benchmarks.md (bench/desktop.py's and
bench/package.py's results)."""

from __future__ import annotations

from typing import Any

from bench.common import ran_on
from bench.desktop import page_rendering_markdown


def render_desktop(r: dict[str, Any]) -> str:
    per_run = r.get("stall_ms_per_run", [])
    rows = "\n".join(
        f"| {phase} | {ms} ms | {', '.join(str(run[phase]) for run in per_run)} |"
        for phase, ms in r["max_stall_ms"].items()
    )
    launches = ", ".join(f"{value:.2f}" for value in r["launch_s"]["all"])
    return f"""## Desktop app

{r["runs"]} fresh first runs of the real app (offscreen platform, a new home each): launch
to the first event-loop turn after the window is shown, median **{r["launch_s"]["median"]} s**
({launches} s), measured from just before the process starts, while the sample folder is
added and indexed and the model loads behind the window.

Longest event-loop stall (largest gap between ticks of a 5 ms timer on the GUI thread,
minus 5 ms; worst of the runs):

| phase | longest stall | each run (ms) |
| --- | --- | --- |
{rows}

"start" runs from the window shown until the sample folder is indexed and the model is
loaded; "training" from starting an adapter training (16 paragraphs) to its cancel after
the third step, which includes importing torch and loading the model for training. The
engine runs in its own process (desktop.bridge), so the heavy imports, whose C
initialisation holds Python's GIL, happen there; modules among torch, transformers,
sentence-transformers, llama_cpp and peft found in the GUI process at the end:
{r.get("heavy_modules_in_gui_process", "not measured") or "none"}. The engine process runs
at niceness +5, so the GUI thread is scheduled first when both cores are busy. Longest
garbage-collector pause in the GUI process: {r.get("longest_gc_pause_ms", "not measured")} ms.
Target {r["target"]}; met: **{r["met"]}**.

{page_rendering_markdown(r.get("pdf_page_rendering"))}
{ran_on(r)}"""


def render_package(r: dict[str, Any]) -> str:
    shapes, source = r["shapes"], r["source"]
    names = list(shapes)
    header = " | ".join(f"{name} package" for name in names)

    def row(label: str, key: str, unit: str, baseline: Any = "") -> str:
        cells = " | ".join(f"{shapes[name][key]}{unit}" for name in names)
        return f"| {label} | {cells} | {baseline} |"

    largest = "\n\n".join(
        f"Largest parts of `_internal/`, {name}: "
        + ", ".join(f"`{part}` {mb} MB" for part, mb in shapes[name]["largest_mb"])
        + "."
        for name in names
    )
    roles = list(dict.fromkeys(role for name in names for role in shapes[name]["by_role_mb"]))
    by_role = "\n".join(
        f"| {role} | "
        + " | ".join(f"{shapes[name]['by_role_mb'].get(role, 0)}" for name in names)
        + " |"
        for role in roles
    )
    goal, met = r["lean_goal"], r["lean_goal_met"]
    model_note = ""
    if "lean" in shapes:
        model_mb = shapes["lean"]["by_role_mb"].get("default model (GGUF)", 0)
        model_gz = shapes["lean"]["model_gzip_mb"]
        model_note = (
            f"The default model alone is {model_mb} MB on disk and {model_gz} MB after gzip -1 "
            f"(4-bit weights hardly compress), which leaves "
            f"{round(goal['bundle_mb'] - model_mb)} MB of the on-disk goal and "
            f"{round(goal['tarball_mb'] - model_gz)} MB of the tarball goal for everything else."
        )
    verdict = (
        "no lean package was measured"
        if met is None
        else f"on disk {met['bundle']}, tarball {met['tarball']}, ready {met['ready']}"
    )
    return f"""## Linux package

Two shapes from one spec (`installers/docent.spec`, `DOCENT_PACKAGE`): `make package`, the
full app, and `make package-lean`, without the training stack (torch, transformers, PEFT,
sentence-transformers, the embedder's torch weights, scipy, scikit-learn, the hub client);
installers/README.md says what each carries. Start-up: median of {r["runs"]} fresh first
runs each, interleaved (offscreen).

| | {header} | source tree |
| --- | {" | ".join("---" for _ in names)} | --- |
{row("on disk", "bundle_mb", " MB")}
{row("tarball (gzip -1)", "tarball_mb", " MB")}
{row("files", "files", "")}
{row("launch to window shown", "window_shown_s", " s", f"{source['window_shown_s']} s")}
{
        row(
            "launch to indexed and model loaded (`--check` done)",
            "ready_s",
            " s",
            f"{source['ready_s']} s",
        )
    }
{row("`docent status` (CLI start)", "cli_status_s", " s", f"{source['cli_status_s']} s")}
{row("window shown, against source", "ratio_window_shown", "")}

Goal for the lean package (issue 18): at most {goal["bundle_mb"]} MB on disk,
{goal["tarball_mb"]} MB as a tarball, {goal["ready_s"]} s to indexed and model loaded;
met: **{verdict}**. {model_note}

What the packages hold, MB:

| part | {" | ".join(names)} |
| --- | {" | ".join("---" for _ in names)} |
{by_role}

{largest}

{ran_on(r)}"""
