"""`docent adapters ...` and the `--adapter NAME [--scale S]` options of ask and chat."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

from engine.adapters import AdapterChoice, LibraryEntry
from engine.cli.terminal import EXIT_INTERRUPTED, CancelOnSigint


def add_commands(commands: Any) -> None:
    adapters = commands.add_parser("adapters", help="manage LoRA style adapters")
    adapter_commands = adapters.add_subparsers(dest="adapters_command", required=True)
    add = adapter_commands.add_parser("add", help="check an adapter file and copy it in")
    add.add_argument("file", metavar="FILE.gguf")
    add.add_argument("--name", help="name it this (default: the file's name)")
    add.add_argument("--replace", action="store_true", help="replace an adapter of that name")
    add.add_argument(
        "--any-model",
        action="store_true",
        help="keep it even if it does not fit the current model",
    )
    listing = adapter_commands.add_parser("list", help="list the adapters and what they fit")
    listing.add_argument("--json", action="store_true")
    show = adapter_commands.add_parser("show", help="everything about one adapter")
    show.add_argument("name")
    show.add_argument("--json", action="store_true")
    remove = adapter_commands.add_parser("remove", help="delete an adapter from the library")
    remove.add_argument("name")
    train = adapter_commands.add_parser(
        "train", help="train a style adapter from your own writing (offline, on this machine)"
    )
    train.add_argument(
        "--samples",
        required=True,
        metavar="PATH",
        help="a folder or file of plain text (the voice), or JSONL prompt/response pairs",
    )
    train.add_argument("--name", required=True, help="the new adapter's name")
    train.add_argument("--rank", type=int, default=8, help="LoRA rank (default 8)")
    length = train.add_mutually_exclusive_group()
    length.add_argument("--steps", type=int, help="train exactly this many steps")
    length.add_argument("--epochs", type=float, help="passes over the samples (default 3)")
    train.add_argument(
        "--max-minutes", type=float, default=30.0, help="time budget (default 30 minutes)"
    )
    train.add_argument("--replace", action="store_true", help="replace an adapter of that name")
    train.add_argument(
        "--no-compare", action="store_true", help="skip the before/after answers in the report"
    )


def add_voice_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--adapter",
        metavar="NAME",
        action=_VoiceAction,
        dest="voice",
        help="answer in this adapter's style (repeat to stack adapters)",
    )
    parser.add_argument(
        "--scale",
        metavar="S",
        type=float,
        action=_VoiceAction,
        dest="voice",
        help="strength of the --adapter before it, 0 to 2 (default 1)",
    )


def voice_from_args(args: argparse.Namespace) -> tuple[AdapterChoice, ...]:
    pairs = getattr(args, "voice", None) or []
    return tuple(AdapterChoice(name, 1.0 if scale is None else scale) for name, scale in pairs)


def run(assistant: Any, args: argparse.Namespace) -> int:
    command = args.adapters_command
    if command == "train":
        return _train(assistant, args)
    if command == "add":
        entry = assistant.voices.add(args.file, args.name, args.replace, args.any_model)
        print(f"added {entry.name}: {_describe(entry)}")
        if entry.misfit:
            print(f"  it does not fit the current model: {entry.misfit}")
        return 0
    if command == "remove":
        assistant.voices.remove(args.name)
        print(f"removed {args.name}")
        return 0
    if command == "show":
        entry = assistant.voices.entry(args.name)
        report = assistant.voices.report(args.name)
        if args.json:
            print(json.dumps({**_entry_dict(entry), "report": report}, indent=2))
        else:
            _print_details(entry)
            if report:
                _print_report(report)
        return 0
    entries = assistant.voices.entries()
    reader = assistant.reader
    if args.json:
        data = [{**_entry_dict(e), "report": assistant.voices.report(e.name)} for e in entries]
        print(json.dumps([{**reader.to_dict(), "built_in": True}, *data], indent=2))
        return 0
    applied = "applied" if reader.applied else "not applied"
    print(f"built in: {reader.path.stem} ({applied}: {reader.reason})")
    if not entries:
        print("no adapters yet: add one with `docent adapters add FILE.gguf`")
        return 0
    print(f"{'NAME':<20} {'ARCH':<10} {'RANK':>4} {'ALPHA':>6} {'SIZE':>9}  FITS  TARGETS")
    for entry in entries:
        info = entry.info
        if info is None:
            print(f"{entry.name:<20} unusable: {entry.problem}")
            continue
        alpha = f"{info.alpha:g}" if info.alpha is not None else "-"
        fits = "yes" if entry.usable else "no"
        print(
            f"{entry.name:<20} {info.architecture:<10} {info.rank:>4} {alpha:>6} "
            f"{_size(info.size):>9}  {fits:<4}  {', '.join(info.targets)}"
        )
        if entry.misfit:
            print(f"{'':<20} does not fit: {entry.misfit}")
        report = assistant.voices.report(entry.name)
        if report:
            print(f"{'':<20} {_report_line(report)}")
    return 0


def _train(assistant: Any, args: argparse.Namespace) -> int:
    import sys

    from engine.jobs import CancelToken
    from engine.training import TrainingConfig

    config = TrainingConfig(
        rank=args.rank,
        steps=args.steps,
        epochs=args.epochs if args.epochs is not None else 3.0,
        max_minutes=args.max_minutes,
    )
    cancel = CancelToken()
    with CancelOnSigint(cancel):
        result = assistant.voices.train(
            args.samples,
            args.name,
            config,
            TrainingDisplay(sys.stderr),
            cancel,
            replace=args.replace,
            compare=not args.no_compare,
        )
    if result is None:
        print("cancelled: no adapter was added")
        return EXIT_INTERRUPTED
    print(f"added {result.name} ({result.path})")
    _print_report(result.report)
    print(f"switch to it: docent chat --adapter {result.name}")
    return 0


class TrainingDisplay:
    """Training progress on a terminal: one updating line; periodic lines otherwise."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.last = 0.0
        self.phase = ""

    def __call__(self, progress: Any) -> None:
        import time

        now = time.monotonic()
        changed = progress.phase != self.phase
        last_step = progress.total_steps and progress.step == progress.total_steps
        if not changed and not last_step and now - self.last < (0.5 if self.tty else 30.0):
            return
        self.last = now
        if changed and self.tty and self.phase:
            self.stream.write("\n")
        self.phase = progress.phase
        line = progress.phase
        if progress.phase == "training" and progress.total_steps:
            line += f" step {progress.step}/{progress.total_steps}"
            if progress.loss is not None:
                line += f"  loss {progress.loss:.3f}"
            if progress.validation_loss is not None:
                line += f"  validation {progress.validation_loss:.3f}"
            if progress.remaining_s is not None:
                minutes, seconds = divmod(int(progress.remaining_s), 60)
                line += f"  about {minutes}:{seconds:02d} left"
        else:
            line += "…"
        self.stream.write(("\r" + line.ljust(90)) if self.tty else line + "\n")
        self.stream.flush()


def _report_line(report: dict[str, Any]) -> str:
    validation = report.get("validation", {})
    training = report.get("training", {})
    return (
        f"trained by Docent: validation perplexity {validation.get('perplexity_without')} -> "
        f"{validation.get('perplexity_with')}, {training.get('steps')} steps in "
        f"{training.get('seconds')} s"
    )


def _print_report(report: dict[str, Any]) -> None:
    samples = report.get("samples", {})
    training = report.get("training", {})
    print(f"samples:     {samples.get('count')} {samples.get('kind')} from {samples.get('path')}")
    print(
        f"training:    {training.get('steps')} steps ({training.get('epochs')} epochs), "
        f"{training.get('seconds')} s, stopped: {training.get('stop_reason')}, "
        f"peak memory {training.get('peak_rss_mb')} MB"
    )
    print(f"validation:  {_report_line(report).removeprefix('trained by Docent: ')}")
    print(f"command:     {report.get('command')}")
    for pair in report.get("answers", []):
        print(f"\n  Q: {pair['question']}")
        print(f"     before: {pair['before']}")
        print(f"     after:  {pair['after']}")


def describe_voice(voice: Sequence[AdapterChoice]) -> str:
    if not voice:
        return "none (no voice: the model, with the reader where it applies)"
    return ", ".join(f"{c.name} x{c.scale:g}" for c in voice)


def parse_voice(words: Sequence[str]) -> tuple[AdapterChoice, ...]:
    """`NAME [SCALE] [NAME [SCALE]]...` as typed in chat; `none` clears."""
    from engine.errors import UserInputError

    if list(words) == ["none"]:
        return ()
    choices: list[AdapterChoice] = []
    for word in words:
        try:
            scale = float(word)
        except ValueError:
            choices.append(AdapterChoice(word))
            continue
        if not choices:
            raise UserInputError(f"a strength ({word}) must follow an adapter name")
        choices[-1] = AdapterChoice(choices[-1].name, scale)
    return tuple(choices)


def _entry_dict(entry: LibraryEntry) -> dict[str, object]:
    data = entry.to_dict()
    if entry.info is not None and entry.info.extra:
        data["metadata"] = entry.info.extra
    return data


def _describe(entry: LibraryEntry) -> str:
    info = entry.info
    if info is None:
        return f"unusable ({entry.problem})"
    return (
        f"{info.architecture}, rank {info.rank}, {len(info.pairs)} weights in "
        f"{info.layers} layers ({', '.join(info.targets)}), {_size(info.size)}"
    )


def _print_details(entry: LibraryEntry) -> None:
    print(f"name:        {entry.name}")
    print(f"file:        {entry.path}")
    info = entry.info
    if info is None:
        print(f"unusable:    {entry.problem}")
        return
    print(f"title:       {info.title or '-'}")
    print(f"made for:    {info.architecture}")
    print(f"rank:        {info.rank}")
    print(f"alpha:       {info.alpha if info.alpha is not None else '- (scale applies as is)'}")
    print(f"targets:     {', '.join(info.targets)} in {info.layers} layers")
    print(f"size:        {_size(info.size)}")
    print(f"fits model:  {'yes' if entry.usable else 'no: ' + str(entry.misfit)}")
    for key, value in sorted(info.extra.items()):
        print(f"{key + ':':<12} {value}")


def _size(size: int) -> str:
    if size >= 1 << 20:
        return f"{size / (1 << 20):.1f} MB"
    return f"{size / 1024:.0f} kB"


class _VoiceAction(argparse.Action):
    """--adapter starts a [name, scale] pair; --scale fills in the last one's scale."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        pairs = list(getattr(namespace, self.dest, None) or [])
        if option_string == "--adapter":
            pairs.append([values, None])
        elif not pairs:
            parser.error("--scale must come after the --adapter it applies to")
        elif pairs[-1][1] is not None:
            parser.error(f"--adapter {pairs[-1][0]} has two --scale values")
        else:
            pairs[-1][1] = values
        setattr(namespace, self.dest, pairs)
