#!/usr/bin/env bash
# Build the Linux bundle in one of two shapes (installers/README.md):
#   build.sh [full]  (`make package`)
#     dist/docent/                                  one folder, runs with no Python
#     dist/docent-VERSION-linux-x86_64.tar.gz       that folder as a tarball
#   build.sh lean    (`make package-lean`: no training stack, no torch)
#     dist/lean/docent/
#     dist/docent-lean-VERSION-linux-x86_64.tar.gz
# The folder holds docent-desktop (the app), docent (the CLI), docent.desktop, docent.png
# and install.sh; both tarballs unpack to docent/. Needs the dev environment (.venv with
# the `package` extra).
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
PY=${PY:-$REPO/.venv/bin/python}
SHAPE=${1:-full}
cd "$REPO"
VERSION=$("$PY" -c "import tomllib; print(tomllib.load(open('pyproject.toml', 'rb'))['project']['version'])")
ARCH=$(uname -m)
WORK=$REPO/build/package
case $SHAPE in
    full) DIST=$REPO/dist; NAME=docent-$VERSION-linux-$ARCH ;;
    lean) DIST=$REPO/dist/lean; NAME=docent-lean-$VERSION-linux-$ARCH ;;
    *) echo "usage: build.sh [full|lean]" >&2; exit 2 ;;
esac

echo "== assembling the default model"
MODEL=$("$PY" -c "
from pathlib import Path
from engine.models.choice import bundled_model
print(bundled_model(Path('$WORK/model')))")

echo "== PyInstaller ($SHAPE)"
DOCENT_PACKAGE=$SHAPE DOCENT_BUNDLED_MODEL=$MODEL DOCENT_VERSION=$VERSION "$PY" -m PyInstaller \
    --noconfirm --distpath "$DIST" --workpath "$WORK/pyinstaller-$SHAPE" --log-level WARN \
    installers/docent.spec

echo "== debug information out"
# Some wheels (hnswlib, PyYAML, pyclipper, Pillow's extensions) and the system's libpython
# carry DWARF debug information the app never reads, about 45 MB. strip --strip-debug keeps
# the symbol tables the loader uses. Libraries in a wheel's *.libs/ folder were patched by
# auditwheel (patchelf), whose edits strip can corrupt, so they are left as they are.
if command -v strip >/dev/null; then
    BEFORE=$(du -sm "$DIST/docent" | cut -f1)
    find "$DIST/docent/_internal" -type f \( -name '*.so' -o -name '*.so.*' \) \
        -not -path '*.libs/*' -print0 | xargs -0 strip --strip-debug \
        || echo "   strip could not read some of them (named above); those keep theirs"
    echo "   $BEFORE MB -> $(du -sm "$DIST/docent" | cut -f1) MB"
else
    echo "   no strip here (binutils): the package keeps its debug information"
fi

echo "== desktop integration"
BUNDLE=$DIST/docent
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
TARBALL=$REPO/dist/$NAME.tar.gz
tar -C "$DIST" -cf - docent | gzip -1 > "$TARBALL.partial"
mv "$TARBALL.partial" "$TARBALL"
du -sh "$BUNDLE" "$TARBALL"
