"""IgnoreRules: default and user patterns, and the pruning, sorted walk."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from engine.index.ignore import DEFAULT_IGNORES, IgnoreRules


def make(root: Path, *relative: str) -> None:
    for rel in relative:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(rel)


@pytest.mark.parametrize(
    "rel",
    [
        ".hidden.md",
        ".obsidian/workspace.json",
        ".git/HEAD",
        ".git/objects/ab/cdef",
        "node_modules/pkg/readme.md",
        "src/__pycache__/mod.cpython-311.pyc",
        "venv/lib/site.py",
        ".venv/lib/site.py",
        "notes/.a.md.swp",
        "notes/a.md.swx",
        "notes/a.md~",
        "notes/.#a.md",
        "notes/#a.md#",
        "notes/a.md.tmp",
        "download.pdf.part",
        "download.pdf.crdownload",
        "~$report.docx",
        ".DS_Store",
        "photos/Thumbs.db",
        "desktop.ini",
    ],
)
def test_defaults_ignore(rel: str, tmp_path: Path) -> None:
    assert IgnoreRules().ignores(tmp_path / rel, tmp_path)


@pytest.mark.parametrize(
    "rel", ["a.md", "notes/a.md", "notes/a.b.md", "report.docx", "venvs.md", "temp/a.md"]
)
def test_defaults_keep(rel: str, tmp_path: Path) -> None:
    assert not IgnoreRules().ignores(tmp_path / rel, tmp_path)


def test_defaults_can_be_left_out(tmp_path: Path) -> None:
    rules = IgnoreRules(["*.log"], include_defaults=False)
    assert not rules.ignores(tmp_path / ".git" / "HEAD", tmp_path)
    assert rules.ignores(tmp_path / "x.log", tmp_path)
    assert ".*" in DEFAULT_IGNORES and ".git" in DEFAULT_IGNORES


def test_root_itself_is_never_ignored(tmp_path: Path) -> None:
    root = tmp_path / ".notes"  # hidden, and matching a user pattern too
    rules = IgnoreRules([".notes"])
    assert not rules.ignores(root, root)
    assert not rules.ignores(root / "a.md", root)
    assert rules.ignores(root / ".notes" / "a.md", root)  # the same name below the root


def test_user_name_pattern_matches_any_component(tmp_path: Path) -> None:
    rules = IgnoreRules(["*.log", "scratch"])
    assert rules.ignores(tmp_path / "run.log", tmp_path)
    assert rules.ignores(tmp_path / "deep" / "er" / "run.log", tmp_path)
    assert rules.ignores(tmp_path / "scratch" / "idea.md", tmp_path)
    assert not rules.ignores(tmp_path / "run.log.md", tmp_path)


def test_trailing_slash_matches_folders_only(tmp_path: Path) -> None:
    rules = IgnoreRules(["build/"])
    make(tmp_path, "build/out.md", "sub/build/x.md")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "build").write_text("a file called build")
    assert rules.ignores(tmp_path / "build", tmp_path)
    assert rules.ignores(tmp_path / "build" / "out.md", tmp_path)
    assert rules.ignores(tmp_path / "sub" / "build" / "x.md", tmp_path)
    assert not rules.ignores(tmp_path / "notes" / "build", tmp_path)
    assert list(rules.walk(tmp_path)) == [tmp_path / "notes" / "build"]


def test_pattern_with_slash_is_anchored_at_the_root(tmp_path: Path) -> None:
    rules = IgnoreRules(["docs/drafts/*", "/top.md", "a/**/z.md"])
    assert rules.ignores(tmp_path / "docs" / "drafts" / "wip.md", tmp_path)
    assert rules.ignores(tmp_path / "docs" / "drafts" / "old" / "x.md", tmp_path)
    assert not rules.ignores(tmp_path / "docs" / "drafts", tmp_path)
    assert not rules.ignores(tmp_path / "docs" / "final.md", tmp_path)
    assert not rules.ignores(tmp_path / "other" / "docs" / "drafts" / "wip.md", tmp_path)
    assert rules.ignores(tmp_path / "top.md", tmp_path)
    assert not rules.ignores(tmp_path / "sub" / "top.md", tmp_path)
    assert rules.ignores(tmp_path / "a" / "z.md", tmp_path)
    assert rules.ignores(tmp_path / "a" / "b" / "c" / "z.md", tmp_path)
    assert not rules.ignores(tmp_path / "a" / "b" / "y.md", tmp_path)


def test_star_does_not_cross_folders_in_anchored_patterns(tmp_path: Path) -> None:
    rules = IgnoreRules(["docs/*.md"])
    assert rules.ignores(tmp_path / "docs" / "a.md", tmp_path)
    assert not rules.ignores(tmp_path / "docs" / "sub" / "a.md", tmp_path)


def test_path_outside_root_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        IgnoreRules().ignores(tmp_path / "x", tmp_path / "elsewhere")


def test_walk_prunes_and_sorts(tmp_path: Path) -> None:
    make(
        tmp_path,
        "b.md",
        "a/z.md",
        "a/b/c.txt",
        "a.md",
        "C.md",
        ".git/HEAD",
        "node_modules/x/readme.md",
        "a/.cache/blob",
        "a/b/.c.txt.swp",
        "logs/run.log",
        "docs/drafts/wip.md",
        "docs/final.md",
    )
    rules = IgnoreRules(["*.log", "docs/drafts/*"])
    found = list(rules.walk(tmp_path))
    rel = [p.relative_to(tmp_path).as_posix() for p in found]
    assert rel == ["C.md", "a/b/c.txt", "a/z.md", "a.md", "b.md", "docs/final.md"]
    assert found == sorted(found)
    assert all(p.is_absolute() for p in found)


def test_walk_does_not_enter_ignored_folders(tmp_path: Path, monkeypatch) -> None:
    make(tmp_path, "keep/a.md", "node_modules/x/y.md", ".git/objects/1")
    listed: list[str] = []
    real_scandir = os.scandir

    def spy(path):  # type: ignore[no-untyped-def]
        listed.append(Path(path).name)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", spy)
    assert list(IgnoreRules().walk(tmp_path)) == [tmp_path / "keep" / "a.md"]
    assert sorted(listed) == sorted([tmp_path.name, "keep"])


def test_walk_skips_symlinked_folders_but_keeps_symlinked_files(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    make(outside, "secret.md")
    make(root, "a.md")
    try:
        (root / "linkdir").symlink_to(outside, target_is_directory=True)
        (root / "link.md").symlink_to(outside / "secret.md")
        (root / "broken.md").symlink_to(tmp_path / "missing.md")
    except OSError:
        pytest.skip("symlinks not available")
    assert list(IgnoreRules().walk(root)) == [root / "a.md", root / "link.md"]


def test_walk_tolerates_a_folder_vanishing_mid_walk(tmp_path: Path) -> None:
    make(tmp_path, "a.md", "sub/b.md", "sub/c.md", "z.md")
    walk = IgnoreRules().walk(tmp_path)
    assert next(walk) == tmp_path / "a.md"
    shutil.rmtree(tmp_path / "sub")
    assert list(walk) == [tmp_path / "z.md"]


def test_walk_tolerates_a_file_vanishing_mid_walk(tmp_path: Path) -> None:
    make(tmp_path, "a.md", "b.md", "c.md")
    walk = IgnoreRules().walk(tmp_path)
    assert next(walk) == tmp_path / "a.md"
    (tmp_path / "b.md").unlink()
    rest = list(walk)  # b.md may still be reported: the consumer's stat() decides
    assert rest[-1] == tmp_path / "c.md"


def test_walk_skips_unreadable_folders(tmp_path: Path, monkeypatch) -> None:
    make(tmp_path, "a.md", "locked/b.md", "open/c.md")
    real_scandir = os.scandir

    def scandir(path):  # type: ignore[no-untyped-def]
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    assert list(IgnoreRules().walk(tmp_path)) == [tmp_path / "a.md", tmp_path / "open" / "c.md"]


def test_walk_of_missing_root_is_empty(tmp_path: Path) -> None:
    assert list(IgnoreRules().walk(tmp_path / "nope")) == []


def test_ignores_compiles_nothing_and_reads_no_disk_per_call(tmp_path: Path, monkeypatch) -> None:
    """What keeps `ignores` cheap on every watcher event (its speed is not timed here)."""
    rules = IgnoreRules(["*.log", "build/", "docs/drafts/*"])

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("ignores() compiled a pattern or touched the disk")

    monkeypatch.setattr(re, "compile", forbidden)
    monkeypatch.setattr(os, "stat", forbidden)
    monkeypatch.setattr(os, "scandir", forbidden)
    paths = [tmp_path / "projects" / f"p{i}" / "notes" / f"file{i}.md" for i in range(200)]
    assert not any(rules.ignores(p, tmp_path) for p in paths)
    assert rules.ignores(tmp_path / "build" / "out.txt", tmp_path)
    assert rules.ignores(tmp_path / "docs" / "drafts" / "x.md", tmp_path)


def test_walk_from_a_subfolder_keeps_patterns_anchored_at_the_root(tmp_path: Path) -> None:
    make(tmp_path, "docs/drafts/wip.md", "docs/final.md", "drafts/keep.md")
    rules = IgnoreRules(["docs/drafts/*"])
    found = list(rules.walk(tmp_path, start=tmp_path / "docs"))
    assert found == [tmp_path / "docs" / "final.md"]
    assert tmp_path / "drafts" / "keep.md" in list(rules.walk(tmp_path))
