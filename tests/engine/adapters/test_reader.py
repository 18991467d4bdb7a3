"""The built-in reader adapter: valid, applied by default to the bundled model only, under
every voice, off by a setting; and with the real model, better answers than the bare one
on held-out questions."""

from __future__ import annotations

import dataclasses
import os
import random
import shutil
from pathlib import Path

import pytest

from engine.adapters import AdapterChoice, check_adapter, misfit
from engine.adapters.reader import READER_NAME, decline_policy, reader_state
from engine.answer.answering import Answer
from engine.assistant import Assistant
from engine.models.gguf_file import read_gguf
from engine.resources import reader_adapter, sample_docs
from engine.settings import Settings
from tests.conftest import sample_folder_assistant

HELD_OUT_ARTICLE = 24  # SQuAD dev articles 24-47 were never seen in the reader's training
REMOVED = 6
ANSWERABLE = 8
NEAR_MISS = 4
SEED = 20261203


def final(events) -> Answer:
    answer = list(events)[-1]
    assert isinstance(answer, Answer)
    return answer


def labels(assistant: Assistant) -> list[str]:
    return [a.label for a in assistant.generator.adapters]


def test_the_reader_file_passes_docents_checks_and_fits_the_bundled_model(model_path):
    header = read_gguf(model_path)
    info = check_adapter(reader_adapter(), header)
    assert misfit(info, header) is None
    assert info.rank >= 8


def test_the_reader_applies_to_the_bundled_model_only_and_when_enabled(model_path):
    header = read_gguf(model_path)
    assert reader_state(model_path, header, enabled=True).applied
    off = reader_state(model_path, header, enabled=False)
    assert not off.applied and "settings" in off.reason
    other = reader_state(model_path.with_name("my-own-model.gguf"), header, enabled=True)
    assert not other.applied and "bundled model" in other.reason


def test_the_reader_declines_by_its_calibrated_threshold(model_path, tmp_path, monkeypatch):
    import engine.adapters.reader as reader_module

    header = read_gguf(model_path)
    applied = reader_state(model_path, header, enabled=True)
    calibration = tmp_path / "reader.calibration.json"
    monkeypatch.setattr(reader_module, "reader_calibration", lambda: calibration)
    assert decline_policy(applied) is None  # no calibration: greedy, as before
    calibration.write_text('{"decline_threshold": 0.35}')
    policy = decline_policy(applied)
    assert policy is not None and policy.threshold == 0.35
    assert decline_policy(reader_state(model_path, header, enabled=False)) is None
    for bad in ('{"decline_threshold": 1.5}', "{not json", '{"other": 1}'):
        calibration.write_text(bad)
        assert decline_policy(applied) is None, bad


def test_the_shipped_calibration_is_in_range(model_path):
    header = read_gguf(model_path)
    policy = decline_policy(reader_state(model_path, header, enabled=True))
    assert policy is not None and 0.0 < policy.threshold <= 1.0


def test_the_reader_goes_under_every_voice_and_the_setting_turns_it_off(
    tmp_path, embedder, generator
):
    question = "How much does membership cost per month?"
    with sample_folder_assistant(tmp_path, embedder, generator) as assistant:
        answer = final(assistant.ask(question))
        assert answer.reader and answer.voice == ()
        assert labels(assistant) == [READER_NAME]
        answer = final(assistant.ask(question, voice=[AdapterChoice("concise")]))
        assert answer.reader and [c.name for c in answer.voice] == ["concise"]
        assert labels(assistant) == [READER_NAME, "concise"]
        assert assistant.prompt_shape.worked_example is False
    off = dataclasses.replace(Settings(), reader=False)
    with Assistant(tmp_path / "home", settings=off, embedder=embedder) as assistant:
        answer = final(assistant.ask(question))
        assert not answer.reader and labels(assistant) == []
        assert assistant.prompt_shape.worked_example is True


def test_a_users_own_model_gets_no_reader(tmp_path, embedder, model_path):
    own = tmp_path / "my-own-model.gguf"
    os.link(model_path, own)  # the same weights under the user's own name
    docs = tmp_path / "docs"
    shutil.copytree(sample_docs(), docs)
    settings = dataclasses.replace(Settings(), model=str(own))
    with Assistant(tmp_path / "home", settings=settings, embedder=embedder) as assistant:
        assistant.add_folder(docs)
        assistant.index()
        answer = final(assistant.ask("How much does membership cost per month?"))
        assert not answer.reader and labels(assistant) == []
        assert not assistant.reader.applied


def test_the_worked_example_never_appears_in_an_answer(tmp_path, embedder, generator):
    """The sample folder has no garden: neither model may answer about one."""
    questions = (
        "When does the garden open on Saturdays?",
        "When does the community garden open?",
        "What time does it open on Saturdays?",
    )
    for reader in (False, True):
        settings = dataclasses.replace(Settings(), reader=reader)
        root = tmp_path / f"reader-{reader}"
        with sample_folder_assistant(root, embedder, generator, settings) as assistant:
            for question in questions:
                answer = final(assistant.ask(question))
                assert "garden" not in answer.text.lower(), (reader, question, answer.text)


@pytest.fixture(scope="module")
def held_out(squad_zip, tmp_path_factory, embedder):
    """One SQuAD article the reader never saw, indexed less a few paragraphs: the first
    answerable questions (one per paragraph) and the first near-miss questions."""
    from bench import squad

    corpus = squad.load(squad_zip)
    article = list(dict.fromkeys(p.split("/")[0] for p in corpus.files))[HELD_OUT_ARTICLE]
    paragraphs = sorted(p for p in corpus.files if p.split("/")[0] == article)
    removed = set(random.Random(SEED).sample(paragraphs, REMOVED))
    files = {p: corpus.files[p] for p in paragraphs if p not in removed}
    lowered = [t.lower() for t in files.values()]
    answerable, near_miss, seen = [], [], set()
    for question in corpus.questions:
        if question.gold in files and question.gold not in seen and len(answerable) < ANSWERABLE:
            seen.add(question.gold)
            answerable.append(question)
        elif (
            question.gold in removed
            and len(near_miss) < NEAR_MISS
            and not any(a.lower() in t for a in question.answers for t in lowered)
        ):
            near_miss.append(question)
    root = tmp_path_factory.mktemp("held-out")
    squad.write(squad.Corpus(files, ()), root / "docs")
    return root, answerable, near_miss


def _run(root: Path, embedder, reader: bool, questions) -> list[Answer]:
    settings = dataclasses.replace(Settings(), reader=reader)
    home = root / ("home-reader" if reader else "home-bare")
    with Assistant(home, settings=settings, embedder=embedder) as assistant:
        assistant.add_folder(root / "docs")
        assistant.index()
        return [final(assistant.ask(q.text)) for q in questions]


def test_the_reader_answers_held_out_questions_better_than_the_bare_model(held_out, embedder):
    from bench.answer_quality import contains_gold

    root, answerable, _ = held_out
    scores = {}
    for reader in (False, True):
        answers = _run(root, embedder, reader, answerable)
        scores[reader] = sum(
            contains_gold(a.text, q.answers)
            and any(Path(c.path).as_posix().endswith(q.gold) for c in a.citations)
            for q, a in zip(answerable, answers, strict=True)
        )
    assert scores[True] > scores[False], scores


def test_the_reader_declines_a_near_miss_the_bare_model_answers(held_out, embedder):
    root, _, near_miss = held_out
    bare = _run(root, embedder, False, near_miss)
    read = _run(root, embedder, True, near_miss)
    assert any(r.abstained and not b.abstained for b, r in zip(bare, read, strict=True)), [
        (b.text, r.text) for b, r in zip(bare, read, strict=True)
    ]
