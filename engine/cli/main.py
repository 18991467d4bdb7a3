"""`docent`: the command-line front end (a thin layer over engine.assistant)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from engine.cli.terminal import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_USER_ERROR,
    CancelOnSigint,
    ProgressBar,
)
from engine.errors import (
    AdapterError,
    DocentError,
    EmbedderMismatchError,
    ModelFileError,
    ModelNotFoundError,
    TrainingError,
    UserInputError,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="docent", description="Docent: chat with your own document folders, offline."
    )
    parser.add_argument("--home", metavar="DIR", help="keep all Docent data under DIR")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    folders = commands.add_parser("folders", help="manage watched folders")
    folder_commands = folders.add_subparsers(dest="folders_command", required=True)
    add = folder_commands.add_parser("add", help="watch a folder")
    add.add_argument("path")
    remove = folder_commands.add_parser("remove", help="stop watching a folder, drop its index")
    remove.add_argument("path")
    listing = folder_commands.add_parser("list", help="list watched folders")
    listing.add_argument("--json", action="store_true")

    commands.add_parser("index", help="bring the index up to date once, then exit")
    commands.add_parser("watch", help="keep the index live until Ctrl-C")
    commands.add_parser("reembed", help="re-embed every passage after changing the embedder")

    status = commands.add_parser("status", help="documents, chunks and failures")
    status.add_argument("--json", action="store_true")

    search = commands.add_parser("search", help="search the indexed folders")
    search.add_argument("query", nargs="?", help="what to look for")
    search.add_argument("--queries", metavar="FILE.jsonl", help='lines {"id": .., "text": ..}')
    search.add_argument("-k", type=int, default=None, help="number of passages")
    search.add_argument("--folder", metavar="PATH", help="only within this folder or path")
    search.add_argument("--mode", choices=("hybrid", "dense", "keyword"), default="hybrid")
    search.add_argument("--json", action="store_true")

    ask = commands.add_parser("ask", help="answer a question from the indexed folders")
    ask.add_argument("question")
    _answer_options(ask)
    ask.add_argument("--json", action="store_true", help="print one JSON object, no streaming")

    chat = commands.add_parser("chat", help="a conversation about your documents")
    _answer_options(chat)

    from engine.cli import adapters as cli_adapters

    cli_adapters.add_commands(commands)
    return parser


def _answer_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--folder", metavar="PATH", help="only use passages under this path")
    parser.add_argument("--model", metavar="FILE.gguf", help="answer with this GGUF model")
    parser.add_argument("--trace", action="store_true", help="list every search behind each answer")
    from engine.cli import adapters as cli_adapters

    cli_adapters.add_voice_options(parser)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return _run(args)
    except (
        UserInputError,
        EmbedderMismatchError,
        ModelFileError,
        ModelNotFoundError,
        AdapterError,
        TrainingError,
    ) as exc:
        print(f"docent: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except DocentError as exc:
        print(f"docent: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        print("docent: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _run(args: argparse.Namespace) -> int:
    from engine.assistant import Assistant

    if args.command == "search":
        _check_search_args(args)
    settings = None
    if getattr(args, "model", None):
        from engine.settings import load_settings, resolve_paths

        model = Path(args.model).expanduser().resolve()
        settings = dataclasses.replace(load_settings(resolve_paths(args.home)), model=str(model))
    with Assistant(home=args.home, settings=settings) as assistant:
        if args.command == "folders":
            return _folders(assistant, args)
        if args.command == "index":
            return _index(assistant)
        if args.command == "watch":
            return _watch(assistant)
        if args.command == "reembed":
            count = assistant.reembed(progress=ProgressBar(sys.stderr, "re-embedding"))
            print(f"re-embedded {count} passages")
            return 0
        if args.command == "status":
            return _status(assistant, args.json)
        if args.command == "search":
            return _search(assistant, args)
        if args.command in ("ask", "chat"):
            from engine.cli import answers as cli_answers
            from engine.cli.adapters import voice_from_args

            voice = voice_from_args(args)
            if args.command == "ask":
                return cli_answers.ask(
                    assistant, args.question, args.folder, args.json, voice, args.trace
                )
            return cli_answers.chat(assistant, args.folder, voice=voice, trace=args.trace)
        if args.command == "adapters":
            from engine.cli import adapters as cli_adapters

            return cli_adapters.run(assistant, args)
    raise AssertionError(args.command)


def _folders(assistant: Any, args: argparse.Namespace) -> int:
    if args.folders_command == "add":
        info = assistant.add_folder(args.path)
        print(f"watching {info.path} (run `docent index` or `docent watch` to index it)")
    elif args.folders_command == "remove":
        assistant.remove_folder(args.path)
        print(f"removed {args.path}")
    else:
        folders = assistant.folders()
        if args.json:
            print(json.dumps([dataclasses.asdict(f) for f in folders]))
        elif not folders:
            print("no folders yet: add one with `docent folders add PATH`")
        for folder in folders if not args.json else ():
            missing = "" if folder.exists else "  (missing)"
            print(f"{folder.path}  {folder.documents} documents{missing}")
    return 0


def _index(assistant: Any) -> int:
    from engine.jobs import CancelToken

    if not assistant.folders():
        raise UserInputError("no folders to index: add one with `docent folders add PATH`")
    cancel = CancelToken()
    with CancelOnSigint(cancel):
        report = assistant.index(progress=ProgressBar(sys.stderr, "indexing"), cancel=cancel)
    _print_report(report)
    return EXIT_INTERRUPTED if report.cancelled else 0


def _watch(assistant: Any) -> int:
    if not assistant.folders():
        raise UserInputError("no folders to watch: add one with `docent folders add PATH`")
    stop = threading.Event()

    def on_indexed(report: Any) -> None:
        if report.changed or report.failures:
            stamp = time.strftime("%H:%M:%S")
            print(f"{stamp} {_summary(report)}", flush=True)
            for path, reason in report.failures:
                print(f"  failed: {path}: {reason}", flush=True)

    def on_error(exc: BaseException) -> None:
        print(f"docent: {exc}", file=sys.stderr, flush=True)

    assistant.start_watching(on_indexed=on_indexed, on_error=on_error)
    report = assistant.index(progress=ProgressBar(sys.stderr, "catching up"))
    _print_report(report)
    print(f"watching {len(assistant.folders())} folder(s); Ctrl-C to stop", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    assistant.stop_watching()
    print("stopped", flush=True)
    return 0


def _status(assistant: Any, as_json: bool) -> int:
    status = assistant.status()
    if as_json:
        print(json.dumps(status.to_dict(), indent=2))
        return 0
    print(f"data dir:   {status.data_dir}")
    print(f"embedder:   {status.embedder or '(none yet)'}")
    print(f"folders:    {len(status.folders)}")
    for folder in status.folders:
        print(
            f"  {folder.path}  {folder.documents} documents"
            + ("" if folder.exists else "  (missing)")
        )
    print(
        f"documents:  {status.documents} ({status.indexed} indexed, {status.failed} failed, "
        f"{status.skipped} skipped)"
    )
    print(f"passages:   {status.chunks}")
    if status.read_by_ocr:
        pages = sum(len(numbers) for _, numbers in status.read_by_ocr)
        documents = len(status.read_by_ocr)
        print(f"read by OCR: {plural(pages, 'page')} in {plural(documents, 'document')}")
        for path, numbers in status.read_by_ocr:
            print(f"  {path}: {page_list(numbers)}")
    for problem in status.problems:
        print(f"  {problem.status}: {problem.path}: {problem.reason}")
    return 0


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def page_list(pages: Sequence[int]) -> str:
    """Page numbers as runs: "pages 1-3, 7"."""
    runs: list[list[int]] = []
    for page in sorted(pages):
        if runs and page == runs[-1][-1] + 1:
            runs[-1].append(page)
        else:
            runs.append([page])
    text = ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)
    return ("pages " if len(pages) > 1 else "page ") + text


def _check_search_args(args: argparse.Namespace) -> None:
    if (args.query is None) == (args.queries is None):
        raise UserInputError("give either a QUERY or --queries FILE.jsonl")
    if args.k is not None and args.k < 1:
        raise UserInputError("-k must be at least 1")
    if args.queries is not None and not args.json:
        raise UserInputError("--queries prints JSON lines: add --json")
    if args.folder is not None and not Path(args.folder).expanduser().exists():
        raise UserInputError(f"{args.folder} does not exist")


def _search(assistant: Any, args: argparse.Namespace) -> int:
    if args.queries is not None:
        ids, texts = _read_queries(Path(args.queries))
        results = assistant.search_many(texts, args.k, args.folder, args.mode) if texts else []
        for query_id, hits in zip(ids, results, strict=True):
            print(json.dumps({"id": query_id, "results": [h.to_dict() for h in hits]}))
        return 0
    hits = assistant.search(args.query, args.k, args.folder, args.mode)
    if args.json:
        print(json.dumps([h.to_dict() for h in hits], indent=2))
        return 0
    if not hits:
        print("no matching passages")
    for number, hit in enumerate(hits, 1):
        where = hit.path + (f"  {hit.place}" if hit.place else "") + ("  (OCR)" if hit.ocr else "")
        where += f"  lines {hit.line_start}-{hit.line_end}" if hit.line_start else ""
        print(f"[{number}] {where}  (score {hit.score:.4f})")
        if hit.heading:
            print(f"    {hit.heading}")
        snippet = " ".join(hit.text.split())
        print(f"    {snippet[:300]}{'…' if len(snippet) > 300 else ''}")
    return 0


def _read_queries(path: Path) -> tuple[list[Any], list[str]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UserInputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    ids, texts = [], []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            ids.append(item["id"])
            texts.append(str(item["text"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise UserInputError(
                f'{path} line {number}: expected {{"id": ..., "text": ...}} ({exc})'
            ) from exc
    return ids, texts


def _summary(report: Any) -> str:
    parts = [
        f"{report.added} added",
        f"{report.updated} updated",
        f"{report.removed} removed",
    ]
    if report.moved:
        parts.append(f"{report.moved} moved")
    if report.copied:
        parts.append(f"{report.copied} copied")
    if report.failures:
        parts.append(f"{len(report.failures)} failed")
    if report.skipped:
        parts.append(f"{len(report.skipped)} skipped")
    return ", ".join(parts) + f" ({report.seconds:.1f} s)"


def _print_report(report: Any) -> None:
    print(("cancelled: " if report.cancelled else "") + _summary(report))
    for path, reason in report.failures:
        print(f"  failed: {path}: {reason}")
    for path, reason in report.skipped:
        print(f"  skipped: {path}: {reason}")


if __name__ == "__main__":
    sys.exit(main())
