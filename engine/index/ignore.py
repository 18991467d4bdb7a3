"""Which files under a watched folder Docent skips: hidden files, VCS and tool folders,
editor temp files, plus the person's own glob patterns.

Used for every file of a full walk and for every file-system event, so matching is
one precompiled regular expression per kind of pattern and no disk access in the
common case.

Pattern syntax (gitignore-like, no negation):

- ``*.log``: a glob matched against each path component (file or folder name);
  a matching folder hides everything inside it.
- ``build/``: a trailing slash matches folders only.
- ``docs/drafts/*`` or ``/notes.md``: a pattern containing a slash is anchored at the
  watched folder and matched segment by segment against the relative path (``*`` never
  crosses a ``/``; ``**`` spans any number of folders). Matching a folder hides its
  contents.

Names compare case-insensitively on Windows and macOS, whose file systems do.
"""

from __future__ import annotations

import fnmatch
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

DEFAULT_IGNORES: tuple[str, ...] = (
    ".*",  # hidden files and folders, which covers .git, .venv, .DS_Store, .#* and .*.swp
    ".git",
    "node_modules",
    "__pycache__",
    ".venv",
    "venv",
    "*~",
    ".#*",
    "#*#",
    "*.swp",
    "*.swx",
    "*.tmp",
    "*.part",
    "*.crdownload",
    "~$*",  # Office lock files
    ".DS_Store",
    "Thumbs.db",
    "desktop.ini",
)

_FLAGS = re.IGNORECASE if sys.platform in ("win32", "darwin") else 0
_ANY_DEPTH = None  # marks a "**" segment in an anchored pattern

_Matcher = Callable[[str], object]


def _compile_names(globs: Sequence[str]) -> _Matcher | None:
    """One regex matching any of the globs against a whole name, or None if no globs."""
    if not globs:
        return None
    return re.compile("|".join(fnmatch.translate(g) for g in globs), _FLAGS).match


class _Anchored:
    """A pattern containing "/", matched segment by segment from the watched folder."""

    def __init__(self, pattern: str) -> None:
        self.dir_only = pattern.endswith("/")
        segments = [s for s in pattern.strip("/").split("/") if s]
        self.segments: list[_Matcher | None] = [
            _ANY_DEPTH if s == "**" else re.compile(fnmatch.translate(s), _FLAGS).match
            for s in segments
        ]

    def matches(self, parts: Sequence[str]) -> bool:
        """True if the segments match exactly these leading path components."""
        return self._match(0, parts, 0)

    def _match(self, i: int, parts: Sequence[str], j: int) -> bool:
        segments = self.segments
        while i < len(segments):
            segment = segments[i]
            if segment is _ANY_DEPTH:
                return any(self._match(i + 1, parts, k) for k in range(j, len(parts) + 1))
            if j >= len(parts) or not segment(parts[j]):
                return False
            i += 1
            j += 1
        return j == len(parts)


class IgnoreRules:
    """Decides which paths under a watched folder are skipped (see the module docstring)."""

    def __init__(self, patterns: Iterable[str] = (), *, include_defaults: bool = True) -> None:
        everything = [*(DEFAULT_IGNORES if include_defaults else ()), *patterns]
        names: list[str] = []
        dir_names: list[str] = []
        self._anchored: list[_Anchored] = []
        for raw in everything:
            pattern = raw.strip()
            if not pattern or pattern == "/":
                continue
            if "/" in pattern.rstrip("/"):
                self._anchored.append(_Anchored(pattern))
            elif pattern.endswith("/"):
                dir_names.append(pattern.rstrip("/"))
            else:
                names.append(pattern)
        self._name = _compile_names(names)
        self._dir_name = _compile_names(dir_names)

    def ignores(self, path: Path, root: Path) -> bool:
        """True if `path` (under `root`) or any folder between them is ignored.

        `root` itself is never ignored, even when hidden. Raises ValueError when `path`
        is not under `root`.
        """
        parts = _relative_parts(path, root)
        last = len(parts) - 1
        for i in range(len(parts)):
            verdict = self._entry_verdict(parts[: i + 1], is_dir=True if i < last else None)
            if verdict is None:  # only a folder-only pattern matched: look at the disk
                verdict = os.path.isdir(path)
            if verdict:
                return True
        return False

    def walk(self, root: Path, start: Path | None = None) -> Iterator[Path]:
        """Yield every regular file under `root` that is not ignored, in sorted order.

        `start`, a folder inside `root`, limits the walk to that subtree while patterns
        stay anchored at `root`. Ignored folders are not entered, symlinked folders are
        not followed (symlinks to files are yielded), and folders that vanish or cannot be
        read are skipped.
        """
        root = Path(root)
        start = root if start is None else Path(start)
        base = list(start.relative_to(root).parts)
        stack: list[tuple[list[str], Iterator[os.DirEntry[str]]]] = [(base, _listing(start))]
        while stack:
            parts, entries = stack[-1]
            entry = next(entries, None)
            if entry is None:
                stack.pop()
                continue
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
                is_file = not is_dir and entry.is_file()
            except OSError:
                continue  # vanished or unreadable between listing and inspection
            if not (is_dir or is_file):
                continue
            entry_parts = [*parts, entry.name]
            if self._entry_verdict(entry_parts, is_dir=is_dir):
                continue
            if is_dir:
                stack.append((entry_parts, _listing(Path(entry.path))))
            else:
                yield Path(entry.path)

    def _entry_verdict(self, parts: Sequence[str], *, is_dir: bool | None) -> bool | None:
        """Is the last component ignored, given its ancestors are not?

        Returns None when the answer depends on whether it is a folder and `is_dir`
        is unknown (None).
        """
        name = parts[-1]
        if self._name is not None and self._name(name):
            return True
        undecided = False
        if self._dir_name is not None and self._dir_name(name):
            if is_dir:
                return True
            undecided = is_dir is None
        for anchored in self._anchored:
            if anchored.matches(parts):
                if not anchored.dir_only or is_dir:
                    return True
                undecided = undecided or is_dir is None
        return None if undecided else False


def _relative_parts(path: Path, root: Path) -> list[str]:
    """Components of `path` below `root` (a string fast path, Path.relative_to otherwise)."""
    text, base = os.fspath(path), os.fspath(root).rstrip(os.sep) + os.sep
    if text.startswith(base):
        return [p for p in text[len(base) :].split(os.sep) if p]
    return [p for p in Path(path).relative_to(root).parts if p != "."]


def _listing(folder: Path) -> Iterator[os.DirEntry[str]]:
    """The entries of `folder` sorted by name; empty if it vanished or is unreadable."""
    try:
        with os.scandir(folder) as scan:
            entries = list(scan)
    except OSError:
        return iter(())
    entries.sort(key=lambda e: e.name)
    return iter(entries)
