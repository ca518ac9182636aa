#!/usr/bin/env bash
# Classifies COUNT (default 100000) hard links to one fixture image in a temporary folder with
# the tiny model and records the process's RSS every INTERVAL seconds (default 2) to
# OUT (default .build/stress-rss.tsv: seconds, RSS in MB, records written so far).
# Flat memory means RSS stops growing once the first chunks have run.
# Usage: scripts/stress-many-files.sh [COUNT] [INTERVAL] [OUT]   (builds clipkit in release first)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
count=${1:-100000}
interval=${2:-2}
out=${3:-.build/stress-rss.tsv}
swift build -c release --product clipkit >/dev/null
bin=$(swift build -c release --show-bin-path)/clipkit
dir=$(mktemp -d /tmp/clipkit-stress.XXXXXX)
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/images"
src=Tests/Fixtures/cli/jpeg/photo.jpg
start=$(date +%s)
for ((i = 0; i < count; i++)); do ln "$src" "$(printf '%s/images/img%06d.jpg' "$dir" "$i")"; done
echo "made $count hard links in $(( $(date +%s) - start )) s" >&2
mkdir -p "$(dirname "$out")"
printf 'seconds\trss_mb\trecords\n' > "$out"
"$bin" classify --model Tests/Fixtures/models/tiny-clip --label cat --label dog --format jsonl \
    --batch-size 32 -o "$dir/out.jsonl" "$dir/images" 2> "$dir/stderr.txt" &
pid=$!
t0=$(date +%s.%N)
peak=0
while kill -0 "$pid" 2>/dev/null; do
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    records=$(wc -l < "$dir/out.jsonl" 2>/dev/null || echo 0)
    now=$(date +%s.%N)
    printf '%.1f\t%.1f\t%s\n' "$(echo "$now - $t0" | bc)" "$(echo "${rss:-0} / 1024" | bc -l)" "$records" >> "$out"
    [ "${rss:-0}" -gt "$peak" ] && peak=$rss
    sleep "$interval"
done
wait "$pid"
cat "$dir/stderr.txt" >&2
echo "records: $(wc -l < "$dir/out.jsonl"), peak RSS sampled: $((peak / 1024)) MB, samples in $out" >&2
