"""The Linux package carries the X11 client libraries Qt's xcb plugin needs, from the build
machine (installers/README.md): the spec's `x11_libraries_to_carry`, run here without
PyInstaller, finds each one this machine has, under its soname, and warns about the rest."""

from __future__ import annotations

import ast
import ctypes
import sys
from pathlib import Path
from typing import Any

import pytest

from desktop.platform_check import CARRIED_BY_LINUX_PACKAGE

SPEC = Path(__file__).resolve().parents[2] / "installers" / "docent.spec"


def spec_function(name: str) -> Any:
    """One function of the spec, defined on its own (the spec as a whole needs PyInstaller)."""
    tree = ast.parse(SPEC.read_text(), filename=str(SPEC))
    definition = next(
        node for node in tree.body if isinstance(node, ast.FunctionDef) and node.name == name
    )
    namespace: dict[str, Any] = {"Path": Path, "sys": sys}
    exec(compile(ast.Module([definition], type_ignores=[]), str(SPEC), "exec"), namespace)
    return namespace[name]


def loads(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the Linux package's recipe")
def test_the_spec_carries_each_x11_library_this_machine_has(capsys):
    carried = spec_function("x11_libraries_to_carry")()
    assert all(destination == "." for _source, destination in carried)
    by_soname = {Path(source).name: Path(source) for source, _destination in carried}
    present = [soname for soname in CARRIED_BY_LINUX_PACKAGE if loads(soname)]
    assert sorted(by_soname) == sorted(present)
    assert all(path.is_file() for path in by_soname.values())
    lacking = set(CARRIED_BY_LINUX_PACKAGE) - set(present)
    warning = capsys.readouterr().err
    assert all(soname in warning for soname in lacking)
    assert ("WARNING" in warning) == bool(lacking)
