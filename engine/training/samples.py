"""Writing samples for a style adapter: reading them, and refusing what cannot teach.

Two kinds, never mixed in one run:
- plain text (.txt, .md, .markdown, .rst, .text): the voice to imitate. Paragraphs are
  separated by blank lines; the adapter learns to write like them.
- JSONL pairs, one object per line: {"prompt": ..., "response": ...} and, optionally,
  "sources": [passage, ...], each passage its text or {"name": file name, "text": ...}.
  The adapter learns to answer like the responses, in Docent's own answer prompt (the
  sources numbered and labelled as in a real answer).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from engine.errors import TrainingError

TEXT_SUFFIXES = (".txt", ".md", ".markdown", ".rst", ".text")
PAIR_SUFFIX = ".jsonl"
MIN_SAMPLES = 4  # at least three to learn from and one to check against
MAX_FILE_BYTES = 20 * 1024 * 1024
Kind = Literal["text", "pairs"]


@dataclass(frozen=True, slots=True)
class Sample:
    """One paragraph of text, or one prompt/response pair."""

    origin: str  # file and line, for messages
    text: str = ""
    prompt: str = ""
    response: str = ""
    sources: tuple[str, ...] = ()
    source_names: tuple[str, ...] = ()  # file names shown in the prompt ('' = generic)


@dataclass(frozen=True, slots=True)
class SampleSet:
    kind: Kind
    samples: tuple[Sample, ...]
    files: tuple[Path, ...]


def load_samples(path: str | Path) -> SampleSet:
    """Read a file or folder of samples; TrainingError names the file and the cause."""
    root = Path(path).expanduser()
    if not root.exists():
        raise TrainingError(f"{root}: no such file or folder")
    if root.is_dir():
        files = sorted(
            p
            for p in root.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
        )
        usable = [p for p in files if p.suffix.lower() in (*TEXT_SUFFIXES, PAIR_SUFFIX)]
        if not usable:
            others = f" (it holds {len(files)} other files)" if files else " (it is empty)"
            raise TrainingError(
                f"{root}: no sample files{others}; samples are plain text "
                f"({', '.join(TEXT_SUFFIXES)}) or JSONL pairs ({PAIR_SUFFIX})"
            )
    else:
        usable = [root]
    pairs = [p for p in usable if p.suffix.lower() == PAIR_SUFFIX]
    if pairs and len(pairs) != len(usable):
        raise TrainingError(
            f"{root}: mixes JSONL pairs ({pairs[0].name}) with plain text; train on one kind"
        )
    kind: Kind = "pairs" if pairs else "text"
    samples: list[Sample] = []
    for file in usable:
        text = _read_text(file)
        samples.extend(_pairs(file, text) if kind == "pairs" else _paragraphs(file, text))
    if len(samples) < MIN_SAMPLES:
        what = "pairs" if kind == "pairs" else "paragraphs (separated by blank lines)"
        found = (
            "a single line"
            if kind == "text" and len(samples) == 1 and "\n" not in samples[0].text
            else f"{len(samples)} {'pair' if kind == 'pairs' else 'paragraph'}(s)"
        )
        raise TrainingError(
            f"{root}: only {found}; training needs at least {MIN_SAMPLES} {what}, "
            "some to learn from and some to check against"
        )
    return SampleSet(kind, tuple(samples), tuple(usable))


def _read_text(file: Path) -> str:
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            raise TrainingError(
                f"{file}: {size / 2**20:.0f} MB is too large for a sample file "
                f"(at most {MAX_FILE_BYTES // 2**20} MB)"
            )
        data = file.read_bytes()
    except PermissionError as exc:
        raise TrainingError(f"{file}: permission denied") from exc
    except OSError as exc:
        raise TrainingError(f"{file}: cannot be read ({exc.strerror or exc})") from exc
    if b"\x00" in data[:8192]:
        raise TrainingError(f"{file}: binary data, not text; samples must be plain text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TrainingError(
            f"{file}: not UTF-8 text (byte {exc.start}); save it as UTF-8 plain text"
        ) from exc


def _paragraphs(file: Path, text: str) -> list[Sample]:
    samples: list[Sample] = []
    lines = text.replace("\r\n", "\n").split("\n")
    block: list[str] = []
    start = 1
    for number, line in enumerate([*lines, ""], 1):
        if line.strip():
            if not block:
                start = number
            block.append(line.rstrip())
        elif block:
            samples.append(Sample(f"{file}:{start}", text="\n".join(block)))
            block = []
    return samples


def _pairs(file: Path, text: str) -> list[Sample]:
    samples: list[Sample] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        where = f"{file} line {number}"
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TrainingError(f"{where}: not JSON ({exc.msg})") from exc
        if not isinstance(item, dict):
            raise TrainingError(f'{where}: expected an object {{"prompt": ..., "response": ...}}')
        prompt, response = item.get("prompt"), item.get("response")
        if not isinstance(prompt, str) or not prompt.strip():
            raise TrainingError(f'{where}: "prompt" must be non-empty text')
        if not isinstance(response, str) or not response.strip():
            raise TrainingError(f'{where}: "response" must be non-empty text')
        listed = item.get("sources", [])
        sources = [_source(s) for s in listed] if isinstance(listed, list) else [None]
        if any(s is None for s in sources):
            raise TrainingError(
                f'{where}: "sources" must be a list of passages (text, or objects with '
                '"name" and "text")'
            )
        kept = [s for s in sources if s is not None and s[1].strip()]
        samples.append(
            Sample(
                f"{file}:{number}",
                prompt=prompt.strip(),
                response=response.strip(),
                sources=tuple(text for _, text in kept),
                source_names=tuple(name for name, _ in kept),
            )
        )
    return samples


def _source(value: object) -> tuple[str, str] | None:
    """(file name, text) of one JSONL source, or None when it is neither form."""
    if isinstance(value, str):
        return "", value
    if isinstance(value, dict):
        name, text = value.get("name", ""), value.get("text")
        if isinstance(name, str) and isinstance(text, str):
            return name, text
    return None
