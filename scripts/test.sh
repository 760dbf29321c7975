#!/usr/bin/env bash
# The test command (also what CI runs): set up, build, run the unit and
# end-to-end tests, the full WebAssembly spec suite and the benchmarks (quick).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
echo "== unit and end-to-end tests"
# Includes the Ceph tests (label ceph, about 2 min): the RADOS store, the
# object class in a real OSD, the offloader through it, and NDP in a two-host
# topology of network namespaces; they bring up their own clusters with scripts/ceph.sh and fail
# if Ceph cannot start.
ctest --test-dir build --output-on-failure -j 2 -E '^spectest$'
echo "== WebAssembly spec tests"
build/nearfaas spectest tests/spec --cache-dir build/spec-code-cache
echo "== benchmark: wasm vs native (quick)"
build/bench/wasm_vs_native --quick
echo "== benchmark: Faaslets vs fresh instances (quick)"
build/bench/faaslet_bench --quick
echo "== benchmark: invoke over HTTP vs GET /ping (quick)"
bench/http_bench.sh --quick --build build
echo "== benchmark: NDP vs forbid_ndp on two hosts (quick)"
scripts/bench-ndp.sh --quick
