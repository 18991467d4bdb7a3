"""desktop.platform_check: before Qt loads on Linux, a missing system library is named in
one line with the Debian/Ubuntu and Fedora packages that install it (`make run` and
docent-desktop stop there); offscreen, Wayland and other systems are let through."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import struct
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from desktop import platform_check
from desktop.platform_check import (
    EXIT_MISSING_LIBRARIES,
    QT_GUI_LIBRARIES,
    XCB_PLUGIN_LIBRARIES,
    problem_with_system_libraries,
    requested_platform,
)

REPO = Path(__file__).resolve().parents[2]
X11_SESSION = {"DISPLAY": ":0", "XDG_SESSION_TYPE": "x11"}


def loader_without(*hidden: str, reported_as: str | None = None) -> Callable[[str], str | None]:
    """A probe on which the `hidden` sonames are missing (reported as `reported_as`: a
    dependency the loader names instead), and everything else is there."""
    return lambda soname: (reported_as or soname) if soname in hidden else None


def everything_present(soname: str) -> None:
    return None


def test_a_missing_library_is_named_in_one_line_with_both_distributions_packages():
    advice = problem_with_system_libraries(
        X11_SESSION,
        system="linux",
        probe=loader_without("libxcb-cursor.so.0", "libxkbcommon-x11.so.0"),
    )
    assert advice is not None and "\n" not in advice
    assert "libxcb-cursor.so.0, libxkbcommon-x11.so.0 missing" in advice
    assert "sudo apt install libxcb-cursor0 libxkbcommon-x11-0 (Debian/Ubuntu)" in advice
    assert "sudo dnf install xcb-util-cursor libxkbcommon-x11 (Fedora)" in advice


def test_packages_are_named_once_even_when_several_of_their_libraries_are_missing():
    advice = problem_with_system_libraries(
        X11_SESSION,
        system="linux",
        probe=loader_without("libxcb-randr.so.0", "libxcb-shape.so.0", "libxcb-xkb.so.1"),
    )
    assert advice is not None
    assert "apt install libxcb-randr0 libxcb-shape0 libxcb-xkb1 (Debian/Ubuntu)" in advice
    assert "dnf install libxcb (Fedora)" in advice  # one Fedora package holds all three


def test_the_dependency_the_loader_names_is_reported_not_the_library_that_needed_it():
    probe = loader_without("libxcb-cursor.so.0", reported_as="libxcb-render-util.so.0")
    advice = problem_with_system_libraries(X11_SESSION, system="linux", probe=probe)
    assert advice is not None
    assert "apt install libxcb-render-util0 (Debian" in advice
    assert "dnf install xcb-util-renderutil (Fedora)" in advice
    assert "libxcb-cursor0" not in advice


def test_a_library_outside_the_table_is_still_named():
    probe = loader_without("libxcb-shm.so.0", reported_as="libXau.so.6")
    advice = problem_with_system_libraries(X11_SESSION, system="linux", probe=probe)
    assert advice is not None and "\n" not in advice
    assert "install the package that provides libXau.so.6" in advice


def test_it_passes_when_every_library_is_there():
    assert (
        problem_with_system_libraries(X11_SESSION, system="linux", probe=everything_present) is None
    )


@pytest.mark.parametrize(
    ("environ", "qt_args"),
    [
        ({"QT_QPA_PLATFORM": "offscreen"}, []),
        ({"QT_QPA_PLATFORM": "wayland"}, []),
        ({"QT_QPA_PLATFORM": "wayland;xcb"}, []),  # xcb only if Wayland fails
        ({"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"}, []),
        ({"QT_QPA_PLATFORM": "xcb"}, ["-platform", "offscreen"]),  # the argument wins
    ],
    ids=["offscreen", "wayland", "wayland-then-xcb", "wayland-session", "platform-argument"],
)
def test_the_xcb_libraries_do_not_matter_off_x11(environ, qt_args):
    probe = loader_without(*(library.soname for library in XCB_PLUGIN_LIBRARIES))
    assert problem_with_system_libraries(environ, qt_args, system="linux", probe=probe) is None


def test_x11_is_checked_when_asked_for_or_by_default():
    probe = loader_without("libxcb-icccm.so.4")
    for environ in ({"QT_QPA_PLATFORM": "xcb"}, {"QT_QPA_PLATFORM": "xcb:dpi=96"}, {}):
        advice = problem_with_system_libraries(environ, system="linux", probe=probe)
        assert advice is not None and "libxcb-icccm4" in advice, environ
    assert requested_platform({"XDG_SESSION_TYPE": "wayland"}) == "xcb"  # no compositor


def test_the_libraries_qt_gui_itself_needs_are_checked_offscreen_too():
    """Without libEGL even `import PySide6.QtGui` fails, whatever the platform."""
    probe = loader_without("libEGL.so.1")
    advice = problem_with_system_libraries(
        {"QT_QPA_PLATFORM": "offscreen"}, system="linux", probe=probe
    )
    assert advice is not None
    assert "apt install libegl1 (Debian/Ubuntu)" in advice and "dnf install mesa-libEGL" in advice


def test_other_systems_are_let_through():
    probe = loader_without("libGL.so.1", "libxcb-cursor.so.0")
    for system in ("win32", "darwin"):
        assert problem_with_system_libraries({}, system=system, probe=probe) is None


def test_the_real_loader_finds_a_library_every_linux_has_and_names_a_missing_one():
    if not sys.platform.startswith("linux"):
        pytest.skip("the dynamic loader's messages are glibc's")
    assert platform_check.probe_with_loader("libc.so.6") is None
    assert platform_check.probe_with_loader("libdocent-absent.so.7") == "libdocent-absent.so.7"


def test_main_prints_one_line_and_exits_non_zero(monkeypatch, capsys):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.setattr(platform_check, "probe_with_loader", loader_without("libxcb-cursor.so.0"))
    assert platform_check.main([]) == EXIT_MISSING_LIBRARIES
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert "libxcb-cursor0" in err and "xcb-util-cursor" in err
    monkeypatch.setattr(platform_check, "probe_with_loader", everything_present)
    assert platform_check.main([]) == 0


HIDE_LIBRARIES = '''
"""Test hook: the dynamic loader cannot find the sonames in DOCENT_TEST_HIDDEN_LIBRARIES."""
import ctypes
import os

_hidden = set(os.environ.get("DOCENT_TEST_HIDDEN_LIBRARIES", "").split())
_real_init = ctypes.CDLL.__init__


def _init(self, name, *args, **kwargs):
    if name in _hidden:
        raise OSError(f"{name}: cannot open shared object file: No such file or directory")
    _real_init(self, name, *args, **kwargs)


ctypes.CDLL.__init__ = _init
'''


def environment_hiding(tmp_path: Path, *sonames: str, platform: str) -> dict[str, str]:
    """The environment of a subprocess whose dynamic loader (as Python's ctypes sees it)
    cannot find `sonames`, with Qt asked for `platform`."""
    (tmp_path / "sitecustomize.py").write_text(HIDE_LIBRARIES)
    return {
        **os.environ,
        "PYTHONPATH": f"{tmp_path}{os.pathsep}{REPO}",
        "DOCENT_TEST_HIDDEN_LIBRARIES": " ".join(sonames),
        "QT_QPA_PLATFORM": platform,
    }


def assert_names_the_cursor_packages(stderr: str) -> None:
    ours = [line for line in stderr.splitlines() if line.startswith("Docent needs")]
    assert len(ours) == 1, stderr
    # (this machine may lack more than the hidden library: other packages may be named too)
    assert re.search(
        r"sudo apt install [\w. -]*\blibxcb-cursor0\b[\w. -]*\(Debian/Ubuntu\)", ours[0]
    )
    assert re.search(r"sudo dnf install [\w. -]*\bxcb-util-cursor\b[\w. -]*\(Fedora\)", ours[0])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the check is Linux's")
def test_the_app_stops_with_the_line_before_qt_starts(tmp_path):
    """docent-desktop (and so the packaged app) says the same before any Qt loads; without
    the check Qt itself would abort here, with its own message."""
    env = environment_hiding(tmp_path, "libxcb-cursor.so.0", platform="xcb")
    command = [sys.executable, "-m", "desktop.app", "--check", "--home", str(tmp_path / "h")]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == EXIT_MISSING_LIBRARIES, done.stderr
    assert_names_the_cursor_packages(done.stderr)
    assert not (tmp_path / "h").exists()  # nothing was started


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the check is Linux's")
def test_make_run_stops_with_the_line_before_starting_the_app(tmp_path):
    """`make run` itself, with libxcb-cursor hidden from the loader: the check's one line,
    a non-zero exit, and docent-desktop never started."""
    make = shutil.which("make")
    if not make:
        pytest.skip("no make here")
    started = tmp_path / "started"
    fake_venv = tmp_path / "venv"
    (fake_venv / "bin").mkdir(parents=True)
    (fake_venv / "bin" / "docent-desktop").write_text(f"#!/bin/sh\ntouch {started}\n")
    (fake_venv / "bin" / "docent-desktop").chmod(0o755)
    env = environment_hiding(tmp_path, "libxcb-cursor.so.0", platform="xcb")
    # never set up .venv here: the stamp is a fresh file, and make is told it is up to date
    stamp = tmp_path / "installed"
    stamp.touch()
    command = [make, "-s", f"--assume-old={stamp}", "run", f"STAMP={stamp}"]
    command += [f"PY={sys.executable}", f"VENV={fake_venv}"]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert_names_the_cursor_packages(done.stderr)
    assert not started.exists()
    # and with nothing hidden it goes on to start the app
    env["DOCENT_TEST_HIDDEN_LIBRARIES"] = ""
    env["QT_QPA_PLATFORM"] = "offscreen"
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert started.exists()


# --- the table against the installed PySide6 -------------------------------------------

SHT_DYNAMIC, DT_NULL, DT_NEEDED = 6, 0, 1
# the C runtime and the compiler's support libraries: present wherever Python runs
RUNTIME = {"libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0", "librt.so.1"}
RUNTIME |= {"libstdc++.so.6", "libgcc_s.so.1", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1"}


def needed_libraries(elf_file: Path) -> list[str]:
    """The DT_NEEDED entries of a 64-bit little-endian ELF file (what `readelf -d` lists)."""
    data = elf_file.read_bytes()
    assert data[:4] == b"\x7fELF" and data[4] == 2 and data[5] == 1, elf_file
    section_offset = struct.unpack_from("<Q", data, 0x28)[0]
    entry_size, count = struct.unpack_from("<HH", data, 0x3A)
    sections = [
        struct.unpack_from("<IIQQQQIIQQ", data, section_offset + index * entry_size)
        for index in range(count)
    ]
    needed: list[str] = []
    for _name, kind, _flags, _address, offset, size, link, *_rest in sections:
        if kind != SHT_DYNAMIC:
            continue
        strings_at = sections[link][4]
        for at in range(offset, offset + size, 16):
            tag, value = struct.unpack_from("<qQ", data, at)
            if tag == DT_NULL:
                break
            if tag == DT_NEEDED:
                end = data.index(b"\0", strings_at + value)
                needed.append(data[strings_at + value : end].decode())
    return needed


def system_libraries_needed_by(files: Iterable[Path], qt_lib: Path) -> set[str]:
    """What the files load from outside the wheel (neither Qt's nor the C runtime)."""
    return {
        soname
        for elf_file in files
        for soname in needed_libraries(elf_file)
        if soname not in RUNTIME and not (qt_lib / soname).exists()
    }


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or sys.byteorder != "little" or sys.maxsize < 2**32,
    reason="reads the installed PySide6's 64-bit little-endian Linux libraries",
)
def test_the_tables_match_what_the_installed_qt_links_against():
    spec = importlib.util.find_spec("PySide6")
    assert spec is not None and spec.submodule_search_locations
    qt = Path(next(iter(spec.submodule_search_locations))) / "Qt"
    lib = qt / "lib"
    gui_modules = ["libQt6Core.so.6", "libQt6Gui.so.6", "libQt6Widgets.so.6", "libQt6Svg.so.6"]
    xcb_parts = [
        qt / "plugins" / "platforms" / "libqxcb.so",
        lib / "libQt6XcbQpa.so.6",
        lib / "libQt6DBus.so.6",
    ]
    gui_needs = system_libraries_needed_by((lib / name for name in gui_modules), lib)
    xcb_needs = system_libraries_needed_by(xcb_parts, lib) - gui_needs
    assert gui_needs == {library.soname for library in QT_GUI_LIBRARIES}
    assert xcb_needs == {library.soname for library in XCB_PLUGIN_LIBRARIES}


def test_the_readme_installs_every_package_the_check_can_ask_for():
    readme = (REPO / "README.md").read_text()
    section = readme.split("### System libraries (Linux)")[1].split("\n## ")[0]
    commands = section.replace("\\\n", " ")
    apt = next(line for line in commands.splitlines() if line.startswith("sudo apt install"))
    dnf = next(line for line in commands.splitlines() if line.startswith("sudo dnf install"))
    everyday = {"zlib1g", "libzstd1", "zlib", "libzstd"}  # on every system Python runs on
    for library in QT_GUI_LIBRARIES + XCB_PLUGIN_LIBRARIES:
        if library.debian_package not in everyday:
            assert library.debian_package in apt.split(), library
        if library.fedora_package not in everyday:
            assert library.fedora_package in dnf.split(), library
