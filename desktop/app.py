"""`docent-desktop`: the desktop app's entry point.

A placeholder window until the desktop issue lands: it shows what the engine holds and
points to the CLI, so `make run` already opens something useful.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def summary_text(home: str | None = None) -> str:
    """What the placeholder shows: the data dir, folders and index size."""
    from engine.assistant import Assistant

    with Assistant(home=home) as assistant:
        status = assistant.status()
    lines = [
        "<h2>Docent</h2>",
        "<p>Chat with your own document folders, offline.</p>",
        f"<p><b>Data:</b> {status.data_dir}<br>",
        f"<b>Folders:</b> {len(status.folders)} &nbsp; <b>Documents:</b> {status.indexed} "
        f"indexed, {status.failed} failed &nbsp; <b>Passages:</b> {status.chunks}</p>",
        "<p>The full desktop app is on its way. Meanwhile, from a terminal:<br>"
        "<code>docent folders add ~/Documents</code><br><code>docent watch</code><br>"
        '<code>docent search "your question"</code></p>',
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    app = QApplication(list(argv) if argv is not None else sys.argv)
    app.setApplicationName("Docent")
    window = QMainWindow()
    window.setWindowTitle("Docent")
    label = QLabel(summary_text())
    label.setTextFormat(Qt.TextFormat.RichText)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setContentsMargins(24, 24, 24, 24)
    label.setAccessibleName("Docent status")
    window.setCentralWidget(label)
    window.resize(640, 360)
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
