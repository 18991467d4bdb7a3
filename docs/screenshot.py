"""Start the real app on a fresh home (first run: the sample folder), ask a question, and
save docs/screenshot.png. Run with a display, e.g.:

    xvfb-run -a -s "-screen 0 1440x900x24" .venv/bin/python docs/screenshot.py

`--dark` asks Qt for the dark colour scheme, as a desktop in dark mode would, and saves
docs/screenshot-dark.png; run with QT_SCALE_FACTOR=2 to check high-DPI rendering
(`--out PATH` chooses the file).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

QUESTION = "What does it cost to replace a lost key fob?"


def main() -> int:
    from PySide6.QtCore import QSettings, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.app import launch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dark", action="store_true", help="the dark colour scheme")
    parser.add_argument("--out", help="where to save the PNG")
    args = parser.parse_args()
    name = "screenshot-dark.png" if args.dark else "screenshot.png"
    target = Path(args.out) if args.out else REPO / "docs" / name

    app = QApplication(sys.argv[:1])
    if args.dark:
        app.styleHints().setColorScheme(Qt.ColorScheme.Dark)
        if app.palette().window().color().lightness() > 128:
            app.setPalette(_dark_palette())  # no platform theme under Xvfb: stand in for it
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
        window.grab().save(str(target))
        print(f"saved {target}")
        app.quit()

    bridge.index_finished.connect(indexed)
    bridge.model_state.connect(model)
    bridge.answer_finished.connect(answered)
    QTimer.singleShot(600_000, app.quit)  # never hang
    return app.exec()


def _dark_palette() -> object:
    """The kind of palette a desktop in dark mode hands to Qt."""
    from PySide6.QtGui import QColor, QPalette

    palette = QPalette()
    role = QPalette.ColorRole
    for r, colour in (
        (role.Window, "#2b2b2b"),
        (role.WindowText, "#e6e6e6"),
        (role.Base, "#1e1e1e"),
        (role.AlternateBase, "#262626"),
        (role.Text, "#e6e6e6"),
        (role.Button, "#3a3a3a"),
        (role.ButtonText, "#e6e6e6"),
        (role.Highlight, "#2f65ca"),
        (role.HighlightedText, "#ffffff"),
        (role.Link, "#7aa7ff"),
        (role.PlaceholderText, "#8c8c8c"),
        (role.ToolTipBase, "#3a3a3a"),
        (role.ToolTipText, "#e6e6e6"),
    ):
        palette.setColor(r, QColor(colour))
    disabled = QPalette.ColorGroup.Disabled
    for r in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(disabled, r, QColor("#7a7a7a"))
    return palette


if __name__ == "__main__":
    sys.exit(main())
