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
    import argparse
    import multiprocessing

    multiprocessing.freeze_support()  # a packaged app starts the engine from itself
    from desktop.platform_check import EXIT_MISSING_LIBRARIES, problem_with_system_libraries

    argv = list(argv) if argv is not None else sys.argv
    parser = argparse.ArgumentParser(prog="docent-desktop", description="Docent's window.")
    parser.add_argument("--home", help="keep all Docent data (and window state) under HOME")
    parser.add_argument(
        "--check",
        action="store_true",
        help="start, index the folders and load the model, then quit (exit 0 if all went well)",
    )
    args, qt_args = parser.parse_known_args(argv[1:])
    # before anything loads Qt: one line naming the packages beats Qt's abort
    advice = problem_with_system_libraries(qt_args=qt_args)
    if advice:
        print(advice, file=sys.stderr)
        return EXIT_MISSING_LIBRARIES
    from PySide6.QtCore import QSettings
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from engine.resources import app_icon

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app = QApplication(argv[:1] + qt_args)
    app.setApplicationName("Docent")
    app.setOrganizationName("Docent")
    app.setDesktopFileName("docent")  # matches the .desktop file of the Linux package
    app.setWindowIcon(QIcon(str(app_icon())))
    settings = None
    if args.home:
        settings = QSettings(str(Path(args.home) / "desktop.ini"), QSettings.Format.IniFormat)
    _window, bridge = launch(app, args.home, settings)  # the window lives until exit
    if args.check:
        _quit_when_ready(app, bridge)
    return app.exec()


def _quit_when_ready(app: Any, bridge: Any, limit_s: int = 900) -> None:
    """`--check`: leave once the first indexing pass and the model are done; the exit
    code says whether they went well, and a line on stdout says what happened."""
    from PySide6.QtCore import QTimer

    state: dict[str, Any] = {"indexed": None, "model": None}

    def finish() -> None:
        report, model = state["indexed"], state["model"]
        if report is None or model is None:
            return
        ok = model[0] == "ready"
        print(
            f"check: {'ok' if ok else 'FAILED'}; indexed {report.added} new file(s), "
            f"{len(report.failures)} failure(s); model {model[0]}: {model[1]}",
            flush=True,
        )
        app.exit(0 if ok else 1)

    def indexed(report: Any) -> None:
        if state["indexed"] is None:
            state["indexed"] = report
            finish()

    def model(status: str, detail: str) -> None:
        if status in ("ready", "failed"):
            state["model"] = (status, detail)
            finish()

    def failed(failure: Any) -> None:
        # any failure the engine reports ends the check at once: waiting for the other
        # result could wait forever (an index that cannot start never finishes)
        print(f"check: FAILED; {failure.what}: {failure.message}", flush=True)
        app.exit(1)

    def timed_out() -> None:
        print(f"check: FAILED; not ready after {limit_s} s", flush=True)
        app.exit(1)

    QTimer.singleShot(0, lambda: print("check: window shown", flush=True))
    bridge.index_finished.connect(indexed)
    bridge.model_state.connect(model)
    bridge.failed.connect(failed)
    QTimer.singleShot(limit_s * 1000, timed_out)


if __name__ == "__main__":
    sys.exit(main())
