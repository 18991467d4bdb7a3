"""Writing a GGUF LoRA adapter in the layout llama.cpp loads (see adapters.files).

Matrices come in the usual LoRA convention for a weight W of out x in (numpy order):
A is r x in, B is out x r, and the change is (alpha / r) * B @ A. The file is written to
a temporary name and renamed, so a reader never sees half an adapter.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from engine.adapters.files import LORA_A, LORA_B, TOKEN_EMBEDDING

Metadata = Mapping[str, str | int | float]


def write_lora(
    path: Path,
    architecture: str,
    alpha: float,
    weights: Mapping[str, tuple[np.ndarray, np.ndarray]],
    metadata: Metadata | None = None,
    title: str | None = None,
    half_precision: bool = False,
) -> Path:
    """Write `weights` ({model tensor name: (A, B)}) as an adapter file at `path`
    (F32, or F16 with `half_precision`: half the size, ample precision for LoRA)."""
    import gguf

    if not weights:
        raise ValueError("an adapter needs at least one weight")
    partial = path.with_name(f".{path.name}.part")
    writer = gguf.GGUFWriter(str(partial), architecture)
    try:
        writer.add_type("adapter")
        writer.add_string("adapter.type", "lora")
        writer.add_float32("adapter.lora.alpha", float(alpha))
        if title:
            writer.add_name(title)
        for key, value in (metadata or {}).items():
            if isinstance(value, bool) or not isinstance(value, str | int | float):
                raise TypeError(f"metadata {key!r} must be text or a number")
            if isinstance(value, str):
                writer.add_string(key, value)
            elif isinstance(value, int):
                writer.add_uint64(key, value)
            else:
                writer.add_float32(key, value)
        for weight, (a, b) in weights.items():
            if weight == TOKEN_EMBEDDING:
                raise ValueError("adapting the token embedding is not supported")
            if a.ndim != 2 or b.ndim != 2 or a.shape[0] != b.shape[1]:
                raise ValueError(f"{weight}: A {a.shape} and B {b.shape} are not a LoRA pair")
            dtype = np.float16 if half_precision else np.float32
            writer.add_tensor(weight + LORA_A, np.ascontiguousarray(a, dtype=dtype))
            writer.add_tensor(weight + LORA_B, np.ascontiguousarray(b, dtype=dtype))
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_tensors_to_file()
        writer.close()
        os.replace(partial, path)
    except BaseException:
        writer.close()
        partial.unlink(missing_ok=True)
        raise
    return path
