"""LoRA adapter files: what one holds, and whether it fits a model.

Every check happens here, in Python, before llama.cpp sees the file: llama-cpp-python
0.3.36 crashes later on an adapter that does not match its model instead of refusing it.
Each refusal is its own sentence naming the file and the cause.

The layout is llama.cpp's GGUF LoRA: `general.type` "adapter", `general.architecture`
the model's, `adapter.type` "lora", `adapter.lora.alpha` (f32). For each adapted weight
W of ggml shape [in, out] there is `W.lora_a` [in, r] and `W.lora_b` [r, out]. The token
embedding is the exception (llama.cpp looks rows up in A): there A is [r, n_vocab] and B
is [r, n_embd]. The strength llama.cpp applies is scale * alpha / r.

The header is read by Docent's own reader (fast even when someone picks a whole model by
mistake); the tensor data by the `gguf` package, which memory-maps it to check that every
value is a finite number (one NaN turns every answer into noise).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import AdapterError, ModelFileError, ModelNotFoundError
from engine.models.gguf_file import GgufFile, read_gguf

LORA_A, LORA_B = ".lora_a", ".lora_b"
TOKEN_EMBEDDING = "token_embd.weight"
# ggml types llama.cpp's converters write for adapters.
LORA_TYPES: dict[int, str] = {0: "F32", 1: "F16", 30: "BF16", 8: "Q8_0"}
_F32, _F16, _BF16 = 0, 1, 30
MAX_RANK = 4096


@dataclass(frozen=True, slots=True)
class LoraPair:
    """One adapted weight of the base model."""

    weight: str  # the model tensor it changes, e.g. "blk.0.attn_q.weight"
    rank: int
    base_shape: tuple[int, int]  # the ggml shape that weight must have in the model

    @property
    def target(self) -> str:
        """The kind of weight, shared across layers: "attn_q", "ffn_down", "token_embd"."""
        parts = self.weight.removesuffix(".weight").split(".")
        return parts[2] if parts[0] == "blk" and len(parts) > 2 else ".".join(parts)

    @property
    def layer(self) -> int | None:
        parts = self.weight.split(".")
        return int(parts[1]) if parts[0] == "blk" and parts[1].isdigit() else None


@dataclass(frozen=True, slots=True)
class AdapterInfo:
    """What an adapter file holds (read from its header, checked, not yet applied)."""

    path: Path
    architecture: str
    alpha: float | None
    pairs: tuple[LoraPair, ...]
    size: int
    title: str | None = None  # general.name
    extra: dict[str, Any] = field(default_factory=dict)  # other small metadata

    @property
    def rank(self) -> int:
        return max(pair.rank for pair in self.pairs)

    @property
    def targets(self) -> tuple[str, ...]:
        return tuple(sorted({pair.target for pair in self.pairs}))

    @property
    def layers(self) -> int:
        return len({pair.layer for pair in self.pairs if pair.layer is not None})

    def to_dict(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "architecture": self.architecture,
            "rank": self.rank,
            "alpha": self.alpha,
            "targets": list(self.targets),
            "layers": self.layers,
            "tensor_pairs": len(self.pairs),
            "size": self.size,
            "title": self.title,
        }


def inspect_adapter(path: str | Path) -> AdapterInfo:
    """Read and check an adapter file on its own; AdapterError says what is wrong."""
    file = Path(path).expanduser()
    try:
        stat = file.stat()
    except OSError:
        stat = None
    key = (str(file.resolve()), stat.st_size, stat.st_mtime_ns) if stat else None
    if key is not None:
        with _cache_lock:
            known = _checked.get(key)
        if known is not None:
            return known
    info = _inspect(file)
    if key is not None:
        with _cache_lock:
            if len(_checked) >= 64:
                _checked.clear()
            _checked[key] = info
    return info


def misfit(info: AdapterInfo, model: GgufFile) -> str | None:
    """Why the adapter cannot be applied to `model`, or None when it fits."""
    model_name = model.path.name
    if info.architecture != model.architecture:
        return (
            f"made for a {info.architecture} model, but the current model ({model_name}) "
            f"is {model.architecture}"
        )
    for pair in info.pairs:
        tensor = model.tensors.get(pair.weight)
        if tensor is None:
            return f"it changes {pair.weight}, which the current model ({model_name}) does not have"
        if tuple(tensor.shape) != pair.base_shape:
            return (
                f"it changes {pair.weight} as {_shape(pair.base_shape)}, but in the current "
                f"model ({model_name}) it is {_shape(tensor.shape)}: the adapter was made "
                f"for another {info.architecture} model"
            )
    return None


def check_adapter(path: str | Path, model: GgufFile) -> AdapterInfo:
    """The adapter at `path`, checked on its own and against `model`."""
    info = inspect_adapter(path)
    reason = misfit(info, model)
    if reason is not None:
        raise AdapterError(f"{info.path}: {reason}")
    return info


# -- reading --------------------------------------------------------------------------------

_checked: dict[tuple[str, int, int], AdapterInfo] = {}
_cache_lock = threading.Lock()


def _inspect(file: Path) -> AdapterInfo:
    try:
        header = read_gguf(file)
    except (ModelFileError, ModelNotFoundError) as exc:
        raise AdapterError(str(exc)) from exc
    meta = header.metadata
    kind = meta.get("general.type")
    has_lora = any(name.endswith((LORA_A, LORA_B)) for name in header.tensors)
    if kind == "model" or (kind is None and header.tensors and not has_lora):
        what = " ".join(str(x) for x in (header.architecture, header.name) if x) or "GGUF"
        raise AdapterError(
            f"{file}: a whole model ({what}), not a LoRA adapter; to answer with it, "
            "choose it as the model instead"
        )
    if kind != "adapter":
        raise AdapterError(f"{file}: GGUF type {kind!r}, not a LoRA adapter")
    adapter_type = meta.get("adapter.type")
    if adapter_type != "lora":
        if adapter_type is None:
            raise AdapterError(f"{file}: the header does not say which kind of adapter it is")
        raise AdapterError(f"{file}: a {adapter_type!r} adapter; Docent applies LoRA adapters")
    architecture = header.architecture
    if architecture is None:
        raise AdapterError(f"{file}: the header names no architecture (which model is it for?)")
    alpha = meta.get("adapter.lora.alpha")
    if alpha is not None:
        if isinstance(alpha, bool) or not isinstance(alpha, int | float):
            raise AdapterError(f"{file}: adapter.lora.alpha is not a number ({alpha!r})")
        if not math.isfinite(alpha) or alpha < 0:
            raise AdapterError(f"{file}: adapter.lora.alpha is {alpha}, not a positive number")
        alpha = float(alpha)
    pairs = _pairs(file, header)
    _check_values(file)
    extra = {
        key: value
        for key, value in meta.items()
        if not key.startswith(("general.", "adapter.", "GGUF."))
        and isinstance(value, str | int | float)
    }
    return AdapterInfo(
        file,
        architecture,
        alpha,
        pairs,
        header.file_size,
        header.name,
        extra,
    )


def _pairs(file: Path, header: GgufFile) -> tuple[LoraPair, ...]:
    halves: dict[str, dict[str, tuple[int, ...]]] = {}
    for name, tensor in header.tensors.items():
        if name.endswith(LORA_A):
            weight, half = name.removesuffix(LORA_A), "a"
        elif name.endswith(LORA_B):
            weight, half = name.removesuffix(LORA_B), "b"
        else:
            raise AdapterError(
                f"{file}: holds the tensor {name}, which is not part of a LoRA pair "
                "(.lora_a/.lora_b)"
            )
        if tensor.ggml_type not in LORA_TYPES:
            raise AdapterError(
                f"{file}: tensor {name} is stored as ggml type {tensor.ggml_type}; adapter "
                f"tensors must be {', '.join(LORA_TYPES.values())}"
            )
        if len(tensor.shape) != 2 or min(tensor.shape) < 1:
            raise AdapterError(f"{file}: tensor {name} is not a matrix (shape {tensor.shape})")
        halves.setdefault(weight, {})[half] = tensor.shape
    if not halves:
        raise AdapterError(f"{file}: holds no LoRA tensors")
    pairs: list[LoraPair] = []
    for weight, found in sorted(halves.items(), key=lambda item: _weight_order(item[0])):
        if "a" not in found or "b" not in found:
            have, lacks = ("lora_a", "lora_b") if "a" in found else ("lora_b", "lora_a")
            raise AdapterError(f"{file}: {weight} has {have} but no {lacks}")
        a, b = found["a"], found["b"]
        if weight == TOKEN_EMBEDDING:  # llama.cpp looks rows up in A: both are [r, ...]
            rank_a, rank_b, base_shape = a[0], b[0], (b[1], a[1])
        else:
            rank_a, rank_b, base_shape = a[1], b[0], (a[0], b[1])
        if rank_a != rank_b:
            raise AdapterError(
                f"{file}: the lora_a and lora_b of {weight} disagree on the rank "
                f"({rank_a} and {rank_b}); was A stored untransposed?"
            )
        if rank_a > MAX_RANK or rank_a > min(base_shape):
            raise AdapterError(
                f"{file}: {weight} has rank {rank_a}, more than the weight's own "
                f"{_shape(base_shape)}: not a low-rank adapter"
            )
        pairs.append(LoraPair(weight, rank_a, base_shape))
    return tuple(pairs)


def _check_values(file: Path) -> None:
    """Every F32/F16/BF16 value must be finite (read with the gguf package, memory-mapped)."""
    import numpy as np
    from gguf import GGUFReader

    try:
        reader = GGUFReader(file)
    except (ValueError, OSError, KeyError, IndexError) as exc:
        raise AdapterError(f"{file}: the gguf package cannot read it ({exc})") from exc
    for tensor in reader.tensors:
        kind = int(tensor.tensor_type)
        data = tensor.data
        if kind in (_F32, _F16):
            finite = bool(np.isfinite(data).all())
        elif kind == _BF16:  # exponent bits all set: infinity or NaN
            bits = np.asarray(data).view(np.uint16)
            finite = not bool(((bits & 0x7F80) == 0x7F80).any())
        else:
            continue
        if not finite:
            raise AdapterError(f"{file}: tensor {tensor.name} holds NaN or infinite values")
    del reader  # releases the memory map


def _weight_order(weight: str) -> tuple[int, str]:
    parts = weight.split(".")
    layer = int(parts[1]) if parts[0] == "blk" and len(parts) > 1 and parts[1].isdigit() else -1
    return layer, weight


def _shape(shape: tuple[int, ...]) -> str:
    """A weight's ggml shape as in -> out."""
    return " -> ".join(str(n) for n in shape)
