"""The style adapters Docent ships (resources/adapters/NAME/NAME.gguf), installed into the
library on first run so a newcomer can switch voices at once.

Each is installed once: a name recorded in the library's `.bundled.json` is not copied
again, so an adapter the person removed stays removed.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

from engine.adapters.library import AdapterLibrary
from engine.errors import DocentError

log = logging.getLogger(__name__)

MARKER = ".bundled.json"


def install_bundled(library: AdapterLibrary, source: Path) -> list[str]:
    """Copy bundled adapters (and their reports) not installed before; the names copied."""
    if not source.is_dir():
        return []
    marker = library.folder / MARKER
    try:
        done = set(json.loads(marker.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        done = set()
    installed: list[str] = []
    for folder in sorted(p for p in source.iterdir() if p.is_dir()):
        name = folder.name
        file = folder / f"{name}.gguf"
        if name in done or not file.is_file():
            continue
        try:
            if not library.path_for(name).exists():
                library.add(file, name)
                report = folder / f"{name}.report.json"
                if report.is_file():
                    shutil.copyfile(report, library.folder / report.name)
                installed.append(name)
            done.add(name)
        except (DocentError, OSError) as exc:
            log.warning("bundled adapter %s not installed: %s", name, exc)
    if installed or not marker.exists():
        try:
            library.folder.mkdir(parents=True, exist_ok=True)
            marker.write_text(json.dumps(sorted(done)) + "\n", encoding="utf-8")
        except OSError as exc:
            log.warning("cannot record the bundled adapters: %s", exc)
    return installed
