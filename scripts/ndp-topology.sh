#!/usr/bin/env bash
# Two "hosts" on this machine for near-data processing: network namespaces
# `compute` and `storage` joined by a veth pair whose bandwidth tc limits
# (tbf), a real Ceph cluster (mon + OSD, scripts/ceph.sh) and the storage
# runtime in `storage`, the compute worker (`nearfaas serve` over the RADOS
# store) in `compute`. A second veth pair joins `compute` to the root
# namespace, so clients here reach the worker's HTTP endpoints.
#
#   root ns  10.99.1.1 <-nf-root / nf-cr-> 10.99.1.2  compute
#   compute  10.99.0.1 <-nf-c0 / nf-s0-> 10.99.0.2   storage   (rate-limited)
#
# It builds nothing: build/nearfaas and the class plugin must exist. Every
# file it makes is under its work directory, every process it starts is
# recorded there, and `down` removes all of it. Run with --help for usage.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)

usage() {
  cat <<EOF
usage: scripts/ndp-topology.sh COMMAND [options]

commands:
  up         create the namespaces, links, cluster, storage runtime and compute
             worker (what is missing of them); print
             'invoke=HOST:PORT upload=HOST:PORT' last
  down       stop and remove all of it; harmless when already down
  status     say what runs; exit 0 iff all of it does
  rate RATE  change the link rate (e.g. 100mbit) and restart the compute
             worker so its offload cost model knows it
  link-bytes print the bytes sent each way over the compute-storage link:
             'compute_to_storage=N storage_to_compute=N'
  restart-runtime  stop the storage runtime (--kill: SIGKILL) and start it again
  restart-osd      stop the OSD (--kill: SIGKILL, as in a crash) and start it
                   again, with the environment that points its class at the runtime
  stop-runtime     stop the storage runtime (--kill: SIGKILL); 'up' starts it again

options (environment variable in brackets):
  --dir DIR          work directory [NEARFAAS_TOPOLOGY_DIR], default \$ROOT/build/ndp-topology
  --rate RATE        link rate for up, tc syntax [NEARFAAS_LINK_RATE], default 1gbit
  --nearfaas PATH    the nearfaas binary [NEARFAAS_BIN], default \$ROOT/build/nearfaas
  --class-dir DIR    object class plugins [NEARFAAS_CEPH_CLASS_DIR], default \$ROOT/build/ceph-classes
  --ceph-store KIND  memstore (default) or file, as scripts/ceph.sh --store
  --cache-dir DIR    generated code cache shared by both workers
                     [NEARFAAS_CODE_CACHE], default DIR/code
  --worker-args ARGS extra arguments of the compute worker's 'nearfaas serve'
  --runtime-args ARGS extra arguments of 'nearfaas storage-runtime'
  --kill             with stop-runtime/restart-runtime: SIGKILL
  --timeout SEC      bound of each wait, default 60
  --prefix P         prefix of the namespace and link names, so that several
                     topologies can exist at once [NEARFAAS_TOPOLOGY_PREFIX],
                     default none (namespaces 'compute' and 'storage')
  --subnet N         use 10.N.0.0/24 and 10.N.1.0/24 [NEARFAAS_TOPOLOGY_SUBNET],
                     default 99
EOF
}

DIR=${NEARFAAS_TOPOLOGY_DIR:-$ROOT/build/ndp-topology}
RATE=${NEARFAAS_LINK_RATE:-1gbit}
RATE_GIVEN=${NEARFAAS_LINK_RATE:+1}
NEARFAAS=${NEARFAAS_BIN:-$ROOT/build/nearfaas}
CLASS_DIR=${NEARFAAS_CEPH_CLASS_DIR:-$ROOT/build/ceph-classes}
CEPH_STORE=${NEARFAAS_CEPH_STORE:-memstore}
CEPH_STORE_GIVEN=${NEARFAAS_CEPH_STORE:+1}
CACHE_DIR=${NEARFAAS_CODE_CACHE:-}
WORKER_ARGS=""
RUNTIME_ARGS=""
KILL=0
TIMEOUT=60
PREFIX=${NEARFAAS_TOPOLOGY_PREFIX:-}
SUBNET=${NEARFAAS_TOPOLOGY_SUBNET:-99}
CMD=""
NEW_RATE=""

die() {
  echo "ndp-topology.sh: $*" >&2
  exit 1
}

while [ $# -gt 0 ]; do
  case "$1" in
    up | down | status | link-bytes | restart-runtime | stop-runtime | restart-osd)
      [ -z "$CMD" ] || die "more than one command"
      CMD=$1 ;;
    rate)
      [ -z "$CMD" ] || die "more than one command"
      CMD=rate; NEW_RATE=${2:?rate needs a value}; shift ;;
    --dir) DIR=${2:?--dir needs a value}; shift ;;
    --rate) RATE=${2:?--rate needs a value}; RATE_GIVEN=1; shift ;;
    --nearfaas) NEARFAAS=${2:?--nearfaas needs a value}; shift ;;
    --class-dir) CLASS_DIR=${2:?--class-dir needs a value}; shift ;;
    --ceph-store) CEPH_STORE=${2:?--ceph-store needs a value}; CEPH_STORE_GIVEN=1; shift ;;
    --cache-dir) CACHE_DIR=${2:?--cache-dir needs a value}; shift ;;
    --worker-args) WORKER_ARGS=${2?--worker-args needs a value}; shift ;;
    --runtime-args) RUNTIME_ARGS=${2?--runtime-args needs a value}; shift ;;
    --kill) KILL=1 ;;
    --timeout) TIMEOUT=${2:?--timeout needs a value}; shift ;;
    --prefix) PREFIX=${2?--prefix needs a value}; shift ;;
    --subnet) SUBNET=${2:?--subnet needs a value}; shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument '$1'" ;;
  esac
  shift
done
[ -n "$CMD" ] || { usage >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"

[[ "$PREFIX" =~ ^[a-z0-9-]{0,6}$ ]] || die "--prefix must be at most 6 of [a-z0-9-]"
[[ "$SUBNET" =~ ^[0-9]+$ ]] && [ "$SUBNET" -le 255 ] || die "--subnet must be 0..255"
NS_COMPUTE=${PREFIX}compute
NS_STORAGE=${PREFIX}storage
# Links: nf-<prefix>c0 (compute) <-> nf-<prefix>s0 (storage), shaped;
# nf-<prefix>root (root) <-> nf-<prefix>cr (compute).
LINK_C=nf-${PREFIX}c0
LINK_S=nf-${PREFIX}s0
LINK_ROOT=nf-${PREFIX}root
LINK_CR=nf-${PREFIX}cr
COMPUTE_IP=10.$SUBNET.0.1
STORAGE_IP=10.$SUBNET.0.2
ROOT_IP=10.$SUBNET.1.1
COMPUTE_FRONT_IP=10.$SUBNET.1.2
UPLOAD_PORT=8002
INVOKE_PORT=8080
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
CACHE_DIR=${CACHE_DIR:-$DIR/code}
CEPH_DIR=$DIR/ceph
SOCKET=$DIR/ndp.sock
# Settings of the running topology (rate), so later commands keep them.
STATE=$DIR/topology.env
exec 9>"$DIR/.lock"
flock -w "$TIMEOUT" 9 || die "another ndp-topology.sh command holds $DIR/.lock"

in_ns() {
  local ns=$1
  shift
  ip netns exec "$ns" "$@"
}

ns_exists() { ip netns list | grep -qw "^$1"; }

# Whether process $1 exists and has not exited (a zombie has exited: where
# nothing reaps orphans, killed daemons stay zombies).
alive() {
  local state
  state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# The pid of daemon $1 (runtime, worker) if it runs.
pid_of() {
  local f=$DIR/$1.pid pid
  [ -s "$f" ] || return 0
  pid=$(cat "$f")
  if alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "nearfaas"; then
    echo "$pid"
  fi
}

# Waits until command "$@" succeeds, at most TIMEOUT seconds.
wait_for() {
  local what=$1
  shift
  local end=$((SECONDS + TIMEOUT))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || die "timed out waiting for $what"
    sleep 0.1
  done
}

# ---- network -----------------------------------------------------------------

# tbf needs a bucket of at least one timer tick of traffic; 10 ms of it
# (at least 64 KiB) keeps the shaping accurate at 100 Mbit/s and 1 Gbit/s.
shape() {
  local ns=$1 dev=$2 rate=$3 verb=${4:-add}
  local bits
  bits=$(rate_bits "$rate")
  local burst=$((bits / 8 / 100))
  [ $burst -ge 65536 ] || burst=65536
  in_ns "$ns" tc qdisc "$verb" dev "$dev" root tbf rate "$rate" burst "$burst" latency 100ms
}

# "1gbit" -> bits per second.
rate_bits() {
  local r=${1,,} n unit
  n=${r%%[a-z]*}
  unit=${r#"$n"}
  case "$unit" in
    gbit) echo $((n * 1000000000)) ;;
    mbit) echo $((n * 1000000)) ;;
    kbit) echo $((n * 1000)) ;;
    bit | "") echo "$n" ;;
    *) die "rate '$1' is not N[k|m|g]bit" ;;
  esac
}

network_up() {
  ns_exists $NS_COMPUTE || ip netns add $NS_COMPUTE
  ns_exists $NS_STORAGE || ip netns add $NS_STORAGE
  in_ns $NS_COMPUTE ip link set lo up
  in_ns $NS_STORAGE ip link set lo up
  if ! in_ns $NS_COMPUTE ip link show $LINK_C >/dev/null 2>&1; then
    ip link add $LINK_C netns $NS_COMPUTE type veth peer name $LINK_S netns $NS_STORAGE
    in_ns $NS_COMPUTE ip addr add $COMPUTE_IP/24 dev $LINK_C
    in_ns $NS_STORAGE ip addr add $STORAGE_IP/24 dev $LINK_S
    in_ns $NS_COMPUTE ip link set $LINK_C up
    in_ns $NS_STORAGE ip link set $LINK_S up
    shape $NS_COMPUTE $LINK_C "$RATE"
    shape $NS_STORAGE $LINK_S "$RATE"
  fi
  if ! ip link show $LINK_ROOT >/dev/null 2>&1; then
    ip link add $LINK_ROOT type veth peer name $LINK_CR netns $NS_COMPUTE
    ip addr add $ROOT_IP/24 dev $LINK_ROOT
    in_ns $NS_COMPUTE ip addr add $COMPUTE_FRONT_IP/24 dev $LINK_CR
    ip link set $LINK_ROOT up
    in_ns $NS_COMPUTE ip link set $LINK_CR up
  fi
}

# ---- processes ---------------------------------------------------------------

ceph() {
  in_ns $NS_STORAGE env NEARFAAS_NDP_SOCKET="$SOCKET" NEARFAAS_CEPH_CLASS_DIR="$CLASS_DIR" \
    "$ROOT/scripts/ceph.sh" --dir "$CEPH_DIR" --timeout "$TIMEOUT" "$@" 9>&-
}

# Starts $1 (runtime or worker) in namespace $2 with "${@:3}", in its own
# session, output to DIR/$1.log.
start_daemon() {
  local name=$1 ns=$2
  shift 2
  local pidfile=$DIR/$name.pid
  rm -f "$pidfile"
  # ip netns exec may fork: the process records its own pid before it
  # becomes nearfaas.
  # shellcheck disable=SC2016
  setsid ip netns exec "$ns" sh -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' \
    "$pidfile" "$NEARFAAS" "$@" >>"$DIR/$name.log" 2>&1 </dev/null 9>&- &
  wait_for "the $name to start" test -s "$pidfile"
}

stop_daemon() {
  local name=$1 signal=${2:-TERM} pid
  pid=$(pid_of "$name")
  if [ -n "$pid" ]; then
    kill -"$signal" "$pid" 2>/dev/null || true
    local end=$((SECONDS + TIMEOUT))
    while alive "$pid"; do
      if [ $SECONDS -ge $end ]; then
        kill -KILL "$pid" 2>/dev/null || true
        end=$((SECONDS + TIMEOUT))
      fi
      sleep 0.05
    done
  fi
  rm -f "$DIR/$name.pid"
}

runtime_up() {
  [ -z "$(pid_of runtime)" ] || return 0
  # shellcheck disable=SC2086
  start_daemon runtime $NS_STORAGE storage-runtime --socket "$SOCKET" \
    --ceph-conf "$CEPH_DIR/ceph.conf" --data-dir "$DIR/storage" --cache-dir "$CACHE_DIR" \
    $RUNTIME_ARGS
  wait_for "the storage runtime's socket" test -S "$SOCKET"
}

worker_up() {
  [ -z "$(pid_of worker)" ] || return 0
  # The topology's links are private to its network namespaces, and its
  # clients send no API token: tokens stay off (--auth; see docs/security.md).
  # shellcheck disable=SC2086
  start_daemon worker $NS_COMPUTE serve --listen 0.0.0.0 --auth off --store rados \
    --ceph-conf "$CEPH_DIR/ceph.conf" --data-dir "$DIR/compute" --cache-dir "$CACHE_DIR" \
    --upload-port $UPLOAD_PORT --invoke-port $INVOKE_PORT \
    --ndp-endpoint "$COMPUTE_IP:0" --ndp-link-rate "$RATE" $WORKER_ARGS
  wait_for "the compute worker at $COMPUTE_FRONT_IP:$UPLOAD_PORT" \
    curl -sf --max-time 1 "http://$COMPUTE_FRONT_IP:$UPLOAD_PORT/ping"
}

# ---- commands ----------------------------------------------------------------

save_state() { printf 'RATE=%s\nCEPH_STORE=%s\n' "$RATE" "$CEPH_STORE" >"$STATE"; }

cmd_up() {
  [ -x "$NEARFAAS" ] || die "no $NEARFAAS: build first (scripts/build.sh)"
  [ -f "$CLASS_DIR/libcls_nearfaas.so" ] || die "no $CLASS_DIR/libcls_nearfaas.so: build first"
  # A topology already up keeps its rate and store unless they are given.
  if [ -f "$STATE" ]; then
    local given_rate=$RATE given_store=$CEPH_STORE
    # shellcheck disable=SC1090
    . "$STATE"
    [ -z "$RATE_GIVEN" ] || RATE=$given_rate
    [ -z "$CEPH_STORE_GIVEN" ] || CEPH_STORE=$given_store
  fi
  rate_bits "$RATE" >/dev/null
  save_state
  network_up
  mkdir -p "$CACHE_DIR"
  ceph up --addr $STORAGE_IP --store "$CEPH_STORE" >"$DIR/ceph-up.log" 2>&1 ||
    { cat "$DIR/ceph-up.log" >&2; die "the Ceph cluster did not come up"; }
  runtime_up
  worker_up
  echo "invoke=$COMPUTE_FRONT_IP:$INVOKE_PORT upload=$COMPUTE_FRONT_IP:$UPLOAD_PORT"
}

cmd_down() {
  stop_daemon worker
  stop_daemon runtime
  if [ -d "$CEPH_DIR" ]; then ceph down >/dev/null 2>&1 || true; fi
  # Anything else still running in the namespaces goes too.
  local ns pid
  for ns in $NS_COMPUTE $NS_STORAGE; do
    if ns_exists $ns; then
      for pid in $(ip netns pids $ns 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
      ip netns del $ns
    fi
  done
  # Deleting the compute namespace removed its veth ends, and so their peers.
  ip link del $LINK_ROOT 2>/dev/null || true
  find "$DIR" -mindepth 1 -maxdepth 1 ! -name .lock -exec rm -rf {} +
  rm -f "$DIR/.lock"
  rmdir "$DIR" 2>/dev/null || true
  echo "ndp-topology.sh: down"
}

cmd_status() {
  local ok=0
  for ns in $NS_COMPUTE $NS_STORAGE; do
    if ns_exists $ns; then echo "namespace $ns: present"; else echo "namespace $ns: missing"; ok=1; fi
  done
  if [ -n "$(pid_of runtime)" ]; then echo "storage runtime: running (pid $(pid_of runtime))"; else echo "storage runtime: stopped"; ok=1; fi
  if [ -n "$(pid_of worker)" ]; then echo "compute worker: running (pid $(pid_of worker))"; else echo "compute worker: stopped"; ok=1; fi
  if [ -d "$CEPH_DIR" ] && ns_exists $NS_STORAGE && ceph status >/dev/null 2>&1; then
    echo "ceph: running"
  else
    echo "ceph: not running"; ok=1
  fi
  if ns_exists $NS_COMPUTE; then in_ns $NS_COMPUTE tc qdisc show dev $LINK_C 2>/dev/null || true; fi
  return $ok
}

cmd_rate() {
  ns_exists $NS_COMPUTE || die "the topology is not up"
  rate_bits "$NEW_RATE" >/dev/null
  shape $NS_COMPUTE $LINK_C "$NEW_RATE" change
  shape $NS_STORAGE $LINK_S "$NEW_RATE" change
  RATE=$NEW_RATE
  save_state
  stop_daemon worker
  worker_up
  echo "ndp-topology.sh: link rate $RATE"
}

cmd_link_bytes() {
  ns_exists $NS_COMPUTE || die "the topology is not up"
  local tx rx
  tx=$(in_ns $NS_COMPUTE cat /sys/class/net/$LINK_C/statistics/tx_bytes 2>/dev/null ||
    in_ns $NS_COMPUTE ip -s link show $LINK_C | awk '/TX:/{getline; print $1}')
  rx=$(in_ns $NS_COMPUTE cat /sys/class/net/$LINK_C/statistics/rx_bytes 2>/dev/null ||
    in_ns $NS_COMPUTE ip -s link show $LINK_C | awk '/RX:/{getline; print $1}')
  echo "compute_to_storage=$tx storage_to_compute=$rx"
}

if [ -f "$STATE" ] && [ "$CMD" != up ]; then
  # shellcheck disable=SC1090
  . "$STATE"
fi
case "$CMD" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  rate) cmd_rate ;;
  link-bytes) cmd_link_bytes ;;
  stop-runtime) stop_daemon runtime "$([ $KILL = 1 ] && echo KILL || echo TERM)" ;;
  restart-runtime)
    stop_daemon runtime "$([ $KILL = 1 ] && echo KILL || echo TERM)"
    runtime_up ;;
  restart-osd)
    ns_exists $NS_STORAGE || die "the topology is not up"
    if [ $KILL = 1 ]; then ceph restart-osd --kill; else ceph restart-osd; fi ;;
esac
