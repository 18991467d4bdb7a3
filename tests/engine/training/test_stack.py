"""Without the training stack (the lean package), training says how to get it, up front,
before the model loads, and without importing torch to find out."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from engine.cli.main import main
from engine.cli.terminal import EXIT_USER_ERROR
from engine.errors import TrainingError, TrainingUnavailableError
from engine.training import check_training_stack, training_unavailable
from engine.training.stack import missing_training_packages

real_find_spec = importlib.util.find_spec


@pytest.fixture()
def without(monkeypatch):
    """Make the named packages unimportable as far as find_spec can tell."""

    def hide(*names: str) -> None:
        def find_spec(name: str, package: str | None = None):
            if name.split(".")[0] in names:
                return None
            return real_find_spec(name, package)

        monkeypatch.setattr(importlib.util, "find_spec", find_spec)

    return hide


def test_the_development_install_has_the_training_stack():
    assert missing_training_packages() == ()
    assert training_unavailable() is None
    check_training_stack()  # raises nothing


def test_a_missing_package_is_named_and_refused(without):
    without("peft")
    assert missing_training_packages() == ("peft",)
    with pytest.raises(TrainingUnavailableError, match="needs PEFT") as raised:
        check_training_stack()
    assert isinstance(raised.value, TrainingError)  # the front ends show it as one
    assert "make install" in str(raised.value)


def test_the_lean_package_says_to_get_the_full_one(without, monkeypatch):
    without("torch", "transformers", "peft")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    message = training_unavailable()
    assert message is not None
    assert message.startswith("Training a voice needs the full Docent package")
    assert "the lean one, without PyTorch, transformers and PEFT" in message
    if sys.platform.startswith("linux"):
        assert "docent-" in message and "-linux-" in message and ".tar.gz" in message


def test_the_cli_refuses_training_before_any_work(without, tmp_path, capsys, monkeypatch):
    import engine.training

    def train_style_adapter(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("training started without its packages")

    monkeypatch.setattr(engine.training, "train_style_adapter", train_style_adapter)
    without("torch")
    samples = tmp_path / "writing"
    samples.mkdir()
    (samples / "notes.md").write_text("One paragraph.\n\nAnother paragraph.\n")
    home = str(tmp_path / "home")
    code = main(["--home", home, "adapters", "train", "--samples", str(samples), "--name", "x"])
    assert code == EXIT_USER_ERROR
    assert capsys.readouterr().err.startswith("docent: Training a voice needs PyTorch")
