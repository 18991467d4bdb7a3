"""`make bench` / `python -m bench [NAME ...]`: run benchmarks, refresh docs/benchmarks.md."""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
import time

from bench.common import save
from bench.report import write_markdown

BENCHMARKS = (
    "indexing",
    "file_formats",
    "live_update",
    "query_latency",
    "retrieval_quality",
    "relevance",
    "follow_ups",
    "multi_hop",
    "answers",
    "email_answers",
    "adapters",
    "training",
    "desktop",
)
ON_REQUEST = ("package",)  # needs `make package` first; run with `python -m bench package`


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("names", nargs="*", default=[], help="benchmarks to run (default: all)")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS + ON_REQUEST]
    if unknown:
        choices = ", ".join(BENCHMARKS + ON_REQUEST)
        parser.error(f"unknown benchmark {unknown[0]!r}; choose from {choices}")
    logging.basicConfig(level=logging.WARNING)
    from engine.models.onnx_embedding import OnnxEmbedder

    embedder = OnnxEmbedder()  # the default runtime, as the app runs it
    embedder.load()
    for name in args.names or BENCHMARKS:
        module = importlib.import_module(f"bench.{name}")
        print(f"== {name}", flush=True)
        started = time.perf_counter()
        result = module.run(embedder)
        result["wall_s"] = round(time.perf_counter() - started, 1)
        result["command"] = (
            f"make package && python -m bench {name}"
            if name in ON_REQUEST
            else f"make bench  (or: python -m bench {name})"
        )
        path = save(name, result)
        print(json.dumps(result, indent=2), flush=True)
        print(f"-> {path}", flush=True)
    path = write_markdown()
    print(f"updated {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
