#!/usr/bin/env bash
# The NDP benchmark: wordcount, grep and sha256sum on Zipf text objects in the
# two-host topology (scripts/ndp-topology.sh, its own namespaces
# b-compute/b-storage), at 1 Gbit/s and 100 Mbit/s, with NDP and with
# forbid_ndp, side by side in one run. What it prints, and what makes it fail:
#
# - Per case: latencies, how many of the NDP calls ran near the data (the
#   compute worker logs each offload as it happens), and only if all of them
#   did: speedup = T_forbid / T_ndp, bound = T_forbid / T_run and
#   eff = speedup / bound. T_run is the storage runtime's own time for running
#   the function near the data in the same calls (from its log: the Faaslet's
#   run, the object read from the OSD), which each NDP call contains, so no
#   speedup can beat the bound; the run fails if one does. A case where no call offloaded shows `local`, one
#   where some did `mixed`; a case of 16 MB or more where any call ran on the
#   compute worker fails the run. Bytes that crossed the link (veth counters)
#   per call in both modes.
# - Where offloading starts to pay at each rate, measured with every call
#   forced to offload (`serve --ndp-force-offload`), next to what the cost
#   model decides for the same calls (the threshold the worker logs with each
#   offload).
# - 8 concurrent clients on distinct 16 MB objects at 100 Mbit/s.
# - Every output of every call is compared with the answer `ndp_bench expect`
#   computes from the object's bytes; a difference fails the run.
#
# Builds nothing: run scripts/build.sh first. The last line is
#   ndp-bench: wordcount 128MB 100Mbit speedup S x bound B x, link bytes ratio R x
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
QUICK=0
KEEP=0
RUNS=""
WORK=$ROOT/build/ndp-bench
EXTRA_WORKER_ARGS=""
EXTRA_RUNTIME_ARGS=""

usage() {
  cat <<EOF
usage: scripts/bench-ndp.sh [--quick] [--runs N] [--dir DIR] [--keep]
                            [--worker-args ARGS] [--runtime-args ARGS]

  --quick    CI variant: 1 and 16 MB for every function, 128 MB for wordcount
             only, one timed run per case, fewer crossover sizes
  --runs N   timed runs per case (median reported); default 3 (quick: 1)
  --dir DIR  work directory (objects, topology), default build/ndp-bench;
             removed at the end unless --keep
  --keep     leave the topology up and the work directory in place
  --worker-args ARGS   more arguments of the compute worker's 'nearfaas serve'
             (e.g. --ndp-fixed-cost-us 100000000 keeps every case local, which
             must fail the run)
  --runtime-args ARGS  more arguments of 'nearfaas storage-runtime'
EOF
}

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --runs) RUNS=${2:?--runs needs a value}; shift ;;
    --dir) WORK=${2:?--dir needs a value}; shift ;;
    --keep) KEEP=1 ;;
    --worker-args) EXTRA_WORKER_ARGS=${2?--worker-args needs a value}; shift ;;
    --runtime-args) EXTRA_RUNTIME_ARGS=${2?--runtime-args needs a value}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
  shift
done
[ -n "$RUNS" ] || RUNS=$([ $QUICK = 1 ] && echo 1 || echo 3)

NEARFAAS=$ROOT/build/nearfaas
BENCH=$ROOT/build/bench/ndp_bench
FUNC_DIR=$ROOT/build/func/ndp
for f in "$NEARFAAS" "$BENCH" "$FUNC_DIR/wordcount.wasm"; do
  [ -e "$f" ] || { echo "bench-ndp.sh: no $f; build first (scripts/build.sh)" >&2; exit 1; }
done

MB=1000000
if [ $QUICK = 1 ]; then
  SIZES_MB="1 16"
  CROSSOVER_SIZES="65536 262144 1048576 4194304"
  CONCURRENT_CALLS=1
else
  SIZES_MB="1 16 128"
  CROSSOVER_SIZES="16384 65536 262144 1048576 4194304"
  CONCURRENT_CALLS=2
fi
FUNCTIONS="wordcount grep sha256sum"
RATES="1gbit 100mbit"
CLIENTS=8
# grep looks for a word of Zipf rank 1000 (ndp_bench's wordFor(1000)): a
# needle, not a quarter of the text.
GREP_WORD=bepene
# A case of this many MB or more must run every NDP call near the data.
MUST_OFFLOAD_MB=16

mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
TOPO=(--dir "$WORK/topology" --prefix b- --subnet 97 --cache-dir "$WORK/code")
WORKER_LOG=$WORK/topology/worker.log
RUNTIME_LOG=$WORK/topology/runtime.log
# Enough executor slots on both sides for the concurrent clients (an
# offloading call holds a compute slot while it waits).
WORKER_ARGS="--max-body 256MiB --slots $CLIENTS --timeout 300000 $EXTRA_WORKER_ARGS"
# The storage runtime admits as the topology test's does
# (tests/ndp_topology_test.sh, ADMIT_ALL: whatever the machine's load, which
# builds beside may raise), so that no refusal turns a case local. An offload
# may hold the OSD's operation thread 60 s instead of the default 10 s
# (--max-offload-time), so that the largest cases (grep of 128 MB: about 6 s
# here when the machine is idle) are not given back when it is busy; the
# object class waits for the runtime a little longer than that
# (NEARFAAS_NDP_TIMEOUT_MS, in the OSD's environment, which ndp-topology.sh
# passes on), the compute worker 130 s (OffloaderSettings::execTimeout).
RUNTIME_ARGS="--max-load-per-core 1000 --max-concurrent $CLIENTS --max-offload-time 60000"
RUNTIME_ARGS="$RUNTIME_ARGS $EXTRA_RUNTIME_ARGS"
export NEARFAAS_NDP_TIMEOUT_MS=75000

topology() { "$ROOT/scripts/ndp-topology.sh" "$@" "${TOPO[@]}"; }

cleanup() {
  if [ $KEEP = 0 ]; then
    topology down >/dev/null 2>&1 || true
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

say() { echo "bench-ndp: $*" >&2; }
die() {
  say "$*"
  exit 1
}
# Failed checks, one a line (a file: measure runs in a subshell).
FAILURES=$WORK/failures
: >"$FAILURES"
failure() {
  say "FAIL: $*"
  echo "$*" >>"$FAILURES"
}

# ---- set-up ------------------------------------------------------------------

# The first worker offloads every call, so that the warm-up below does not
# depend on the cost model.
say "topology up (b-compute, b-storage)"
out=$(topology up --rate 1gbit --worker-args "$WORKER_ARGS --ndp-force-offload" \
  --runtime-args "$RUNTIME_ARGS")
TOPO_INVOKE=$(echo "$out" | sed -n 's/^invoke=\([^ ]*\) .*/\1/p')
TOPO_HOST=${TOPO_INVOKE%:*}
TOPO_PORT=${TOPO_INVOKE#*:}

client() { "$NEARFAAS" "$@" >/dev/null; }
for f in $FUNCTIONS; do
  client func upload ndp "$f" "$FUNC_DIR/$f.wasm" --host "$TOPO_HOST"
done

kv() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# Each function's output on each object, computed from the object's bytes:
# EXPECT["function key"] is its fingerprint.
declare -A EXPECT
put_object() {  # key size seed function...
  local key=$1 size=$2 seed=$3 file=$WORK/$1.txt f
  shift 3
  "$BENCH" gen --size "$size" --seed "$seed" --out "$file"
  for f in "$@"; do
    local literal=()
    [ "$f" != grep ] || literal=(--literal "$GREP_WORD")
    EXPECT[$f $key]=$(kv output_sha "$("$BENCH" expect --function "$f" --file "$file" "${literal[@]}")")
  done
  # One retry: a 128 MB upload was once reset by the worker (not reproduced;
  # the retry says so on stderr when it happens).
  client obj put ndp "$key" "$file" --host "$TOPO_HOST" ||
    { say "retrying the upload of $key"; client obj put ndp "$key" "$file" --host "$TOPO_HOST"; }
  rm -f "$file"
}
ALL_SIZES_MB=$SIZES_MB
[[ " $SIZES_MB " == *" 128 "* ]] || ALL_SIZES_MB="$SIZES_MB 128"
for s in $ALL_SIZES_MB; do
  say "object of $s MB"
  if [[ " $SIZES_MB " == *" $s "* ]]; then
    # shellcheck disable=SC2086  # one argument per function
    put_object "obj$s" $((s * MB)) "$s" $FUNCTIONS
  else
    put_object "obj$s" $((s * MB)) "$s" wordcount
  fi
done
# shellcheck disable=SC2086  # one argument per function
for b in $CROSSOVER_SIZES; do put_object "small$b" "$b" 7 $FUNCTIONS; done
for i in $(seq $CLIENTS); do put_object "c16_$i" $((16 * MB)) $((100 + i)) wordcount; done

# ---- reading the logs ----------------------------------------------------------

# Both daemons write each offload's line before the caller has its answer, so
# after a call returns, its lines are in the logs.
log_mark() { stat -c %s "$1"; }
since() { tail -c +$(($2 + 1)) "$1"; }  # FILE MARK: what was written after MARK
# Calls of ndp/$2 on object $3 that ran near the data since worker.log mark $1.
offloaded_since() {
  since "$WORKER_LOG" "$1" | grep -cF "ndp: ndp/$2 on '$3' ran near the data" || true
}
# Why calls of ndp/$2 on $3 ran on the worker since mark $1 (the first reason).
fallback_since() {
  since "$WORKER_LOG" "$1" | grep -F "ndp: ndp/$2 on '$3' runs locally" | head -n 1 |
    sed 's/.*runs locally: //' || true
}
# The cost model's thresholds (bytes) logged with those offloads.
thresholds_since() {
  since "$WORKER_LOG" "$1" | grep -F "ndp: ndp/$2 on '$3' ran near the data" |
    sed -n "s/.*the cost model's threshold \([0-9]*\) bytes.*/\1/p" || true
}
# Milliseconds the storage runtime ran ndp/$2 on $3 in the offloads it
# finished since runtime.log mark $1, one a line.
runs_since() {
  since "$RUNTIME_LOG" "$1" |
    sed -n "s/.* ndp\/$2 on '$3': done in [0-9.]* ms (run \([0-9.]*\) ms).*/\1/p" || true
}
# The median of numbers on stdin, the same element ndp_bench reports
# (sorted[n / 2]); nothing for no numbers.
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int(NR / 2) + 1] }'; }

# ---- measuring ---------------------------------------------------------------

input_for() {  # function key
  case "$1" in
    grep) echo "$2 $GREP_WORD" ;;
    *) echo "$2" ;;
  esac
}

# Prints "median_s sha bytes_per_call offloaded run_ms threshold" for
# function $1 on key $2 with NDP (mode ndp) or forbid_ndp (forbid): one
# warm-up call, then RUNS timed ones, whose link bytes, offloads, run times
# near the data and cost-model thresholds are counted ("-" where there is
# none). Fails if a call fails (ndp_bench says why).
measure() {
  local f=$1 key=$2 mode=$3 flag="" before after out wmark rmark
  [ "$mode" = forbid ] && flag=--forbid-ndp
  local args=(--host "$TOPO_HOST" --port "$TOPO_PORT" --function "$f"
    --input "$(input_for "$f" "$key")")
  out=$("$BENCH" time "${args[@]}" --warmup 0 --runs 1 $flag) || return 1
  check_output "$mode warm-up" "$f" "$key" "$(kv output_sha "$out")"
  wmark=$(log_mark "$WORKER_LOG")
  rmark=$(log_mark "$RUNTIME_LOG")
  before=$(topology link-bytes)
  out=$("$BENCH" time "${args[@]}" --warmup 0 --runs "$RUNS" $flag) || return 1
  after=$(topology link-bytes)
  local bytes offloaded runs run threshold
  bytes=$(link_delta "$before" "$after")
  offloaded=$(offloaded_since "$wmark" "$f" "$key")
  runs=$(runs_since "$rmark" "$f" "$key")
  run=$(echo "$runs" | median)
  threshold=$(thresholds_since "$wmark" "$f" "$key" | tail -n 1)
  if [ "$offloaded" != "$RUNS" ] && [ "$mode" = ndp ]; then
    local why
    why=$(fallback_since "$wmark" "$f" "$key")
    why=${why:-the cost model kept them there (or a back-off after a refusal)}
    say "ndp/$f on $key: $offloaded of $RUNS calls ran near the data; on the worker: $why"
  fi
  # A call the runtime finished but the worker did not take ran locally: the
  # runs are those of the timed calls only if every one was taken.
  if [ "$offloaded" = "$RUNS" ] && [ "$(echo "$runs" | grep -c .)" != "$RUNS" ]; then
    failure "ndp/$f on $key: $RUNS offloads in worker.log but $(echo "$runs" | grep -c .) done in runtime.log"
    run=""
  fi
  echo "$(kv median_s "$out") $(kv output_sha "$out") $((bytes / RUNS)) $offloaded" \
    "${run:--} ${threshold:--}"
}
# Bytes both ways between two link-bytes readings.
link_delta() {
  local b1 b2 a1 a2
  b1=$(kv compute_to_storage "$1")
  b2=$(kv storage_to_compute "$1")
  a1=$(kv compute_to_storage "$2")
  a2=$(kv storage_to_compute "$2")
  echo $(((a1 - b1) + (a2 - b2)))
}
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }
holds() { awk "BEGIN { exit !($1) }"; }

check_output() {  # what function key sha
  local want=${EXPECT[$2 $3]:-}
  [ -n "$want" ] || { failure "$1: no expected output for $2 on $3"; return; }
  [ "$4" = "$want" ] || failure "$1: ndp/$2 on $3 gave output $4, expected $want"
}

# The runtime loads a function on its first offload (that call runs on the
# worker, 'loading function', and so do calls in the next second, the
# worker's back-off after a refusal): call each until one ran near the data.
warm_up() {
  local f=$1 key=small${CROSSOVER_SIZES%% *} mark out
  for _ in $(seq 20); do
    mark=$(log_mark "$WORKER_LOG")
    out=$("$BENCH" time --host "$TOPO_HOST" --port "$TOPO_PORT" --function "$f" \
      --input "$(input_for "$f" "$key")" --warmup 0 --runs 1)
    check_output "warm-up" "$f" "$key" "$(kv output_sha "$out")"
    [ "$(offloaded_since "$mark" "$f" "$key")" = 0 ] || return 0
    sleep 1.1  # the back-off (CostModel::refusalBackoff), then ask again
  done
  die "ndp/$f never ran near the data in 20 calls: $(fallback_since "$mark" "$f" "$key")"
}
say "loading the functions in the storage runtime"
for f in $FUNCTIONS; do warm_up "$f"; done

FINAL=""
declare -A CROSSOVER MODEL_CROSSOVER AGREE
for rate in $RATES; do
  # Where offloading starts to pay: every call offloaded whatever the cost
  # model says. The crossover is the smallest size from which NDP is faster
  # at every larger size tried (one noisy point must not make it); the
  # model's is the smallest from which it would offload at every larger size.
  say "link $rate: crossover"
  topology rate "$rate" --worker-args "$WORKER_ARGS --ndp-force-offload" >/dev/null
  wins=()
  model=()
  agree=0
  for b in $CROSSOVER_SIZES; do
    m=$(measure wordcount "small$b" ndp) || die "NDP calls of wordcount on small$b failed"
    read -r tn shan _ kn _ thr <<<"$m"
    m=$(measure wordcount "small$b" forbid) || die "forbid_ndp calls of wordcount on small$b failed"
    read -r tf shaf _ kf _ _ <<<"$m"
    check_output "crossover $rate ndp" wordcount "small$b" "$shan"
    check_output "crossover $rate forbid_ndp" wordcount "small$b" "$shaf"
    [ "$kn" = "$RUNS" ] ||
      failure "crossover $rate ${b}B: $kn of $RUNS forced offloads ran near the data"
    [ "$kf" = 0 ] || failure "crossover $rate ${b}B: $kf forbid_ndp calls ran near the data"
    if holds "$tn < $tf"; then pays=1 verdict="pays"; else pays=0 verdict="does not pay"; fi
    if [ "$thr" = - ]; then
      decides="-" offloads=""
    elif [ "$b" -ge "$thr" ]; then
      decides="offload" offloads=1
    else
      decides="local" offloads=0
    fi
    echo "crossover $rate ${b}B: ndp $(calc "$tn * 1000") ms ($kn/$RUNS offloaded)," \
      "forbid_ndp $(calc "$tf * 1000") ms: offloading $verdict; the cost model: $decides" \
      "(threshold $thr bytes)"
    if [ $pays = 1 ]; then wins+=("$b"); else wins=(); fi
    if [ "$offloads" = 1 ]; then model+=("$b"); else model=(); fi
    [ "$pays" != "$offloads" ] || agree=$((agree + 1))
  done
  CROSSOVER[$rate]=${wins[0]:+${wins[0]} bytes}
  MODEL_CROSSOVER[$rate]=${model[0]:+${model[0]} bytes}
  AGREE[$rate]=$agree
  topology rate "$rate" --worker-args "$WORKER_ARGS" >/dev/null

  echo
  echo "link $rate"
  printf "%-10s %6s %10s %10s %10s %5s %8s %7s %7s %12s %12s %8s\n" function size run_ms \
    ndp_ms forbid_ms offl speedup bound eff ndp_bytes forbid_bytes ratio
  for f in $FUNCTIONS; do
    sizes=$SIZES_MB
    [ "$f" = wordcount ] && sizes=$ALL_SIZES_MB
    for s in $sizes; do
      m=$(measure "$f" "obj$s" ndp) || die "NDP calls of $f on obj$s failed"
      read -r tn shan bn kn run _ <<<"$m"
      m=$(measure "$f" "obj$s" forbid) || die "forbid_ndp calls of $f on obj$s failed"
      read -r tf shaf bf kf _ _ <<<"$m"
      check_output "$rate ndp" "$f" "obj$s" "$shan"
      check_output "$rate forbid_ndp" "$f" "obj$s" "$shaf"
      [ "$kf" = 0 ] || failure "$f ${s}MB at $rate: $kf forbid_ndp calls ran near the data"
      bound=- eff=- run_ms=-
      if [ "$kn" = "$RUNS" ] && [ "$run" != - ]; then
        speedup=$(calc "$tf / $tn")x
        bound=$(calc "$tf * 1000 / $run")x
        eff=$(calc "100 * $run / ($tn * 1000)")%
        run_ms=$run
        holds "$tf / $tn <= $tf * 1000 / $run" ||
          failure "$f ${s}MB at $rate: speedup $speedup beats its bound $bound"
      elif [ "$kn" = 0 ]; then
        speedup=local
      else
        speedup=mixed
      fi
      [ "$s" -lt $MUST_OFFLOAD_MB ] || [ "$kn" = "$RUNS" ] ||
        failure "$f ${s}MB at $rate: $kn of $RUNS NDP calls ran near the data"
      ratio=$(calc "$bf / ($bn > 0 ? $bn : 1)")x
      printf "%-10s %4sMB %10s %10s %10s %5s %8s %7s %7s %12s %12s %8s\n" "$f" "$s" \
        "$run_ms" "$(calc "$tn * 1000")" "$(calc "$tf * 1000")" "$kn/$RUNS" "$speedup" \
        "$bound" "$eff" "$bn" "$bf" "$ratio"
      if [ "$f" = wordcount ] && [ "$s" = 128 ] && [ "$rate" = 100mbit ]; then
        FINAL="ndp-bench: wordcount 128MB 100Mbit speedup ${speedup%x} x bound ${bound%x} x,"
        FINAL="$FINAL link bytes ratio ${ratio%x} x"
      fi
    done
  done
done

echo
for rate in $RATES; do
  echo "offloading pays at $rate from: ${CROSSOVER[$rate]:-not within the sizes tried}" \
    "(measured, wordcount); the cost model offloads from:" \
    "${MODEL_CROSSOVER[$rate]:-not within the sizes tried};" \
    "they agree at ${AGREE[$rate]} of $(wc -w <<<"$CROSSOVER_SIZES") sizes"
done

say "concurrent clients at 100mbit"
topology rate 100mbit --worker-args "$WORKER_ARGS" >/dev/null
keys=$(seq -s, -f "c16_%g" 1 $CLIENTS)
calls=$((CLIENTS * CONCURRENT_CALLS))
concurrent() {  # extra flag
  "$BENCH" concurrent --host "$TOPO_HOST" --port "$TOPO_PORT" --function wordcount \
    --keys "$keys" --calls $CONCURRENT_CALLS "$@"
}
offloaded_concurrent() {
  since "$WORKER_LOG" "$1" | grep -c "ndp: ndp/wordcount on 'c16_[0-9]*' ran near the data" || true
}
mark=$(log_mark "$WORKER_LOG")
cn=$(concurrent) || die "concurrent NDP clients failed"
kn=$(offloaded_concurrent "$mark")
mark=$(log_mark "$WORKER_LOG")
cf=$(concurrent --forbid-ndp) || die "concurrent forbid_ndp clients failed"
kf=$(offloaded_concurrent "$mark")
for i in $(seq $CLIENTS); do
  check_output "concurrent ndp" wordcount "c16_$i" \
    "$(echo "$cn" | sed -n "s/^key=c16_$i output_sha=//p")"
  check_output "concurrent forbid_ndp" wordcount "c16_$i" \
    "$(echo "$cf" | sed -n "s/^key=c16_$i output_sha=//p")"
done
[ "$kn" = $calls ] || failure "concurrent: $kn of $calls NDP calls ran near the data"
[ "$kf" = 0 ] || failure "concurrent: $kf forbid_ndp calls ran near the data"
echo "concurrent: $CLIENTS clients x $CONCURRENT_CALLS wordcount calls on distinct 16MB objects at 100mbit:" \
  "ndp $(kv calls_per_s "$cn") calls/s ($kn/$calls offloaded), forbid_ndp $(kv calls_per_s "$cf") calls/s," \
  "ratio $(calc "$(kv calls_per_s "$cn") / $(kv calls_per_s "$cf")")x"

if [ -s "$FAILURES" ]; then
  say "$(wc -l <"$FAILURES") check(s) failed:"
  sed 's/^/  /' "$FAILURES" >&2
  exit 1
fi
echo "$FINAL"
