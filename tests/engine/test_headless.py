"""The engine is headless: it imports and works with Qt unavailable."""

from __future__ import annotations

import subprocess
import sys

CODE = """
import sys
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name == "PySide6" or name.startswith("PySide6.") or name == "desktop" \\
                or name.startswith("desktop."):
            raise ImportError(f"blocked import of {name}")
        return None
sys.meta_path.insert(0, Blocker())
sys.modules["PySide6"] = None
import pkgutil, importlib, engine
names = [m.name for m in pkgutil.walk_packages(engine.__path__, "engine.")]
for name in names:
    importlib.import_module(name)
assert not any(n.startswith("PySide6") for n in sys.modules if sys.modules[n] is not None)
print(len(names))
"""


def test_every_engine_module_imports_without_qt():
    result = subprocess.run(
        [sys.executable, "-c", CODE], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) >= 10


def test_importing_the_engine_does_not_load_torch():
    """The CLI and the app start fast: model libraries load on first use only."""
    code = (
        "import sys, engine.assistant, engine.cli.main, engine.cli.answers, engine.cli.adapters, "
        "engine.training; "
        "print(sorted(m for m in ('torch', 'sentence_transformers', 'transformers', "
        "'llama_cpp', 'gguf', 'jinja2', 'peft') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
