"""The packaging recipes, checked as far as this machine can without building: the shared
spec compiles and names files that exist, the scripts parse, the Windows and macOS
recipes agree with the spec, and the icon renders in every format. (`make package-test`
builds and runs the real Linux package; it is slow, so not part of `make test`.)"""

from __future__ import annotations

import ast
import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
INSTALLERS = REPO / "installers"
SPEC = INSTALLERS / "docent.spec"


def test_the_spec_compiles_and_names_existing_files():
    source = SPEC.read_text()
    ast.parse(source, filename=str(SPEC))
    for folder in re.findall(r'REPO / "resources" / "([\w-]+)"', source):
        assert (REPO / "resources" / folder).is_dir(), folder
    for entry in re.findall(r'analysis\("([\w.]+)"\)', source):
        assert (INSTALLERS / "entries" / entry).is_file(), entry
    assert (REPO / "resources" / "icons" / "docent.svg").is_file()
    programs = re.findall(r'program\(\w+, "([\w-]+)"', source)
    assert programs == ["docent-desktop", "docent"]


def test_ocr_runs_on_the_headless_opencv():
    """make swaps RapidOCR's opencv-python for opencv-python-headless (the Makefile's
    USE_HEADLESS_OPENCV): the same cv2 without Qt 5 and X11, which the package would
    otherwise carry beside PySide6's Qt 6."""
    from importlib import metadata

    import cv2

    assert metadata.version("opencv-python-headless")
    with pytest.raises(metadata.PackageNotFoundError):
        metadata.distribution("opencv-python")
    site = Path(cv2.__file__).resolve().parents[1]
    assert not list(site.glob("opencv_python.libs/*Qt5*"))
    assert cv2.resize(np.zeros((4, 4), np.uint8), (2, 2)).shape == (2, 2)


def test_qt_translations_are_left_out_only_while_the_app_loads_none():
    """The spec drops Qt's own translations because nothing installs a QTranslator; an app
    that starts translating must take them back into the package."""
    drops_them = '"PySide6/Qt/translations/"' in SPEC.read_text()
    translates = any(
        "QTranslator" in source.read_text(encoding="utf-8")
        for source in (REPO / "desktop").rglob("*.py")
    )
    assert not (drops_them and translates)


def test_the_entries_start_multiprocessing_children_correctly():
    for entry in (INSTALLERS / "entries").glob("*.py"):
        text = entry.read_text()
        assert 'if __name__ == "__main__":' in text
        main = text.split('if __name__ == "__main__":')[1]
        first_call = main.strip().splitlines()[0]
        assert first_call.startswith("multiprocessing.freeze_support()"), entry.name


@pytest.mark.parametrize("script", sorted(INSTALLERS.rglob("*.sh")), ids=lambda p: p.name)
def test_shell_scripts_parse(script):
    subprocess.run(["bash", "-n", str(script)], check=True)


def test_the_windows_installer_packs_what_the_spec_builds():
    iss = (INSTALLERS / "windows" / "docent.iss").read_text()
    assert r"{#Repo}\dist\docent\*" in iss  # COLLECT(name="docent")
    assert "docent-desktop.exe" in iss
    assert 'name="docent"' in SPEC.read_text()
    build = (INSTALLERS / "windows" / "build.ps1").read_text()
    assert "installers\\docent.spec" in build and "docent.iss" in build


def test_the_mac_recipe_builds_the_app_the_spec_names():
    assert 'name="Docent.app"' in SPEC.read_text()
    build = (INSTALLERS / "macos" / "build.sh").read_text()
    assert "dist/Docent.app" in build and "hdiutil create" in build
    assert (INSTALLERS / "macos" / "entitlements.plist").is_file()


def test_the_desktop_file_launches_the_app():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # keys are case-sensitive
    entry.read(INSTALLERS / "linux" / "docent.desktop")
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application"
    assert section["Exec"].split()[0] == "docent-desktop"
    assert section["Icon"] == "docent"
    validate = shutil.which("desktop-file-validate")
    if validate:
        subprocess.run([validate, str(INSTALLERS / "linux" / "docent.desktop")], check=True)


def test_the_icon_renders_for_every_platform(tmp_path):
    script = str(INSTALLERS / "render_icon.py")
    for out in ("docent.png", "docent.ico", "docent.iconset"):
        subprocess.run([sys.executable, script, str(tmp_path / out)], check=True, timeout=120)
    assert (tmp_path / "docent.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "docent.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"
    assert len(list((tmp_path / "docent.iconset").glob("icon_*.png"))) == 10
