"""The bundled all-MiniLM-L6-v2 in ONNX Runtime: answers and indexing without torch.

The model file is built from the bundled package's weights by `resources/embedder/build.py`
(at `make` time; torch is needed for the export only). Its graph does what
sentence-transformers does for this model after the transformer: mean pooling over the
real tokens, then L2 normalisation. The tokenizer is the `tokenizers` package reading the
model's own tokenizer.json, truncating at the same max_seq_length (256 word pieces), so
token counts and vectors match the torch embedder (the build checks it and records the
cosines in build.json).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import subprocess
import sys
import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.errors import ModelNotFoundError
from engine.models.embedding import WordPieceTokens
from engine.resources import resources_dir

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Tokenizer

log = logging.getLogger(__name__)

BUILD_FORMAT = 1  # build.json's layout; another value means the directory must be rebuilt
MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
BUILD_FILE = "build.json"
BATCH_TOKENS = 2048  # padded tokens per batch: 8 chunks of 256, 32 queries of 64
MAX_THREADS = 4  # beyond this, a 6-layer MiniLM gains little and the parse worker loses


def bundled_onnx_directory() -> Path:
    """Where the built ONNX embedder lives (resources/embedder/all-MiniLM-L6-v2)."""
    return resources_dir() / "embedder" / "all-MiniLM-L6-v2"


def embedder_build_script() -> Path:
    return resources_dir() / "embedder" / "build.py"


@dataclass(frozen=True, slots=True)
class OnnxBuild:
    """What build.json says about a built model directory."""

    model_id: str
    dimension: int
    max_seq_length: int

    @classmethod
    def read(cls, directory: Path) -> OnnxBuild:
        file = directory / BUILD_FILE
        try:
            raw = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ModelNotFoundError(
                f"the embedder's build record {file} is missing or damaged ({exc}); "
                "rebuild it with `make` (python resources/embedder/build.py)"
            ) from exc
        if raw.get("format") != BUILD_FORMAT:
            raise ModelNotFoundError(
                f"the embedder in {directory} was built by another version of Docent; "
                "rebuild it with `make` (python resources/embedder/build.py)"
            )
        return cls(
            model_id=str(raw["model_id"]),
            dimension=int(raw["dimension"]),
            max_seq_length=int(raw["max_seq_length"]),
        )


def ensure_bundled_onnx(directory: Path | None = None) -> Path:
    """The built model directory; in a source checkout where it is missing and torch is
    installed, it is built now, in a child process so that this one never loads torch."""
    directory = directory or bundled_onnx_directory()
    if (directory / BUILD_FILE).exists():
        return directory
    script = embedder_build_script()
    frozen = getattr(sys, "frozen", False)
    if frozen or not script.exists() or importlib.util.find_spec("torch") is None:
        raise ModelNotFoundError(
            f"the bundled embedder has not been built ({directory} is missing); "
            "run `make` in the source tree (it runs resources/embedder/build.py)"
        )
    log.warning("building the ONNX embedder once into %s (needs torch)", directory)
    completed = subprocess.run(
        [sys.executable, str(script), "--output", str(directory)],
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0 or not (directory / BUILD_FILE).exists():
        raise ModelNotFoundError(
            f"building the ONNX embedder failed: {completed.stderr.strip()[-2000:]}"
        )
    return directory


def default_threads() -> int:
    """ONNX Runtime threads: the physical cores, at most MAX_THREADS (2 on a 2-core laptop).
    0 (ONNX Runtime's own default, also the physical cores) when psutil is not installed."""
    try:
        import psutil
    except ImportError:
        return 0
    physical = psutil.cpu_count(logical=False) or 0
    return min(MAX_THREADS, physical) if physical else 0


class OnnxEmbedder:
    """A built sentence-embedding ONNX model on the CPU, batched by token length."""

    def __init__(
        self,
        directory: Path | None = None,
        batch_size: int = 32,
        threads: int | None = None,
    ) -> None:
        self.directory = ensure_bundled_onnx(directory)
        self.build = OnnxBuild.read(self.directory)
        self.batch_size = batch_size
        self.batch_tokens = BATCH_TOKENS
        self.threads = default_threads() if threads is None else threads
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self.build.model_id

    @property
    def dimension(self) -> int:
        return self.build.dimension

    @cached_property
    def tokens(self) -> WordPieceTokens:
        return WordPieceTokens(self.directory)

    @cached_property
    def _tokenizer(self) -> Tokenizer:
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(self.directory / TOKENIZER_FILE))
        tokenizer.enable_truncation(max_length=self.build.max_seq_length)
        tokenizer.no_padding()  # each batch is padded to its own longest text
        return tokenizer

    @cached_property
    def _session(self) -> onnxruntime.InferenceSession:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        # every batch has another shape, so planning memory per shape only costs (about
        # 8% slower on the indexer's batches, measured); the arena still reuses memory
        options.enable_mem_pattern = False
        options.log_severity_level = 3
        try:
            return onnxruntime.InferenceSession(
                str(self.directory / MODEL_FILE), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # onnxruntime raises its own untyped errors for bad files
            raise ModelNotFoundError(
                f"cannot load the embedder model {self.directory / MODEL_FILE}: {exc}"
            ) from exc

    def load(self) -> None:
        """Load the model now rather than on first use."""
        _ = self._session, self._tokenizer

    def token_ids(self, texts: list[str]) -> list[list[int]]:
        """Each text's word pieces as the model sees them ([CLS] ... [SEP], truncated)."""
        return [encoding.ids for encoding in self._tokenizer.encode_batch(texts)]

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._lock:  # the session already uses every core it was given
            ids = self.token_ids(texts)
            vectors = np.empty((len(texts), self.dimension), dtype=np.float32)
            for batch in self._batches(ids):
                vectors[batch] = self._run([ids[i] for i in batch])
        return vectors

    def _batches(self, ids: list[list[int]]) -> list[list[int]]:
        """Indexes of `ids` in batches: longest first, so each batch pads to about its own
        length and the first shows the peak memory; at most `batch_size` texts and
        `batch_tokens` padded tokens each (on the CPU, smaller batches of long texts
        waste less on padding and attention than they lose in matrix size)."""
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
        batches: list[list[int]] = []
        for index in order:
            if batches:
                batch = batches[-1]
                width = len(ids[batch[0]])  # the longest, first
                if len(batch) < self.batch_size and (len(batch) + 1) * width <= self.batch_tokens:
                    batch.append(index)
                    continue
            batches.append([index])
        return batches

    def _run(self, batch: list[list[int]]) -> np.ndarray:
        width = max(len(ids) for ids in batch)
        input_ids = np.zeros((len(batch), width), dtype=np.int64)
        attention_mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, ids in enumerate(batch):
            input_ids[row, : len(ids)] = ids
            attention_mask[row, : len(ids)] = 1
        feeds: dict[str, Any] = {
            "input_ids": input_ids,
            "attention_mask": attention_mask,
            "token_type_ids": np.zeros_like(input_ids),
        }
        (output,) = self._session.run(["sentence_embedding"], feeds)
        return np.asarray(output, dtype=np.float32)
