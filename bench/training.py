"""Training a style adapter: throughput, peak memory, time to a usable adapter (100 samples).

The run is exactly what `docent adapters train` does with its defaults (rank 8, 3 epochs,
early stopping, 30-minute budget) on the bundled model, in a child process so that its
peak memory is its own. The 100 samples are paragraphs in one recognisable voice (terse
field notes), made from templates with a fixed seed. "Usable" is the first validation
check that reached 90% of the run's total drop in validation loss; the report's llama.cpp
perplexities say how much the written adapter moved the held-out samples.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

SAMPLES = 100
SEED = 7
PLACES = (
    "north meadow,the old quarry,river bend,pine ridge,the reed beds,east orchard,"
    "the salt marsh,birch hollow,the upper lake,fox lane"
).split(",")
BIRDS = (
    "heron,kestrel,two wrens,a pair of teal,one buzzard,six lapwings,a kingfisher,"
    "three jays,a barn owl,the usual rooks"
).split(",")
WEATHER = (
    "cold, still;grey, light drizzle;bright, wind from the west;fog until ten;"
    "warm, high cloud;frost on the grass;rain overnight, clearing"
).split(";")
TASKS = (
    "fence post replaced;path cleared of bramble;nest box 4 checked: empty;"
    "water level marked at the gauge;litter picked, one bag;gate latch oiled;"
    "camera card swapped;sign repainted"
).split(";")
KIT = "the long ladder;spare batteries;gloves;the tide table;a second flask".split(";")

CHILD = """
import json, sys
from pathlib import Path
from engine.adapters import AdapterLibrary
from engine.models.generation import LlamaGenerator
from engine.models.choice import bundled_model
from engine.training import TrainingConfig, train_style_adapter
root = Path(sys.argv[1])
generator = LlamaGenerator(bundled_model(root / "models"))
result = train_style_adapter(root / "samples", "field-notes", AdapterLibrary(root / "lib"),
                             generator, TrainingConfig())
print(json.dumps(result.report))
"""


def field_notes(count: int, seed: int) -> str:
    rng = random.Random(seed)
    paragraphs = []
    for day in range(count):
        place, bird = rng.choice(PLACES), rng.choice(BIRDS)
        weather, task = rng.choice(WEATHER), rng.choice(TASKS)
        time_of_day = f"{rng.randint(6, 17):02d}:{rng.choice(['00', '15', '30', '45'])}"
        paragraphs.append(
            f"Day {day + 1}. {weather.capitalize()}. At {place} by {time_of_day}. "
            f"Seen: {bird}. Done: {task}. Note for next visit: check {rng.choice(PLACES)}, "
            f"bring {rng.choice(KIT)}."
        )
    return "\n\n".join(paragraphs) + "\n"


def run(embedder: Any) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="docent-bench-training-") as tmp:
        root = Path(tmp)
        (root / "samples").mkdir()
        (root / "samples" / "notes.txt").write_text(field_notes(SAMPLES, SEED), encoding="utf-8")
        child = subprocess.run(
            [sys.executable, "-c", CHILD, str(root)],
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parents[1],
            timeout=3600,
        )
        if child.returncode != 0:
            raise RuntimeError(f"training failed:\n{child.stderr[-3000:]}")
        report = json.loads(child.stdout.strip().splitlines()[-1])
    training, validation = report["training"], report["validation"]
    history = training["history"]
    first, best = history[0]["validation_loss"], min(h["validation_loss"] for h in history)
    usable = next(h for h in history if first - h["validation_loss"] >= 0.9 * (first - best))
    return {
        "model": report["base_model"]["file"],
        "samples": report["samples"],
        "settings": report["settings"],
        "steps": training["steps"],
        "epochs": training["epochs"],
        "stop_reason": training["stop_reason"],
        "total_s": report["total_seconds"],
        "training_s": training["seconds"],
        "loop_s": training["train_seconds"],
        "tokens_seen": training["tokens_seen"],
        "tokens_per_s": training["tokens_per_s"],
        "peak_rss_mb": training["peak_rss_mb"],
        "usable_at_step": usable["step"],
        "usable_at_s": usable["elapsed_s"],
        "validation_loss": [first, best],
        "perplexity_llama_cpp": [validation["perplexity_without"], validation["perplexity_with"]],
        "history": history,
        "answers": report["answers"],
    }
