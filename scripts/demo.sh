#!/usr/bin/env bash
# The main job: set up, build, and run example programs through the engine.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
NF=build/nearfaas
# A fresh local node for the demo (functions, objects, generated code).
export NEARFAAS_DATA_DIR=${NEARFAAS_DATA_DIR:-build/demo-data}
echo
echo "== functions from func/, added to the local store and run in process"
for f in demo/hello demo/echo demo/chain ndp/put ndp/get ndp/wordcount ndp/sha256sum; do
  $NF func add "${f%/*}" "${f#*/}" "build/func/$f.wasm"
done
echo "-- $NF func run demo hello"
$NF func run demo hello; echo
echo "-- $NF func run demo chain --input 4"
$NF func run demo chain --input 4
echo "-- $NF func run ndp put --input 'key v1 v2 v3'"
$NF func run ndp put --input "key v1 v2 v3"; echo
echo "-- $NF func run ndp get --input key"
$NF func run ndp get --input key; echo
echo "-- $NF func run ndp wordcount --input key"
$NF func run ndp wordcount --input key
echo "-- $NF func run ndp sha256sum --input key"
$NF func run ndp sha256sum --input key; echo
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
