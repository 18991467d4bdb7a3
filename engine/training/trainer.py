"""LoRA training on the CPU against the exact weights llama.cpp runs.

transformers reads the GGUF model itself and dequantizes it to fp32, so the adapter is
fitted to the very weights it will be applied to; PEFT adds the low-rank matrices. The
loop is plain PyTorch: one example per step, AdamW, warm-up then linear decay, gradient
clipping. The loss is computed only where there are targets: the output projection over
a 262k vocabulary dominates the cost, so prompt positions of a pair never reach it.

Validation loss is measured before the first step (the bare model: LoRA's B starts at
zero) and every `eval_every` steps; the best weights are kept, and training stops when
validation has not improved `patience` times in a row, when the steps or epochs are done,
when the time budget is spent, or when cancelled.
"""

from __future__ import annotations

import logging
import math
import random
import resource
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from engine.adapters.runtime import ActiveAdapter
from engine.errors import TrainingError
from engine.jobs import CancelToken
from engine.models.gguf_file import GgufFile
from engine.training.dataset import Dataset, Example

log = logging.getLogger(__name__)

# Hugging Face module name -> GGUF tensor kind (llama.cpp's names).
HF_TO_GGUF = {
    "q_proj": "attn_q",
    "k_proj": "attn_k",
    "v_proj": "attn_v",
    "o_proj": "attn_output",
    "gate_proj": "ffn_gate",
    "up_proj": "ffn_up",
    "down_proj": "ffn_down",
}
StopReason = Literal["converged", "steps done", "time budget", "cancelled"]


@dataclass(frozen=True, slots=True)
class TrainingConfig:
    rank: int = 8
    alpha: float | None = None  # default: 2 * rank
    steps: int | None = None  # exactly this many steps, or else:
    epochs: float = 3.0
    max_minutes: float = 30.0
    learning_rate: float = 3e-4
    dropout: float = 0.05
    targets: tuple[str, ...] = tuple(HF_TO_GGUF)
    eval_every: int | None = None  # default: about twice per epoch
    patience: int = 3
    seed: int = 0
    threads: int = 0

    @property
    def lora_alpha(self) -> float:
        return self.alpha if self.alpha is not None else 2.0 * self.rank


@dataclass(frozen=True, slots=True)
class TrainingProgress:
    phase: str  # "loading model", "training", "checking", "writing", "comparing answers"
    step: int = 0
    total_steps: int = 0
    loss: float | None = None  # training loss per token (moving average)
    validation_loss: float | None = None  # the latest
    elapsed_s: float = 0.0
    remaining_s: float | None = None


TrainingProgressCallback = Callable[[TrainingProgress], None]


@dataclass(slots=True)
class TrainedLora:
    weights: dict[str, tuple[Any, Any]]  # GGUF weight name -> (A r x in, B out x r), numpy
    rank: int
    alpha: float
    targets: tuple[str, ...]  # GGUF kinds
    steps: int
    epochs: float
    seconds: float  # everything, model loading included
    train_seconds: float  # the training loop alone (with its validation passes)
    stop_reason: StopReason
    base_validation_loss: float
    best_validation_loss: float
    best_step: int
    train_tokens_seen: int
    peak_rss_mb: float
    history: list[dict[str, float | int | None]] = field(default_factory=list)

    @property
    def tokens_per_s(self) -> float:
        return self.train_tokens_seen / self.train_seconds if self.train_seconds > 0 else 0.0


def train_lora(
    model_path: Path,
    model_header: GgufFile,
    data: Dataset,
    config: TrainingConfig,
    progress: TrainingProgressCallback | None = None,
    cancel: CancelToken | None = None,
    under: Sequence[ActiveAdapter] = (),
) -> TrainedLora:
    """Fit a LoRA to `data.train`; the best weights on `data.validation` come back.

    `under`: adapters the new one will always be stacked on (the reader); they are
    merged into the weights first, so the new adapter learns on top of them."""
    import torch

    report = progress or (lambda _p: None)
    started = time.perf_counter()
    if config.threads > 0:
        torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    report(TrainingProgress("loading model"))
    causal_lm = load_for_training(model_path, model_header)
    for adapter in under:
        merge_adapter(causal_lm, adapter)
    if cancel is not None and cancel.cancelled:
        return _cancelled(config, started)
    targets = tuple(t for t in config.targets if t in HF_TO_GGUF)
    if not layout_matches(causal_lm, model_header, model_path, "q_proj"):
        # transformers reorders q/k rows of some architectures when it reads GGUF; an
        # adapter trained there would not fit llama.cpp's layout, so those stay out.
        targets = tuple(t for t in targets if t not in ("q_proj", "k_proj"))
        log.info("q/k are stored permuted for this architecture; adapting the others only")
    model = _with_lora(causal_lm, config, targets)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=config.learning_rate, weight_decay=0.0)
    train = list(data.train)
    total = config.steps if config.steps else max(1, math.ceil(config.epochs * len(train)))
    warmup = max(1, min(10, total // 20))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: (
            min(1.0, (step + 1) / warmup)
            * max(0.1, 1.0 - max(0, step - warmup) / max(1, total - warmup))
        ),
    )
    eval_every = config.eval_every or max(5, min(50, len(train) // 2))
    budget_s = config.max_minutes * 60

    base_loss = _validation_loss(model, data.validation)
    best_loss, best_step, best_state = base_loss, 0, _lora_state(model)
    history: list[dict[str, float | int | None]] = [
        {
            "step": 0,
            "loss": None,
            "validation_loss": round(base_loss, 4),
            "elapsed_s": round(_since(started), 1),
        }
    ]
    report(TrainingProgress("training", 0, total, None, base_loss, _since(started)))
    rng = random.Random(config.seed)
    order: list[int] = []
    running: float | None = None
    stale = 0
    seen = 0
    stop: StopReason = "steps done"
    train_started = time.perf_counter()
    step = 0
    model.train()
    for step in range(1, total + 1):
        if cancel is not None and cancel.cancelled:
            stop = "cancelled"
            step -= 1
            break
        if not order:
            order = list(range(len(train)))
            rng.shuffle(order)
        example = train[order.pop()]
        loss_sum, count = _loss(model, example)
        (loss_sum / count).backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        seen += len(example.tokens)
        value = loss_sum.item() / count
        running = value if running is None else 0.9 * running + 0.1 * value
        validation = None
        if step % eval_every == 0 or step == total:
            validation = _validation_loss(model, data.validation)
            model.train()
            history.append(
                {
                    "step": step,
                    "loss": round(running, 4),
                    "validation_loss": round(validation, 4),
                    "elapsed_s": round(_since(started), 1),
                }
            )
            if validation < best_loss * 0.999:
                best_loss, best_step, best_state, stale = validation, step, _lora_state(model), 0
            else:
                stale += 1
        elapsed = time.perf_counter() - train_started
        remaining = elapsed / step * (total - step)
        report(
            TrainingProgress(
                "training",
                step,
                total,
                running,
                validation if validation is not None else history[-1]["validation_loss"],
                _since(started),
                min(remaining, max(0.0, budget_s - _since(started))),
            )
        )
        if stale >= config.patience:
            stop = "converged"
            break
        if _since(started) >= budget_s and step < total:
            stop = "time budget"
            break
    if stop == "cancelled":
        return _cancelled(config, started)
    if stop == "time budget" and (not history or history[-1]["step"] != step):
        validation = _validation_loss(model, data.validation)
        history.append(
            {
                "step": step,
                "loss": _round(running),
                "validation_loss": round(validation, 4),
                "elapsed_s": round(_since(started), 1),
            }
        )
        if validation < best_loss * 0.999:
            best_loss, best_step, best_state = validation, step, _lora_state(model)
    if best_step == 0:
        raise TrainingError(
            f"training did not lower the validation loss ({base_loss:.3f} before, "
            f"{history[-1]['validation_loss']} after {step} steps); give more samples or "
            "steps, or a higher rank"
        )
    return TrainedLora(
        weights=gguf_weights(best_state),
        rank=config.rank,
        alpha=config.lora_alpha,
        targets=tuple(HF_TO_GGUF[t] for t in targets),
        steps=step,
        epochs=round(step / len(train), 2),
        seconds=round(_since(started), 1),
        train_seconds=round(time.perf_counter() - train_started, 1),
        stop_reason=stop,
        base_validation_loss=base_loss,
        best_validation_loss=best_loss,
        best_step=best_step,
        train_tokens_seen=seen,
        peak_rss_mb=peak_rss_mb(),
        history=history,
    )


VOCABULARY_KEYS = (
    "tokenizer.ggml.tokens",
    "tokenizer.ggml.scores",
    "tokenizer.ggml.token_type",
    "tokenizer.ggml.merges",
)


def load_for_training(model_path: Path, model_header: GgufFile) -> Any:
    """The GGUF model in transformers, dequantized to fp32 (TrainingError if it cannot).

    transformers parses the whole vocabulary (262k strings for Gemma 3) twice while
    loading, which took 45 of 55 s; training needs no tokenizer (llama.cpp tokenizes),
    so it reads a temporary copy without the vocabulary arrays, its size given instead.
    """
    import tempfile

    import torch
    import transformers
    from transformers import AutoModelForCausalLM

    from engine.models.gguf_file import copy_without_keys
    from engine.models.native_stderr import native_stderr_silenced

    _check_memory(model_header)
    transformers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    architecture = model_header.architecture or ""
    vocabulary = model_header.metadata.get("tokenizer.ggml.tokens")
    extra = {}
    if isinstance(vocabulary, int) and f"{architecture}.vocab_size" not in model_header.metadata:
        extra[f"{architecture}.vocab_size"] = vocabulary
    try:
        with tempfile.TemporaryDirectory(prefix="docent-training-") as folder:
            copy = Path(folder) / model_path.name
            if extra:
                copy_without_keys(model_path, copy, set(VOCABULARY_KEYS), extra)
            else:
                copy = model_path
            with native_stderr_silenced(not log.isEnabledFor(logging.DEBUG)):
                model = AutoModelForCausalLM.from_pretrained(
                    str(copy.parent), gguf_file=copy.name, dtype=torch.float32
                )
    except (ValueError, OSError, KeyError, RuntimeError, NotImplementedError) as exc:
        raise TrainingError(
            f"{model_path}: transformers cannot load this model for training ({exc})"
        ) from exc
    model.config.use_cache = False
    return model


def merge_adapter(causal_lm: Any, adapter: ActiveAdapter) -> None:
    """Add a GGUF LoRA's update (scale * alpha / r * B @ A) into the model's weights."""
    import numpy as np
    import torch
    from gguf import GGUFReader

    reader = GGUFReader(str(adapter.path))
    field = reader.get_field("adapter.lora.alpha")
    alpha = float(field.parts[field.data[0]][0]) if field is not None else None
    tensors = {t.name: t for t in reader.tensors}
    modules = dict(causal_lm.named_modules())
    by_layer: dict[tuple[str, str], Any] = {}
    for name, module in modules.items():
        parts = name.split(".")
        if "layers" in parts and parts[-1] in HF_TO_GGUF:
            by_layer[(parts[parts.index("layers") + 1], HF_TO_GGUF[parts[-1]])] = module
    merged = 0
    for name, tensor in tensors.items():
        if not name.endswith(".lora_a") or not name.startswith("blk."):
            continue
        _, layer, kind, *_ = name.split(".")
        module = by_layer.get((layer, kind))
        partner = tensors.get(name[: -len("a")] + "b")
        if module is None or partner is None:
            raise TrainingError(f"{adapter.path}: {name} has no matching weight to merge into")
        a = np.asarray(tensor.data, dtype=np.float32)  # r x in
        b = np.asarray(partner.data, dtype=np.float32)  # out x r
        rank = a.shape[0]
        factor = adapter.scale * ((alpha / rank) if alpha else 1.0)
        with torch.no_grad():
            module.weight += torch.from_numpy(factor * (b @ a)).to(module.weight.dtype)
        merged += 1
    log.info("merged %s (%d weights) under the new adapter", adapter.label, merged)


def layout_matches(causal_lm: Any, header: GgufFile, model_path: Path, module: str) -> bool:
    """Whether transformers holds layer 0's `module` exactly as the GGUF file stores it."""
    import numpy as np
    from gguf import GGMLQuantizationType
    from gguf.quants import dequantize

    name = f"blk.0.{HF_TO_GGUF[module]}.weight"
    info = header.tensors.get(name)
    found = [m for n, m in causal_lm.named_modules() if n.endswith(f"layers.0.self_attn.{module}")]
    if info is None or info.nbytes is None or not found:
        return False
    with model_path.open("rb") as stream:
        stream.seek(header.data_start + info.offset)
        raw = np.frombuffer(stream.read(info.nbytes), dtype=np.uint8)
    stored = dequantize(raw, GGMLQuantizationType(info.ggml_type)).reshape(info.shape[::-1])
    ours = found[0].weight.detach().float().numpy()
    return stored.shape == ours.shape and bool(np.allclose(stored, ours, atol=1e-5))


def gguf_weights(state: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """PEFT's LoRA tensors as {GGUF weight name: (A, B)} numpy matrices."""
    pairs: dict[str, dict[str, Any]] = {}
    for key, tensor in state.items():
        parts = key.split(".")
        if "layers" not in parts or not ({"lora_A", "lora_B"} & set(parts)):
            continue
        layer = parts[parts.index("layers") + 1]
        module = next(p for p in parts if p in HF_TO_GGUF)
        half = "a" if "lora_A" in parts else "b"
        name = f"blk.{layer}.{HF_TO_GGUF[module]}.weight"
        pairs.setdefault(name, {})[half] = tensor.detach().float().cpu().numpy()
    return {name: (halves["a"], halves["b"]) for name, halves in pairs.items()}


def peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (2**20 if sys.platform == "darwin" else 1024), 1)


# -- internals -----------------------------------------------------------------------------


def _with_lora(causal_lm: Any, config: TrainingConfig, targets: Sequence[str]) -> Any:
    import warnings

    from peft import LoraConfig, get_peft_model

    if not targets:
        raise TrainingError("no weights left to adapt for this model")
    lora = LoraConfig(
        r=config.rank,
        lora_alpha=config.lora_alpha,  # type: ignore[arg-type]  # PEFT takes a float
        lora_dropout=config.dropout,
        target_modules=list(targets),
        bias="none",
        task_type="CAUSAL_LM",
    )
    with warnings.catch_warnings():  # deprecation chatter between peft and transformers
        warnings.simplefilter("ignore", FutureWarning)
        return get_peft_model(causal_lm, lora)


def _loss(model: Any, example: Example) -> tuple[Any, int]:
    """Summed cross-entropy over the example's targets, and their count."""
    import torch
    import torch.nn.functional as F

    causal_lm = model.get_base_model()
    ids = torch.tensor([example.tokens], dtype=torch.long)
    hidden = causal_lm.get_decoder()(input_ids=ids).last_hidden_state[0]
    start = example.target_start
    logits = causal_lm.get_output_embeddings()(hidden[start - 1 : -1])
    cap = getattr(causal_lm.config, "final_logit_softcapping", None)
    if cap:
        logits = torch.tanh(logits / cap) * cap
    targets = ids[0, start:]
    return F.cross_entropy(logits.float(), targets, reduction="sum"), int(targets.numel())


def _validation_loss(model: Any, examples: Sequence[Example]) -> float:
    import torch

    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for example in examples:
            loss_sum, n = _loss(model, example)
            total += loss_sum.item()
            count += n
    return total / max(1, count)


def _lora_state(model: Any) -> dict[str, Any]:
    return {
        name: param.detach().clone() for name, param in model.named_parameters() if "lora_" in name
    }


def _check_memory(header: GgufFile) -> None:
    """Refuse before loading when fp32 weights plus training state clearly cannot fit."""
    elements = sum(math.prod(t.shape) for t in header.tensors.values())
    needed = elements * 4 * 2.5  # fp32 weights, activations, logits, optimizer, slack
    available = _available_memory()
    if available is not None and needed > available:
        raise TrainingError(
            f"{header.path.name}: training needs about {needed / 2**30:.1f} GB of memory "
            f"and {available / 2**30:.1f} GB is free; close other programs or choose a "
            "smaller model"
        )


def _available_memory() -> int | None:
    """MemAvailable on Linux (free plus reclaimable cache); None where unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _cancelled(config: TrainingConfig, started: float) -> TrainedLora:
    return TrainedLora(
        {}, config.rank, config.lora_alpha, (), 0, 0.0, _since(started), 0.0, "cancelled",
        math.nan, math.nan, 0, 0, peak_rss_mb(),
    )  # fmt: skip


def _since(started: float) -> float:
    return time.perf_counter() - started


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
