"""Docent's settings: one typed dataclass, stored as TOML, and where everything lives.

Everything Docent writes lives under two directories: the config dir (settings.toml) and
the data dir (database, vector index, models, adapters). `DOCENT_HOME` (or the CLI's
`--home`) moves both under one folder, for tests and portable use.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.answer.answering import RelevanceGate
from engine.errors import UserInputError
from engine.search.retrieval import DENSE_WEIGHT, RRF_K

APP_NAME = "Docent"
HOME_ENV = "DOCENT_HOME"


@dataclass(frozen=True, slots=True)
class Paths:
    """Where Docent keeps its files."""

    config_dir: Path
    data_dir: Path

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.toml"

    @property
    def database(self) -> Path:
        return self.data_dir / "docent.sqlite3"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def adapters_dir(self) -> Path:
        return self.data_dir / "adapters"

    def ensure(self) -> Paths:
        for directory in (self.config_dir, self.data_dir, self.index_dir):
            directory.mkdir(parents=True, exist_ok=True)
        return self


def resolve_paths(home: str | os.PathLike[str] | None = None) -> Paths:
    """The config and data dirs: `home`, else $DOCENT_HOME, else the platform's dirs."""
    home = home or os.environ.get(HOME_ENV)
    if home:
        root = Path(home).expanduser().resolve()
        return Paths(config_dir=root / "config", data_dir=root / "data")
    import platformdirs

    return Paths(
        config_dir=Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        data_dir=Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
    )


_GATE = RelevanceGate()  # the gate's calibrated values are defined once, with the gate


def _describe(text: str) -> dict[str, str]:
    return {"help": text}


@dataclass(frozen=True, slots=True)
class Settings:
    """Every user-tunable setting, with its default and a one-line description."""

    embedder: str = field(
        default="bundled:all-MiniLM-L6-v2",
        metadata=_describe(
            "Sentence embedder: 'bundled:all-MiniLM-L6-v2', or a local sentence-transformers "
            "dir (runs with embedder_runtime = 'torch')."
        ),
    )
    embedder_runtime: str = field(
        default="onnx",
        metadata=_describe(
            "How the embedder runs: 'onnx' (ONNX Runtime, no torch) or 'torch' (for comparison)."
        ),
    )
    embed_batch_size: int = field(default=32, metadata=_describe("Chunks embedded per batch."))
    chunk_tokens: int = field(
        default=200, metadata=_describe("Target chunk length in embedder tokens.")
    )
    chunk_max_tokens: int = field(
        default=250, metadata=_describe("Hard upper bound of a chunk in embedder tokens.")
    )
    chunk_overlap_tokens: int = field(
        default=40, metadata=_describe("Tokens repeated between neighbouring chunks.")
    )
    max_file_mb: float = field(
        default=100.0, metadata=_describe("Files larger than this are reported, not indexed.")
    )
    parse_timeout_s: float = field(
        default=60.0, metadata=_describe("Per-file parsing time limit in seconds.")
    )
    ocr: bool = field(
        default=True,
        metadata=_describe(
            "Read images (PNG, JPEG, TIFF) and scanned PDF pages by OCR (slow: seconds a page)."
        ),
    )
    ignore_patterns: tuple[str, ...] = field(
        default=(),
        metadata=_describe("Extra glob patterns to skip, on top of hidden files, .git etc."),
    )
    debounce_ms: int = field(
        default=300, metadata=_describe("Quiet time after a file change before re-indexing.")
    )
    hnsw_m: int = field(default=16, metadata=_describe("hnswlib graph degree M."))
    hnsw_ef_construction: int = field(
        default=100, metadata=_describe("hnswlib build-time candidate list size.")
    )
    hnsw_ef_search: int = field(
        default=96, metadata=_describe("hnswlib query-time candidate list size.")
    )
    search_k: int = field(default=8, metadata=_describe("Passages returned per search."))
    rrf_k: int = field(
        default=RRF_K,
        metadata=_describe("Reciprocal rank fusion constant (calibrated, docs/benchmarks.md)."),
    )
    rrf_dense_weight: float = field(
        default=DENSE_WEIGHT,
        metadata=_describe("Weight of the dense ranking against BM25's 1.0 in the fusion."),
    )
    model: str = field(
        default="bundled:gemma-3-270m-q4_k_m",
        metadata=_describe("Language model: 'bundled:gemma-3-270m-q4_k_m' or a GGUF file's path."),
    )
    n_ctx: int = field(
        default=4096, metadata=_describe("Model context in tokens (prompt plus answer).")
    )
    threads: int = field(
        default=0, metadata=_describe("CPU threads for the model; 0 = one per physical core.")
    )
    answer_tokens: int = field(
        default=256, metadata=_describe("Longest answer in tokens (reserved in the context).")
    )
    temperature: float = field(
        default=0.0, metadata=_describe("Sampling temperature; 0 always picks the likeliest.")
    )
    answer_sources: int = field(
        default=6, metadata=_describe("Passages retrieved for an answer, best first.")
    )
    relevance_similarity: float = field(
        default=_GATE.similarity,
        metadata=_describe("Relevance gate: a passage this similar to the question passes."),
    )
    relevance_coverage: float = field(
        default=_GATE.coverage,
        metadata=_describe("Relevance gate: so does one with this share of the question's words,"),
    )
    relevance_floor: float = field(
        default=_GATE.floor,
        metadata=_describe("...if at least this similar. None passes: 'not in your documents'."),
    )
    lookup_steps: int = field(
        default=0,
        metadata=_describe(
            "Extra searches an answer may make (questions that span documents); 0 = one search."
        ),
    )
    history_turns: int = field(
        default=2, metadata=_describe("Earlier turns of a conversation shown to the model.")
    )
    follow_up_weight: float = field(
        default=0.5,
        metadata=_describe("Weight of the conversation's context in follow-up retrieval."),
    )
    reader: bool = field(
        default=True,
        metadata=_describe(
            "Apply the built-in reader adapter when the bundled model answers (cites, declines)."
        ),
    )
    reader_sentences: int = field(
        default=3,
        metadata=_describe(
            "Sentences of each passage the reader is shown (most related first); 0 = all."
        ),
    )
    chat_template: str = field(
        default="",
        metadata=_describe("Jinja chat template to use instead of the model's own; '' = own."),
    )

    @staticmethod
    def describe() -> dict[str, str]:
        """Field name -> one-line description (for settings UIs and `--help`)."""
        return {f.name: f.metadata.get("help", "") for f in dataclasses.fields(Settings)}


def load_settings(paths: Paths) -> Settings:
    """Read settings.toml; missing keys take defaults, unknown keys are ignored."""
    file = paths.settings_file
    if not file.exists():
        return Settings()
    try:
        raw = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UserInputError(f"cannot read settings file {file}: {exc}") from exc
    known = {f.name: f for f in dataclasses.fields(Settings)}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        spec = known.get(key)
        if spec is None:
            continue
        default = spec.default
        if isinstance(default, tuple):
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise UserInputError(f"{file}: '{key}' must be a list of strings")
            value = tuple(value)
        elif isinstance(default, bool) or not isinstance(value, type(default)):
            if isinstance(default, float) and isinstance(value, int):
                value = float(value)
            elif type(value) is not type(default):
                raise UserInputError(
                    f"{file}: '{key}' must be {type(default).__name__}, got {value!r}"
                )
        values[key] = value
    return Settings(**values)


def save_settings(paths: Paths, settings: Settings) -> None:
    """Write settings.toml atomically, each value preceded by its description."""
    lines = ["# Docent settings. Delete a line to return to its default.", ""]
    for spec in dataclasses.fields(Settings):
        lines.append(f"# {spec.metadata.get('help', '')}")
        lines.append(f"{spec.name} = {_toml_value(getattr(settings, spec.name))}")
    paths.config_dir.mkdir(parents=True, exist_ok=True)
    tmp = paths.settings_file.with_suffix(".toml.tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, paths.settings_file)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_toml_string(str(v)) for v in value) + "]"
    raise TypeError(f"unsupported setting value {value!r}")


def _toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
