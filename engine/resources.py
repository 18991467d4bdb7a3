"""Files Docent ships with: the sample folder, the bundled style adapters and their samples."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    """`resources/` beside the code (or inside a frozen bundle)."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parents[1] / "resources"


def sample_docs() -> Path:
    return resources_dir() / "sample-docs"


def bundled_adapters() -> Path:
    return resources_dir() / "adapters"


def app_icon() -> Path:
    return resources_dir() / "icons" / "docent.svg"


def reader_adapter() -> Path:
    """The built-in reader adapter for the bundled model (resources/reader/reader.gguf)."""
    return resources_dir() / "reader" / "reader.gguf"


def reader_calibration() -> Path:
    """The reader's decline threshold, measured by resources/reader/calibrate.py."""
    return resources_dir() / "reader" / "reader.calibration.json"
