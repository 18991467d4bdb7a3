"""Real GGUF LoRA adapter files for tests, written with the `gguf` package.

Shapes come from the model's own tensor directory, so a default adapter is one llama.cpp
accepts for that model; the keyword arguments break it in one chosen way at a time.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import gguf
import numpy as np

from engine.models.gguf_file import GgufFile

DEFAULT_TARGETS = ("attn_q", "attn_v", "ffn_up", "ffn_down")


# A random adapter this strong changes the bundled model's answers even with the reader
# under it (the default 0.02 no longer does: the reader makes the answer too certain).
LOUD = 0.08


def write_adapter(
    path: Path,
    model: GgufFile,
    *,
    rank: int = 8,
    alpha: float | None = 16.0,
    targets: Iterable[str] = DEFAULT_TARGETS,
    layers: Iterable[int] | None = None,
    seed: int = 0,
    magnitude: float = 0.02,
    architecture: str | None = None,
    general_type: str | None = "adapter",
    adapter_type: str | None = "lora",
    widen: int = 0,  # add this to every adapted weight's output size (another model)
    extra_layer: int | None = None,  # also adapt blk.N (N beyond the model: a missing tensor)
    drop_b_of_first: bool = False,
    untransposed_a: bool = False,
    poison: bool = False,  # one NaN in the first lora_b
    dtype: type = np.float32,
    metadata: dict[str, str] | None = None,
) -> Path:
    """Write an adapter for `model`'s real tensor shapes to `path`."""
    rng = np.random.default_rng(seed)
    wanted = set(targets)
    chosen_layers = set(layers) if layers is not None else None
    writer = gguf.GGUFWriter(str(path), architecture or model.architecture or "gemma3")
    if general_type is not None:
        writer.add_type(general_type)
    if adapter_type is not None:
        writer.add_string("adapter.type", adapter_type)
    if alpha is not None:
        writer.add_float32("adapter.lora.alpha", alpha)
    for key, value in (metadata or {}).items():
        writer.add_string(key, value)
    weights = []
    for name, tensor in model.tensors.items():
        parts = name.split(".")
        if parts[0] != "blk" or len(tensor.shape) != 2 or parts[2] not in wanted:
            continue
        if chosen_layers is not None and int(parts[1]) not in chosen_layers:
            continue
        weights.append((name, tensor.shape))
    if extra_layer is not None:
        template = next(shape for name, shape in weights)
        first_target = weights[0][0].split(".")[2]
        weights.append((f"blk.{extra_layer}.{first_target}.weight", template))
    for index, (name, (size_in, size_out)) in enumerate(weights):
        size_out += widen
        # numpy shapes are ggml shapes reversed: A is ggml [in, r], B is ggml [r, out]
        a = (rng.standard_normal((rank, size_in)) * magnitude).astype(dtype)
        b = (rng.standard_normal((size_out, rank)) * magnitude).astype(dtype)
        if untransposed_a and index == 0:
            a = np.ascontiguousarray(a.T)
        if poison and index == 0:
            b[0, 0] = np.nan
        writer.add_tensor(f"{name}.lora_a", a)
        if not (drop_b_of_first and index == 0):
            writer.add_tensor(f"{name}.lora_b", b)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
