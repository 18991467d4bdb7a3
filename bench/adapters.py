"""Style adapters: what a switch costs against reloading, and what adapters cost per token.

Two adapters shaped like a usual PEFT style adapter (rank 16 on every attention and MLP
projection of all 18 layers of the bundled model, f32) are written with Docent's own
writer. Everything runs in one process on the same model file (warm in the page cache,
which flatters the reload side):

- switch: `LlamaGenerator.set_adapters` from one adapter to the other while a real
  prompt sits in the KV cache; it includes the file checks (cached by file identity after
  the first), loading the incoming adapter, copying the outgoing set's KV aside, and
  freeing the outgoing adapter. The first switch in the process is reported apart.
- reload: what a program without runtime switching does: free the model, construct a new
  one with the same parameters, load and set the other adapter.
- time to first token of the same question after each (the cache is of no use after a
  reload or a switch to a new set; switching back restores that set's own cache).
- generation and prompt speed with no adapter, one, and two stacked, same prompt,
  alternating order.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import summary_ms
from engine.adapters import ActiveAdapter
from engine.adapters.writer import write_lora
from engine.models.generation import LlamaGenerator, Segment

RANK = 16
ALPHA = 32.0
TARGETS = ("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down")
SWITCHES = 40
RELOADS = 6
SPEED_ROUNDS = 5
GENERATED = 64
TARGET_RATIO = 0.05
TARGET_MS = 50.0
SAMPLES = Path(__file__).resolve().parents[1] / "resources" / "sample-docs"


def run(embedder: Any) -> dict[str, Any]:
    from engine.models.choice import bundled_model

    with tempfile.TemporaryDirectory(prefix="docent-bench-adapters-") as tmp:
        root = Path(tmp)
        model_path = bundled_model(root / "models")
        generator = LlamaGenerator(model_path)
        generator.load()
        header = generator.header
        first = _adapter(root / "first.gguf", header, seed=1)
        second = _adapter(root / "second.gguf", header, seed=2)
        prompt = _prompt(generator)
        try:
            switching = _switching(generator, first, second, prompt)
            reloading = _reloading(generator, model_path, first, second, prompt)
            speed = _speed(generator, first, second, prompt)
        finally:
            generator.close()
        size = first.stat().st_size
    switch_p50 = switching["warm_switch"]["p50_ms"]
    reload_p50 = reloading["reload"]["p50_ms"]
    ratio = round(switch_p50 / reload_p50, 4)
    return {
        "model": model_path.name,
        "n_ctx": generator.n_ctx,
        "threads": generator.threads,
        "adapter": {
            "rank": RANK,
            "alpha": ALPHA,
            "targets": list(TARGETS),
            "layers": 18,
            "file_mb": round(size / 2**20, 1),
        },
        "prompt_tokens": len(prompt),
        "switch": switching,
        "reload": reloading,
        "switch_over_reload": ratio,
        "target": f"ratio <= {TARGET_RATIO}, switch < {TARGET_MS:g} ms",
        "met": ratio <= TARGET_RATIO and switch_p50 < TARGET_MS,
        "speed": speed,
    }


def _adapter(path: Path, header: Any, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    weights = {}
    for name, tensor in header.tensors.items():
        parts = name.split(".")
        if parts[0] == "blk" and len(parts) == 4 and parts[2] in TARGETS:
            size_in, size_out = tensor.shape
            a = rng.standard_normal((RANK, size_in)).astype(np.float32) / np.sqrt(size_in)
            b = rng.standard_normal((size_out, RANK)).astype(np.float32) * 0.01
            weights[name] = (a, b)
    return write_lora(path, header.architecture, ALPHA, weights, title=f"bench {seed}")


def _prompt(generator: LlamaGenerator) -> list[int]:
    text = "\n\n".join(
        p.read_text(encoding="utf-8", errors="ignore") for p in sorted(SAMPLES.glob("*.*"))
    )
    tokens = generator.tokenize([Segment(text[:4000])], bos=True)
    tail = generator.tokenize([Segment("\n\nCount on: 1, 2, 3, 4, 5,")])
    return tokens[:900] + tail


def _first_token_ms(generator: LlamaGenerator, prompt: list[int]) -> float:
    started = time.perf_counter()
    stream = generator.stream(prompt, 4)
    for piece in stream:
        if piece:
            break
    elapsed = (time.perf_counter() - started) * 1000
    stream.close()
    return elapsed


def _switching(
    generator: LlamaGenerator, first: Path, second: Path, prompt: list[int]
) -> dict[str, Any]:
    a, b = ActiveAdapter(first, 1.0, "first"), ActiveAdapter(second, 1.0, "second")
    generator.prepare(prompt)  # the bare model's cache holds the prompt
    started = time.perf_counter()
    generator.set_adapters([a])
    first_ever = (time.perf_counter() - started) * 1000
    generator.prepare(prompt)
    times: list[float] = []
    restored: list[int] = []
    for index in range(SWITCHES):
        target = b if index % 2 == 0 else a
        started = time.perf_counter()
        generator.set_adapters([target])
        times.append(time.perf_counter() - started)
        restored.append(generator.last_restored)
        generator.prepare(prompt)  # each set computes its cache once, then keeps it
    # Time to first token right after a switch: to a set never used (nothing cached)
    # and back to one whose cache was kept.
    fresh_ttft: list[float] = []
    back_ttft: list[float] = []
    for scale in (0.3, 0.4, 0.5, 0.6):
        generator.set_adapters([ActiveAdapter(first, scale)])
        fresh_ttft.append(_first_token_ms(generator, prompt))
        generator.set_adapters([b])
        back_ttft.append(_first_token_ms(generator, prompt))
    generator.set_adapters([])
    return {
        "first_switch_ms": round(first_ever, 2),
        "warm_switch": summary_ms(times),
        "restored_tokens_p50": statistics.median(restored[2:]),
        "ttft_after_switch_to_new_set_ms": round(statistics.median(fresh_ttft), 1),
        "ttft_after_switch_back_ms": round(statistics.median(back_ttft), 1),
    }


def _reloading(
    generator: LlamaGenerator, model_path: Path, first: Path, second: Path, prompt: list[int]
) -> dict[str, Any]:
    times: list[float] = []
    ttft: list[float] = []
    current = generator
    for index in range(RELOADS):
        path = second if index % 2 == 0 else first
        started = time.perf_counter()
        current.close()
        current = LlamaGenerator(model_path, n_ctx=generator.n_ctx, threads=generator.threads)
        current.load()
        current.set_adapters([ActiveAdapter(path, 1.0)])
        times.append(time.perf_counter() - started)
        ttft.append(_first_token_ms(current, prompt))
    current.close()
    return {"reload": summary_ms(times), "ttft_after_reload_ms": round(statistics.median(ttft), 1)}


def _speed(
    generator: LlamaGenerator, first: Path, second: Path, prompt: list[int]
) -> dict[str, Any]:
    sets = {
        "none": [],
        "one": [ActiveAdapter(first, 1.0)],
        "two": [ActiveAdapter(first, 1.0), ActiveAdapter(second, 1.0)],
    }
    rates: dict[str, list[float]] = {name: [] for name in sets}
    prompt_rates: dict[str, list[float]] = {name: [] for name in sets}
    generated: dict[str, list[int]] = {name: [] for name in sets}
    order = list(sets)
    for round_ in range(SPEED_ROUNDS):
        for name in order[round_ % 3 :] + order[: round_ % 3]:
            generator.set_adapters(sets[name])
            generator.llama.reset()  # evaluate the whole prompt every time
            started = time.perf_counter()
            generator.prepare(prompt[:-1])
            prompt_rates[name].append((len(prompt) - 1) / (time.perf_counter() - started))
            stamps: list[float] = []
            pieces: list[str] = []
            for piece in generator.stream(prompt, GENERATED):
                stamps.append(time.perf_counter())
                pieces.append(piece)
            count = len(generator.tokenize([Segment("".join(pieces))]))
            generated[name].append(count)
            if len(stamps) > 1:
                rates[name].append((len(stamps) - 1) / (stamps[-1] - stamps[0]))
    generator.set_adapters([])
    med = {name: statistics.median(values) for name, values in rates.items()}
    prompt_med = {name: statistics.median(values) for name, values in prompt_rates.items()}
    return {
        "generation_tokens_per_s": {k: round(v, 1) for k, v in med.items()},
        "generation_ratio_one_over_none": round(med["one"] / med["none"], 3),
        "generation_ratio_two_over_none": round(med["two"] / med["none"], 3),
        "prompt_tokens_per_s": {k: round(v, 1) for k, v in prompt_med.items()},
        "prompt_ratio_one_over_none": round(prompt_med["one"] / prompt_med["none"], 3),
        "prompt_ratio_two_over_none": round(prompt_med["two"] / prompt_med["none"], 3),
        "generated_tokens_min": {k: min(v) for k, v in generated.items()},
        "rounds": SPEED_ROUNDS,
    }
