#!/usr/bin/env bash
# Build Docent for macOS: dist/Docent.app and dist/Docent-VERSION.dmg.
# Run on a Mac (Apple silicon or Intel; the result is for the machine's architecture)
# in the repository, after:
#   python3.11 -m venv .venv
#   .venv/bin/python -m pip install -c installers/constraints.txt torch==2.13.0
#   CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF" .venv/bin/python -m pip install -c installers/constraints.txt -e '.[package]'
#   .venv/bin/python -m pip uninstall -y opencv-python   # OCR needs only the headless cv2
#   .venv/bin/python -m pip install -c installers/constraints.txt --force-reinstall --no-deps opencv-python-headless
# Signing and notarization (for distribution outside your own Mac) are described in
# installers/README.md; set DOCENT_SIGN_IDENTITY to sign here.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
PY=${PY:-$REPO/.venv/bin/python}
cd "$REPO"
VERSION=$("$PY" -c "import tomllib; print(tomllib.load(open('pyproject.toml', 'rb'))['project']['version'])")
WORK=$REPO/build/package

echo "== assembling the default model"
MODEL=$("$PY" -c "
from pathlib import Path
from engine.models.choice import bundled_model
print(bundled_model(Path('$WORK/model')))")

echo "== icon"
"$PY" installers/render_icon.py "$REPO/build/icons/docent.iconset"
iconutil -c icns "$REPO/build/icons/docent.iconset" -o "$REPO/build/icons/docent.icns"

echo "== PyInstaller"
DOCENT_BUNDLED_MODEL=$MODEL DOCENT_VERSION=$VERSION "$PY" -m PyInstaller --noconfirm \
    --distpath "$REPO/dist" --workpath "$WORK/pyinstaller" installers/docent.spec

APP=$REPO/dist/Docent.app
if [[ -n ${DOCENT_SIGN_IDENTITY:-} ]]; then
    echo "== signing with $DOCENT_SIGN_IDENTITY"
    codesign --deep --force --options runtime --timestamp \
        --entitlements installers/macos/entitlements.plist \
        --sign "$DOCENT_SIGN_IDENTITY" "$APP"
    codesign --verify --deep --strict --verbose=2 "$APP"
fi

echo "== disk image"
DMG=$REPO/dist/Docent-$VERSION.dmg
STAGE=$WORK/dmg
rm -rf "$STAGE" "$DMG"
mkdir -p "$STAGE"
cp -R "$APP" "$STAGE/"
ln -s /Applications "$STAGE/Applications"
hdiutil create -volname "Docent" -srcfolder "$STAGE" -ov -format UDZO "$DMG"
du -sh "$APP" "$DMG"
