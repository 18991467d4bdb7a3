"""Start the real app on a fresh home (first run: the sample folder), ask a question, and
save docs/screenshot.png. Run with a display, e.g.:

    xvfb-run -a -s "-screen 0 1440x900x24" .venv/bin/python docs/screenshot.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

QUESTION = "What does it cost to replace a lost key fob?"


def main() -> int:
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.app import launch

    app = QApplication(sys.argv)
    app.setApplicationName("Docent")
    home = Path(tempfile.mkdtemp(prefix="docent-screenshot-"))
    settings = QSettings(str(home / "desktop.ini"), QSettings.Format.IniFormat)
    window, bridge = launch(app, home, settings)
    window.resize(1400, 820)
    state = {"asked": False, "indexed": False, "ready": False}

    def maybe_ask() -> None:
        if state["indexed"] and state["ready"] and not state["asked"]:
            state["asked"] = True
            window.ask(QUESTION)

    def indexed(_report: object) -> None:
        state["indexed"] = True
        maybe_ask()

    def model(status: str, _detail: str) -> None:
        if status == "ready":
            state["ready"] = True
            maybe_ask()

    def answered(_request: int) -> None:
        window.sources.select(window.sources.current_number() or 1)
        QTimer.singleShot(800, shoot)

    def shoot() -> None:
        target = REPO / "docs" / "screenshot.png"
        window.grab().save(str(target))
        print(f"saved {target}")
        app.quit()

    bridge.index_finished.connect(indexed)
    bridge.model_state.connect(model)
    bridge.answer_finished.connect(answered)
    QTimer.singleShot(600_000, app.quit)  # never hang
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
