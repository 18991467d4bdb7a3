"""GGUF header checks: every bad model file is refused with its own reason."""

from __future__ import annotations

from pathlib import Path

import gguf
import numpy as np
import pytest

from engine.errors import ModelFileError, ModelNotFoundError
from engine.models.choice import check_model
from engine.models.gguf_file import read_gguf


def write_gguf(path: Path, kind: str = "model", template: str | None = None) -> Path:
    writer = gguf.GGUFWriter(str(path), "gemma3")
    writer.add_type(kind)
    writer.add_name("tiny test model")
    writer.add_context_length(2048)
    if template:
        writer.add_chat_template(template)
    writer.add_array("tokenizer.ggml.tokens", [f"t{i}" for i in range(200)])
    writer.add_tensor("blk.0.attn_q.weight", np.ones((8, 16), dtype=np.float32))
    writer.add_tensor("output_norm.weight", np.ones(16, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_reads_metadata_and_tensor_directory(tmp_path: Path) -> None:
    header = read_gguf(write_gguf(tmp_path / "m.gguf", template="{{ messages }}"))
    assert header.architecture == "gemma3" and header.file_type == "model"
    assert header.name == "tiny test model"
    assert header.context_length == 2048
    assert header.chat_template == "{{ messages }}"
    assert header.metadata["tokenizer.ggml.tokens"] == 200  # long arrays: only their length
    assert header.tensors["blk.0.attn_q.weight"].shape == (16, 8)  # ggml order
    assert header.required_size == header.file_size


def test_the_bundled_model_is_complete(model_path: Path) -> None:
    header = check_model(model_path)
    assert header.architecture == "gemma3"
    assert header.chat_template is None  # a pretrained base model
    assert header.required_size == model_path.stat().st_size


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match="no such file"):
        check_model(tmp_path / "absent.gguf")


def test_not_gguf(tmp_path: Path) -> None:
    path = tmp_path / "notes.gguf"
    path.write_text("just some text, not a model")
    with pytest.raises(ModelFileError, match=r"notes\.gguf: not a GGUF file"):
        check_model(path)


def test_truncated_in_the_data(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "m.gguf")
    data = path.read_bytes()
    path.write_bytes(data[:-100])
    with pytest.raises(ModelFileError, match=r"m\.gguf: truncated"):
        check_model(path)


def test_truncated_in_the_header(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "m.gguf")
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(ModelFileError, match="truncated inside the GGUF header"):
        check_model(path)


def test_adapter_is_not_a_model(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "style.gguf", kind="adapter")
    with pytest.raises(ModelFileError, match=r"style\.gguf: this is a LoRA adapter"):
        check_model(path)


def test_a_folder_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="not a file"):
        check_model(tmp_path)
