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

echo "== license notices of the system libraries it carries"
# PyInstaller copies in the system libraries that Qt and Python link against (the X11 client
# libraries among them: installers/README.md); their licenses ask for their notices to
# travel with them. Debian and Ubuntu keep each package's notice in /usr/share/doc.
NOTICES=$BUNDLE/licenses
mkdir -p "$NOTICES"
if command -v dpkg >/dev/null; then
    # "*/NAME" matches the file name exactly; the wheels' own libraries match nothing
    mapfile -t CARRIED < <(find "$BUNDLE/_internal" -maxdepth 1 -name 'lib*.so*' -printf '*/%f\n')
    { dpkg -S "${CARRIED[@]}" 2>/dev/null || true; } | grep -v '^diversion' | sort -u \
        > "$NOTICES/system-libraries.txt"
    # lines read "pkg:arch[, pkg2:arch]: /path"
    PACKAGES=$(sed -e 's/: \/.*//' -e 's/:[a-z0-9_-]*//g' "$NOTICES/system-libraries.txt" \
        | tr ', ' '\n\n' | grep . | sort -u)
    for package in $PACKAGES; do
        if [[ -f /usr/share/doc/$package/copyright ]]; then
            cp "/usr/share/doc/$package/copyright" "$NOTICES/$package.copyright"
        fi
    done
    echo "   $(ls "$NOTICES" | grep -c '\.copyright$') notices in licenses/"
else
    echo "   no dpkg here: add the notices of the carried system libraries to licenses/ by hand"
fi

echo "== tarball"
TARBALL=$REPO/dist/docent-$VERSION-linux-$ARCH.tar.gz
tar -C "$REPO/dist" -cf - docent | gzip -1 > "$TARBALL.partial"
mv "$TARBALL.partial" "$TARBALL"
du -sh "$BUNDLE" "$TARBALL"
