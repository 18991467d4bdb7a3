"""Indexing throughput, the two embedder runtimes, and the engine's memory.

1. Embedding throughput, ONNX Runtime against torch: the bundled all-MiniLM-L6-v2 in
   `OnnxEmbedder` (the default) and in `SentenceTransformerEmbedder` (sentence-transformers
   on torch) embed exactly the same chunks, in this process, alternating, ROUNDS rounds
   after a warm-up. Target (issue 18): ONNX / torch >= 2.0.
2. Pipeline against raw embedding, with the ONNX embedder: the whole pipeline (walk, hash,
   parse in the worker process, chunk, embed, SQLite with FTS5, hnswlib) indexes a folder
   of SQuAD paragraphs into a fresh home; the baseline is `OnnxEmbedder.embed` of exactly
   the texts the pipeline embedded, in the same rounds. Target: ratio >= 0.85.
3. Memory: a fresh engine process per runtime (settings `embedder_runtime`) indexes the
   sample folder and answers one question with the bundled model; its resident set size
   then and at its peak, and whether torch was loaded.

Ratios of the medians are reported, because this machine's speed drifts between runs.
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

from bench import squad

ARTICLES = 12
ROUNDS = 3
REPO = Path(__file__).resolve().parents[1]


def run(embedder: Any) -> dict[str, Any]:
    from engine.models.embedding import SentenceTransformerEmbedder
    from engine.models.onnx_embedding import OnnxEmbedder

    onnx = embedder if isinstance(embedder, OnnxEmbedder) else OnnxEmbedder()
    torch = SentenceTransformerEmbedder(batch_size=onnx.batch_size)
    onnx.load()
    torch.load()
    corpus = squad.load(articles=ARTICLES)
    pipeline_runs: list[float] = []
    onnx_runs: list[float] = []
    torch_runs: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "corpus"
        squad.write(corpus, folder)
        _, texts, files = _index(folder, Path(tmp) / "warmup", onnx)  # warm caches
        torch.embed(texts[:64])
        for round_number in range(ROUNDS):
            torch_runs.append(_embed_seconds(torch, texts))
            onnx_runs.append(_embed_seconds(onnx, texts))
            seconds, texts, files = _index(folder, Path(tmp) / f"run{round_number}", onnx)
            pipeline_runs.append(seconds)
    pipeline = statistics.median(pipeline_runs)
    raw_onnx = statistics.median(onnx_runs)
    raw_torch = statistics.median(torch_runs)
    chunks = len(texts)
    return {
        "files": files,
        "chunks": chunks,
        "rounds": ROUNDS,
        "embedder": onnx.model_id,
        "onnx_threads": onnx.threads,
        "batch_size": onnx.batch_size,
        "batch_tokens": onnx.batch_tokens,
        "pipeline_s": round(pipeline, 2),
        "raw_encode_s": round(raw_onnx, 2),
        "torch_encode_s": round(raw_torch, 2),
        "pipeline_runs_s": [round(s, 2) for s in pipeline_runs],
        "raw_encode_runs_s": [round(s, 2) for s in onnx_runs],
        "torch_encode_runs_s": [round(s, 2) for s in torch_runs],
        "pipeline_chunks_per_s": round(chunks / pipeline, 1),
        "raw_chunks_per_s": round(chunks / raw_onnx, 1),
        "torch_chunks_per_s": round(chunks / raw_torch, 1),
        "ratio": round(raw_onnx / pipeline, 3),
        "target": ">= 0.85",
        "runtime_speedup": round(raw_torch / raw_onnx, 2),
        "runtime_target": ">= 2.0",
        "memory": {runtime: engine_memory(runtime) for runtime in ("onnx", "torch")},
    }


def _index(folder: Path, home: Path, embedder: Any) -> tuple[float, list[str], int]:
    """Seconds for a full first sync, the texts it embedded, and the files it added."""
    from engine.assistant import Assistant
    from engine.index.chunking import embedding_text

    with Assistant(home=home, embedder=embedder) as assistant:
        assistant.add_folder(folder)
        started = time.perf_counter()
        report = assistant.index()
        seconds = time.perf_counter() - started
        rows = [r for batch in assistant.store.iter_chunk_texts() for r in batch]
    return seconds, [embedding_text(h, t) for _, h, t in rows], report.added


def _embed_seconds(embedder: Any, texts: list[str]) -> float:
    started = time.perf_counter()
    embedder.embed(texts)
    return time.perf_counter() - started


# One engine, as the app's engine process holds it: settings from the home, the sample
# folder indexed, one answer from the bundled model. Prints its memory as JSON.
ENGINE_SCRIPT = """
import json, shutil, sys
from pathlib import Path

def main():
    from engine.assistant import Assistant
    from engine.resources import sample_docs
    from engine.settings import Settings, resolve_paths, save_settings

    home, runtime = Path(sys.argv[1]), sys.argv[2]
    save_settings(resolve_paths(home), Settings(embedder_runtime=runtime))
    shutil.copytree(sample_docs(), home.parent / "docs")
    with Assistant(home) as assistant:
        assistant.add_folder(home.parent / "docs")
        assistant.index()
        for event in assistant.ask("When does the general assembly meet?"):
            pass
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec from the parent
        status = dict(
            line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines()
        )
        print(json.dumps({
            "rss_mb": round(int(status["VmRSS"].split()[0]) / 1024, 1),
            "peak_rss_mb": round(int(status["VmHWM"].split()[0]) / 1024, 1),
            "torch_loaded": "torch" in sys.modules,
            "answered": bool(event.text),
        }))

if __name__ == "__main__":
    main()
"""


def engine_memory(runtime: str) -> dict[str, Any]:
    """RSS of a fresh engine process after indexing the sample folder and one answer."""
    if sys.platform != "linux":
        return {"skipped": "reads /proc/self/status (Linux)"}
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "engine_memory.py"
        script.write_text(ENGINE_SCRIPT, encoding="utf-8")
        result = subprocess.run(
            [sys.executable, str(script), str(Path(tmp) / "home"), runtime],
            capture_output=True,
            text=True,
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            timeout=900,
        )
    if result.returncode != 0:
        return {"failed": result.stderr.strip()[-500:]}
    return json.loads(result.stdout.strip().splitlines()[-1])
