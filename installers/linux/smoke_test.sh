#!/usr/bin/env bash
# Smoke test of the Linux package (`make package-test`; slow, not part of `make test`).
# Unpacks dist/docent-*-linux-*.tar.gz into a fresh directory and, with no Python on the
# PATH, a fresh HOME and (where user namespaces allow) no network at all:
#   1. starts the bundled app offscreen on a first run: it adds the sample folder,
#      indexes it, loads the model and quits by itself (docent-desktop --check);
#   2. through the bundle's CLI, adds a folder, indexes it and answers a question,
#      checking the answer's fact and its citation;
#   3. checks that nothing was left running;
#   4. installs it for a user with install.sh (menu entry, icon, commands), runs the
#      installed CLI, and uninstalls it again.
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
TARBALL=$(ls -t "$REPO"/dist/docent-*-linux-*.tar.gz 2>/dev/null | head -n1 || true)
if [[ -z $TARBALL ]]; then
    echo "no package in dist/: run 'make package' first" >&2
    exit 2
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/docent-smoke.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
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

echo "== 1. the app, first run, offscreen"
SECONDS=0
run "$B/docent-desktop" --check --home "$TMP/app-home" | tee "$TMP/check.txt"
grep -q "^check: ok; indexed 5 new file(s), 0 failure(s)" "$TMP/check.txt"
echo "   ready and closed in ${SECONDS} s"

echo "== 2. the CLI: add a folder, index, ask"
cp -r "$B/_internal/resources/sample-docs" "$TMP/docs"
run "$B/docent" --home "$TMP/cli-home" folders add "$TMP/docs"
run "$B/docent" --home "$TMP/cli-home" index
run "$B/docent" --home "$TMP/cli-home" ask --json \
    "What does it cost to replace a lost key fob?" > "$TMP/answer.json"
cat "$TMP/answer.json" | head -c 600; echo
grep -q '12 euros' "$TMP/answer.json" || { echo "the answer lacks the fact" >&2; exit 1; }
grep -q 'opening-hours.md' "$TMP/answer.json" || { echo "the answer lacks its source" >&2; exit 1; }

echo "== 3. nothing left running"
if pgrep -f "$B/" >/dev/null; then
    pgrep -af "$B/" >&2
    echo "processes from the bundle are still running" >&2
    exit 1
fi
echo "== 4. install.sh and --uninstall"
run "$B/install.sh"
ENTRY=$TMP/home/.local/share/applications/docent.desktop
grep -q "^Exec=\"$TMP/home/.local/share/docent/docent-desktop\" %F" "$ENTRY"
test -f "$TMP/home/.local/share/icons/hicolor/256x256/apps/docent.png"
run "$TMP/home/.local/bin/docent" --home "$TMP/cli-home" status > /dev/null
run "$B/install.sh" --uninstall
test ! -e "$ENTRY" && test ! -e "$TMP/home/.local/bin/docent" && test ! -e "$TMP/home/.local/share/docent"
echo "== smoke test passed"
