#!/usr/bin/env bash
# Install Docent for this user from the unpacked tarball (no root needed):
#   ./install.sh              copy to ~/.local/share/docent, add the menu entry and
#                             ~/.local/bin/docent and docent-desktop
#   ./install.sh --uninstall  remove them again (your documents index and settings stay)
# Running ./docent-desktop straight from the unpacked folder works too.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DATA=${XDG_DATA_HOME:-$HOME/.local/share}
TARGET=$DATA/docent
BIN=$HOME/.local/bin
APPS=$DATA/applications
ICONS=$DATA/icons/hicolor/256x256/apps

if [[ ${1:-} == --uninstall ]]; then
    rm -rf "$TARGET" "$APPS/docent.desktop" "$ICONS/docent.png" "$BIN/docent" "$BIN/docent-desktop"
    echo "Docent removed (your data in ${XDG_DATA_HOME:-~/.local/share}/Docent is kept)."
    exit 0
fi

mkdir -p "$TARGET" "$BIN" "$APPS" "$ICONS"
if [[ $HERE != "$TARGET" ]]; then
    rm -rf "$TARGET"
    cp -a "$HERE" "$TARGET"
fi
ln -sf "$TARGET/docent" "$BIN/docent"
ln -sf "$TARGET/docent-desktop" "$BIN/docent-desktop"
cp "$TARGET/docent.png" "$ICONS/docent.png"
sed -e "s|^Exec=.*|Exec=\"$TARGET/docent-desktop\" %F|" \
    -e "s|^Icon=.*|Icon=$ICONS/docent.png|" "$TARGET/docent.desktop" > "$APPS/docent.desktop"
chmod +x "$APPS/docent.desktop"
command -v update-desktop-database >/dev/null && update-desktop-database "$APPS" || true
echo "Docent installed in $TARGET; start it from your applications menu or with docent-desktop."
