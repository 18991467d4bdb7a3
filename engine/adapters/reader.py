"""The reader: the built-in adapter that teaches the bundled model to read its sources.

The bundled Gemma 3 270M is a pretrained base model: left alone it copies the worked
example, loops and never declines. The reader (trained by resources/reader/build.py on
Docent's own answer prompts, with the passages Docent's retrieval really returns) makes
it answer in a short phrase from the numbered sources, cite the source after the fact,
and say "The documents do not say." when they don't. It is applied under every voice
whenever the bundled model answers, and never to another model: it was trained against
that model's weights and prompt. The `reader` setting turns it off.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from engine.adapters.files import inspect_adapter, misfit
from engine.adapters.runtime import ActiveAdapter
from engine.answer.declining import DeclinePolicy
from engine.answer.prompting import NOT_FOUND
from engine.errors import AdapterError
from engine.models.choice import BUNDLED_FILE_NAME
from engine.models.gguf_file import GgufFile
from engine.resources import reader_adapter, reader_calibration

log = logging.getLogger(__name__)

READER_NAME = "reader"


@dataclass(frozen=True, slots=True)
class ReaderState:
    """Whether the reader applies to the model now answering, and why not if it does not."""

    path: Path
    applied: bool
    reason: str  # what a person reads in About and `docent adapters list`

    def to_dict(self) -> dict[str, object]:
        return {
            "name": READER_NAME,
            "path": str(self.path),
            "applied": self.applied,
            "reason": self.reason,
        }


def reader_state(model_path: Path, header: GgufFile, enabled: bool) -> ReaderState:
    """Does the reader apply to `model_path` (the bundled model only, when enabled)?"""
    path = reader_adapter()
    if not enabled:
        return ReaderState(path, False, "turned off in the settings (reader = false)")
    if model_path.name != BUNDLED_FILE_NAME:
        return ReaderState(path, False, "built for the bundled model; not applied to this one")
    if not path.is_file():
        return ReaderState(path, False, f"missing: {path} (rebuild it with `make reader`)")
    try:
        problem = misfit(inspect_adapter(path), header)
    except AdapterError as exc:
        return ReaderState(path, False, f"unusable: {exc}")
    if problem is not None:
        return ReaderState(path, False, f"does not fit this model: {problem}")
    return ReaderState(path, True, "built in: applied under every voice")


def decline_policy(state: ReaderState) -> DeclinePolicy | None:
    """How the reader declines: by the calibrated probability (engine.answer.declining), or by
    its first tokens alone when it does not apply or has no calibration file."""
    if not state.applied:
        return None
    path = reader_calibration()
    try:
        threshold = float(json.loads(path.read_text(encoding="utf-8"))["decline_threshold"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("reader calibration %s unusable (%s); declining greedily", path, exc)
        return None
    if not 0.0 < threshold <= 1.0:
        log.warning("reader calibration %s: threshold %s out of range", path, threshold)
        return None
    return DeclinePolicy(threshold, NOT_FOUND)


def reader_layer(state: ReaderState) -> list[ActiveAdapter]:
    """The adapters that go under a voice: the reader when it applies, else none."""
    return [ActiveAdapter(state.path, 1.0, READER_NAME)] if state.applied else []
