#!/usr/bin/env bash
# Smoke test of the Linux package (`make package-test`, `make package-test-lean`; slow, not
# part of `make test`). `smoke_test.sh [full|lean]` unpacks the newest
# dist/docent-VERSION-linux-ARCH.tar.gz (full, the default) or
# dist/docent-lean-VERSION-linux-ARCH.tar.gz (lean) into a fresh directory and, with no
# Python on the PATH, a fresh HOME and (where user namespaces allow) no network at all:
#   1. starts the bundled app offscreen on a first run: it adds the sample folder,
#      indexes it, loads the model and quits by itself (docent-desktop --check);
#   2. does the same on a real X server (Xvfb, QT_QPA_PLATFORM=xcb), so Qt's xcb plugin
#      and the X11 libraries it loads are exercised; without Xvfb it says so and goes on;
#   3. through the bundle's CLI, adds a folder, indexes it and answers a question,
#      checking the answer's fact and its citation; checks that a scanned page in the
#      folder was read by OCR (RapidOCR, OpenCV and ONNX Runtime as the bundle carries
#      them) and can be found; in the lean shape, checks that `docent adapters train`
#      says training needs the full package;
#   4. checks that nothing was left running, and that every library a bundled file links
#      to is in the bundle or is one the user's system provides (glibc, GL/EGL, xcb,
#      Wayland), so nothing the spec left out (docent.spec, LEFT_OUT_QT_PLUGINS) is missed;
#   5. installs it for a user with install.sh (menu entry, icon, commands), runs the
#      installed CLI, and uninstalls it again.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
SHAPE=${1:-full}
case $SHAPE in
    full) PATTERN="docent-[0-9]*-linux-*.tar.gz"; MAKE_IT="make package" ;;
    lean) PATTERN="docent-lean-*-linux-*.tar.gz"; MAKE_IT="make package-lean" ;;
    *) echo "usage: smoke_test.sh [full|lean]" >&2; exit 2 ;;
esac
# shellcheck disable=SC2086 # the pattern is meant to glob
TARBALL=$(ls -t "$REPO"/dist/$PATTERN 2>/dev/null | head -n1 || true)
if [[ -z $TARBALL ]]; then
    echo "no $SHAPE package in dist/: run '$MAKE_IT' first" >&2
    exit 2
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/docent-smoke.XXXXXX")
XVFB_PID=
cleanup() {
    [[ -z $XVFB_PID ]] || kill "$XVFB_PID" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT
echo "== unpacking $(basename "$TARBALL")"
tar -C "$TMP" -xzf "$TARBALL"
B=$TMP/docent
mkdir -p "$TMP/home"

ISOLATE=()
if unshare -rn true 2>/dev/null; then
    ISOLATE=(unshare -rn)  # a network namespace with no interfaces: nothing can leave
    echo "== running without network (unshare -rn)"
else
    echo "== user namespaces unavailable: running with the network present"
fi
run() {
    env -i HOME="$TMP/home" PATH=/usr/bin:/bin QT_QPA_PLATFORM=offscreen LANG=C.UTF-8 \
        "${ISOLATE[@]}" "$@"
}
# the same, on the X server at DISPLAY=$1 (the X socket is a file: it reaches into the
# network namespace)
run_on_x11() {
    local display=$1
    shift
    env -i HOME="$TMP/home" PATH=/usr/bin:/bin QT_QPA_PLATFORM=xcb DISPLAY="$display" \
        LANG=C.UTF-8 "${ISOLATE[@]}" "$@"
}

echo "== 1. the app, first run, offscreen"
SECONDS=0
run "$B/docent-desktop" --check --home "$TMP/app-home" | tee "$TMP/check.txt"
grep -q "^check: ok; indexed 5 new file(s), 0 failure(s)" "$TMP/check.txt"
echo "   ready and closed in ${SECONDS} s"

echo "== 2. the app, first run, on a real X server (Xvfb, xcb platform)"
if command -v Xvfb >/dev/null; then
    # -displayfd: Xvfb picks a free display and writes its number once it is listening
    Xvfb -displayfd 3 -screen 0 1280x800x24 -nolisten tcp 3>"$TMP/display" \
        2>"$TMP/xvfb.log" &
    XVFB_PID=$!
    for _ in $(seq 100); do [[ -s $TMP/display ]] && break; sleep 0.1; done
    if [[ ! -s $TMP/display ]]; then
        cat "$TMP/xvfb.log" >&2
        echo "Xvfb did not start" >&2
        exit 1
    fi
    SECONDS=0
    run_on_x11 ":$(cat "$TMP/display")" "$B/docent-desktop" --check --home "$TMP/x11-home" \
        | tee "$TMP/check-x11.txt"
    grep -q "^check: ok; indexed 5 new file(s), 0 failure(s)" "$TMP/check-x11.txt"
    echo "   ready and closed in ${SECONDS} s on the xcb platform"
    kill "$XVFB_PID" && wait "$XVFB_PID" 2>/dev/null || true
    XVFB_PID=
else
    echo "   no Xvfb here (apt install xvfb, dnf install xorg-x11-server-Xvfb): offscreen only"
fi

echo "== 3. the CLI: add a folder, index, ask"
cp -r "$B/_internal/resources/sample-docs" "$TMP/docs"
# a scanned notice: a picture of text, drawn here with the dev environment's Pillow
"${PY:-$REPO/.venv/bin/python}" - "$TMP/docs/scanned-notice.png" <<'PYTHON'
import sys

from PIL import Image, ImageDraw, ImageFont

font = ImageFont.load_default(size=48)
image = Image.new("RGB", (1400, 320), "white")
draw = ImageDraw.Draw(image)
for row, line in enumerate(["The boiler room key is kept", "in the blue lockbox by the door"]):
    draw.text((50, 60 + 100 * row), line, fill="black", font=font)
image.save(sys.argv[1])
PYTHON
run "$B/docent" --home "$TMP/cli-home" folders add "$TMP/docs"
run "$B/docent" --home "$TMP/cli-home" index
run "$B/docent" --home "$TMP/cli-home" ask --json \
    "What does it cost to replace a lost key fob?" > "$TMP/answer.json"
cat "$TMP/answer.json" | head -c 600; echo
grep -q '12 euros' "$TMP/answer.json" || { echo "the answer lacks the fact" >&2; exit 1; }
grep -q 'opening-hours.md' "$TMP/answer.json" || { echo "the answer lacks its source" >&2; exit 1; }
echo "== 3a. OCR: the scanned notice was read and is found"
run "$B/docent" --home "$TMP/cli-home" status | tee "$TMP/status.txt"
grep -q "read by OCR: 1 page" "$TMP/status.txt" || { echo "no page was read by OCR" >&2; exit 1; }
run "$B/docent" --home "$TMP/cli-home" search "where is the boiler room key" > "$TMP/ocr-hits.txt"
head -n 3 "$TMP/ocr-hits.txt"
grep -q "scanned-notice.png" "$TMP/ocr-hits.txt" \
    || { echo "the scanned notice is not found" >&2; exit 1; }
if [[ $SHAPE == lean ]]; then
    echo "== 3b. the lean CLI: training says it needs the full package"
    status=0
    run "$B/docent" --home "$TMP/cli-home" adapters train --samples "$TMP/docs" --name mine \
        2> "$TMP/train.txt" || status=$?
    cat "$TMP/train.txt"
    [[ $status -ne 0 ]] || { echo "training did not fail in the lean package" >&2; exit 1; }
    grep -q "full Docent package" "$TMP/train.txt" \
        || { echo "training did not say how to get it" >&2; exit 1; }
fi

echo "== 4. nothing left running"
if pgrep -f "$B/" >/dev/null; then
    pgrep -af "$B/" >&2
    echo "processes from the bundle are still running" >&2
    exit 1
fi
echo "   every library linked to is in the bundle or comes from the system"
if command -v readelf >/dev/null; then
    "${PY:-$REPO/.venv/bin/python}" - "$B/_internal" <<'PYTHON'
import re
import subprocess
import sys
from pathlib import Path

# what always comes from the user's system (installers/README.md, "System libraries")
SYSTEM = re.compile(
    r"(ld-linux.*|lib(c|m|dl|pthread|rt|resolv|util)\.so\..*|libGLX?\.so\..*|libEGL\.so\..*"
    r"|libOpenGL\.so\..*|libdrm\.so\..*|libxcb\.so\.1|libwayland-(client|cursor|egl)\.so\..*)"
)
bundle = Path(sys.argv[1])
present = {path.name for path in bundle.rglob("*")}
missing = []
for path in bundle.rglob("*.so*"):
    if not path.is_file() or path.is_symlink():
        continue
    with path.open("rb") as file:
        if file.read(4) != b"\x7fELF":
            continue
    dynamic = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True)
    for name in re.findall(r"\(NEEDED\).*\[(.+?)\]", dynamic.stdout):
        if name not in present and not SYSTEM.fullmatch(name):
            missing.append(f"{path.relative_to(bundle)} needs {name}")
if missing:
    sys.exit("libraries missing from the bundle:\n" + "\n".join(sorted(missing)))
PYTHON
else
    echo "   (no readelf here: binutils; not checked)"
fi

echo "== 5. install.sh and --uninstall"
run "$B/install.sh"
ENTRY=$TMP/home/.local/share/applications/docent.desktop
grep -q "^Exec=\"$TMP/home/.local/share/docent/docent-desktop\" %F" "$ENTRY"
test -f "$TMP/home/.local/share/icons/hicolor/256x256/apps/docent.png"
run "$TMP/home/.local/bin/docent" --home "$TMP/cli-home" status > /dev/null
run "$B/install.sh" --uninstall
test ! -e "$ENTRY" && test ! -e "$TMP/home/.local/bin/docent" && test ! -e "$TMP/home/.local/share/docent"
echo "== smoke test passed"
