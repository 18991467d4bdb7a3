"""Live update latency: a file written into a watched folder until `search` returns it.

The clock starts just before the file is written and stops when a search (hybrid, the
default) returns that file; debounce, hashing, parsing, embedding and commit all count.
20 trials, each a new file with a unique fact. Target: p50 <= 1 s, p95 <= 2 s.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import Any

from bench import squad
from bench.common import summary_ms

TRIALS = 20
POLL_S = 0.01
TIMEOUT_S = 30.0


def run(embedder: Any) -> dict[str, Any]:
    from engine.assistant import Assistant

    corpus = squad.load(articles=3)
    latencies: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "watched"
        squad.write(corpus, folder)
        with Assistant(home=Path(tmp) / "home", embedder=embedder) as assistant:
            assistant.add_folder(folder)
            assistant.index()
            assistant.start_watching()
            time.sleep(1.0)  # let the observers settle
            for trial in range(TRIALS):
                code = f"QX{trial:02}{int(time.time() * 1000) % 100000:05}"
                path = folder / "new" / f"note-{trial}.md"
                text = (
                    f"# Field note {trial}\n\nThe access code for the north gate "
                    f"in trial {trial} is {code}.\n"
                )
                started = time.perf_counter()
                path.parent.mkdir(exist_ok=True)
                path.write_text(text, encoding="utf-8")
                while True:
                    hits = assistant.search(f"north gate access code {code}", k=3)
                    if any(h.path == str(path) for h in hits):
                        latencies.append(time.perf_counter() - started)
                        break
                    if time.perf_counter() - started > TIMEOUT_S:
                        raise RuntimeError(f"trial {trial}: not searchable after {TIMEOUT_S} s")
                    time.sleep(POLL_S)
                time.sleep(0.5)
            debounce_ms = assistant.settings.debounce_ms
    return {
        "trials": TRIALS,
        "debounce_ms": debounce_ms,
        **summary_ms(latencies),
        "target": "p50 <= 1000 ms, p95 <= 2000 ms",
    }
