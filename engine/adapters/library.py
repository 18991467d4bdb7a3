"""The adapter library: the person's LoRA adapters, kept under names in the data dir.

An adapter enters the library only after its file has been checked (and, normally,
found to fit the current model); it is copied through a temporary file, so an
interrupted copy never leaves a half adapter under a real name. Files that go bad
afterwards are still listed, with what is wrong with them.
"""

from __future__ import annotations

import math
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from engine.adapters.files import AdapterInfo, inspect_adapter, misfit
from engine.errors import AdapterError, UserInputError
from engine.models.gguf_file import GgufFile

SUFFIX = ".gguf"
NAME_RULE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
MAX_SCALE = 2.0


@dataclass(frozen=True, slots=True)
class AdapterChoice:
    """An adapter picked by name, with a strength: 0 is off, 1 as trained, at most 2."""

    name: str
    scale: float = 1.0

    def __post_init__(self) -> None:
        if not math.isfinite(self.scale) or not 0.0 <= self.scale <= MAX_SCALE:
            raise UserInputError(
                f"strength {self.scale} for adapter {self.name!r} is outside 0 to {MAX_SCALE:g}"
            )

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "scale": self.scale}


@dataclass(frozen=True, slots=True)
class LibraryEntry:
    """One adapter in the library and whether it can be used."""

    name: str
    path: Path
    info: AdapterInfo | None
    problem: str | None = None  # why the file is unusable (it was damaged since)
    misfit: str | None = None  # why it does not fit the model it was compared with

    @property
    def usable(self) -> bool:
        return self.info is not None and self.misfit is None

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"name": self.name, "path": str(self.path)}
        if self.info is not None:
            data.update(self.info.to_dict())
            data["path"] = str(self.path)
        data["fits_model"] = self.usable
        data["problem"] = self.problem or self.misfit
        return data


class AdapterLibrary:
    """A folder of named adapter files (`NAME.gguf`)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path_for(self, name: str) -> Path:
        return self.folder / f"{name}{SUFFIX}"

    def names(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(
            (p.name.removesuffix(SUFFIX) for p in self.folder.glob(f"*{SUFFIX}")),
            key=str.lower,
        )

    def entries(self, model: GgufFile | None = None) -> list[LibraryEntry]:
        return [self._entry(name, model) for name in self.names()]

    def entry(self, name: str, model: GgufFile | None = None) -> LibraryEntry:
        if not self.path_for(name).is_file():
            raise UserInputError(self._unknown(name))
        return self._entry(name, model)

    def info(self, name: str) -> AdapterInfo:
        """The checked adapter called `name`; AdapterError when its file went bad."""
        path = self.path_for(name)
        if not path.is_file():
            raise UserInputError(self._unknown(name))
        return inspect_adapter(path)

    def add(
        self,
        source: str | Path,
        name: str | None = None,
        replace: bool = False,
        model: GgufFile | None = None,
    ) -> LibraryEntry:
        """Check `source` and copy it in as `name` (default: the file's stem).

        With `model`, an adapter that does not fit it is refused too.
        """
        file = Path(source).expanduser()
        info = inspect_adapter(file)
        if model is not None:
            reason = misfit(info, model)
            if reason is not None:
                raise AdapterError(f"{file}: {reason}")
        chosen = name if name is not None else default_name(file)
        if not NAME_RULE.fullmatch(chosen):
            raise UserInputError(
                f"{chosen!r} cannot name an adapter: use up to 64 letters, digits, '.', '_' "
                "or '-', starting with a letter or digit"
            )
        target = self.path_for(chosen)
        if target.exists() and target.resolve() == file.resolve():
            return self._entry(chosen, model)
        if target.exists() and not replace:
            raise UserInputError(
                f"an adapter named {chosen!r} already exists; choose another --name or replace it"
            )
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = self.folder / f".{chosen}{SUFFIX}.part"
        try:
            shutil.copyfile(file, partial)
            os.replace(partial, target)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise AdapterError(
                f"{file}: cannot copy it into {self.folder} ({exc.strerror or exc})"
            ) from exc
        return self._entry(chosen, model)

    def remove(self, name: str) -> None:
        path = self.path_for(name)
        if not path.is_file():
            raise UserInputError(self._unknown(name))
        path.unlink()
        for sidecar in self.folder.glob(f"{glob_escape(name)}.*.json"):
            sidecar.unlink(missing_ok=True)

    def _entry(self, name: str, model: GgufFile | None) -> LibraryEntry:
        path = self.path_for(name)
        try:
            info = inspect_adapter(path)
        except AdapterError as exc:
            return LibraryEntry(name, path, None, problem=_cause(str(exc), path))
        reason = misfit(info, model) if model is not None else None
        return LibraryEntry(name, path, info, misfit=reason)

    def _unknown(self, name: str) -> str:
        known = self.names()
        listing = ", ".join(known) if known else "none yet (add one with `docent adapters add`)"
        return f"no adapter named {name!r}; the library has: {listing}"


def default_name(file: Path) -> str:
    """A library name from a file name: unsafe characters become '-'."""
    stem = file.name.removesuffix(SUFFIX) if file.name.endswith(SUFFIX) else file.stem
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", stem).strip("-.") or "adapter"
    return cleaned[:64]


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def _cause(message: str, path: Path) -> str:
    prefix = f"{path}: "
    return message[len(prefix) :] if message.startswith(prefix) else message
