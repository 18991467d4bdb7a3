"""Training a style adapter from a person's own writing, offline, into the adapter library.

`train_style_adapter` reads the samples, tokenizes them with the answering model, trains a
LoRA against that model's own weights (trainer), writes it in llama.cpp's GGUF layout,
checks it with Docent's validation, measures it in llama.cpp (report) and only then moves
the adapter and its report into the library. A cancelled or failed run leaves nothing
there. torch, transformers and peft are imported only when training starts; an
installation without them (the lean package) is told how to get them first (stack).
"""

from __future__ import annotations

import json
import os
import shlex
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.adapters.files import check_adapter
from engine.adapters.library import NAME_RULE, AdapterLibrary
from engine.adapters.runtime import ActiveAdapter
from engine.adapters.writer import write_lora
from engine.answer.prompting import FULL_SHAPE, PromptShape
from engine.errors import UserInputError
from engine.hashing import file_sha256
from engine.jobs import CancelToken
from engine.models.generation import LlamaGenerator
from engine.training.dataset import build_dataset
from engine.training.report import compare_answers, perplexity
from engine.training.samples import load_samples
from engine.training.stack import check_training_stack
from engine.training.trainer import (
    TrainingConfig,
    TrainingProgress,
    TrainingProgressCallback,
    train_lora,
)

REPORT_SUFFIX = ".report.json"


@dataclass(frozen=True, slots=True)
class TrainingResult:
    name: str
    path: Path
    report_path: Path
    report: dict[str, Any]


def train_style_adapter(
    samples_path: str | Path,
    name: str,
    library: AdapterLibrary,
    generator: LlamaGenerator,
    config: TrainingConfig | None = None,
    progress: TrainingProgressCallback | None = None,
    cancel: CancelToken | None = None,
    replace: bool = False,
    compare: bool = True,
    shape: PromptShape = FULL_SHAPE,
    under: Sequence[ActiveAdapter] = (),
) -> TrainingResult | None:
    """Train `name` from the samples at `samples_path`; None when cancelled.

    Pairs are laid out in the prompt `shape` the adapter will answer in; `under` are the
    adapters it will be stacked on (the reader): it is trained, measured and compared
    on top of them."""
    check_training_stack()
    config = config or TrainingConfig()
    report_progress = progress or (lambda _p: None)
    _check_request(name, library, replace, config)
    samples = load_samples(samples_path)
    data = build_dataset(samples, generator, config.seed, shape)
    started = time.perf_counter()
    trained = train_lora(generator.path, generator.header, data, config, progress, cancel, under)
    if trained.stop_reason == "cancelled":
        return None

    report_progress(TrainingProgress("writing", trained.steps, trained.steps))
    library.folder.mkdir(parents=True, exist_ok=True)
    final = library.path_for(name)
    staged = library.folder / f".{name}.gguf.training"
    staged_report = library.folder / f".{name}{REPORT_SUFFIX}.training"
    base_sha256 = file_sha256(generator.path)
    try:
        summary = {
            "samples": len(samples.samples),
            "kind": samples.kind,
            "steps": trained.steps,
            "validation_loss": [
                round(trained.base_validation_loss, 4),
                round(trained.best_validation_loss, 4),
            ],
        }
        write_lora(
            staged,
            generator.header.architecture or "",
            trained.alpha,
            trained.weights,
            {
                "docent.base_model": generator.path.name,
                "docent.base_sha256": base_sha256,
                "docent.training": json.dumps(summary),
            },
            title=name,
            half_precision=True,
        )
        check_adapter(staged, generator.header)  # Docent's own validation, as for any file
        active = [*under, ActiveAdapter(staged, 1.0, name)]
        report_progress(TrainingProgress("checking", trained.steps, trained.steps))
        held_out = data.validation
        ppl_without = perplexity(generator, held_out, list(under), cancel)
        ppl_with = perplexity(generator, held_out, active, cancel)
        generator.set_adapters([])
        answers = []
        if compare and not (cancel is not None and cancel.cancelled):
            report_progress(TrainingProgress("comparing answers", trained.steps, trained.steps))
            answers = [
                pair.to_dict() for pair in compare_answers(generator, active, cancel, shape, under)
            ]
        if cancel is not None and cancel.cancelled:
            return None
        report = {
            "name": name,
            "created": time.strftime("%Y-%m-%d %H:%M:%S"),
            "command": command_line(samples_path, name, config),
            "base_model": {"file": generator.path.name, "sha256": base_sha256},
            "samples": {
                "path": str(Path(samples_path).expanduser().resolve()),
                "kind": samples.kind,
                "count": len(samples.samples),
                "files": len(samples.files),
                "train_examples": len(data.train),
                "validation_examples": len(data.validation),
                "train_tokens": data.train_tokens,
                "prompt_shape": shape.to_dict(),
                "trained_on_top_of": [a.label for a in under],
            },
            "settings": {
                "rank": trained.rank,
                "alpha": trained.alpha,
                "targets": list(trained.targets),
                "learning_rate": config.learning_rate,
                "steps": config.steps,
                "epochs": config.epochs if not config.steps else None,
                "max_minutes": config.max_minutes,
            },
            "training": {
                "steps": trained.steps,
                "epochs": trained.epochs,
                "seconds": trained.seconds,
                "train_seconds": trained.train_seconds,
                "stop_reason": trained.stop_reason,
                "best_step": trained.best_step,
                "tokens_seen": trained.train_tokens_seen,
                "tokens_per_s": round(trained.tokens_per_s, 1),
                "peak_rss_mb": trained.peak_rss_mb,
                "history": trained.history,
            },
            "validation": {
                "loss_without": round(trained.base_validation_loss, 4),
                "loss_with": round(trained.best_validation_loss, 4),
                "perplexity_without": round(ppl_without, 3),
                "perplexity_with": round(ppl_with, 3),
                "measured_by": "llama.cpp, the adapter file as written",
            },
            "answers": answers,
            "total_seconds": round(time.perf_counter() - started, 1),
        }
        staged_report.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        os.replace(staged_report, final.with_name(name + REPORT_SUFFIX))
        os.replace(staged, final)
    finally:
        if generator.loaded:
            generator.set_adapters([])
        staged.unlink(missing_ok=True)
        staged_report.unlink(missing_ok=True)
    return TrainingResult(name, final, final.with_name(name + REPORT_SUFFIX), report)


def read_report(library: AdapterLibrary, name: str) -> dict[str, Any] | None:
    path = library.path_for(name).with_name(name + REPORT_SUFFIX)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def command_line(samples_path: str | Path, name: str, config: TrainingConfig) -> str:
    words = ["docent", "adapters", "train", "--samples", str(samples_path), "--name", name]
    words += ["--rank", str(config.rank)]
    if config.steps:
        words += ["--steps", str(config.steps)]
    else:
        words += ["--epochs", f"{config.epochs:g}"]
    words += ["--max-minutes", f"{config.max_minutes:g}"]
    return shlex.join(words)


def _check_request(
    name: str, library: AdapterLibrary, replace: bool, config: TrainingConfig
) -> None:
    if not NAME_RULE.fullmatch(name):
        raise UserInputError(
            f"{name!r} cannot name an adapter: use up to 64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    if library.path_for(name).exists() and not replace:
        raise UserInputError(f"an adapter named {name!r} already exists; choose another --name")
    if not 1 <= config.rank <= 256:
        raise UserInputError(f"rank {config.rank} is outside 1 to 256")
    if config.steps is not None and config.steps < 1:
        raise UserInputError("--steps must be at least 1")
    if config.epochs <= 0 or config.max_minutes <= 0:
        raise UserInputError("--epochs and --max-minutes must be positive")
