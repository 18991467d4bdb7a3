"""Shared fixtures: the real bundled embedder (loaded once) and small helpers."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
# A test that asks for one of these runs the real bundled models (or the SQuAD data):
# it is marked slow. `make test` runs everything; `make test-fast` leaves the slow out.
REAL_MODEL_FIXTURES = frozenset(
    {"embedder", "torch_embedder", "tokens", "model_path", "generator", "squad_zip"}
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if REAL_MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def embedder():
    """The bundled all-MiniLM-L6-v2 as the app runs it (ONNX Runtime), loaded once."""
    from engine.models.onnx_embedding import OnnxEmbedder

    model = OnnxEmbedder()
    model.load()
    return model


@pytest.fixture(scope="session")
def torch_embedder():
    """The same model in sentence-transformers on torch: the reference the ONNX one is
    checked against."""
    from engine.models.embedding import SentenceTransformerEmbedder

    model = SentenceTransformerEmbedder()
    model.load()
    return model


@pytest.fixture(scope="session")
def tokens(embedder):
    return embedder.tokens


@pytest.fixture()
def home(tmp_path: Path) -> Path:
    """A private DOCENT_HOME for one test."""
    path = tmp_path / "home"
    path.mkdir()
    return path


def shared_data(name: str) -> Path:
    """A file or folder under ../shared/data, or skip the test saying why."""
    path = SHARED_DATA / name
    if not path.exists():
        pytest.skip(f"shared evaluation data not present: {path}")
    return path


@pytest.fixture(scope="session")
def squad_zip() -> Path:
    return shared_data("squad-dev-v1.1.json.zip")


@pytest.fixture(scope="session")
def model_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled Gemma 3 270M GGUF, assembled from its packages once per session."""
    from engine.models.choice import bundled_model

    return bundled_model(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="session")
def generator(model_path: Path):
    """The bundled model in llama.cpp, for real (loaded once per test session)."""
    from engine.models.generation import LlamaGenerator

    model = LlamaGenerator(model_path, n_ctx=4096)
    model.load()
    yield model
    model.close()


SAMPLE_DOCS = REPO / "resources" / "sample-docs"


@contextlib.contextmanager
def sample_folder_assistant(root: Path, embedder, generator, settings=None) -> Iterator:
    """An Assistant in `root` with a copy of the sample folder added and indexed."""
    from engine.assistant import Assistant

    docs = root / "docs"
    shutil.copytree(SAMPLE_DOCS, docs)
    with Assistant(
        root / "home", settings=settings, embedder=embedder, generator=generator
    ) as assistant:
        assistant.add_folder(docs)
        assistant.index()
        yield assistant
