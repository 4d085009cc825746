#!/usr/bin/env bash
#  The whole test suite: installs what is missing, builds a normal and a
#  sanitizer (ASan + UBSan) tree, and runs every test in both; then, with
#  clang, builds the libFuzzer targets (build-fuzz) and runs each briefly
#  with a fixed seed over its committed corpus (label fuzz).
#  Usage: scripts/test.sh [ctest arguments, e.g. -L unit or -R fsm]
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/deps.sh
jobs=$(nproc)

for flavour in build build-asan; do
    sanitize=OFF
    [ "$flavour" = build-asan ] && sanitize=ON
    echo "== $flavour: configure and build"
    cmake -S . -B "$flavour" -DCERTFLOW_SANITIZE=$sanitize >/dev/null
    cmake --build "$flavour" -j "$jobs"
done

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
for flavour in build build-asan; do
    echo "== $flavour: test"
    ctest --test-dir "$flavour" --output-on-failure -j "$jobs" "$@"
done

if command -v clang >/dev/null; then
    echo "== build-fuzz: configure and build (clang, libFuzzer)"
    CC=clang cmake -S . -B build-fuzz -DCERTFLOW_FUZZ=ON >/dev/null
    cmake --build build-fuzz -j "$jobs" --target fuzz_all
    echo "== build-fuzz: short fuzz runs"
    ctest --test-dir build-fuzz --output-on-failure -L fuzz "$@"
else
    echo "== build-fuzz: skipped (no clang; scripts/deps.sh installs it)"
fi
