"""The ONNX Runtime embedder against the torch one it replaces, and choosing between them."""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from engine.errors import ModelNotFoundError, UserInputError
from engine.models import onnx_embedding
from engine.models.embedder_choice import open_embedder
from engine.models.embedding import BUNDLED_EMBEDDER, SentenceTransformerEmbedder
from engine.models.onnx_embedding import BUILD_FILE, OnnxBuild, OnnxEmbedder
from tests.conftest import SAMPLE_DOCS, SHARED_DATA

MIN_COSINE = 0.99  # issue 18: existing stores stay valid at this agreement or better
SQUAD = SHARED_DATA / "squad-dev-v1.1.json.zip"

QUERIES = [
    "When does the general assembly meet?",
    "how much does membership cost for students",
    "Which NFL team represented the AFC at Super Bowl 50?",
    "opening hours",
    "x",
    "",
]
NON_ASCII = [
    "Die Mitgliederversammlung tagt zweimal im Jahr, im März und im Oktober.",
    "L'adhésion coûte 35 euros par mois ; les étudiants paient un tarif réduit.",
    "東京の図書館は午前九時に開館します。",
    "Η συνέλευση των μελών συνεδριάζει δύο φορές τον χρόνο.",
    "Ünïcödé naïve café — résumé 😀👍",
]


def varied_sample() -> list[str]:
    """About 50 texts: SQuAD dev paragraphs (when the shared data is here), the sample
    folder's paragraphs, short queries, texts past the 256-token limit, non-ASCII."""
    paragraphs: list[str] = []
    if SQUAD.exists():
        with zipfile.ZipFile(SQUAD) as archive:
            name = next(n for n in archive.namelist() if n.endswith(".json"))
            articles = json.loads(archive.read(name))["data"]
        paragraphs = [p["context"] for a in articles[:30:3] for p in a["paragraphs"][:2]]
    for document in sorted(SAMPLE_DOCS.iterdir()):
        text = document.read_text(encoding="utf-8")
        paragraphs += [p.strip() for p in text.split("\n\n") if len(p.strip()) > 20]
    long_texts = [" ".join(paragraphs[:8]), " ".join(paragraphs[::-1]) * 2]
    return paragraphs + QUERIES + NON_ASCII + long_texts


@pytest.fixture(scope="module")
def sample() -> list[str]:
    return varied_sample()


def test_onnx_vectors_match_torch_on_a_varied_sample(embedder, torch_embedder, sample):
    assert isinstance(embedder, OnnxEmbedder)
    assert isinstance(torch_embedder, SentenceTransformerEmbedder)
    onnx_vectors = embedder.embed(sample)
    torch_vectors = torch_embedder.embed(sample)
    assert onnx_vectors.shape == torch_vectors.shape == (len(sample), 384)
    assert onnx_vectors.dtype == np.float32
    cosines = np.sum(onnx_vectors * torch_vectors, axis=1)
    print(
        f"\n{len(sample)} texts: cosine ONNX vs torch min {cosines.min():.6f} "
        f"mean {cosines.mean():.6f}"
    )
    assert len(sample) >= 40 if SQUAD.exists() else len(sample) >= 20
    assert cosines.min() >= MIN_COSINE
    # the same vectors, so the same model id: stores built by either stay valid
    assert embedder.model_id == torch_embedder.model_id == BUNDLED_EMBEDDER
    assert embedder.dimension == torch_embedder.dimension


def test_onnx_counts_the_same_tokens_as_sentence_transformers(embedder, torch_embedder, sample):
    features = torch_embedder._model.preprocess(sample)
    expected = features["attention_mask"].sum(dim=1).tolist()
    counted = [len(ids) for ids in embedder.token_ids(sample)]
    assert counted == expected
    assert max(counted) == 256  # the long texts are cut where sentence-transformers cuts
    # chunking sees the same word pieces from either embedder
    text = sample[0]
    assert embedder.tokens.token_offsets(text) == torch_embedder.tokens.token_offsets(text)


def test_a_text_embeds_the_same_alone_and_in_a_batch(embedder, sample):
    batch = embedder.embed(sample)
    alone = np.vstack([embedder.embed([text]) for text in sample])
    assert np.sum(batch * alone, axis=1).min() > 0.9999
    assert np.allclose(np.linalg.norm(batch, axis=1), 1.0, atol=1e-5)
    assert embedder.embed([]).shape == (0, 384)


def test_the_build_record_reports_its_check(embedder):
    record = json.loads((embedder.directory / BUILD_FILE).read_text(encoding="utf-8"))
    assert record["model_id"] == BUNDLED_EMBEDDER
    assert record["check"]["cosine_min"] >= MIN_COSINE
    assert record["check"]["token_counts_equal"] is True


def test_the_large_weights_are_stored_in_half_precision_and_computed_in_full(embedder):
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(embedder.directory / onnx_embedding.MODEL_FILE))
    weights = {w.name: numpy_helper.to_array(w) for w in model.graph.initializer}
    large = {name: values for name, values in weights.items() if values.size >= 1024}
    assert large and all(values.dtype == np.float16 for values in large.values())
    casts = {node.input[0]: node for node in model.graph.node if node.op_type == "Cast"}
    for name in large:  # each one turns back into fp32 before anything uses it
        (to,) = (a.i for a in casts[name].attribute if a.name == "to")
        assert to == onnx.TensorProto.FLOAT
    assert (embedder.directory / onnx_embedding.MODEL_FILE).stat().st_size < 50e6


def test_a_store_built_on_one_runtime_opens_on_the_other(tmp_path, embedder, torch_embedder):
    from engine.assistant import Assistant

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "bees.md").write_text("A honey bee colony keeps one queen.\n", encoding="utf-8")
    with Assistant(tmp_path / "home", embedder=torch_embedder) as assistant:
        assistant.add_folder(docs)
        assistant.index()
    with Assistant(tmp_path / "home", embedder=embedder) as assistant:
        hits = assistant.search("how many queens does a colony keep")
    assert hits and hits[0].path.endswith("bees.md")  # no EmbedderMismatchError


# -- choosing the runtime (no model is loaded) ------------------------------------------


def test_the_settings_choose_the_runtime():
    assert isinstance(open_embedder(BUNDLED_EMBEDDER, "torch"), SentenceTransformerEmbedder)
    assert isinstance(open_embedder(BUNDLED_EMBEDDER, "onnx", batch_size=8), OnnxEmbedder)
    with pytest.raises(UserInputError, match="embedder_runtime"):
        open_embedder(BUNDLED_EMBEDDER, "tensorflow")


def test_a_sentence_transformers_directory_needs_the_torch_runtime(tmp_path):
    (tmp_path / "modules.json").write_text("[]", encoding="utf-8")
    with pytest.raises(UserInputError, match="embedder_runtime = 'torch'"):
        open_embedder(str(tmp_path), "onnx")
    assert isinstance(open_embedder(str(tmp_path), "torch"), SentenceTransformerEmbedder)


def test_the_torch_runtime_without_torch_says_what_to_set(monkeypatch):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # a lean installation
    with pytest.raises(ModelNotFoundError, match="embedder_runtime = 'onnx'"):
        SentenceTransformerEmbedder().load()


def test_a_missing_or_stale_build_is_reported_with_the_way_out(tmp_path, monkeypatch):
    missing = tmp_path / "all-MiniLM-L6-v2"
    monkeypatch.setattr(onnx_embedding.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelNotFoundError, match="run `make`"):
        OnnxEmbedder(missing)
    missing.mkdir()
    (missing / BUILD_FILE).write_text(json.dumps({"format": 0}), encoding="utf-8")
    with pytest.raises(ModelNotFoundError, match="another version"):
        OnnxBuild.read(missing)
    (missing / BUILD_FILE).write_text("{", encoding="utf-8")
    with pytest.raises(ModelNotFoundError, match="damaged"):
        OnnxBuild.read(missing)


def test_batches_go_longest_first_within_the_text_and_token_limits():
    embedder = OnnxEmbedder(batch_size=4)
    embedder.batch_tokens = 600
    lengths = [10, 250, 12, 200, 11, 9, 13, 14, 8, 15, 180]
    batches = embedder._batches([[0] * n for n in lengths])
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    assert [lengths[i] for i in batches[0]] == [250, 200]  # a third would pad past 600
    assert [lengths[i] for i in batches[1]] == [180, 15, 14]  # 4 * 180 would pass 600
    for batch in batches:
        widths = [lengths[i] for i in batch]
        assert widths == sorted(widths, reverse=True) and len(batch) <= 4
        assert len(batch) == 1 or len(batch) * widths[0] <= 600


def test_the_onnx_runtime_threads_fit_a_small_laptop():
    assert 0 <= onnx_embedding.default_threads() <= onnx_embedding.MAX_THREADS


def test_the_built_model_lives_with_the_resources():
    directory = onnx_embedding.bundled_onnx_directory()
    assert directory.parent == Path(onnx_embedding.embedder_build_script()).parent
