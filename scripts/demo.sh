#!/usr/bin/env bash
# The main job: set up, build, and run example programs through the engine.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
NF=build/nearfaas
echo
echo "== $NF run build/examples/wordfreq.wasm 3 < README.md   (C++ with libc++, compiled to wasm32-wasi)"
$NF run build/examples/wordfreq.wasm 3 < README.md
echo
echo "== $NF run build/tests/hello.wasm 7 'two words'   (exit status is the guest's)"
set +e
echo "some input" | $NF run build/tests/hello.wasm 7 'two words'
echo "exit status: $?"
echo
echo "== $NF run --invoke recurse build/tests/traps.wasm 0   (a trap is reported, not a crash)"
$NF run --invoke recurse build/tests/traps.wasm 0
echo "exit status: $?"
echo
echo "== $NF run --invoke spin --timeout 300 build/tests/traps.wasm   (deadline)"
$NF run --invoke spin --timeout 300 build/tests/traps.wasm
echo "exit status: $?"
