"""The style adapters Docent ships: valid for the bundled model, installed once, and they
change the sample-folder answers while keeping their citations."""

from __future__ import annotations

import json

import pytest

from engine.adapters import AdapterChoice, check_adapter
from engine.answer.answering import Answer
from engine.assistant import Assistant
from engine.resources import bundled_adapters
from tests.conftest import sample_folder_assistant

VOICES = ("concise", "warm")


@pytest.mark.parametrize("name", VOICES)
def test_each_bundled_adapter_is_valid_and_documented(name, generator):
    folder = bundled_adapters() / name
    info = check_adapter(folder / f"{name}.gguf", generator.header)
    assert info.rank == 8 and info.layers == 18
    report = json.loads((folder / f"{name}.report.json").read_text())
    assert report["command"] == (
        f"docent adapters train --samples resources/adapters/{name}/samples.jsonl "
        f"--name {name} --rank 8 --epochs 3 --max-minutes 30"
    )
    assert (folder / "samples.jsonl").is_file()
    assert report["validation"]["perplexity_with"] < report["validation"]["perplexity_without"]


def test_bundled_adapters_are_installed_once(tmp_path, embedder, generator):
    with Assistant(tmp_path / "home", embedder=embedder, generator=generator) as assistant:
        entries = {entry.name: entry for entry in assistant.voices.entries()}
        assert all(entries[name].usable for name in VOICES)
        assert assistant.voices.report("warm")["name"] == "warm"
        assistant.voices.remove("warm")
    with Assistant(tmp_path / "home", embedder=embedder, generator=generator) as assistant:
        assert "warm" not in assistant.voices.names()
        assert "concise" in assistant.voices.names()


@pytest.fixture(scope="module")
def sample_assistant(tmp_path_factory, embedder, generator):
    with sample_folder_assistant(
        tmp_path_factory.mktemp("voices"), embedder, generator
    ) as assistant:
        yield assistant


def final(events) -> Answer:
    return [e for e in events if isinstance(e, Answer)][-1]


@pytest.mark.parametrize(
    ("question", "fact", "source"),
    [
        ("How much does membership cost per month?", "35", "membership.txt"),
        ("What does it cost to replace a lost key fob?", "12", "opening-hours.md"),
    ],
)
def test_voices_change_the_answer_and_keep_the_citation(sample_assistant, question, fact, source):
    answers = {
        voice: final(sample_assistant.ask(question, voice=[AdapterChoice(voice)] if voice else []))
        for voice in ("", *VOICES)
    }
    texts = {voice: answer.text for voice, answer in answers.items()}
    for voice, answer in answers.items():
        assert fact in answer.text, (voice, answer.text)
        assert any(c.path.endswith(source) for c in answer.citations), (voice, answer.text)
    # The reader alone already answers tersely: concise may leave it as it is, never
    # longer; warm changes it.
    assert texts["warm"] != texts[""], texts
    assert len(texts["concise"]) <= len(texts[""]), texts
    assert len(texts["warm"]) > len(texts["concise"])
