"""Docent's error types: one root, and a typed error per known condition.

Each message is a sentence a person can act on; the front ends show `str(error)`.
"""

from __future__ import annotations

from pathlib import Path


class DocentError(Exception):
    """Root of every error Docent raises on purpose."""


class UserInputError(DocentError):
    """The request itself is wrong (unknown folder, bad argument, unreadable query file)."""


class ParseError(DocentError):
    """A file could not be turned into text. `reason` is short and human ("too large")."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class SkippedFile(ParseError):
    """A file that is deliberately not indexed (binary, empty): reported, not a failure."""


class EmbedderMismatchError(DocentError):
    """The index was built by another embedder; re-embedding must be asked for explicitly."""


class ModelNotFoundError(DocentError):
    """A model file or bundled model package is missing."""


class StoreError(DocentError):
    """The database cannot be opened or written (disk full, permissions, newer schema)."""


class ModelFileError(DocentError):
    """A model or adapter file exists but is unusable (not GGUF, truncated, wrong kind)."""


class GenerationError(DocentError):
    """The language model failed while loading or answering."""


class AdapterError(DocentError):
    """A LoRA adapter that cannot be used: unreadable, not an adapter, or made for another
    model. Refused before llama.cpp sees it; the active adapters stay as they were."""


class TrainingError(DocentError):
    """Training a style adapter cannot start or go on (bad samples, no memory, a model
    transformers cannot read). Nothing is left behind in the adapter library."""


class TrainingUnavailableError(TrainingError):
    """This installation has no training stack (torch, transformers, PEFT): the lean
    package leaves it out. The message says how to get a Docent that trains."""


class EngineGoneError(DocentError):
    """The engine process is not running (it stopped, or never started)."""
