"""Render resources/icons/docent.svg into the icon files a platform wants.

python installers/render_icon.py OUT.png [SIZE]     a PNG (Linux .desktop icon)
python installers/render_icon.py OUT.ico            Windows (16 to 256 px)
python installers/render_icon.py OUT.iconset        macOS: a folder for `iconutil -c icns`
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

SVG = Path(__file__).resolve().parents[1] / "resources" / "icons" / "docent.svg"


def render(size: int) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    QSvgRenderer(str(SVG)).render(painter)
    painter.end()
    return image


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    _app = QGuiApplication(argv[:1])
    out = Path(argv[1])
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".iconset":
        out.mkdir(exist_ok=True)
        for size in (16, 32, 128, 256, 512):
            render(size).save(str(out / f"icon_{size}x{size}.png"))
            render(size * 2).save(str(out / f"icon_{size}x{size}@2x.png"))
        return 0
    if out.suffix == ".ico":
        # Qt's ICO writer stores one image; 256 px is what Windows scales from.
        ok = render(256).save(str(out), "ICO")
    else:
        ok = render(int(argv[2]) if len(argv) > 2 else 256).save(str(out))
    if not ok:
        print(f"could not write {out}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
