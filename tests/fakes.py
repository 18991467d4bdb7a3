"""Fakes on the engine's own protocols, for tests whose subject is not the model.

`FakeEmbedder` (engine.models.embedding.Embedder) hashes words into a small vector: texts
that share words are similar, deterministic across processes, no model loaded. Tests
about retrieval quality, answers or the bundled models use the real ones (conftest).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from engine.assistant import Assistant

_WORD = re.compile(r"\w+")


class WhitespaceTokens:
    """A token per run of non-space characters (engine.models.embedding.TokenCounter)."""

    def token_offsets(self, text: str) -> list[tuple[int, int]]:
        return [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]


class FakeEmbedder:
    """Bag of hashed words, L2-normalised: cheap, deterministic, similar for shared words."""

    def __init__(self, model_id: str = "fake-hashed-words", dimension: int = 64) -> None:
        self._model_id = model_id
        self._dimension = dimension
        self._tokens = WhitespaceTokens()
        self.calls = 0
        self.texts_embedded = 0

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dimension(self) -> int:
        return self._dimension

    @property
    def tokens(self) -> WhitespaceTokens:
        return self._tokens

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        self.texts_embedded += len(texts)
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _WORD.findall(text.lower()):
                digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest, "little") % self._dimension] += 1.0
            if not out[row].any():
                out[row, 0] = 1.0
        return out / np.linalg.norm(out, axis=1, keepdims=True)


@contextlib.contextmanager
def indexed_folder(
    root: Path, files: dict[str, str], embedder: FakeEmbedder | None = None
) -> Iterator[Assistant]:
    """An Assistant under `root` whose folder holds `files` (name -> text), indexed."""
    from engine.assistant import Assistant

    docs = root / "docs"
    docs.mkdir()
    for name, text in files.items():
        (docs / name).write_text(text)
    with Assistant(root / "home", embedder=embedder or FakeEmbedder()) as assistant:
        assistant.add_folder(docs)
        assistant.index()
        yield assistant
