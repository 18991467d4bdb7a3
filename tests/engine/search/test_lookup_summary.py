"""How the searches behind an answer are told to a person (CLI and desktop)."""

from __future__ import annotations

import io

from engine.answer.answering import Answer, Timings
from engine.cli.answers import print_trace, render_lookups
from engine.search.multistep import LookupStep, lookup_summary

QUESTION = "Were Scott Derrickson and Ed Wood of the same nationality?"
STEPS = (
    LookupStep(QUESTION, "the question", ("/docs/derrickson.txt",)),
    LookupStep(
        "Scott Derrickson nationality", "compare: 'Scott Derrickson'", (), "Scott Derrickson"
    ),
    LookupStep("Ed Wood nationality", "compare: 'Ed Wood'", ("/docs/wood.txt",), "Ed Wood"),
)


def _answer(steps: tuple[LookupStep, ...]) -> Answer:
    return Answer(QUESTION, "Yes [1][2].", (), Timings(1, 1, 1, 1, 1, 1, 1), lookups=steps)


def test_the_summary_names_what_was_looked_up_after_the_question():
    assert lookup_summary(STEPS) == "Looked up: 'Scott Derrickson', then 'Ed Wood'"
    assert lookup_summary(STEPS[:1]) == ""


def test_the_trace_lists_every_search_and_what_it_added():
    out = io.StringIO()
    print_trace(_answer(STEPS), out)
    assert out.getvalue().splitlines() == [
        "searches:",
        f"  1. the question: {QUESTION!r} -> derrickson.txt",
        "  2. compare: 'Scott Derrickson': 'Scott Derrickson nationality' -> nothing new",
        "  3. compare: 'Ed Wood': 'Ed Wood nationality' -> wood.txt",
    ]


def test_without_trace_one_line_says_it_took_more_than_one_search():
    out = io.StringIO()
    render_lookups(_answer(STEPS), out, trace=False)
    assert out.getvalue() == "(Looked up: 'Scott Derrickson', then 'Ed Wood')\n"
    out = io.StringIO()
    render_lookups(_answer(STEPS[:1]), out, trace=False)
    assert out.getvalue() == ""


def test_the_json_answer_carries_the_searches():
    lookups = _answer(STEPS).to_dict()["lookups"]
    assert [step["subject"] for step in lookups] == [None, "Scott Derrickson", "Ed Wood"]
    assert lookups[2]["added"] == ["/docs/wood.txt"]
