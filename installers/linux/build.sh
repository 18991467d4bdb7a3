#!/usr/bin/env bash
# Build the Linux bundle (`make package`):
#   dist/docent/                                    one folder, runs with no Python
#   dist/docent-VERSION-linux-x86_64.tar.gz         that folder as a tarball
# The folder holds docent-desktop (the app), docent (the CLI), docent.desktop, docent.png
# and install.sh. Needs the dev environment (.venv with the `package` extra).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
PY=${PY:-$REPO/.venv/bin/python}
cd "$REPO"
VERSION=$("$PY" -c "import tomllib; print(tomllib.load(open('pyproject.toml', 'rb'))['project']['version'])")
ARCH=$(uname -m)
WORK=$REPO/build/package

echo "== assembling the default model"
MODEL=$("$PY" -c "
from pathlib import Path
from engine.models.choice import bundled_model
print(bundled_model(Path('$WORK/model')))")

echo "== PyInstaller"
DOCENT_BUNDLED_MODEL=$MODEL DOCENT_VERSION=$VERSION "$PY" -m PyInstaller --noconfirm \
    --distpath "$REPO/dist" --workpath "$WORK/pyinstaller" --log-level WARN \
    installers/docent.spec

echo "== desktop integration"
BUNDLE=$REPO/dist/docent
cp installers/linux/docent.desktop installers/linux/install.sh "$BUNDLE/"
"$PY" installers/render_icon.py "$BUNDLE/docent.png" 256

echo "== tarball"
TARBALL=$REPO/dist/docent-$VERSION-linux-$ARCH.tar.gz
tar -C "$REPO/dist" -cf - docent | gzip -1 > "$TARBALL.partial"
mv "$TARBALL.partial" "$TARBALL"
du -sh "$BUNDLE" "$TARBALL"
