"""`docent ask` and `docent chat`: grounded answers in the terminal.

The answer streams as the model writes it; then the cited sources are listed with their
file and page. Ctrl-C stops an answer (in chat, the conversation goes on).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from engine.adapters import AdapterChoice
from engine.answer.answering import Answer, AnswerText, SourcesFound
from engine.answer.conversation import Conversation
from engine.cli.adapters import describe_voice, parse_voice
from engine.cli.terminal import EXIT_INTERRUPTED, CancelOnSigint
from engine.errors import DocentError, UserInputError
from engine.jobs import CancelToken
from engine.search.multistep import lookup_summary

CHAT_HELP = """commands:
  /new        start a new conversation (forget earlier turns)
  /sources    show every passage behind the last answer
  /trace      show the searches behind the last answer
  /voice NAME [STRENGTH] [NAME [STRENGTH]]...
              answer in these adapters' style from now on (strength 0 to 2)
  /voice none back to no voice;  /voice alone shows the current voice
  /adapters   list the adapters you can choose
  /help       this list
  /quit       leave (Ctrl-D does too)"""


def check_ready(assistant: Any, folder: str | None) -> None:
    """Fail early, in this order: a bad model file, no folders, a scope that is not there."""
    _ = assistant.generator  # checks the model file's header; loading waits for a question
    if not assistant.folders():
        raise UserInputError(
            "no folders yet: add one with `docent folders add PATH`, then `docent index`"
        )
    if folder is not None and not Path(folder).expanduser().exists():
        raise UserInputError(f"{folder} does not exist")


def ask(
    assistant: Any,
    question: str,
    folder: str | None,
    as_json: bool,
    voice: tuple[AdapterChoice, ...] = (),
    trace: bool = False,
) -> int:

    check_ready(assistant, folder)
    assistant.voices.use(voice)  # a bad adapter is refused before any searching
    conversation = Conversation(scope=folder, voice=voice)
    cancel = CancelToken()
    with CancelOnSigint(cancel):
        answer = answer_in_terminal(
            assistant, question, conversation, cancel, None if as_json else sys.stdout, trace
        )
    if as_json:
        print(json.dumps(answer.to_dict(), indent=2, ensure_ascii=False))
    return EXIT_INTERRUPTED if answer.cancelled else 0


def chat(
    assistant: Any,
    folder: str | None,
    stream_in: TextIO = sys.stdin,
    voice: tuple[AdapterChoice, ...] = (),
    trace: bool = False,
) -> int:

    check_ready(assistant, folder)
    assistant.voices.use(voice)
    conversation = Conversation(scope=folder, voice=voice)
    last: Answer | None = None
    interactive = stream_in.isatty()
    print("Docent chat: ask about your documents; /help lists commands.", flush=True)
    if voice:
        print(f"(voice: {describe_voice(voice)})", flush=True)
    while True:
        if interactive:
            try:
                line = input("\nyou> ")
            except (EOFError, KeyboardInterrupt):
                print()
                return 0
        else:
            line = stream_in.readline()
            if not line:
                return 0
            print(f"\nyou> {line.strip()}")
        text = line.strip()
        if not text:
            continue
        if text in ("/quit", "/exit"):
            return 0
        if text == "/help":
            print(CHAT_HELP)
            continue
        if text == "/new":
            conversation.clear()
            print("(new conversation)")
            continue
        if text == "/voice" or text.startswith("/voice "):
            switch_voice(assistant, conversation, text.split()[1:])
            continue
        if text == "/adapters":
            from engine.cli.adapters import run as adapters_command

            adapters_command(assistant, argparse.Namespace(adapters_command="list", json=False))
            continue
        if text == "/sources":
            if last is None:
                print("(no answer yet)")
            else:
                print_sources(last, sys.stdout, everything=True)
            continue
        if text == "/trace":
            if last is None:
                print("(no answer yet)")
            else:
                print_trace(last, sys.stdout)
            continue
        if text.startswith("/"):
            print(f"unknown command {text.split()[0]}; /help lists commands")
            continue
        cancel = CancelToken()
        print("docent> ", end="", flush=True)
        try:
            with CancelOnSigint(cancel):
                last = answer_in_terminal(assistant, text, conversation, cancel, sys.stdout, trace)
        except DocentError as exc:  # a bad question or model error: say so, keep chatting
            print(f"\ndocent: {exc}", file=sys.stderr, flush=True)
            continue


def switch_voice(assistant: Any, conversation: Conversation, words: list[str]) -> None:
    """`/voice ...`: show or change the conversation's voice; a refusal keeps the old one."""
    if not words:
        print(f"(voice: {describe_voice(conversation.voice)})")
        return
    try:
        voice = parse_voice(words)
        assistant.voices.use(voice)
    except DocentError as exc:
        print(f"docent: {exc}", file=sys.stderr, flush=True)
        print(f"(voice stays: {describe_voice(conversation.voice)})", flush=True)
        return
    conversation.voice = voice
    print(f"(voice: {describe_voice(voice)})", flush=True)


def answer_in_terminal(
    assistant: Any,
    question: str,
    conversation: Conversation,
    cancel: CancelToken,
    out: TextIO | None,
    trace: bool = False,
) -> Answer:
    """Run one question; stream it to `out` (None: silently) and return the Answer."""
    final: Answer | None = None
    for event in assistant.ask_in(conversation, question, cancel=cancel):
        if isinstance(event, AnswerText) and out is not None:
            out.write(event.text)
            out.flush()
        elif isinstance(event, SourcesFound):
            continue
        elif isinstance(event, Answer):
            final = event
    assert final is not None
    if out is not None:
        render_ending(final, out)
        render_lookups(final, out, trace)
    return final


def print_trace(answer: Answer, out: TextIO) -> None:
    """Each search behind an answer: why it ran, what it looked for, what it added."""
    out.write("searches:\n")
    for number, step in enumerate(answer.lookups, 1):
        added = ", ".join(Path(path).name for path in step.added) or "nothing new"
        out.write(f"  {number}. {step.why}: {step.query!r} -> {added}\n")


def render_lookups(answer: Answer, out: TextIO, trace: bool) -> None:
    """Every search with `trace`; else one line when the answer took more than one."""
    if trace:
        print_trace(answer, out)
    elif (summary := lookup_summary(answer.lookups)) and not answer.cancelled:
        out.write(f"({summary})\n")


def render_ending(answer: Answer, out: TextIO) -> None:
    if answer.cancelled:
        out.write("\n(stopped)\n")
        return
    if answer.abstain_reason == "no relevant passage":
        out.write(answer.text + "\n")
        print_sources(answer, out, everything=True, limit=3)
        return
    out.write("\n")
    if answer.abstained:
        out.write(answer.text + "\n")
        print_sources(answer, out, everything=True, limit=3)
        return
    if answer.example_echo_dropped:
        out.write(
            "\n(the model copied the prompt's worked example; Docent dropped that part)\n"
            f"{answer.text}\n"
        )
    if answer.unsupported:
        out.write(
            "(no source given to the model holds this answer: it is not cited; "
            "check it against the passages below)\n"
        )
    elif answer.citations_attributed:
        out.write(f"\n{answer.text}\n(the model wrote no source numbers; Docent matched them)\n")
    elif answer.uncited:
        out.write("(this answer cites no source: check it against the passages below)\n")
    print_sources(answer, out, everything=answer.uncited)


def print_sources(
    answer: Answer, out: TextIO, everything: bool = False, limit: int | None = None
) -> None:
    cited = {c.n for c in answer.citations}
    rows = [(n, hit) for n, hit in enumerate(answer.sources, 1) if everything or n in cited][:limit]
    if not rows:
        return
    out.write("\nCited sources:\n" if not everything else "\nClosest passages:\n")
    for n, hit in rows:
        where = hit.path + (f", {hit.place}" if hit.place else "") + (" (OCR)" if hit.ocr else "")
        if hit.line_start is not None:
            where += f", line {hit.line_start}"
        mark = "*" if n in cited else " "
        out.write(f" {mark}[{n}] {where}  (similarity {hit.similarity:.2f})\n")
        snippet = " ".join(hit.text.split())
        out.write(f"      {snippet[:200]}{'…' if len(snippet) > 200 else ''}\n")
    out.flush()
