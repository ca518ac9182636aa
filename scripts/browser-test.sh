#!/usr/bin/env bash
# Browser test of the web page served by `clipkit serve`: starts the server on a free loopback
# port with the tiny test model, loads `/?demo=1&labels=red,blue` in headless Chromium (the page
# draws a test image and submits it through the same code as a dropped file), and checks in the
# rendered DOM that the answer arrived with a bar per label. Writes a screenshot outside git
# (default /tmp/clipkit-browser-test/page.png; set CLIPKIT_ARTIFACTS to change the folder).
# Needs `chromium` (scripts/bootstrap.sh installs it) and a built `clipkit` (swift build).
set -euo pipefail
cd "$(dirname "$0")/.."
binary="${CLIPKIT_BINARY:-.build/debug/clipkit}"
out="${CLIPKIT_ARTIFACTS:-/tmp/clipkit-browser-test}"
browser="$(command -v chromium || command -v chromium-browser || true)"
[ -n "$browser" ] || { echo "browser-test: chromium is not installed (scripts/bootstrap.sh installs it)" >&2; exit 1; }
[ -x "$binary" ] || { echo "browser-test: $binary not found; run swift build first" >&2; exit 1; }
mkdir -p "$out"

log="$out/server.log"
"$binary" serve --model Tests/Fixtures/models/tiny-clip --host 127.0.0.1 --port 0 2>"$log" &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT

port=""
for _ in $(seq 1 300); do
    port="$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$log" | head -1)"
    [ -n "$port" ] && curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
    kill -0 $server 2>/dev/null || { cat "$log" >&2; echo "browser-test: the server exited" >&2; exit 1; }
    sleep 0.1
done
[ -n "$port" ] || { cat "$log" >&2; echo "browser-test: the server did not start" >&2; exit 1; }

url="http://127.0.0.1:$port/?demo=1&labels=red,blue"
flags=(--headless --no-sandbox --disable-gpu --no-first-run --disable-extensions
       --user-data-dir="$out/profile" --virtual-time-budget=15000 --window-size=1000,700)
dom="$(timeout 120 "$browser" "${flags[@]}" --dump-dom "$url" 2>/dev/null)"
timeout 120 "$browser" "${flags[@]}" --screenshot="$out/page.png" "$url" >/dev/null 2>&1 || true

fail() { echo "browser-test: $1" >&2; printf '%s\n' "$dom" > "$out/dom.html"; exit 1; }
grep -q 'data-state="done"' <<<"$dom" || fail "the page did not finish (DOM in $out/dom.html)"
grep -q 'class="bar" data-label="red"' <<<"$dom" || fail "no bar for label red"
grep -q 'class="bar" data-label="blue"' <<<"$dom" || fail "no bar for label blue"
grep -q '[0-9]\+\.[0-9]%' <<<"$dom" || fail "no percentage shown"
[ -s "$out/page.png" ] || fail "no screenshot written"
echo "browser-test: ok (screenshot $out/page.png)"
