"""`docent adapters ...` and the `--adapter NAME [--scale S]` options of ask and chat."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

from engine.adapters import AdapterChoice, LibraryEntry


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
    if command == "add":
        entry = assistant.add_adapter(args.file, args.name, args.replace, args.any_model)
        print(f"added {entry.name}: {_describe(entry)}")
        if entry.misfit:
            print(f"  it does not fit the current model: {entry.misfit}")
        return 0
    if command == "remove":
        assistant.remove_adapter(args.name)
        print(f"removed {args.name}")
        return 0
    if command == "show":
        entry = assistant.adapter_library.entry(args.name, assistant.generator.header)
        if args.json:
            print(json.dumps(_entry_dict(entry), indent=2))
        else:
            _print_details(entry)
        return 0
    entries = assistant.adapters()
    if args.json:
        print(json.dumps([_entry_dict(e) for e in entries], indent=2))
        return 0
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
    return 0


def describe_voice(voice: Sequence[AdapterChoice]) -> str:
    if not voice:
        return "none (the bare model)"
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
