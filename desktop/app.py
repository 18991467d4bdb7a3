"""`docent-desktop` (and `make run`): the desktop app.

The window appears at once; the engine opens, indexes and loads the model behind it, in
its own process (see desktop.bridge). On the very first run the bundled sample folder is added,
so a newcomer can ask a question straight away.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def launch(app: Any, home: str | Path | None = None, settings: Any = None) -> tuple[Any, Any]:
    """Build and show the window, start the engine behind it; (window, bridge)."""
    from PySide6.QtCore import QSettings

    from desktop.bridge import EngineBridge
    from desktop.main_window import MainWindow
    from engine.resources import sample_docs

    settings = settings or QSettings("Docent", "Docent")

    bridge = EngineBridge(home)
    window = MainWindow(bridge, settings)
    window.show()
    first_run = not settings.value("first_run_done", False, type=bool)
    bridge.start(sample_docs() if first_run else None)
    settings.setValue("first_run_done", True)
    app.aboutToQuit.connect(bridge.shutdown)
    return window, bridge


def main(argv: Sequence[str] | None = None) -> int:
    import multiprocessing

    multiprocessing.freeze_support()  # a packaged app starts the engine from itself
    from PySide6.QtWidgets import QApplication

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app = QApplication(list(argv) if argv is not None else sys.argv)
    app.setApplicationName("Docent")
    app.setOrganizationName("Docent")
    launch(app)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
