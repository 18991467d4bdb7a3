"""Training a style adapter from a person's own writing, offline, into the adapter library.

torch, transformers and peft are imported only when training starts (trainer); `stack`
says whether this installation has them (the lean package does not).
"""

from engine.hashing import file_sha256
from engine.training.stack import check_training_stack, training_unavailable
from engine.training.style import (
    TrainingResult,
    command_line,
    read_report,
    train_style_adapter,
)
from engine.training.trainer import TrainingConfig, TrainingProgress

__all__ = [
    "TrainingConfig",
    "TrainingProgress",
    "TrainingResult",
    "check_training_stack",
    "command_line",
    "file_sha256",
    "read_report",
    "train_style_adapter",
    "training_unavailable",
]
