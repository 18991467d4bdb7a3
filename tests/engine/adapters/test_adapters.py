"""Adapter files and the adapter library: every check, against the real model's header."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest

from engine.adapters import AdapterChoice, AdapterLibrary, check_adapter, inspect_adapter
from engine.cli.adapters import add_voice_options, parse_voice, voice_from_args
from engine.errors import AdapterError, UserInputError
from engine.models.gguf_file import GgufFile, read_gguf
from tests.lora_files import write_adapter


@pytest.fixture(scope="module")
def model(model_path: Path) -> GgufFile:
    return read_gguf(model_path)


def test_a_good_adapter_is_described(tmp_path, model):
    path = write_adapter(tmp_path / "good.gguf", model, rank=4, alpha=8.0)
    info = check_adapter(path, model)
    assert info.architecture == "gemma3"
    assert info.rank == 4 and info.alpha == 8.0
    assert info.targets == ("attn_q", "attn_v", "ffn_down", "ffn_up")
    assert info.layers == 18 and len(info.pairs) == 4 * 18
    assert info.size == path.stat().st_size
    q = next(p for p in info.pairs if p.weight == "blk.0.attn_q.weight")
    assert q.base_shape == model.tensors["blk.0.attn_q.weight"].shape


def test_half_precision_adapters_are_accepted(tmp_path, model):
    path = write_adapter(tmp_path / "f16.gguf", model, dtype=np.float16, alpha=None)
    info = check_adapter(path, model)
    assert info.alpha is None


def _refusal(path: Path, model: GgufFile) -> str:
    with pytest.raises(AdapterError) as caught:
        check_adapter(path, model)
    message = str(caught.value)
    assert str(path) in message, message  # every refusal names the file
    return message


def test_not_gguf(tmp_path, model):
    path = tmp_path / "notes.gguf"
    path.write_text("these are my notes, not an adapter\n")
    assert "not a GGUF file" in _refusal(path, model)


def test_missing_file(tmp_path, model):
    assert "no such file" in _refusal(tmp_path / "absent.gguf", model)


def test_truncated(tmp_path, model):
    path = write_adapter(tmp_path / "cut.gguf", model)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    message = _refusal(path, model)
    assert "truncated" in message and f"{len(data) // 2:,}" in message
    path.write_bytes(data[:100])  # cut inside the header
    assert "truncated" in _refusal(path, model)


def test_a_whole_model_is_not_an_adapter(model, model_path):
    message = _refusal(model_path, model)
    assert "a whole model" in message and "choose it as the model" in message


def test_made_for_another_architecture(tmp_path, model):
    path = write_adapter(tmp_path / "llama.gguf", model, architecture="llama")
    message = _refusal(path, model)
    assert "made for a llama model" in message and "gemma3" in message


def test_made_for_another_model_of_the_same_family(tmp_path, model):
    path = write_adapter(tmp_path / "bigger.gguf", model, widen=512)
    message = _refusal(path, model)
    assert "640 -> 1536" in message and "640 -> 1024" in message
    assert "another gemma3 model" in message


def test_a_weight_the_model_does_not_have(tmp_path, model):
    path = write_adapter(tmp_path / "deeper.gguf", model, layers=[0], extra_layer=30)
    assert "blk.30.attn_q.weight, which the current model" in _refusal(path, model)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"general_type": "model"}, "a whole model"),
        ({"general_type": None}, "not a LoRA adapter"),
        ({"adapter_type": "control_vector"}, "'control_vector' adapter"),
        ({"adapter_type": None}, "does not say which kind of adapter"),
        ({"drop_b_of_first": True}, "has lora_a but no lora_b"),
        ({"untransposed_a": True}, "disagree on the rank"),
        ({"poison": True}, "NaN or infinite"),
        ({"alpha": float("inf")}, "not a positive number"),
    ],
)
def test_each_malformed_adapter_has_its_reason(tmp_path, model, options, expected):
    path = write_adapter(tmp_path / "bad.gguf", model, layers=[0, 1], **options)
    assert expected in _refusal(path, model)


def test_inspection_is_cached_but_sees_a_replaced_file(tmp_path, model):
    path = write_adapter(tmp_path / "x.gguf", model, rank=4)
    assert inspect_adapter(path).rank == 4
    write_adapter(path, model, rank=2, layers=[0])
    assert inspect_adapter(path).rank == 2


# -- library ---------------------------------------------------------------------------------


def test_library_add_list_remove(tmp_path, model):
    library = AdapterLibrary(tmp_path / "adapters")
    assert library.entries(model) == []
    source = write_adapter(tmp_path / "My Voice!.gguf", model)
    entry = library.add(source, model=model)
    assert entry.name == "My-Voice" and entry.usable
    assert library.path_for("My-Voice").read_bytes() == source.read_bytes()
    assert [p.name for p in library.folder.iterdir()] == ["My-Voice.gguf"]  # no .part left
    with pytest.raises(UserInputError, match="already exists"):
        library.add(source, model=model)
    other = write_adapter(tmp_path / "other.gguf", model, rank=2)
    assert library.add(other, name="My-Voice", replace=True, model=model).info.rank == 2
    (library.folder / "My-Voice.report.json").write_text("{}")
    library.remove("My-Voice")
    assert list(library.folder.iterdir()) == []
    with pytest.raises(UserInputError, match="no adapter named 'My-Voice'"):
        library.remove("My-Voice")


def test_library_refuses_bad_files_and_names(tmp_path, model, model_path):
    library = AdapterLibrary(tmp_path / "adapters")
    with pytest.raises(AdapterError, match="a whole model"):
        library.add(model_path)
    wider = write_adapter(tmp_path / "wider.gguf", model, widen=64)
    with pytest.raises(AdapterError, match="another gemma3 model"):
        library.add(wider, model=model)
    entry = library.add(wider, name="kept")  # kept for another model on purpose
    assert entry.info is not None
    assert not library.entry("kept", model).usable
    assert "another gemma3 model" in str(library.entry("kept", model).misfit)
    good = write_adapter(tmp_path / "good.gguf", model)
    for bad_name in ("", "../escape", ".hidden", "a/b", "x" * 65):
        with pytest.raises(UserInputError, match="cannot name an adapter"):
            library.add(good, name=bad_name)
    assert library.names() == ["kept"]


def test_a_library_file_damaged_later_is_listed_with_its_problem(tmp_path, model):
    library = AdapterLibrary(tmp_path / "adapters")
    library.add(write_adapter(tmp_path / "v.gguf", model), model=model)
    path = library.path_for("v")
    path.write_bytes(path.read_bytes()[:2000])
    (entry,) = library.entries(model)
    assert entry.info is None and "truncated" in str(entry.problem)
    assert entry.to_dict()["fits_model"] is False
    with pytest.raises(AdapterError, match="truncated"):
        library.info("v")


# -- choosing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [-0.1, 2.5, float("nan")])
def test_strength_is_bounded(scale):
    with pytest.raises(UserInputError, match="outside 0 to 2"):
        AdapterChoice("x", scale)


def test_voice_options_pair_each_scale_with_its_adapter():
    parser = argparse.ArgumentParser()
    add_voice_options(parser)
    args = parser.parse_args(["--adapter", "a", "--scale", "0.5", "--adapter", "b"])
    assert voice_from_args(args) == (AdapterChoice("a", 0.5), AdapterChoice("b", 1.0))
    assert voice_from_args(parser.parse_args([])) == ()
    with pytest.raises(SystemExit):
        parser.parse_args(["--scale", "0.5", "--adapter", "a"])
    with pytest.raises(SystemExit):
        parser.parse_args(["--adapter", "a", "--scale", "0.5", "--scale", "1"])


def test_chat_voice_words():
    assert parse_voice(["warm", "0.5", "concise"]) == (
        AdapterChoice("warm", 0.5),
        AdapterChoice("concise", 1.0),
    )
    assert parse_voice(["none"]) == ()
    with pytest.raises(UserInputError, match="must follow an adapter name"):
        parse_voice(["0.5"])


def test_the_writer_makes_adapters_the_checks_accept(tmp_path, model):
    from engine.adapters.writer import write_lora

    rng = np.random.default_rng(0)
    weights = {}
    for layer in (0, 5):
        name = f"blk.{layer}.attn_output.weight"
        size_in, size_out = model.tensors[name].shape
        weights[name] = (rng.standard_normal((4, size_in)), rng.standard_normal((size_out, 4)))
    path = write_lora(
        tmp_path / "w.gguf", "gemma3", 8.0, weights, {"docent.note": "x", "docent.steps": 3}, "W"
    )
    info = check_adapter(path, model)
    assert (info.rank, info.alpha, info.targets, info.layers) == (4, 8.0, ("attn_output",), 2)
    assert info.title == "W" and info.extra == {"docent.note": "x", "docent.steps": 3}
    assert [p.name for p in tmp_path.iterdir()] == ["w.gguf"]
    with pytest.raises(ValueError, match="not a LoRA pair"):
        write_lora(
            tmp_path / "bad.gguf",
            "gemma3",
            8.0,
            {"blk.0.attn_q.weight": (np.zeros((4, 640)), np.zeros((1024, 5)))},
        )
    assert [p.name for p in tmp_path.iterdir()] == ["w.gguf"]
