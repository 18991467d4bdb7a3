"""Before Qt starts on Linux: are the system libraries it needs there?

Without them Qt aborts with "Could not load the Qt platform plugin "xcb"" and advice that
names one package at best (often not the missing one). This check says instead, in one
line, what to install on Debian/Ubuntu and on Fedora. `make run` runs it (`python -m
desktop.platform_check`), and `docent-desktop` runs it before it creates the QApplication.
It imports no Qt, so it works precisely when Qt cannot load.

How it checks: each library is loaded by its soname with the dynamic loader (`ctypes.CDLL`).
That is the same search Qt's own loading does (LD_LIBRARY_PATH, which in the packaged app
holds the bundle's folder, the ld.so cache, the default folders), it needs no outside tool
(`ldd` is a shell script, `ldconfig -p` misses LD_LIBRARY_PATH and the bundle), it works the
same in the packaged app, and when a library is present but one of its own dependencies is
not, the loader's error names the one that is really missing. Loading them early costs a few
milliseconds; Qt loads the same libraries a moment later anyway.

Which libraries: the DT_NEEDED entries of PySide6's QtCore, QtGui, QtWidgets and QtSvg (needed
on every platform: the import itself fails without them) and of the xcb platform plugin
(`plugins/platforms/libqxcb.so`), its `libQt6XcbQpa` and `libQt6DBus` (needed when the
window system is X11). tests/desktop/test_platform_check.py reads those entries from the
installed PySide6 and fails when this table misses one.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

EXIT_MISSING_LIBRARIES = 3  # `make run` and docent-desktop stop with this code


@dataclass(frozen=True)
class SystemLibrary:
    """A shared library Qt loads from the system, and the packages that install it."""

    soname: str
    debian_package: str  # Debian and Ubuntu
    fedora_package: str


# Needed by QtCore, QtGui, QtWidgets and QtSvg whatever the platform plugin.
QT_GUI_LIBRARIES: tuple[SystemLibrary, ...] = (
    SystemLibrary("libGL.so.1", "libgl1", "mesa-libGL"),
    SystemLibrary("libEGL.so.1", "libegl1", "mesa-libEGL"),
    SystemLibrary("libX11.so.6", "libx11-6", "libX11"),
    SystemLibrary("libxkbcommon.so.0", "libxkbcommon0", "libxkbcommon"),
    SystemLibrary("libfontconfig.so.1", "libfontconfig1", "fontconfig"),
    SystemLibrary("libfreetype.so.6", "libfreetype6", "freetype"),
    SystemLibrary("libglib-2.0.so.0", "libglib2.0-0", "glib2"),
    SystemLibrary("libgthread-2.0.so.0", "libglib2.0-0", "glib2"),
    SystemLibrary("libz.so.1", "zlib1g", "zlib"),
    SystemLibrary("libzstd.so.1", "libzstd1", "libzstd"),
)

# Needed in addition by the xcb platform plugin (X11).
XCB_PLUGIN_LIBRARIES: tuple[SystemLibrary, ...] = (
    SystemLibrary("libxcb.so.1", "libxcb1", "libxcb"),
    SystemLibrary("libxcb-cursor.so.0", "libxcb-cursor0", "xcb-util-cursor"),
    SystemLibrary("libxcb-icccm.so.4", "libxcb-icccm4", "xcb-util-wm"),
    SystemLibrary("libxcb-image.so.0", "libxcb-image0", "xcb-util-image"),
    SystemLibrary("libxcb-keysyms.so.1", "libxcb-keysyms1", "xcb-util-keysyms"),
    SystemLibrary("libxcb-render-util.so.0", "libxcb-render-util0", "xcb-util-renderutil"),
    SystemLibrary("libxcb-util.so.1", "libxcb-util1", "xcb-util"),
    SystemLibrary("libxcb-randr.so.0", "libxcb-randr0", "libxcb"),
    SystemLibrary("libxcb-render.so.0", "libxcb-render0", "libxcb"),
    SystemLibrary("libxcb-shape.so.0", "libxcb-shape0", "libxcb"),
    SystemLibrary("libxcb-shm.so.0", "libxcb-shm0", "libxcb"),
    SystemLibrary("libxcb-sync.so.1", "libxcb-sync1", "libxcb"),
    SystemLibrary("libxcb-xfixes.so.0", "libxcb-xfixes0", "libxcb"),
    SystemLibrary("libxcb-xkb.so.1", "libxcb-xkb1", "libxcb"),
    SystemLibrary("libX11-xcb.so.1", "libx11-xcb1", "libX11-xcb"),
    SystemLibrary("libxkbcommon-x11.so.0", "libxkbcommon-x11-0", "libxkbcommon-x11"),
    SystemLibrary("libdbus-1.so.3", "libdbus-1-3", "dbus-libs"),
)

# The X11 client libraries the Linux package carries itself, taken from the build machine by
# installers/docent.spec (all MIT/X11 licensed): those a fresh desktop most often lacks
# (xcb-cursor, the xcb-util family) and their companions. libxcb itself, libGL and libEGL
# always come from the system: they must match its X server and graphics drivers.
CARRIED_BY_LINUX_PACKAGE: tuple[str, ...] = (
    "libxcb-cursor.so.0",
    "libxcb-icccm.so.4",
    "libxcb-image.so.0",
    "libxcb-keysyms.so.1",
    "libxcb-render-util.so.0",
    "libxcb-util.so.1",
    "libxcb-randr.so.0",
    "libxcb-render.so.0",
    "libxcb-shape.so.0",
    "libxcb-shm.so.0",
    "libxcb-sync.so.1",
    "libxcb-xfixes.so.0",
    "libxcb-xkb.so.1",
    "libX11-xcb.so.1",
    "libxkbcommon.so.0",
    "libxkbcommon-x11.so.0",
)

KNOWN_LIBRARIES: dict[str, SystemLibrary] = {
    library.soname: library for library in QT_GUI_LIBRARIES + XCB_PLUGIN_LIBRARIES
}

# soname -> None when the loader can load it, else the soname it could not find (that
# library itself, or a dependency of it).
LibraryProbe = Callable[[str], str | None]


def probe_with_loader(soname: str) -> str | None:
    """Load `soname` the way Qt will; None if it loads, else the library that is missing."""
    try:
        ctypes.CDLL(soname)
    except OSError as error:
        # glibc: "libxcb-render-util.so.0: cannot open shared object file: No such file..."
        named, separator, _ = str(error).partition(": cannot open shared object file")
        return named.strip() if separator and named.strip() else soname
    return None


def requested_platform(environ: Mapping[str, str], qt_args: Sequence[str] = ()) -> str:
    """The platform plugin Qt will try first: `-platform NAME` among the Qt arguments, else
    QT_QPA_PLATFORM, else wayland in a Wayland session (Qt falls back to xcb only if that
    fails), else xcb. Only the name: "xcb:option" and "wayland;xcb" give the first name."""
    chosen = ""
    for index, argument in enumerate(qt_args):
        if argument in ("-platform", "--platform") and index + 1 < len(qt_args):
            chosen = qt_args[index + 1]
    chosen = chosen or environ.get("QT_QPA_PLATFORM", "")
    if not chosen:
        wayland_session = environ.get("XDG_SESSION_TYPE") == "wayland"
        chosen = "wayland" if wayland_session and environ.get("WAYLAND_DISPLAY") else "xcb"
    return chosen.split(";")[0].split(":")[0].strip().lower() or "xcb"


def libraries_needed(platform: str) -> tuple[SystemLibrary, ...]:
    """What Qt loads from the system to start on `platform` (always the GUI libraries)."""
    return QT_GUI_LIBRARIES + (XCB_PLUGIN_LIBRARIES if platform == "xcb" else ())


def missing_libraries(platform: str, probe: LibraryProbe | None = None) -> list[str]:
    """The sonames Qt would not find for `platform`, each once, in the order of the tables
    (`probe` looks one up; by default the dynamic loader, as Qt will)."""
    probe = probe or probe_with_loader
    missing: list[str] = []
    for library in libraries_needed(platform):
        not_found = probe(library.soname)
        if not_found and not_found not in missing:
            missing.append(not_found)
    return missing


def install_advice(missing_sonames: Sequence[str], platform: str) -> str:
    """One line: what is missing and the apt and dnf commands that install it."""
    debian: list[str] = []
    fedora: list[str] = []
    unknown: list[str] = []
    for soname in missing_sonames:
        library = KNOWN_LIBRARIES.get(soname)
        if library is None:
            unknown.append(soname)
            continue
        if library.debian_package not in debian:
            debian.append(library.debian_package)
        if library.fedora_package not in fedora:
            fedora.append(library.fedora_package)
    user = "Qt's window system plugin (xcb)" if platform == "xcb" else "Qt"
    line = f"Docent needs system libraries that {user} uses ({', '.join(missing_sonames)} missing)"
    if debian:
        line += (
            f": sudo apt install {' '.join(debian)} (Debian/Ubuntu)"
            f" or sudo dnf install {' '.join(fedora)} (Fedora)"
        )
    if unknown:
        line += "; also" if debian else ":"
        line += f" install the package that provides {', '.join(unknown)}"
    return line


def problem_with_system_libraries(
    environ: Mapping[str, str] | None = None,
    qt_args: Sequence[str] = (),
    system: str | None = None,
    probe: LibraryProbe | None = None,
) -> str | None:
    """The one-line advice when Qt cannot start here for want of a system library; None
    when all are there, and always off Linux (the wheels bring what Qt needs there)."""
    if not (system or sys.platform).startswith("linux"):
        return None
    platform = requested_platform(os.environ if environ is None else environ, qt_args)
    missing = missing_libraries(platform, probe)
    return install_advice(missing, platform) if missing else None


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m desktop.platform_check [QT ARGS]`: exit 0 when Qt can start, else say
    what to install on stderr and exit EXIT_MISSING_LIBRARIES."""
    qt_args = list(sys.argv[1:] if argv is None else argv)
    advice = problem_with_system_libraries(qt_args=qt_args)
    if advice:
        print(advice, file=sys.stderr)
        return EXIT_MISSING_LIBRARIES
    return 0


if __name__ == "__main__":
    sys.exit(main())
