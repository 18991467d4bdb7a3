"""Which embedder runs: the bundled model in ONNX Runtime (the default, no torch) or in
sentence-transformers on torch (kept for comparison, tests and local model directories)."""

from __future__ import annotations

from pathlib import Path

from engine.errors import UserInputError
from engine.models.embedding import BUNDLED_EMBEDDER, Embedder, SentenceTransformerEmbedder
from engine.models.onnx_embedding import BUILD_FILE, OnnxEmbedder

ONNX_RUNTIME = "onnx"
TORCH_RUNTIME = "torch"
EMBEDDER_RUNTIMES = (ONNX_RUNTIME, TORCH_RUNTIME)


def open_embedder(spec: str, runtime: str = ONNX_RUNTIME, batch_size: int = 32) -> Embedder:
    """The embedder the settings name (`embedder`, `embedder_runtime`), not loaded yet."""
    if runtime == TORCH_RUNTIME:
        return SentenceTransformerEmbedder(spec, batch_size=batch_size)
    if runtime != ONNX_RUNTIME:
        raise UserInputError(
            f"embedder_runtime must be one of {', '.join(EMBEDDER_RUNTIMES)}, not {runtime!r}"
        )
    if spec == BUNDLED_EMBEDDER:
        return OnnxEmbedder(batch_size=batch_size)
    directory = Path(spec).expanduser()
    if (directory / BUILD_FILE).exists():  # a directory laid out as the build writes one
        return OnnxEmbedder(directory, batch_size=batch_size)
    raise UserInputError(
        f"the embedder {spec!r} is a sentence-transformers directory, which runs on torch: "
        f"set embedder_runtime = '{TORCH_RUNTIME}' (or use '{BUNDLED_EMBEDDER}')"
    )
