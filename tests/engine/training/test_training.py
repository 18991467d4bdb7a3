"""Training a style adapter for real: the bundled model, transformers + PEFT, llama.cpp."""

from __future__ import annotations

import json
import random
import re

import pytest

from engine.adapters import ActiveAdapter, AdapterLibrary, check_adapter
from engine.errors import TrainingError, UserInputError
from engine.jobs import CancelToken
from engine.models.generation import Segment
from engine.training import TrainingConfig, file_sha256, train_style_adapter
from engine.training.dataset import build_dataset
from engine.training.samples import load_samples

# -- samples -----------------------------------------------------------------------------------


def test_an_empty_folder_is_refused(tmp_path):
    with pytest.raises(TrainingError, match=re.escape("no sample files (it is empty)")):
        load_samples(tmp_path)


def test_a_folder_of_other_files_is_refused(tmp_path):
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.7")
    with pytest.raises(TrainingError, match=re.escape("no sample files (it holds 1 other files)")):
        load_samples(tmp_path)


def test_binary_data_is_refused_with_the_file_named(tmp_path):
    (tmp_path / "good.txt").write_text("One paragraph.\n\nAnother.\n\nA third.\n\nA fourth.\n")
    bad = tmp_path / "photo.txt"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(TrainingError, match=f"{bad}: binary data"):
        load_samples(tmp_path)
    latin = tmp_path / "photo.txt"
    latin.write_bytes("caf\xe9 cr\xe8me".encode("latin-1"))
    with pytest.raises(TrainingError, match="not UTF-8 text"):
        load_samples(tmp_path)


def test_one_line_is_not_enough(tmp_path):
    path = tmp_path / "note.txt"
    path.write_text("Just one line of my writing.\n")
    with pytest.raises(TrainingError, match="only a single line; training needs at least 4"):
        load_samples(path)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "line 2: not JSON"),
        ('["a list"]', "line 2: expected an object"),
        ('{"prompt": "", "response": "x"}', 'line 2: "prompt" must be non-empty'),
        ('{"prompt": "q", "response": 3}', 'line 2: "response" must be non-empty'),
        ('{"prompt": "q", "response": "r", "sources": "text"}', '"sources" must be a list'),
    ],
)
def test_bad_pairs_name_the_line(tmp_path, line, message):
    path = tmp_path / "pairs.jsonl"
    path.write_text('{"prompt": "q", "response": "r"}\n' + line + "\n")
    with pytest.raises(TrainingError, match=message):
        load_samples(path)


def test_pairs_and_text_do_not_mix(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"prompt": "q", "response": "r"}\n')
    (tmp_path / "b.txt").write_text("text\n")
    with pytest.raises(TrainingError, match="mixes JSONL pairs"):
        load_samples(tmp_path)


def test_a_missing_path(tmp_path):
    with pytest.raises(TrainingError, match="no such file or folder"):
        load_samples(tmp_path / "nowhere")


# -- a real run --------------------------------------------------------------------------------

SEA = ["tide", "anchor", "gull", "harbour", "rope", "compass", "lantern", "keel", "sail"]
THINGS = ["the budget", "the meeting", "the report", "the garden", "the invoice", "lunch"]


def pirate_voice(count: int, seed: int) -> str:
    """A voice no base model writes in: every paragraph shaped the same odd way."""
    rng = random.Random(seed)
    paragraphs = []
    for _ in range(count):
        a, b, c = rng.sample(SEA, 3)
        thing = rng.choice(THINGS)
        paragraphs.append(
            f"Arr, {thing} be tied to the {a}, matey. Hoist the {b} and mind the {c}, "
            f"for {thing} waits for no sailor. Yo ho, {thing} is done by the {a}!"
        )
    return "\n\n".join(paragraphs) + "\n"


@pytest.fixture(scope="module")
def trained(tmp_path_factory, generator):
    root = tmp_path_factory.mktemp("training")
    samples = root / "voice"
    samples.mkdir()
    (samples / "letters.txt").write_text(pirate_voice(24, seed=1))
    library = AdapterLibrary(root / "adapters")
    seen = []
    result = train_style_adapter(
        samples,
        "pirate",
        library,
        generator,
        TrainingConfig(rank=4, steps=12, eval_every=6),
        progress=seen.append,
    )
    return result, library, seen, samples


def test_training_writes_an_adapter_that_passes_validation_and_loads(trained, generator):
    result, library, seen, _ = trained
    assert result is not None and result.path == library.path_for("pirate")
    info = check_adapter(result.path, generator.header)
    assert info.rank == 4 and info.alpha == 8.0 and info.layers == 18
    assert set(info.targets) == {
        "attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down"
    }  # fmt: skip
    assert info.extra["docent.base_sha256"] == file_sha256(generator.path)
    prompt = generator.tokenize([Segment("Dear team, about the quarterly plan:")], bos=True)
    generator.set_adapters([])
    plain = "".join(generator.stream(prompt, 24))
    generator.set_adapters([ActiveAdapter(result.path, 1.0, "pirate")])
    try:
        voiced = "".join(generator.stream(prompt, 24))
    finally:
        generator.set_adapters([])
    assert voiced != plain
    phases = [p.phase for p in seen]
    assert phases[0] == "loading model" and "training" in phases and "writing" in phases
    steps = [p.step for p in seen if p.phase == "training"]
    assert steps == sorted(steps) and steps[-1] == 12


def test_the_trained_voice_is_more_likely_on_held_out_samples(trained):
    result, _, _, _ = trained
    validation = result.report["validation"]
    # Measured in llama.cpp on the written file: this also proves the export is right.
    assert validation["perplexity_with"] < validation["perplexity_without"]
    assert validation["loss_with"] < validation["loss_without"]


def test_the_report_is_saved_beside_the_adapter(trained):
    result, library, _, samples = trained
    saved = json.loads(result.report_path.read_text())
    assert saved == result.report
    assert saved["samples"]["kind"] == "text" and saved["samples"]["count"] == 24
    assert saved["training"]["steps"] == 12 and saved["training"]["peak_rss_mb"] > 0
    assert saved["command"].startswith(f"docent adapters train --samples {samples}")
    assert [a["question"] for a in saved["answers"]] == [
        "How much does membership cost?",
        "When is the workshop open?",
        "What does it cost to replace a lost key fob?",
    ]
    assert all(a["before"] and a["after"] for a in saved["answers"])
    assert sorted(p.name for p in library.folder.iterdir()) == ["pirate.gguf", "pirate.report.json"]


def test_dataset_windows_and_validation_split(tmp_path, generator):
    path = tmp_path / "v.txt"
    path.write_text(pirate_voice(30, seed=2))
    data = build_dataset(load_samples(path), generator)
    assert data.validation and data.train
    for example in (*data.train, *data.validation):
        assert example.target_start == 1 and len(example.tokens) <= 257


def test_pairs_are_trained_in_the_real_answer_prompt(tmp_path, generator):
    path = tmp_path / "p.jsonl"
    lines = [
        {"prompt": f"When does ferry {n} leave?", "response": f"At {n}:00 [1].",
         "sources": [f"Ferry {n} leaves at {n}:00 from pier B."]}
        for n in range(6)
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    data = build_dataset(load_samples(path), generator)
    example = data.train[0]
    prompt_text = generator.detokenize(example.tokens[: example.target_start])
    answer_text = generator.detokenize(example.tokens[example.target_start :])
    assert "pier B" in prompt_text and prompt_text.rstrip().endswith("Answer:")
    assert answer_text.startswith(" At ") and answer_text.endswith("[1].\n\n")


def test_pairs_show_their_sources_file_names_in_the_prompt_shape_asked_for(tmp_path, generator):
    from engine.answer.prompting import EXAMPLE_QUESTION, READER_SHAPE

    path = tmp_path / "p.jsonl"
    lines = [
        {"prompt": f"When does ferry {n} leave?", "response": f"At {n}:00 [2].",
         "sources": ["Bus 4 stops at the pier.",
                     {"name": f"ferries-{n}.md", "text": f"Ferry {n} leaves at {n}:00."}]}
        for n in range(6)
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n")
    samples = load_samples(path)
    assert samples.samples[0].source_names == ("", "ferries-0.md")
    for shape, example_shown in ((READER_SHAPE, False), (None, True)):
        data = build_dataset(samples, generator, **({"shape": shape} if shape else {}))
        prompt_text = generator.detokenize(data.train[0].tokens[: data.train[0].target_start])
        assert "[1] source-1.txt\nBus 4" in prompt_text
        assert "[2] ferries-" in prompt_text
        assert (EXAMPLE_QUESTION in prompt_text) is example_shown


def test_a_source_that_is_neither_text_nor_a_named_passage_is_refused(tmp_path):
    path = tmp_path / "pairs.jsonl"
    path.write_text('{"prompt": "q", "response": "r", "sources": [{"name": "a.txt"}]}\n')
    with pytest.raises(TrainingError, match='line 1: "sources" must be a list of passages'):
        load_samples(path)


@pytest.mark.parametrize("phase", ["training", "checking"])
def test_cancel_leaves_nothing_behind(tmp_path, generator, phase):
    samples = tmp_path / "voice.txt"
    samples.write_text(pirate_voice(12, seed=3))
    library = AdapterLibrary(tmp_path / "adapters")
    cancel = CancelToken()

    def progress(p):
        if p.phase == phase and (phase != "training" or p.step >= 2):
            cancel.cancel()

    result = train_style_adapter(
        samples, "never", library, generator, TrainingConfig(rank=2, steps=6), progress, cancel
    )
    assert result is None
    assert not library.folder.exists() or list(library.folder.iterdir()) == []
    assert generator.adapters == ()


def test_a_name_in_use_is_refused_before_any_work(tmp_path, generator):
    from tests.lora_files import write_adapter

    library = AdapterLibrary(tmp_path / "adapters")
    library.add(write_adapter(tmp_path / "x.gguf", generator.header), "taken")
    with pytest.raises(UserInputError, match="already exists"):
        train_style_adapter(tmp_path / "nowhere", "taken", library, generator)
