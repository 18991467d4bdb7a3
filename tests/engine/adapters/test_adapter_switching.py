"""Hot-swapping LoRA adapters on the real bundled model (greedy decoding, real files)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine.adapters import ActiveAdapter, AdapterChoice
from engine.answer.answering import Answer
from engine.answer.conversation import Conversation
from engine.errors import AdapterError, UserInputError
from engine.models.generation import LlamaGenerator, Segment, _truncate_cache
from tests.conftest import sample_folder_assistant
from tests.lora_files import LOUD, write_adapter

PROMPT = "The capital of France is a city where"
LENGTH = 24


@pytest.fixture(scope="module")
def files(tmp_path_factory, generator) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("adapters")
    model = generator.header
    return {
        "a": write_adapter(root / "a.gguf", model, seed=1),
        "b": write_adapter(root / "b.gguf", model, seed=2),
        # loud enough to change what the reader-steered model answers
        "loud": write_adapter(root / "loud.gguf", model, seed=1, magnitude=LOUD),
        "wider": write_adapter(root / "wider.gguf", model, widen=64, seed=3),
        "llama": write_adapter(root / "llama.gguf", model, architecture="llama"),
        "nan": write_adapter(root / "nan.gguf", model, poison=True),
        "unpaired": write_adapter(root / "unpaired.gguf", model, drop_b_of_first=True),
    }


@pytest.fixture()
def model(generator: LlamaGenerator):
    """The session's model, handed back bare whatever the test did."""
    yield generator
    generator.set_adapters([])


def complete(model: LlamaGenerator, text: str = PROMPT) -> str:
    tokens = model.tokenize([Segment(text)], bos=True)
    return "".join(model.stream(tokens, LENGTH))


def use(model: LlamaGenerator, *pairs: tuple[Path, float]) -> None:
    model.set_adapters([ActiveAdapter(path, scale) for path, scale in pairs])


def test_an_adapter_changes_the_output_and_clearing_restores_it(model, files):
    base = complete(model)
    use(model, (files["a"], 1.0))
    assert model.llama.n_tokens == 0  # nothing computed under the bare model survives
    with_a = complete(model)
    assert with_a != base
    use(model)
    assert model.adapters == ()
    assert complete(model) == base


def test_switching_a_to_b_gives_what_a_fresh_load_with_b_gives(model, files, model_path):
    use(model, (files["a"], 1.0))
    complete(model)
    use(model, (files["b"], 1.0))
    switched = complete(model)
    fresh = LlamaGenerator(model_path, n_ctx=model.n_ctx)
    try:
        use(fresh, (files["b"], 1.0))
        assert complete(fresh) == switched
    finally:
        fresh.close()


def test_scale_zero_is_no_adapter(model, files):
    base = complete(model)
    use(model, (files["a"], 0.0))
    assert model.adapters == ()
    assert complete(model) == base


def test_strength_and_stacking_change_the_output(model, files):
    use(model, (files["a"], 1.0))
    full = complete(model)
    use(model, (files["a"], 0.5))
    half = complete(model)
    use(model, (files["a"], 1.0), (files["b"], 1.0))
    stacked = complete(model)
    use(model, (files["b"], 1.0))
    only_b = complete(model)
    assert len({full, half, stacked, only_b}) == 4


def test_each_set_keeps_its_own_prompt_cache(model, files):
    use(model, (files["a"], 1.0))
    with_a = complete(model)
    use(model, (files["b"], 0.7))  # a set no earlier test used
    assert model.last_restored == 0
    complete(model)
    use(model, (files["a"], 1.0))
    assert model.last_restored > 0  # a's own cache came back ...
    assert complete(model) == with_a  # ... and gives a's output exactly
    prompt = model.tokenize([Segment(PROMPT)], bos=True)
    assert model.last_reused == len(prompt) - 1  # the whole prompt was found cached


def test_adapters_no_longer_active_are_freed(model, files):
    use(model, (files["a"], 1.0), (files["b"], 1.0))
    assert model._adapters.loaded == 2
    use(model, (files["b"], 1.0))
    assert model._adapters.loaded == 1
    use(model)
    assert model._adapters.loaded == 0


def test_a_replaced_file_is_loaded_again(model, files, tmp_path):
    path = tmp_path / "retrained.gguf"
    shutil.copyfile(files["a"], path)
    use(model, (path, 1.0))
    first = complete(model)
    write_adapter(path, model.header, seed=7)
    use(model, (path, 1.0))
    assert model.llama.n_tokens == 0  # another file: the cache is not the same set's
    assert complete(model) != first


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("wider", "another gemma3 model"),
        ("llama", "made for a llama model"),
        ("nan", "NaN or infinite"),
        ("unpaired", "has lora_a but no lora_b"),
        ("model", "a whole model"),
        ("text", "not a GGUF file"),
        ("truncated", "truncated"),
    ],
)
def test_bad_files_are_refused_and_the_current_set_stays(
    model, files, model_path, tmp_path, kind, expected
):
    if kind == "model":
        bad = model_path
    elif kind == "text":
        bad = tmp_path / "text.gguf"
        bad.write_text("hello")
    elif kind == "truncated":
        bad = tmp_path / "cut.gguf"
        bad.write_bytes(files["a"].read_bytes()[:-1000])
    else:
        bad = files[kind]
    use(model, (files["a"], 1.0))
    with_a = complete(model)
    with pytest.raises(AdapterError, match=expected):
        use(model, (files["b"], 1.0), (bad, 1.0))
    assert [a.path for a in model.adapters] == [files["a"]]
    assert model._adapters.loaded == 1  # b, loaded for the refused set, was freed again
    assert complete(model) == with_a


# -- through the facade ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def assistant(tmp_path_factory, embedder, generator, files):
    root = tmp_path_factory.mktemp("voices")
    with sample_folder_assistant(root, embedder, generator) as assistant:
        assistant.voices.add(files["loud"], name="strong")
        assistant.voices.add(files["wider"], name="other-model", any_model=True)
        yield assistant
    # Closing the Assistant closed the shared model too; it reloads on next use.


def final(events) -> Answer:
    return [e for e in events if isinstance(e, Answer)][-1]


QUESTION = "How much does membership cost per month?"


def test_answers_come_in_the_voice_applied_until_it_changes(assistant):
    plain = final(assistant.ask(QUESTION))
    strong = (AdapterChoice("strong", 2.0),)
    assert assistant.voices.use(strong) == strong
    assert assistant.voices.current == strong
    conversation = Conversation()
    voiced = final(assistant.ask_in(conversation, QUESTION))
    assert voiced.voice == strong and conversation.voice == strong  # the conversation notes it
    assert voiced.text != plain.text
    assert [turn.question for turn in conversation.turns] == [QUESTION]
    assert final(assistant.ask(QUESTION)).voice == strong  # it stays until changed
    assistant.voices.use(())
    again = final(assistant.ask(QUESTION))
    assert again.voice == () and again.text == plain.text
    assert assistant.voices.current == ()
    assert "35" in plain.text and plain.citations


def test_the_facade_refuses_bad_voices_and_keeps_the_current_one(assistant, generator):
    assistant.voices.use([AdapterChoice("strong", 1.0)])
    with pytest.raises(AdapterError, match="another gemma3 model"):
        assistant.voices.use([AdapterChoice("other-model")])
    with pytest.raises(UserInputError, match="no adapter named 'missing'"):
        assistant.voices.use([AdapterChoice("missing")])
    with pytest.raises(UserInputError, match="chosen twice"):
        assistant.voices.use([AdapterChoice("strong"), AdapterChoice("strong", 0.5)])
    assert [a.name for a in generator.adapters] == ["reader", "strong"]  # the reader under it
    answer = final(assistant.ask(QUESTION, voice=[AdapterChoice("strong", 1.0)]))
    assert answer.text and not answer.cancelled


def test_listing_marks_what_fits(assistant):
    entries = {entry.name: entry for entry in assistant.voices.entries()}
    assert entries["strong"].usable
    assert not entries["other-model"].usable


def test_removing_an_active_adapter_stops_applying_it(assistant, generator, files, tmp_path):
    copy = tmp_path / "temporary.gguf"
    shutil.copyfile(files["b"], copy)
    assistant.voices.add(copy)
    assistant.voices.use([AdapterChoice("temporary")])
    assert [a.name for a in generator.adapters] == ["reader", "temporary"]
    assistant.voices.remove("temporary")
    assert [a.name for a in generator.adapters] == ["reader"]
    assert "temporary" not in assistant.voices.names()


def test_a_small_cache_budget_keeps_a_prefix_that_is_exact(model, files):
    saved_budget = model._snapshots.budget
    model._snapshots.budget = 20 * 18 * 1024  # about 20 tokens of this model's KV
    text = PROMPT + " people speak many languages and the streets are old. In the evening"
    tokens = model.tokenize([Segment(text)], bos=True)
    try:
        use(model, (files["b"], 0.9))
        complete(model, text)
        use(model)
        use(model, (files["b"], 0.9))
        kept = model.last_restored
        assert 0 < kept < 20
        after_restore = complete(model, text)
        # Computed again as the first time (one batch), cut to the same prefix, then
        # continued as after the restore: the same answer, so the copy was exact.
        model.llama.reset()
        model.prepare(tokens[:-1])
        assert _truncate_cache(model.llama, kept)
        assert complete(model, text) == after_restore
    finally:
        model._snapshots.budget = saved_budget
