#!/usr/bin/env bash
# End-to-end test of near-data processing (NDP) in the two-host topology of
# scripts/ndp-topology.sh: a compute worker in one network namespace, Ceph
# (mon + OSD on bluestore, --ceph-store file) and the storage runtime in
# another, joined by a shaped veth link. What it checks:
#  1. the topology comes up; the six ndp/ functions upload; objects go in.
#  2. put, get, wordcount, grep, substr, sha256sum give byte-identical output
#     with NDP and with forbid_ndp, and the right output (compared with
#     sha256sum, grep -ob, awk word counts, the object itself); wordcount,
#     grep, substr and sha256sum really ran on the storage side (one 'done'
#     line each in runtime.log) and forbid_ndp calls never reach it; an NDP
#     wordcount of a multi-MB object moves < 1/10 of the bytes storage->compute
#     that the forbid_ndp one does.
#  2b. thumbnailer (PNG and JPEG), json_query, pcakmm and substrrepl: the
#     same output with NDP (each ran on the storage side; substrrepl as a
#     read-write offload, writing its object there) and with forbid_ndp, the
#     same thumbnail and the same rewritten object; outputs checked against
#     grep/sed/the generator where they can be.
#  6. missing objects: the same answer with and without NDP, and the worker
#     keeps serving.
#  3. the storage runtime killed (SIGKILL) while it runs an offloaded call:
#     the call still returns the forbid_ndp output, worker.log says it ran
#     locally; after 'up' restarts the runtime, NDP works again.
#  3b. the same for thumbnailer, json_query, pcakmm and substrrepl (its
#     object, rewritten once, as forbid_ndp rewrites a copy).
#  4. a runtime started with --max-load-per-core 0 refuses ('overloaded') and
#     the call still gives the right output; one started with
#     --max-offload-time 1 gives calls back, and they give the same output
#     on the worker.
#  5. the OSD killed and restarted under a writer loop of small puts: every
#     acknowledged object reads back exactly; afterwards NDP works again.
#
# Needs root (network namespaces), Ceph and a build. Paths come from the
# environment (ctest sets them, see tests/CMakeLists.txt):
#   NEARFAAS_BIN             the nearfaas binary      [build/nearfaas]
#   NEARFAAS_NDP_TESTDATA    images, JSON lines, matrices [build/tests/nearfaas_ndp_testdata]
#   NEARFAAS_FUNC_DIR        built functions          [build/func]
#   NEARFAAS_CEPH_CLASS_DIR  libcls_nearfaas.so's dir [build/ceph-classes]
#   NEARFAAS_SCRIPTS_DIR     ndp-topology.sh, ceph.sh [scripts]
#   NEARFAAS_TEST_DIR        work directory [${TMPDIR:-/tmp}/nearfaas-ndp-topology-test]
#   NEARFAAS_TEST_PREFIX     namespace prefix [t-];  NEARFAAS_TEST_SUBNET [98]
#   NEARFAAS_TEST_CODE_CACHE code cache to keep between runs [none: cold each run]
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
NF=${NEARFAAS_BIN:-$ROOT/build/nearfaas}
FUNC_DIR=${NEARFAAS_FUNC_DIR:-$ROOT/build/func}
TESTDATA=${NEARFAAS_NDP_TESTDATA:-$ROOT/build/tests/nearfaas_ndp_testdata}
CLASS_DIR=${NEARFAAS_CEPH_CLASS_DIR:-$ROOT/build/ceph-classes}
SCRIPTS=${NEARFAAS_SCRIPTS_DIR:-$ROOT/scripts}
TEST_DIR=${NEARFAAS_TEST_DIR:-${TMPDIR:-/tmp}/nearfaas-ndp-topology-test}
PREFIX=${NEARFAAS_TEST_PREFIX:-t-}
SUBNET=${NEARFAAS_TEST_SUBNET:-98}
TOPO=$TEST_DIR/topo
DATA=$TEST_DIR/data
CACHE=${NEARFAAS_TEST_CODE_CACHE:-$TOPO/code}
RUNTIME_LOG=$TOPO/runtime.log
WORKER_LOG=$TOPO/worker.log
HOST=10.$SUBNET.1.2  # the compute worker as the root namespace reaches it
FUNCS="put get wordcount grep substr sha256sum thumbnailer json_query pcakmm substrrepl"
# Settings of the user's environment that the scripts would pick up.
unset NEARFAAS_CEPH_DIR NEARFAAS_CEPH_STORE NEARFAAS_CEPH_POOL NEARFAAS_CEPH_PORT \
  NEARFAAS_CEPH_ADDR NEARFAAS_CEPH_TIMEOUT NEARFAAS_STORE NEARFAAS_CEPH_CONF NEARFAAS_LINK_RATE \
  NEARFAAS_TOPOLOGY_DIR NEARFAAS_TOPOLOGY_PREFIX NEARFAAS_TOPOLOGY_SUBNET NEARFAAS_CODE_CACHE

T0=$SECONDS
step() { echo "== [$((SECONDS - T0))s] $*"; }
fail() {
  echo "FAIL: $*" >&2
  exit 1
}

[ "$(id -u)" = 0 ] || fail "needs root (network namespaces)"
[ -x "$NF" ] || fail "no nearfaas binary at $NF"
[ -f "$CLASS_DIR/libcls_nearfaas.so" ] || fail "no $CLASS_DIR/libcls_nearfaas.so"
[ -x "$SCRIPTS/ndp-topology.sh" ] || fail "no $SCRIPTS/ndp-topology.sh"
[ -x "$TESTDATA" ] || fail "no $TESTDATA"
for f in $FUNCS; do
  [ -f "$FUNC_DIR/ndp/$f.wasm" ] || fail "no $FUNC_DIR/ndp/$f.wasm"
done

# One run at a time per work directory: a second one waits. The lock is fd
# 8, closed for the scripts so that no daemon holds it (a client call left
# by a killed run may hold it until its timeout).
mkdir -p "$(dirname "$TEST_DIR")"
exec 8>"$TEST_DIR.lock"
if ! flock -n 8; then
  echo "waiting for another run to release $TEST_DIR.lock"
  flock -w 300 8 || fail "another run held $TEST_DIR.lock for 300 s"
fi

# Every command on the topology, with the options 'up' had.
topo() {
  "$SCRIPTS/ndp-topology.sh" "$@" --dir "$TOPO" --prefix "$PREFIX" --subnet "$SUBNET" \
    --ceph-store file --nearfaas "$NF" --class-dir "$CLASS_DIR" --cache-dir "$CACHE" \
    --worker-args "$WORKER_ARGS" 8>&-
}
# The cost model's fixed cost, pinned so that the object sizes below stay on
# their side of the offload threshold (500 KB at 1 Gbit/s) whatever the
# default.
WORKER_ARGS="--ndp-fixed-cost-us 4000"
# The storage runtime admits whatever the machine's load (another build or
# test may load it beyond the default 4 per core); part 4 tests refusals.
ADMIT_ALL="--max-load-per-core 1000"

dump_logs() {
  local f
  for f in "$TOPO"/*.log; do
    [ -f "$f" ] || continue
    echo "---- last lines of $f" >&2
    tail -n 40 "$f" >&2
  done
  for f in "$TOPO"/ceph/log/*.log "$TOPO"/ceph/log/*.stdout; do
    [ -s "$f" ] || continue
    echo "---- last lines of $f" >&2
    tail -n 15 "$f" | cut -c1-300 >&2
  done
  if [ -s "$DATA/osd/errors" ]; then
    echo "---- errors of the writer loop" >&2
    tail -n 20 "$DATA/osd/errors" >&2
  fi
}

cleanup() {
  local rc=$? pid
  set +e
  for pid in $(jobs -p); do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  [ "$rc" -eq 0 ] || dump_logs
  topo down >/dev/null
  rm -rf "$TEST_DIR"  # not the lock file: a run waiting for it holds it open
  if [ "$rc" -eq 0 ]; then
    echo "PASS: ndp topology test in $((SECONDS - T0))s"
  else
    echo "FAILED after $((SECONDS - T0))s (exit $rc)" >&2
  fi
  exit "$rc"
}

# A run killed before it could clean up (e.g. a ctest timeout) leaves its
# topology; this work directory and these namespaces are this test's.
if [ -e "$TOPO" ] || ip netns list | grep -qE "^(${PREFIX}compute|${PREFIX}storage)( |$)"; then
  echo "removing the topology an earlier run left behind"
  topo down >/dev/null
fi
rm -rf "$TEST_DIR"
mkdir -p "$DATA"
trap cleanup EXIT
trap 'exit 130' INT TERM
# A copy of the binary for the whole run: a build relinking it meanwhile
# would make the clients started during the link fail.
cp "$NF" "$TEST_DIR/nearfaas"
NF=$TEST_DIR/nearfaas

# ---- helpers -----------------------------------------------------------------

# invoke FUNC INPUT OUT [--forbid-ndp]: the call's output into OUT; the call
# must succeed.
invoke() {
  local f=$1 input=$2 out=$3
  shift 3
  if ! timeout 200 "$NF" func invoke ndp "$f" --host "$HOST" --http-timeout 180 \
    --input "$input" "$@" >"$out" 2>"$out.err"; then
    fail "ndp/$f '${input:0:40}' ${1:-with NDP} failed: $(head -c 300 "$out.err")"
  fi
}

# Lines of the storage runtime's log about offloads (done, refused, failed).
offload_lines() { grep -c 'offload [0-9][0-9]* ndp/' "$RUNTIME_LOG" || true; }
last_offload_line() { grep 'offload [0-9][0-9]* ndp/' "$RUNTIME_LOG" | tail -n 1; }

# Waits until runtime.log has exactly N offload lines (it is flushed at
# least once a second), at most 10 s; with a third argument "at-least", N or
# more.
wait_offload_lines() {
  local n=$1 what=$2 end=$((SECONDS + 10)) have
  while :; do
    have=$(offload_lines)
    [ "$have" -lt "$n" ] || break
    [ $SECONDS -lt $end ] || fail "$what: expected $n offload lines in runtime.log, have $have"
    sleep 0.1
  done
  [ "$have" -eq "$n" ] || [ "${3:-}" = at-least ] ||
    fail "$what: expected $n offload lines in runtime.log, have $have: $(last_offload_line)"
}

# ndp_call FUNC KEY ARGS OUT: an NDP call that must have run on the storage
# side: exactly one new offload line, saying done.
ndp_call() {
  local f=$1 key=$2 input=$2${3:+ $3} out=$4 n last
  n=$(offload_lines)
  invoke "$f" "$input" "$out"
  wait_offload_lines $((n + 1)) "NDP call of ndp/$f on '$key'"
  last=$(last_offload_line)
  [[ "$last" == *"ndp/$f on '$key': done"* ]] ||
    fail "NDP call of ndp/$f on '$key': expected an offload that is done, runtime.log says: $last"
}

# The first offload of a function after the runtime starts is refused
# ("loading function") while the runtime loads it; call until one is done.
# (A function that writes its object, substrrepl, makes two offload lines
# in its first offloaded call: the read-only attempt, then the read-write
# one.)
warm_up() {
  local f=$1 input=$2 try n last
  for try in 1 2 3 4 5 6 7 8 9 10; do
    n=$(offload_lines)
    invoke "$f" "$input" "$DATA/warm.out"
    wait_offload_lines $((n + 1)) "warm-up call $try of ndp/$f" at-least
    last=$(last_offload_line)
    [[ "$last" != *": done in "* ]] || return 0
    sleep 0.3
  done
  fail "ndp/$f never ran on the storage side in 10 warm-up calls; last: $last"
}

warm_up_all() {
  warm_up wordcount warm
  warm_up grep "warm w5 w7"
  warm_up substr "warm w5 w7"
  warm_up sha256sum warm
  warm_up thumbnailer "image.png 16x16 warm-thumb"
  warm_up json_query "lines.jsonl id"
  warm_up pcakmm "matrix.txt 1 1"
  warm_up substrrepl "repl-warm /w5 w7/w5 w7/"  # writes every time
}

same() {  # same FILE1 FILE2 WHAT
  cmp -s "$1" "$2" || fail "$3: $1 and $2 differ: $(cmp "$1" "$2" 2>&1 | head -n 1)" \
    "(sizes $(stat -c %s "$1") and $(stat -c %s "$2"))"
}

storage_to_compute() { topo link-bytes | sed -n 's/.*storage_to_compute=\([0-9]*\).*/\1/p'; }

# CPU time (clock ticks) process $1 used so far.
cpu_ticks() {
  local stat fields
  stat=$(cat "/proc/$1/stat") || return 1
  read -ra fields <<<"${stat##*) }"  # from field 3 (state) on
  echo $((fields[11] + fields[12]))  # utime + stime
}

# ---- 1. the topology, functions and objects ------------------------------------

step "1. topology up ($PREFIX, 10.$SUBNET.x, bluestore on a file)"
topo up --runtime-args "$ADMIT_ALL" >"$DATA/up.out" 2>&1 || { cat "$DATA/up.out" >&2; fail "ndp-topology.sh up failed"; }
[ "$(tail -n 1 "$DATA/up.out")" = "invoke=$HOST:8080 upload=$HOST:8002" ] ||
  fail "expected 'invoke=$HOST:8080 upload=$HOST:8002' last from up, got: $(tail -n 1 "$DATA/up.out")"

threshold=$(sed -n 's/.*objects under \([0-9]*\) bytes.*/\1/p' "$WORKER_LOG" | tail -n 1)
[ "$threshold" = 500000 ] ||
  fail "expected the worker to offload objects from 500000 bytes (--ndp-fixed-cost-us 4000)," \
    "worker.log says '$threshold'"

step "uploading $FUNCS"
for f in $FUNCS; do
  timeout 200 "$NF" func upload ndp "$f" "$FUNC_DIR/ndp/$f.wasm" --host "$HOST" --http-timeout 180 \
    >/dev/null 2>"$DATA/upload.err" || fail "uploading ndp/$f: $(cat "$DATA/upload.err")"
done

step "making and putting objects"
# Words w0..w996 in a fixed pseudo-random order, 12 a line: about 1 MB (over
# the offload threshold; 'known' is under it).
awk 'BEGIN { s = 12345; for (i = 0; i < 200000; i++) {
  s = (s * 1103515245 + 12345) % 2147483648; printf "w%d%s", s % 997, (i % 12 == 11) ? "\n" : " " } }' \
  >"$DATA/warm.txt"
for i in $(seq 8); do cat "$DATA/warm.txt"; done >"$DATA/text.txt"   # 7.8 MB
for i in $(seq 60); do cat "$DATA/warm.txt"; done >"$DATA/big.txt"   # 59 MB
printf 'the cat and the hat\nthe end\n' >"$DATA/known.txt"
for key in warm text big known; do
  timeout 120 "$NF" obj put ndp "$key" "$DATA/$key.txt" --host "$HOST" --http-timeout 100 \
    2>"$DATA/put.err" || fail "obj put $key: $(cat "$DATA/put.err")"
done
# For the functions with libraries (part 2b): a noisy PNG of 2000 x 1500 and
# a JPEG of 3000 x 2000 (RGB), 150,000 JSON lines, a matrix of 150,000 x 8
# around 3 centres (rows i % 3); and copies of text and big for substrrepl,
# which rewrites them.
"$TESTDATA" png 2000 1500 3 "$DATA/image.png" || fail "making image.png"
"$TESTDATA" jpeg 3000 2000 3 "$DATA/photo.jpg" || fail "making photo.jpg"
"$TESTDATA" jsonl 150000 "$DATA/lines.jsonl" || fail "making lines.jsonl"
"$TESTDATA" matrix 150000 8 "$DATA/matrix.txt" || fail "making matrix.txt"
put_file() {  # put_file KEY FILE
  timeout 120 "$NF" obj put ndp "$1" "$2" --host "$HOST" --http-timeout 100 \
    2>"$DATA/put.err" || fail "obj put $1: $(cat "$DATA/put.err")"
}
for key in image.png photo.jpg lines.jsonl matrix.txt; do put_file "$key" "$DATA/$key"; done
put_file repl-warm "$DATA/warm.txt"
put_file repl-ndp "$DATA/text.txt"
put_file repl-local "$DATA/text.txt"
put_file repl-big-ndp "$DATA/big.txt"
put_file repl-big-local "$DATA/big.txt"

# ---- 2. NDP output = forbid_ndp output = the right output ------------------------

step "2. warm-up: each offloading function once on the storage side"
warm_up_all

step "2. each function with NDP and with forbid_ndp"
before_lines=$(offload_lines)
O=$DATA/out
mkdir -p "$O"

# put: the same answer, and both objects hold exactly the value.
value="$(head -c 100000 "$DATA/text.txt") #end"
printf '%s' "$value" >"$DATA/put-value.txt"
invoke put "put-ndp $value" "$O/put.ndp"
invoke put "put-local $value" "$O/put.local" --forbid-ndp
same "$O/put.ndp" "$O/put.local" "ndp/put with NDP vs forbid_ndp"
[ "$(cat "$O/put.ndp")" = OK ] || fail "ndp/put: expected output OK, got '$(head -c 200 "$O/put.ndp")'"
for key in put-ndp put-local; do
  timeout 60 "$NF" obj get ndp "$key" --host "$HOST" >"$O/$key.obj" || fail "obj get $key failed"
  same "$O/$key.obj" "$DATA/put-value.txt" "object $key written by ndp/put vs the value put"
done

# get: the object itself.
invoke get text "$O/get.ndp"
invoke get text "$O/get.local" --forbid-ndp
same "$O/get.ndp" "$O/get.local" "ndp/get text with NDP vs forbid_ndp"
same "$O/get.ndp" "$DATA/text.txt" "ndp/get text vs the object put"

# wordcount: counts as awk counts them; the link carries far less with NDP.
awk '{ for (i = 1; i <= NF; i++) c[$i]++ } END { for (w in c) printf "%s\t%d\n", w, c[w] }' \
  "$DATA/text.txt" | LC_ALL=C sort >"$O/wordcount.expected"
b0=$(storage_to_compute)
ndp_call wordcount text "" "$O/wordcount.ndp"
b1=$(storage_to_compute)
invoke wordcount text "$O/wordcount.local" --forbid-ndp
b2=$(storage_to_compute)
same "$O/wordcount.ndp" "$O/wordcount.local" "ndp/wordcount text with NDP vs forbid_ndp"
same "$O/wordcount.ndp" "$O/wordcount.expected" "ndp/wordcount text vs awk's word counts"
ndp_bytes=$((b1 - b0))
local_bytes=$((b2 - b1))
text_bytes=$(stat -c %s "$DATA/text.txt")
echo "   storage->compute bytes for wordcount of $text_bytes bytes: NDP $ndp_bytes, forbid_ndp $local_bytes"
[ "$local_bytes" -ge "$text_bytes" ] ||
  fail "forbid_ndp wordcount moved $local_bytes bytes storage->compute, less than the object ($text_bytes)"
[ $((ndp_bytes * 10)) -lt "$local_bytes" ] ||
  fail "NDP wordcount moved $ndp_bytes bytes storage->compute, not < 1/10 of forbid_ndp's $local_bytes"
# A small object (runs locally by the cost model): known counts.
invoke wordcount known "$O/known.ndp"
invoke wordcount known "$O/known.local" --forbid-ndp
same "$O/known.ndp" "$O/known.local" "ndp/wordcount known with NDP vs forbid_ndp"
printf 'and\t1\ncat\t1\nend\t1\nhat\t1\nthe\t3\n' >"$O/known.expected"
same "$O/known.ndp" "$O/known.expected" "ndp/wordcount of 'the cat and the hat\\nthe end\\n'"

# grep: the offsets grep -ob finds.
ndp_call grep text 'w9[0-9] w1' "$O/grep.ndp"
invoke grep 'text w9[0-9] w1' "$O/grep.local" --forbid-ndp
same "$O/grep.ndp" "$O/grep.local" "ndp/grep with NDP vs forbid_ndp"
grep -ob 'w9[0-9] w1' "$DATA/text.txt" | cut -d: -f1 | tr '\n' ' ' >"$O/grep.expected"
[ -s "$O/grep.expected" ] || fail "test data: no match of 'w9[0-9] w1' in text"
same "$O/grep.ndp" "$O/grep.expected" "ndp/grep 'w9[0-9] w1' vs grep -ob"

# substr: the first 64 offsets of the literal.
ndp_call substr text 'w5 w7' "$O/substr.ndp"
invoke substr 'text w5 w7' "$O/substr.local" --forbid-ndp
same "$O/substr.ndp" "$O/substr.local" "ndp/substr with NDP vs forbid_ndp"
grep -obF 'w5 w7' "$DATA/text.txt" | awk 'NR <= 64' | cut -d: -f1 | tr '\n' ' ' >"$O/substr.expected"
[ "$(wc -w <"$O/substr.expected")" -eq 64 ] || fail "test data: fewer than 64 'w5 w7' in text"
same "$O/substr.ndp" "$O/substr.expected" "ndp/substr 'w5 w7' vs grep -obF (first 64)"

# sha256sum: what sha256sum says.
ndp_call sha256sum text "" "$O/sha.ndp"
invoke sha256sum text "$O/sha.local" --forbid-ndp
same "$O/sha.ndp" "$O/sha.local" "ndp/sha256sum with NDP vs forbid_ndp"
text_sha=$(sha256sum "$DATA/text.txt" | cut -c1-64)
printf '%s' "$text_sha" >"$O/sha.expected"
same "$O/sha.ndp" "$O/sha.expected" "ndp/sha256sum text vs sha256sum"

# Four offloads (wordcount, grep, substr, sha256sum with NDP), nothing from
# put, get, the small object or any forbid_ndp call. Past the log's flush.
sleep 1.5
n=$(offload_lines)
[ "$n" -eq $((before_lines + 4)) ] ||
  fail "expected $((before_lines + 4)) offload lines in runtime.log (4 NDP calls), have $n;" \
    "the last: $(grep 'offload [0-9][0-9]* ndp/' "$RUNTIME_LOG" | tail -n $((n - before_lines)))"

# ---- 2b. the functions with libraries, and substrrepl ----------------------------

step "2b. thumbnailer, json_query, pcakmm, substrrepl with NDP and with forbid_ndp"
before_lines=$(offload_lines)
obj_get() {  # obj_get KEY FILE
  timeout 60 "$NF" obj get ndp "$1" --host "$HOST" --http-timeout 50 >"$2" 2>"$2.err" ||
    fail "obj get $1: $(cat "$2.err")"
}
# thumbnailer: the same output and the same thumbnail; its size as the box
# and the aspect ratio say (2000 x 1500 -> 256 x 192; 3000 x 2000 -> 256 x
# 171, 170.7 rounded).
for img in image.png:256x192 photo.jpg:256x171; do
  key=${img%:*}
  ndp_call thumbnailer "$key" "256x256 thumb" "$O/thumb.$key.ndp"
  obj_get thumb "$O/thumb.$key.ndp.png"
  invoke thumbnailer "$key 256x256 thumb" "$O/thumb.$key.local" --forbid-ndp
  obj_get thumb "$O/thumb.$key.local.png"
  same "$O/thumb.$key.ndp" "$O/thumb.$key.local" "ndp/thumbnailer $key with NDP vs forbid_ndp"
  same "$O/thumb.$key.ndp.png" "$O/thumb.$key.local.png" \
    "the thumbnail of $key made with NDP vs forbid_ndp"
  printf 'thumb %s %s bytes' "${img#*:}" "$(stat -c %s "$O/thumb.$key.ndp.png")" >"$O/thumb.expected"
  same "$O/thumb.$key.ndp" "$O/thumb.expected" "ndp/thumbnailer $key: output"
done
# json_query: counts as grep counts the generated lines.
lines=$(wc -l <"$DATA/lines.jsonl")
for q in 'color=="red"':'"color":"red"' 'nested.ok==true':'"ok":true'; do
  ndp_call json_query lines.jsonl "${q%%:*}" "$O/json.ndp"
  invoke json_query "lines.jsonl ${q%%:*}" "$O/json.local" --forbid-ndp
  same "$O/json.ndp" "$O/json.local" "ndp/json_query ${q%%:*} with NDP vs forbid_ndp"
  printf 'matched %d of %d lines' "$(grep -c "${q#*:}" "$DATA/lines.jsonl")" "$lines" \
    >"$O/json.expected"
  same "$O/json.ndp" "$O/json.expected" "ndp/json_query ${q%%:*} vs grep -c"
done
# pcakmm: three clusters of 50,000 rows.
ndp_call pcakmm matrix.txt "2 3" "$O/pcakmm.ndp"
invoke pcakmm "matrix.txt 2 3" "$O/pcakmm.local" --forbid-ndp
same "$O/pcakmm.ndp" "$O/pcakmm.local" "ndp/pcakmm with NDP vs forbid_ndp"
[ "$(sed -n '2,4p' "$O/pcakmm.ndp" | cut -d' ' -f1 | tr '\n' ' ')" = "50000 50000 50000 " ] ||
  fail "ndp/pcakmm: expected 3 clusters of 50000 rows, got: $(head -c 300 "$O/pcakmm.ndp")"
# substrrepl: the same output, and both objects as sed rewrites the text.
ndp_call substrrepl repl-ndp "/w5 w7/W5W7/" "$O/repl.ndp"
invoke substrrepl "repl-local /w5 w7/W5W7/" "$O/repl.local" --forbid-ndp
same "$O/repl.ndp" "$O/repl.local" "ndp/substrrepl with NDP vs forbid_ndp"
sed 's/w5 w7/W5W7/g' "$DATA/text.txt" >"$O/repl.expected.obj"
printf '%d replacements, %d bytes written' "$(grep -o 'w5 w7' "$DATA/text.txt" | wc -l)" \
  "$(stat -c %s "$O/repl.expected.obj")" >"$O/repl.expected"
same "$O/repl.ndp" "$O/repl.expected" "ndp/substrrepl: output vs grep -o and sed"
for key in repl-ndp repl-local; do
  obj_get "$key" "$O/$key.obj"
  same "$O/$key.obj" "$O/repl.expected.obj" "object $key rewritten by ndp/substrrepl vs sed"
done
grep -q "ndp/substrrepl on 'repl-ndp' ran near the data (.*, read-write) in" "$WORKER_LOG" ||
  fail "worker.log does not say substrrepl ran near the data as a read-write offload"
sleep 1.5  # past the log's flush
n=$(offload_lines)
[ "$n" -eq $((before_lines + 6)) ] ||
  fail "expected $((before_lines + 6)) offload lines in runtime.log (6 NDP calls), have $n"

# ---- 6. missing objects ----------------------------------------------------------

step "6. missing object: same answer with and without NDP; the worker keeps serving"
for f in get wordcount sha256sum grep thumbnailer json_query pcakmm substrrepl; do
  case $f in
    grep) input="no-such-key w5" ;;
    thumbnailer) input="no-such-key 10x10" ;;
    json_query) input="no-such-key a" ;;
    pcakmm) input="no-such-key 1 1" ;;
    substrrepl) input="no-such-key /a/b/" ;;
    *) input=no-such-key ;;
  esac
  for forbid in false true; do
    code=$(curl -s --max-time 60 -o "$O/missing.$f.$forbid" -w '%{http_code}' -X POST \
      "http://$HOST:8080/" \
      -d "{\"user\":\"ndp\",\"function\":\"$f\",\"input_data\":\"$input\",\"forbid_ndp\":$forbid}") ||
      fail "ndp/$f on a missing key (forbid_ndp $forbid): curl failed"
    echo "$code" >>"$O/missing.$f.$forbid"
  done
  same "$O/missing.$f.false" "$O/missing.$f.true" "ndp/$f on a missing key: NDP vs forbid_ndp answer"
  # The function outputs "FAILED - no object found with the given key" and
  # returns 1; a failed call answers 500 with the return value
  # (docs/http-api.md).
  printf 'Call failed (return value=1)500\n' >"$O/missing.expected"
  same "$O/missing.$f.false" "$O/missing.expected" "ndp/$f on a missing key: answer (body, then status)"
done
if timeout 60 "$NF" func invoke ndp get --host "$HOST" --input no-such-key >"$O/missing.cli" 2>&1; then
  fail "func invoke ndp get on a missing key exited 0: $(cat "$O/missing.cli")"
fi
curl -sf --max-time 10 "http://$HOST:8002/ping" >/dev/null || fail "the worker stopped answering /ping"
invoke get known "$O/known.get"
same "$O/known.get" "$DATA/known.txt" "ndp/get known after the failed calls"
topo status >"$O/status" 2>&1 || fail "the topology is not all up after the failed calls: $(cat "$O/status")"

# ---- 3. the storage runtime killed during an offload -------------------------------

step "3. storage runtime killed (SIGKILL) during an offloaded wordcount of 59 MB"
invoke wordcount big "$O/big.local" --forbid-ndp
[ "$(wc -l <"$O/big.local")" -eq 997 ] ||
  fail "ndp/wordcount big (forbid_ndp): expected 997 words, got $(wc -l <"$O/big.local") lines"
runtime_pid=$(cat "$TOPO/runtime.pid")
warnings=$(grep -c 'runs locally' "$WORKER_LOG" || true)
cpu0=$(cpu_ticks "$runtime_pid")
started=$SECONDS
timeout 200 "$NF" func invoke ndp wordcount --host "$HOST" --http-timeout 180 --input big \
  >"$O/big.ndp" 2>"$O/big.ndp.err" &
call_pid=$!
# Kill once the runtime has spent 0.4 s of CPU on the call (the whole call
# takes it about 2 s): it is then certainly inside the offload.
end=$((SECONDS + 60))
while [ $(($(cpu_ticks "$runtime_pid") - cpu0)) -lt 40 ]; do
  kill -0 "$call_pid" 2>/dev/null ||
    fail "the NDP wordcount of big ended before the runtime had spent 0.4 s of CPU on it" \
      "(it used $(($(cpu_ticks "$runtime_pid") - cpu0)) ticks); was it offloaded?"
  [ $SECONDS -lt $end ] || fail "the storage runtime spent no CPU on the NDP wordcount of big in 60 s"
  sleep 0.05
done
echo "   killing the runtime (pid $runtime_pid) $((SECONDS - started))s into the call," \
  "after $(($(cpu_ticks "$runtime_pid") - cpu0)) ticks of its CPU"
topo stop-runtime --kill >/dev/null
call_rc=0
wait "$call_pid" || call_rc=$?
[ "$call_rc" -eq 0 ] || fail "the NDP wordcount of big failed when the runtime died (exit $call_rc):" \
  "$(head -c 300 "$O/big.ndp.err")"
same "$O/big.ndp" "$O/big.local" "ndp/wordcount big with the runtime killed mid-call vs forbid_ndp"
new_warnings=$(grep 'runs locally' "$WORKER_LOG" | tail -n +$((warnings + 1)))
if [ "$(grep -c . <<<"$new_warnings")" -ne 1 ] ||
  [[ "$new_warnings" != *"ndp/wordcount on 'big' runs locally"* ]]; then
  fail "expected one 'ndp/wordcount on 'big' runs locally' warning in worker.log, got: '$new_warnings'"
fi
[[ "$new_warnings" != *"refused"* ]] ||
  fail "the runtime refused instead of dying mid-call: $new_warnings"
echo "   worker.log: ${new_warnings#*runs locally: }"

step "3. up again: a new runtime, NDP works again"
topo up --runtime-args "$ADMIT_ALL" >"$DATA/up.out" 2>&1 || { cat "$DATA/up.out" >&2; fail "up after the runtime was killed failed"; }
[ "$(cat "$TOPO/runtime.pid")" != "$runtime_pid" ] || fail "up did not start a new storage runtime"
warm_up wordcount warm
ndp_call wordcount text "" "$O/wordcount.again"
same "$O/wordcount.again" "$O/wordcount.local" "ndp/wordcount text on the new runtime vs forbid_ndp"

# ---- 3b. the same for the functions with libraries, and substrrepl ----------------

# kill_mid_call FUNC INPUT OUT TICKS: an NDP call of FUNC whose storage
# runtime is killed (SIGKILL) once it spent TICKS clock ticks of CPU on it;
# the call must succeed (output in OUT), worker.log must say it ran locally
# (not refused), and 'up' starts a new runtime.
kill_mid_call() {
  local f=$1 input=$2 out=$3 ticks=$4 pid warnings cpu0 call_pid end rc new
  pid=$(cat "$TOPO/runtime.pid")
  warnings=$(grep -c 'runs locally' "$WORKER_LOG" || true)
  cpu0=$(cpu_ticks "$pid")
  timeout 200 "$NF" func invoke ndp "$f" --host "$HOST" --http-timeout 180 --input "$input" \
    >"$out" 2>"$out.err" &
  call_pid=$!
  end=$((SECONDS + 60))
  while [ $(($(cpu_ticks "$pid") - cpu0)) -lt "$ticks" ]; do
    kill -0 "$call_pid" 2>/dev/null ||
      fail "the NDP call of ndp/$f ended before the runtime had spent $ticks ticks of CPU on it" \
        "($(($(cpu_ticks "$pid") - cpu0))); was it offloaded?"
    [ $SECONDS -lt $end ] || fail "the storage runtime spent no CPU on ndp/$f in 60 s"
    sleep 0.02
  done
  topo stop-runtime --kill >/dev/null
  rc=0
  wait "$call_pid" || rc=$?
  [ "$rc" -eq 0 ] || fail "ndp/$f failed when the runtime died (exit $rc): $(head -c 300 "$out.err")"
  new=$(grep 'runs locally' "$WORKER_LOG" | tail -n +$((warnings + 1)))
  if [ "$(grep -c . <<<"$new")" -ne 1 ] || [[ "$new" != *"ndp/$f on '${input%% *}' runs locally"* ]] ||
    [[ "$new" == *"refused"* ]]; then
    fail "expected one 'ndp/$f on '${input%% *}' runs locally' warning (not refused), got: '$new'"
  fi
  echo "   ndp/$f: runtime killed; worker.log: ${new#*runs locally: }"
  topo up --runtime-args "$ADMIT_ALL" >"$DATA/up.out" 2>&1 ||
    { cat "$DATA/up.out" >&2; fail "up after the runtime was killed failed"; }
}

step "3b. storage runtime killed during thumbnailer, json_query, pcakmm, substrrepl"
warm_up thumbnailer "image.png 16x16 warm-thumb"
kill_mid_call thumbnailer "photo.jpg 256x256 thumb" "$O/thumb.killed" 10
same "$O/thumb.killed" "$O/thumb.photo.jpg.local" "ndp/thumbnailer with the runtime killed vs forbid_ndp"
obj_get thumb "$O/thumb.killed.png"
same "$O/thumb.killed.png" "$O/thumb.photo.jpg.local.png" "the thumbnail made with the runtime killed"
warm_up json_query "lines.jsonl id"
kill_mid_call json_query 'lines.jsonl nested.ok==true' "$O/json.killed" 10
same "$O/json.killed" "$O/json.local" "ndp/json_query with the runtime killed vs forbid_ndp"
warm_up pcakmm "matrix.txt 1 1"
kill_mid_call pcakmm "matrix.txt 2 3" "$O/pcakmm.killed" 10
same "$O/pcakmm.killed" "$O/pcakmm.local" "ndp/pcakmm with the runtime killed vs forbid_ndp"
# substrrepl: the killed call's object is rewritten exactly once (the OSD
# applies no write of a call that is not done), as forbid_ndp's copy.
invoke substrrepl "repl-big-local /w5 w7/W5W7/" "$O/repl.big.local" --forbid-ndp
warm_up substrrepl "repl-warm /w5 w7/w5 w7/"
kill_mid_call substrrepl "repl-big-ndp /w5 w7/W5W7/" "$O/repl.big.killed" 10
same "$O/repl.big.killed" "$O/repl.big.local" "ndp/substrrepl with the runtime killed vs forbid_ndp"
obj_get repl-big-ndp "$O/repl-big-ndp.obj"
obj_get repl-big-local "$O/repl-big-local.obj"
same "$O/repl-big-ndp.obj" "$O/repl-big-local.obj" \
  "object rewritten by ndp/substrrepl with the runtime killed vs forbid_ndp"

# ---- 4. overload refusal -------------------------------------------------------

step "4. runtime with --max-load-per-core 0 refuses; the call runs locally"
topo stop-runtime >/dev/null
topo up --runtime-args "--max-load-per-core 0" >"$DATA/up.out" 2>&1 ||
  { cat "$DATA/up.out" >&2; fail "up with --max-load-per-core 0 failed"; }
echo "   load average: $(cut -d' ' -f1-3 /proc/loadavg)"
n=$(offload_lines)
warnings=$(grep -c 'runs locally' "$WORKER_LOG" || true)
invoke wordcount text "$O/wordcount.overloaded"
same "$O/wordcount.overloaded" "$O/wordcount.local" "ndp/wordcount text refused for load vs forbid_ndp"
wait_offload_lines $((n + 1)) "NDP call to an overloaded runtime"
last=$(last_offload_line)
[[ "$last" == *"ndp/wordcount on 'text': refused"*"overloaded"* ]] ||
  fail "expected runtime.log to say the wordcount was refused as overloaded, it says: $last"
new_warnings=$(grep 'runs locally' "$WORKER_LOG" | tail -n +$((warnings + 1)))
[[ "$new_warnings" == *"ndp/wordcount on 'text' runs locally: refused by the storage side: overloaded"* ]] ||
  fail "expected worker.log to say the wordcount ran locally, refused as overloaded; got: '$new_warnings'"

step "4. runtime with --max-offload-time 1 gives calls back; they finish on the worker"
topo stop-runtime >/dev/null
topo up --runtime-args "$ADMIT_ALL --max-offload-time 1" >"$DATA/up.out" 2>&1 ||
  { cat "$DATA/up.out" >&2; fail "up with --max-offload-time 1 failed"; }
sleep 1.1  # past the worker's back-off after the refusal for load
invoke wordcount warm "$O/wordcount.warm.local" --forbid-ndp
# The first call is refused while the new runtime loads wordcount.
for try in 1 2 3 4 5 6 7 8 9 10; do
  n=$(offload_lines)
  invoke wordcount warm "$O/wordcount.warm.given-back"
  same "$O/wordcount.warm.given-back" "$O/wordcount.warm.local" \
    "ndp/wordcount warm given back (call $try) vs forbid_ndp"
  wait_offload_lines $((n + 1)) "NDP call $try to a runtime with --max-offload-time 1"
  last=$(last_offload_line)
  [[ "$last" == *": refused"*"loading function"* ]] || break
  sleep 0.3
done
[[ "$last" == *"ndp/wordcount on 'warm': refused"*"longer than the storage side's limit of 1 ms"* ]] ||
  fail "expected runtime.log to say the wordcount took too long, it says: $last"
grep -q "ndp/wordcount on 'warm' runs locally: refused by the storage side: the call took longer" \
  "$WORKER_LOG" || fail "worker.log does not say the wordcount given back ran locally"

step "4. back to a runtime that admits"
topo stop-runtime >/dev/null
topo up --runtime-args "$ADMIT_ALL" >"$DATA/up.out" 2>&1 || { cat "$DATA/up.out" >&2; fail "up after the overload part failed"; }
sleep 1.1  # past the worker's back-off after a refusal for load
warm_up sha256sum warm

# ---- 5. OSD killed and restarted under a writer ------------------------------------

step "5. OSD killed and restarted while 200 small objects are put"
mkdir -p "$DATA/osd"
osd_pid_file=$TOPO/ceph/run/osd.0.pid
osd_pid=$(cat "$osd_pid_file")
writer() {
  local i start deadline=$((SECONDS + 120))
  for i in $(seq 1 200); do
    [ $SECONDS -lt $deadline ] || break
    printf 'object %d\n%s\n' "$i" "$(head -c 30 /dev/urandom | base64)" >"$DATA/osd/$i"
    start=$(date +%s%N)
    if timeout 60 "$NF" obj put ndp "osd-$i" "$DATA/osd/$i" --host "$HOST" --http-timeout 50 \
      2>>"$DATA/osd/errors"; then
      echo "$i ok $start $(date +%s%N)"
    else
      echo "$i failed $start $(date +%s%N)"
    fi
  done >"$DATA/osd/log"
}
writer 8>&- &
writer_pid=$!
end=$((SECONDS + 60))
until [ "$(wc -l 2>/dev/null <"$DATA/osd/log" || echo 0)" -ge 40 ]; do
  kill -0 "$writer_pid" 2>/dev/null || fail "the writer ended before 40 puts"
  [ $SECONDS -lt $end ] || fail "the writer did not make 40 puts in 60 s"
  sleep 0.05
done
restart_start=$(date +%s%N)
topo restart-osd --kill >"$DATA/restart-osd.out" 2>&1 ||
  fail "ndp-topology.sh restart-osd --kill failed: $(cat "$DATA/restart-osd.out")"
restart_end=$(date +%s%N)
[ "$(cat "$osd_pid_file")" != "$osd_pid" ] || fail "the OSD pid did not change on restart-osd"
! grep -qs '^State:[[:space:]]*[RSD]' "/proc/$osd_pid/status" || fail "the old OSD ($osd_pid) still runs"
echo "   OSD $osd_pid killed, $(cat "$osd_pid_file") up, in $(((restart_end - restart_start) / 1000000)) ms"
wait "$writer_pid" || fail "the writer loop failed"
acked=$(awk '$2 == "ok"' "$DATA/osd/log" | wc -l)
before=$(awk -v t="$restart_start" '$2 == "ok" && $4 < t' "$DATA/osd/log" | wc -l)
after=$(awk -v t="$restart_end" '$2 == "ok" && $3 > t' "$DATA/osd/log" | wc -l)
echo "   puts: $(wc -l <"$DATA/osd/log") made, $acked acknowledged ($before before the kill," \
  "$after after the restart)"
if [ "$acked" -lt "$(wc -l <"$DATA/osd/log")" ]; then
  echo "   failed puts (allowed, not acknowledged): $(awk '$2 != "ok" { printf "%s ", $1 }' "$DATA/osd/log")"
  echo "   their errors: $(sort "$DATA/osd/errors" | uniq -c | sort -rn | head -n 5)"
fi
if [ "$before" -lt 1 ] || [ "$after" -lt 1 ]; then
  fail "expected acknowledged puts both before the kill ($before) and after the restart ($after)"
fi
awk '$2 == "ok" { print $1 }' "$DATA/osd/log" >"$DATA/osd/acked"
step "5. reading back the $acked acknowledged objects"
while read -r i; do
  timeout 60 "$NF" obj get ndp "osd-$i" --host "$HOST" --http-timeout 50 </dev/null >"$DATA/osd/got" \
    2>"$DATA/osd/get.err" || fail "acknowledged object osd-$i is lost: $(cat "$DATA/osd/get.err")"
  cmp -s "$DATA/osd/got" "$DATA/osd/$i" ||
    fail "acknowledged object osd-$i reads back as '$(head -c 100 "$DATA/osd/got")'," \
      "put was '$(head -c 100 "$DATA/osd/$i")'"
done <"$DATA/osd/acked"

step "5. after the OSD restart: NDP through the new OSD's class"
ndp_call sha256sum text "" "$O/sha.after"
same "$O/sha.after" "$O/sha.expected" "ndp/sha256sum text after the OSD restart vs sha256sum"
topo status >"$O/status" 2>&1 || fail "the topology is not all up at the end: $(cat "$O/status")"
