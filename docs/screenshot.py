"""Start the real app on a fresh home and save the README's screenshots. Run with a
display, e.g.:

    xvfb-run -a -s "-screen 0 1440x900x24" .venv/bin/python docs/screenshot.py --scene answer

Scenes: `welcome` (first run: the sample folder indexed, the welcome pane with its
suggested questions; docs/screenshot-welcome.png), `answer` (the sample folder and a
two-page PDF written here with fpdf2; a question whose answer is on the PDF's second page,
its source shown on the page; docs/screenshot.png) and `dark` (the same in View >
Appearance > Dark; docs/screenshot-dark.png). Run with QT_SCALE_FACTOR=2 to check
high-DPI rendering (`--out PATH` chooses the file).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

QUESTION = "Where is the first-aid kit kept?"
FILES = {
    "welcome": "screenshot-welcome.png",
    "answer": "screenshot.png",
    "dark": "screenshot-dark.png",
}
RULES = (
    (
        "Workshop safety rules",
        "Only members who completed the kiln induction may load, start or open the kiln. "
        "The kiln room stays locked while a firing is above 200 degrees, and the firing log "
        "by the door records who started each firing and when.",
        "Glazes are mixed in the glaze room with the extractor fan on and a dust mask worn. "
        "Dry sweeping is not allowed anywhere in the workshop: use the wet mop or the "
        "vacuum with the fine filter.",
    ),
    (
        "Fire and first aid",
        "The fire extinguishers hang by the main door and in the glaze room. The fire "
        "blanket is on the wall next to the kiln room door.",
        "The first-aid kit is kept in the white cabinet under the sink in the clay room. "
        "Anyone who uses something from it writes it on the list inside the lid, so the "
        "steward can restock it on Monday.",
    ),
)


def write_rules_pdf(folder: Path) -> Path:
    """The cooperative's safety rules as a two-page PDF with a text layer."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_title("Workshop safety rules")
    for title, *paragraphs in RULES:
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 18)
        pdf.multi_cell(0, 10, title)
        pdf.ln(4)
        pdf.set_font("Helvetica", size=12)
        for paragraph in paragraphs:
            pdf.multi_cell(0, 7, paragraph)
            pdf.ln(5)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "safety-rules.pdf"
    pdf.output(str(path))
    return path


def main() -> int:
    from PySide6.QtCore import QSettings, QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.app import launch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scene", choices=sorted(FILES), default="answer")
    parser.add_argument("--out", help="where to save the PNG")
    args = parser.parse_args()
    target = Path(args.out) if args.out else REPO / "docs" / FILES[args.scene]

    app = QApplication(sys.argv[:1])
    app.setApplicationName("Docent")
    home = Path(tempfile.mkdtemp(prefix="docent-screenshot-"))
    settings = QSettings(str(home / "desktop.ini"), QSettings.Format.IniFormat)
    if args.scene == "dark":
        settings.setValue("appearance", "dark")
    window, bridge = launch(app, home, settings)
    window.resize(1400, 860)
    state = {"indexed": 0, "ready": False, "asked": False, "pdf_added": False}
    wanted_passes = 1 if args.scene == "welcome" else 2

    def shoot() -> None:
        window.grab().save(str(target))
        print(f"saved {target}")
        app.quit()

    def indexed(_report: object) -> None:
        state["indexed"] += 1
        if args.scene != "welcome" and not state["pdf_added"]:
            state["pdf_added"] = True
            bridge.add_folder(str(write_rules_pdf(home / "rules").parent))
        maybe_ask()

    def suggested(questions: object) -> None:
        if args.scene == "welcome" and questions:
            QTimer.singleShot(800, shoot)

    def model(status: str, _detail: str) -> None:
        state["ready"] = status == "ready"
        maybe_ask()

    def maybe_ask() -> None:
        ready = state["indexed"] >= wanted_passes and state["ready"]
        if ready and args.scene != "welcome" and not state["asked"]:
            state["asked"] = True
            window.ask(QUESTION)

    def answered(_request: int) -> None:
        sources = window.sources
        pdf = next((c.number for c in sources.cards if c.hit.path.endswith(".pdf")), None)
        sources.page_view.page_rendered.connect(lambda *_: QTimer.singleShot(600, shoot))
        sources.select(pdf or sources.current_number() or 1)
        if pdf is None:
            QTimer.singleShot(800, shoot)

    bridge.index_finished.connect(indexed)
    bridge.model_state.connect(model)
    bridge.questions_suggested.connect(suggested)
    bridge.answer_finished.connect(answered)
    QTimer.singleShot(300_000, app.quit)  # never hang
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
