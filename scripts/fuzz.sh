#!/usr/bin/env bash
# Builds and runs one libFuzzer target for SECONDS (default 60), starting from its committed
# seed corpus. Usage: scripts/fuzz.sh TARGET [SECONDS] [extra libFuzzer flags...]
# TARGETS: safetensors config tokenizer sentencepiece tokenizer-json labels hub packed-weights image image-jpeg image-png image-gif image-bmp image-webp
#   (the image-* targets are the image target started from one format's seeds).
# The growing corpus goes to .build-fuzz/corpus/TARGET, crashes to .build-fuzz/crashes/TARGET;
# a crash reproduces with: .build-fuzz/release/FuzzX .build-fuzz/crashes/TARGET/crash-...
# `scripts/fuzz.sh build` only builds. Release (optimised) code with ASan: a debug build ran the
# image target at 8 executions/s on the shared machine. Needs Swift on Linux (libFuzzer ships with its toolchain).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=/opt/swift/usr/bin:$PATH
target=${1:?usage: scripts/fuzz.sh TARGET [SECONDS]}
seconds=${2:-60}
shift $(( $# >= 2 ? 2 : 1 ))
scratch=$PWD/.build-fuzz

# SwiftPM gives every executable its own `main`, so libFuzzer's cannot be linked in
# (-sanitize=fuzzer would bring it): the code is instrumented as -sanitize=fuzzer does, and the
# targets start libFuzzer through LLVMFuzzerRunDriver from libclang_rt.fuzzer_no_main.
swift_bin=$(dirname "$(command -v swift)")
fuzzer_lib=$(ls "$swift_bin"/../lib/clang/*/lib/linux/libclang_rt.fuzzer_no_main-x86_64.a | head -1)
build() {
    swift build --package-path Fuzz --scratch-path "$scratch" -c release \
        -Xswiftc -sanitize=address -Xswiftc -sanitize-coverage=edge,trace-cmp,inline-8bit-counters,pc-table \
        -Xswiftc -enable-testing -Xcc -fsanitize=fuzzer-no-link,address \
        -Xlinker "$fuzzer_lib" -Xlinker -lstdc++ "$@"
}

case $target in
    build) build; exit 0 ;;
    safetensors) product=FuzzSafeTensors ;;
    config) product=FuzzConfig ;;
    tokenizer) product=FuzzTokenizer ;;
    sentencepiece) product=FuzzSentencePiece ;;
    tokenizer-json) product=FuzzTokenizerJSON ;;
    labels) product=FuzzLabels ;;
    hub) product=FuzzHub ;;
    packed-weights) product=FuzzPackedWeights ;;
    image|image-*) product=FuzzImage ;;
    *) echo "unknown target $target" >&2; exit 2 ;;
esac
build --product "$product"
if [ "$target" = image ]; then seeds=(Fuzz/corpus/image-*); else seeds=("Fuzz/corpus/$target"); fi
corpus=$scratch/corpus/$target
crashes=$scratch/crashes/$target
mkdir -p "$corpus" "$crashes"
# detect_leaks=0: Foundation's Data(contentsOf:) leaks a 4 KB buffer reading an empty file
# (found by the tokenizer target, in FoundationEssentials.readBytesFromFile; not clipkit's code).
# rss_limit: a run that needs more than 2 GB is a finding (the decoders bound allocations).
"$scratch/release/$product" "$corpus" "${seeds[@]}" -max_total_time="$seconds" -rss_limit_mb=2048 \
    -timeout=10 -max_len=65536 -detect_leaks=0 -artifact_prefix="$crashes/" -print_final_stats=1 "$@"
