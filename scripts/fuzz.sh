#!/usr/bin/env bash
#  The libFuzzer targets of tests/fuzz, built with clang in build-fuzz/.
#
#  Usage: scripts/fuzz.sh TARGET SECONDS   fuzz one target that long, from
#                                          its committed corpus
#         scripts/fuzz.sh --list           the targets
#         scripts/fuzz.sh --seeds          rewrite tests/fuzz/corpus from
#                                          the examples
#
#  A long run keeps what it finds in build-fuzz/fuzz-corpus/TARGET (kept
#  between runs) and writes a crashing input to build-fuzz/fuzz-crashes/
#  TARGET/; replay one with build-fuzz/tests/fuzz/TARGET FILE. A long run
#  keeps a core busy: on a shared machine run one at a time, under nice.
#  scripts/test.sh runs every target briefly with a fixed seed.
set -euo pipefail
cd "$(dirname "$0")/.."

usage () {
    sed -n '4,14p' "$0" | sed 's/^#$//; s/^#  //'
}

targets () {
    for source in tests/fuzz/fuzz_*.c; do basename "$source" .c; done
}

build () {
    command -v clang >/dev/null || {
        echo "fuzz.sh: clang is missing; scripts/deps.sh installs it" >&2
        exit 1
    }
    CC=clang cmake -S . -B build-fuzz -DCERTFLOW_FUZZ=ON >/dev/null
    cmake --build build-fuzz -j 2 --target fuzz_all >/dev/null
}

#  Every frame the engine seeds exchange, minimized into each corpus
seeds () {
    local corpus=tests/fuzz/corpus scratch
    scratch=$(mktemp -d)
    trap 'rm -rf "$scratch"' RETURN
    #  Inputs that once crashed a target (crash-*) stay, and those a long
    #  run found that reach code the seeds do not (found-*)
    mkdir -p "$scratch/kept"
    cp -r "$corpus"/. "$scratch/kept/" 2>/dev/null || true
    rm -rf "$corpus"
    mkdir -p "$corpus" "$scratch"/{fuzz_wire,fuzz_offer,fuzz_json}
    for target in $(targets); do
        mkdir -p "$corpus/$target"
        find "$scratch/kept/$target" \( -name 'crash-*' -o -name 'found-*' \) \
            -exec cp {} "$corpus/$target/" \; 2>/dev/null || true
    done

    build-fuzz/tests/fuzz/fuzz-seeds "$corpus/fuzz_engine"
    FUZZ_ENGINE_DUMP=$scratch build-fuzz/tests/fuzz/fuzz_engine \
        "$corpus"/fuzz_engine/* >/dev/null 2>&1

    #  fuzz_json: its reader's byte, then the file
    local json=$scratch/fuzz_json
    add () { { printf "\\$(printf '%03o' "$1")"; cat "$2"; } >"$json/$1-$(basename "$2")"; }
    add 0 examples/application.json
    add 0 tests/unit/data/broken-application.json
    add 1 examples/scores.json
    add 1 examples/scores-revised.json
    for file in examples/staff/*.json; do add 2 "$file"; done
    add 3 examples/fixes.json
    add 4 tests/fuzz/inputs/plan.json
    add 5 examples/scheme.json

    for target in fuzz_wire fuzz_offer fuzz_json; do
        build-fuzz/tests/fuzz/$target -merge=1 "$corpus/$target" \
            "$scratch/$target" >/dev/null 2>&1
    done
    #  fuzz_pb_dup reads fuzz_wire's frames (the same type byte)
    build-fuzz/tests/fuzz/fuzz_pb_dup -merge=1 "$corpus/fuzz_pb_dup" \
        "$scratch/fuzz_wire" >/dev/null 2>&1
    cp examples/scheme.json tests/unit/schemes/*.json "$corpus/fuzz_scheme/"
    cp tests/fuzz/inputs/*.cfg "$corpus/fuzz_config/"
    cp tests/fuzz/inputs/metadata-*.zpl "$corpus/fuzz_identity/"
    for target in $(targets); do
        echo "  $target: $(ls "$corpus/$target" | wc -l) seeds"
    done
}

case "${1:-}" in
    --help | -h | "")
        usage
        [ -n "${1:-}" ]
        ;;
    --list) targets ;;
    --seeds)
        build
        seeds
        ;;
    *)
        target=$1
        seconds=${2:?"usage: scripts/fuzz.sh TARGET SECONDS"}
        #  Not grep -q: it stops reading early, and pipefail then fails
        targets | grep -x "$target" >/dev/null || {
            echo "fuzz.sh: no target $target; the targets: $(targets | xargs)" >&2
            exit 2
        }
        build
        work=build-fuzz/fuzz-corpus/$target
        crashes=build-fuzz/fuzz-crashes/$target
        mkdir -p "$work" "$crashes"
        export ASAN_OPTIONS=detect_leaks=1
        export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
        exec "build-fuzz/tests/fuzz/$target" -max_total_time="$seconds" \
            -rss_limit_mb=2048 -timeout=30 -print_final_stats=1 \
            -artifact_prefix="$crashes/" "$work" "tests/fuzz/corpus/$target"
        ;;
esac
