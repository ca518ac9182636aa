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
# ext4 allows 65,000 links per file: a fresh copy of the image every 50,000 links.
python3 -c 'import os, shutil, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(n):
    if i % 50000 == 0:
        base = "%s/../source%d.jpg" % (dst, i // 50000)
        shutil.copyfile(src, base)
    os.link(base, "%s/img%06d.jpg" % (dst, i))' "$src" "$dir/images" "$count"
echo "made $count hard links in $(( $(date +%s) - start )) s" >&2
mkdir -p "$(dirname "$out")"
printf 'seconds\trss_mb\trecords\n' > "$out"
"$bin" classify --model Tests/Fixtures/models/tiny-clip --label cat --label dog --format jsonl \
    --batch-size 32 -o "$dir/out.jsonl" "$dir/images" 2> "$dir/stderr.txt" &
pid=$!
t0=$(date +%s%N)
peak=0
while kill -0 "$pid" 2>/dev/null; do
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)
    rss=${rss:-0}
    records=0
    [ -f "$dir/out.jsonl" ] && records=$(wc -l < "$dir/out.jsonl")
    awk -v t="$(( ($(date +%s%N) - t0) / 1000000 ))" -v r="$rss" -v n="$records" \
        'BEGIN { printf "%.1f\t%.1f\t%d\n", t / 1000, r / 1024, n }' >> "$out"
    [ "$rss" -gt "$peak" ] && peak=$rss
    sleep "$interval"
done
wait "$pid"
cat "$dir/stderr.txt" >&2
echo "records: $(wc -l < "$dir/out.jsonl"), peak RSS sampled: $((peak / 1024)) MB, samples in $out" >&2
