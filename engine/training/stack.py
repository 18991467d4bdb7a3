"""The training stack (torch, transformers, PEFT): whether this installation has it.

The lean package leaves it out (installers/README.md); indexing, search, answers and
voices never need it. Training checks up front, with `importlib.util.find_spec`, so the
check itself imports none of them and a person learns how to get training before any
work starts.
"""

from __future__ import annotations

import importlib.util
import platform
import sys

import engine
from engine.errors import TrainingUnavailableError

# import name -> what a person knows it as
TRAINING_PACKAGES = {"torch": "PyTorch", "transformers": "transformers", "peft": "PEFT"}


def missing_training_packages() -> tuple[str, ...]:
    """The training packages this installation cannot import (none in the full one)."""
    return tuple(name for name in TRAINING_PACKAGES if importlib.util.find_spec(name) is None)


def training_unavailable() -> str | None:
    """Why training cannot run here, in a sentence that says how to get it; None when it
    can."""
    missing = missing_training_packages()
    if not missing:
        return None
    names = _listed([TRAINING_PACKAGES[name] for name in missing])
    if getattr(sys, "frozen", False):
        return (
            f"Training a voice needs the full Docent package: this is the lean one, without "
            f"{names}. Install {_full_package_name()} (the same app with the training "
            f"stack), or run Docent from source (make install, then make run)."
        )
    return (
        f"Training a voice needs {names}, which this installation lacks: install them "
        f"(make install in a source checkout, or pip install -c installers/constraints.txt "
        f"torch==2.13.0 transformers peft)."
    )


def _listed(names: list[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def check_training_stack() -> None:
    """Raise TrainingUnavailableError, saying how to get training, when it cannot run."""
    reason = training_unavailable()
    if reason is not None:
        raise TrainingUnavailableError(reason)


def _full_package_name() -> str:
    if sys.platform.startswith("linux"):
        return f"the full package, docent-{engine.__version__}-linux-{platform.machine()}.tar.gz"
    return f"the full Docent {engine.__version__} package"
