#!/usr/bin/env bash
# A real single-host Ceph cluster from the Debian binaries, for development and
# tests: one monitor, one OSD, one pool. No systemd; every file lives under
# DIR, every process it starts is recorded in a pid file there, and every wait
# is bounded.
#
# Run `scripts/ceph.sh --help` for usage. The design in short:
#  - auth none, msgr v1 only, everything on 127.0.0.1 (or the --addr given at
#    creation, e.g. inside a network namespace). The monitor port is
#    picked free at creation (other clusters may share the machine); the OSD
#    takes free ports in Ceph's usual 6800-7300 range.
#  - memstore (default) keeps objects in the OSD's memory: fast, and lost when
#    the OSD dies. --store file uses bluestore on a sparse file under DIR, so
#    an OSD crash or restart loses no acknowledged write.
#  - Object size limits (see LIMITS below) allow 128 MiB objects written in one
#    operation, with room to spare.
#  - The OSD loads object classes from the class directory (default
#    build/ceph-classes), where the project builds its own class plugin.
#  - The last line printed by `up` is `ceph-conf=PATH`: clients (ceph, rados,
#    librados) use that file to reach the cluster.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)

usage() {
  cat <<EOF
usage: scripts/ceph.sh COMMAND [options]

commands:
  up           create the cluster in DIR, or start what is not running of the
               one already there; wait until the pool is usable; print
               ceph-conf=PATH last
  down         kill every daemon this script started in DIR and remove DIR's
               cluster files (data included); harmless when already down
  status       say which daemons run and show 'ceph -s'; exit 0 iff all run
  restart-osd  stop the OSD (--kill: SIGKILL, as in a crash) and start it
               again; wait until the pool is usable
  stop-osd     stop the OSD (--kill: SIGKILL); 'up' starts it again
  stop-mon     stop the monitor (--kill: SIGKILL); 'up' starts it again

options (environment variable in brackets):
  --dir DIR          cluster directory [NEARFAAS_CEPH_DIR], default $ROOT/build/ceph
  --store KIND       memstore (default) or file (bluestore on a file in DIR)
                     [NEARFAAS_CEPH_STORE]; only used when the cluster is created
  --class-dir DIR    'osd class dir' for object class plugins, created if missing
                     [NEARFAAS_CEPH_CLASS_DIR], default $ROOT/build/ceph-classes
  --pool NAME        pool to create [NEARFAAS_CEPH_POOL], default nearfaas
  --port N           monitor port [NEARFAAS_CEPH_PORT], default: a free one
  --addr IP          address the daemons bind [NEARFAAS_CEPH_ADDR], default 127.0.0.1;
                     only used when the cluster is created
  --timeout SEC      bound of each wait [NEARFAAS_CEPH_TIMEOUT], default 60
  --kill             with restart-osd/stop-osd/stop-mon: SIGKILL instead of SIGTERM
  --owner-pid PID    with up: take the cluster down (as 'down' does) once
                     process PID has exited, e.g. a test run that crashed
  -v, --verbose      print each step with its time

limits set in ceph.conf (for 128 MiB objects written with one write_full):
  osd max object size = 256 MiB, osd max write size = 256 MB,
  osd client message size cap = 1 GiB, objecter inflight op bytes = 1 GiB
EOF
}

# ---- options -----------------------------------------------------------------

CMD=""
DIR=${NEARFAAS_CEPH_DIR:-$ROOT/build/ceph}
STORE=${NEARFAAS_CEPH_STORE:-memstore}
STORE_GIVEN=${NEARFAAS_CEPH_STORE:+1}
CLASS_DIR=${NEARFAAS_CEPH_CLASS_DIR:-$ROOT/build/ceph-classes}
POOL=${NEARFAAS_CEPH_POOL:-nearfaas}
PORT=${NEARFAAS_CEPH_PORT:-}
ADDR=${NEARFAAS_CEPH_ADDR:-127.0.0.1}
TIMEOUT=${NEARFAAS_CEPH_TIMEOUT:-60}
KILL=0
VERBOSE=0
OWNER_PID=""
SCRIPT=$ROOT/scripts/$(basename "$0")

die() {
  echo "ceph.sh: $*" >&2
  exit 1
}

while [ $# -gt 0 ]; do
  case "$1" in
    up | down | status | restart-osd | stop-osd | stop-mon | watch-owner)
      [ -z "$CMD" ] || die "more than one command ('$CMD' and '$1')"
      CMD=$1
      ;;
    --dir) DIR=${2:?--dir needs a value}; shift ;;
    --store) STORE=${2:?--store needs a value}; STORE_GIVEN=1; shift ;;
    --class-dir) CLASS_DIR=${2:?--class-dir needs a value}; shift ;;
    --pool) POOL=${2:?--pool needs a value}; shift ;;
    --port) PORT=${2:?--port needs a value}; shift ;;
    --addr) ADDR=${2:?--addr needs a value}; shift ;;
    --timeout) TIMEOUT=${2:?--timeout needs a value}; shift ;;
    --kill) KILL=1 ;;
    --owner-pid) OWNER_PID=${2:?--owner-pid needs a value}; shift ;;
    -v | --verbose) VERBOSE=1 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument '$1'" ;;
  esac
  shift
done
[ -n "$CMD" ] || { usage >&2; exit 2; }
case "$STORE" in memstore | file) ;; *) die "--store must be memstore or file, not '$STORE'" ;; esac
[[ "$TIMEOUT" =~ ^[0-9]+$ ]] && [ "$TIMEOUT" -gt 0 ] || die "--timeout must be a positive integer"
[ -z "$PORT" ] || [[ "$PORT" =~ ^[0-9]+$ ]] || die "--port must be a number"
[[ "$ADDR" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "--addr must be an IPv4 address"
[ -z "$OWNER_PID" ] || [[ "$OWNER_PID" =~ ^[0-9]+$ ]] || die "--owner-pid must be a number"

if [ "$CMD" != up ] && [ ! -d "$DIR" ]; then
  [ "$CMD" = down ] && { echo "ceph.sh: no cluster in $DIR"; exit 0; }
  die "no cluster in $DIR"
fi
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
# One command at a time per cluster directory (the owner watcher waits
# without the lock).
if [ "$CMD" != watch-owner ]; then
  exec 9>"$DIR/.lock"
  flock -w "$TIMEOUT" 9 || die "another ceph.sh command holds $DIR/.lock"
fi
CONF=$DIR/ceph.conf
MARKER=$DIR/nearfaas-ceph  # says DIR holds a cluster made by this script, and its store
RUN=$DIR/run
LOG=$DIR/log
MON_ID=a
OSD_ID=0

# ---- limits ------------------------------------------------------------------
# NearFaaS writes an object with one write_full (that is what makes a put
# atomic), so one OSD op must carry a whole object: up to 128 MiB by default.
# Twice that leaves room for larger limits in tests and for message overhead.
MAX_OBJECT_BYTES=$((256 << 20))     # osd max object size (bytes); Ceph default 128 MiB
MAX_WRITE_MB=256                    # osd max write size (MiB); Ceph default 90
CLIENT_MESSAGE_CAP=$((1 << 30))     # osd client message size cap; default 500 MiB
INFLIGHT_OP_BYTES=$((1 << 30))      # objecter inflight op bytes (clients); default 100 MiB
MEMSTORE_BYTES=$((8 << 30))         # capacity memstore reports; memory is used as filled
BLUESTORE_FILE_BYTES=$((16 << 30))  # size of the sparse bluestore file
PG_NUM=8

# ---- helpers -----------------------------------------------------------------

now() { date +%s; }

# The last lines of the daemons' logs, for error messages.
log_tail() {
  local f
  for f in "$LOG"/mon.$MON_ID.log "$LOG"/osd.$OSD_ID.log "$LOG"/*.stdout; do
    [ -s "$f" ] || continue
    echo "---- last lines of $f" >&2
    tail -n 12 "$f" | cut -c1-300 >&2
  done
}

# With --verbose, each step with the seconds since the command started.
T0=$(date +%s%N)
step() {
  [ "$VERBOSE" -eq 1 ] || return 0
  local ms=$((($(date +%s%N) - T0) / 1000000))
  printf 'ceph.sh: %3d.%03ds %s\n' $((ms / 1000)) $((ms % 1000)) "$*" >&2
}

fail_with_logs() {
  echo "ceph.sh: $*" >&2
  log_tail
  exit 1
}

# ceph CLI against this cluster, bounded in time. With auth none, a client
# may send its first monitor command before it has received the monitor map,
# with a zero fsid; the monitor refuses it (EPERM; "wrong fsid" or "handle_command
# on fsid 0000..." in its log). Seen about once in 40 cluster starts. Every
# command used here is idempotent, so a failed one is tried again.
cephcli() {
  local try out err=$DIR/.cephcli.err
  for try in 1 2 3 4; do
    if out=$(timeout $((TIMEOUT < 20 ? TIMEOUT : 20)) ceph -c "$CONF" --connect-timeout 10 "$@" \
      2>"$err"); then
      rm -f "$err"
      [ -z "$out" ] || printf '%s\n' "$out"
      return 0
    fi
    sleep 0.2
  done
  cat "$err" >&2
  rm -f "$err"
  return 1
}

pidfile() { echo "$RUN/$1.pid"; }

# The pid of daemon $1 (mon.a, osd.0, watch) if it runs, else nothing. A recorded pid
# counts only if that process is still the daemon started with our ceph.conf,
# so a recycled pid is never signalled.
running_pid() {
  local f pid
  f=$(pidfile "$1")
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  local pattern="-c $CONF"
  [ "$1" = watch ] && pattern="watch-owner --dir $DIR "
  if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$pattern"; then
    echo "$pid"
  fi
}

# Starts daemon $1 (mon or osd) in the foreground of its own session, output
# to its log; records its pid. stdio is detached so that callers waiting on
# our output (ctest, pipes) do not wait for the daemon too, and the daemon
# does not inherit (and so hold forever) the directory lock on fd 9.
start_daemon() {
  local kind=$1 id=$2 name pid
  name=$kind.$id
  [ -z "$(running_pid "$name")" ] || return 0
  mkdir -p "$RUN" "$LOG"
  setsid "ceph-$kind" -f -i "$id" -c "$CONF" </dev/null >>"$LOG/$name.stdout" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$(pidfile "$name")"
  step "started $name (pid $pid)"
}

# Whether process $1 exists and has not exited (a zombie waiting to be reaped
# has exited).
alive() {
  local state
  state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# Stops daemon $1: SIGTERM (or SIGKILL with --kill), then SIGKILL if it is
# still there after 10 s. Waits until it is gone.
stop_daemon() {
  local name=$1 pid deadline sig=TERM
  pid=$(running_pid "$name")
  if [ -n "$pid" ]; then
    [ "$KILL" -eq 1 ] && sig=KILL
    kill -s "$sig" "$pid" 2>/dev/null || true
    deadline=$(($(now) + 10))
    while alive "$pid" && [ "$(now)" -lt "$deadline" ]; do sleep 0.05; done
    if alive "$pid"; then
      kill -s KILL "$pid" 2>/dev/null || true
      deadline=$(($(now) + 5))
      while alive "$pid" && [ "$(now)" -lt "$deadline" ]; do sleep 0.05; done
    fi
    alive "$pid" && die "$name (pid $pid) does not exit"
    step "stopped $name (SIG$sig)"
  fi
  rm -f "$(pidfile "$name")"
}

# The start time of process $1 (clock ticks after boot), which tells it from a
# later process that got the same pid.
proc_start() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }  # the fields after the command name, which may hold spaces
  echo "$stat" | cut -d' ' -f20
}

# Starts (or replaces) the watcher that takes the cluster down once process
# $OWNER_PID has exited.
start_owner_watch() {
  local pid
  [ -n "$OWNER_PID" ] || return 0
  alive "$OWNER_PID" || die "--owner-pid $OWNER_PID: no such process"
  stop_daemon watch
  mkdir -p "$RUN" "$LOG"
  setsid "$SCRIPT" watch-owner --dir "$DIR" --owner-pid "$OWNER_PID" --timeout "$TIMEOUT" \
    </dev/null >>"$LOG/watch.stdout" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$(pidfile watch)"
  step "watching owner $OWNER_PID (watcher pid $pid)"
}

cmd_watch_owner() {
  local start
  start=$(proc_start "$OWNER_PID") || start=gone
  while [ "$start" != gone ] && alive "$OWNER_PID" &&
    [ "$(proc_start "$OWNER_PID" 2>/dev/null)" = "$start" ]; do
    sleep 1
  done
  echo "ceph.sh: owner $OWNER_PID exited; taking the cluster in $DIR down"
  rm -f "$(pidfile watch)"  # so that 'down' does not stop this very process
  # An 'up' still running holds the lock until it is done; each try waits
  # for the lock up to --timeout.
  local try
  for try in 1 2 3 4 5; do
    "$SCRIPT" down --dir "$DIR" --timeout "$TIMEOUT" && exit 0
    sleep 1
  done
  exit 1
}

# A port on $ADDR nothing listens on; the monitor binds it.
free_port() {
  local p tries
  for tries in $(seq 1 200); do
    p=$((20000 + RANDOM % 10000))
    if ! (exec 3<>"/dev/tcp/$ADDR/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  die "found no free port for the monitor"
}

write_conf() {
  local fsid=$1 port=$2 store_conf
  if [ "$STORE" = memstore ]; then
    store_conf="osd objectstore = memstore
memstore device bytes = $MEMSTORE_BYTES"
  else
    store_conf="osd objectstore = bluestore
bluestore block create = true
bluestore block size = $BLUESTORE_FILE_BYTES
bluestore fsck on mount = false
bluestore cache autotune = false
bluestore cache size = 134217728
osd memory target = 939524096"
  fi
  cat >"$CONF" <<EOF
# Written by scripts/ceph.sh: a single-host test cluster, all state in $DIR.
[global]
fsid = $fsid
mon host = [v1:$ADDR:$port]
ms bind msgr2 = false
ms bind ipv6 = false
public addr = $ADDR
cluster addr = $ADDR
auth cluster required = none
auth service required = none
auth client required = none
run dir = $RUN
crash dir = $DIR/crash
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = $PG_NUM
osd pool default pgp num = $PG_NUM
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon warn on insecure global id reclaim allowed = false
# No manager daemon runs here (nothing needs one); without this the monitor
# reports MGR_DOWN two minutes after the cluster was made.
mon mgr mkfs grace = 315360000
mon data avail warn = 2
osd max object size = $MAX_OBJECT_BYTES
osd max write size = $MAX_WRITE_MB
osd client message size cap = $CLIENT_MESSAGE_CAP
objecter inflight op bytes = $INFLIGHT_OP_BYTES

[mon]
mon data = $DIR/mon/\$id
# Commit map changes after 0.1 s instead of 1 s: creating the cluster and
# restarting the OSD take several map epochs each.
paxos propose interval = 0.1
log file = $LOG/\$name.log
admin socket = $RUN/\$name.asok

[osd]
osd data = $DIR/osd/\$id
log file = $LOG/\$name.log
admin socket = $RUN/\$name.asok
$store_conf
# The OSD must not send monitor commands of its own while it boots: with auth
# none it may send them before it knows the cluster's fsid, is refused, and
# exits. This script puts the OSD into the CRUSH map itself.
osd crush update on start = false
osd class update on start = false
osd class dir = $CLASS_DIR
osd class load list = *
osd class default list = *
EOF
}

wait_mon() {
  local deadline=$(($(now) + TIMEOUT))
  until cephcli mon stat >/dev/null 2>&1; do
    [ -n "$(running_pid mon.$MON_ID)" ] || fail_with_logs "the monitor exited during start"
    [ "$(now)" -lt "$deadline" ] || fail_with_logs "the monitor did not answer within ${TIMEOUT}s"
    sleep 0.2
  done
  step "monitor answers"
}

# Waits until the monitor's map has the OSD process we started up (msgr v1
# addresses end in the pid). Clients probing before that would address the
# previous OSD process and wait for their op timeout.
wait_osd_up() {
  local deadline=$(($(now) + TIMEOUT)) pid
  pid=$(running_pid "osd.$OSD_ID")
  [ -n "$pid" ] || fail_with_logs "the OSD exited during start"
  until cephcli osd dump 2>/dev/null | grep -q "^osd\.$OSD_ID up .*/$pid "; do
    [ -n "$(running_pid "osd.$OSD_ID")" ] || fail_with_logs "the OSD exited during start"
    [ "$(now)" -lt "$deadline" ] || fail_with_logs "the OSD was not up within ${TIMEOUT}s"
    sleep 0.2
  done
  step "osd.$OSD_ID up in the map"
}

# The pool is usable once a client can write, stat and remove an object in it
# (this needs the OSD up and the object's placement group active).
wait_pool() {
  local deadline=$(($(now) + TIMEOUT)) probe="nearfaas-ceph-sh-probe" err
  while :; do
    [ -n "$(running_pid osd.$OSD_ID)" ] || fail_with_logs "the OSD exited during start"
    [ -n "$(running_pid mon.$MON_ID)" ] || fail_with_logs "the monitor exited"
    if err=$(timeout 15 rados -c "$CONF" --rados-osd-op-timeout=3 --rados-mon-op-timeout=5 \
      --client-mount-timeout=5 -p "$POOL" put "$probe" "$CONF" 2>&1) &&
      err=$(timeout 15 rados -c "$CONF" --rados-osd-op-timeout=3 --rados-mon-op-timeout=5 \
        --client-mount-timeout=5 -p "$POOL" rm "$probe" 2>&1); then
      step "pool $POOL usable"
      return 0
    fi
    step "pool not usable yet: $err"
    [ "$(now)" -lt "$deadline" ] ||
      fail_with_logs "pool '$POOL' not usable within ${TIMEOUT}s; last error: $err"
    sleep 0.3
  done
}

# ---- commands ----------------------------------------------------------------

create_cluster() {
  local fsid port
  if [ -n "$(ls -A "$DIR" | grep -vx .lock)" ]; then
    die "$DIR is not empty and holds no cluster made by this script; not touching it"
  fi
  fsid=$(cat /proc/sys/kernel/random/uuid)
  port=${PORT:-$(free_port)}
  mkdir -p "$RUN" "$LOG" "$DIR/crash" "$DIR/mon/$MON_ID" "$DIR/osd/$OSD_ID"
  echo "store=$STORE" >"$MARKER"
  # Watch the owner before any daemon exists, so that none outlives it.
  start_owner_watch
  write_conf "$fsid" "$port"
  monmaptool --create --addv "$MON_ID" "[v1:$ADDR:$port]" --fsid "$fsid" "$DIR/monmap" \
    >"$LOG/monmaptool.log" 2>&1 || fail_with_logs "monmaptool failed: $(cat "$LOG/monmaptool.log")"
  timeout "$TIMEOUT" ceph-mon --mkfs -i "$MON_ID" --monmap "$DIR/monmap" -c "$CONF" \
    >"$LOG/mon-mkfs.log" 2>&1 || fail_with_logs "ceph-mon --mkfs failed: $(cat "$LOG/mon-mkfs.log")"
  start_daemon mon "$MON_ID"
  wait_mon

  # The OSD's uuid is registered with the monitor before mkfs, so the OSD
  # that boots is the one the monitor expects (else it is refused: wrong fsid).
  local id uuid
  uuid=$(cat /proc/sys/kernel/random/uuid)
  id=$(cephcli osd create "$uuid") || fail_with_logs "'ceph osd create' failed"
  [ "$id" = "$OSD_ID" ] || fail_with_logs "'ceph osd create' gave id '$id', expected $OSD_ID"
  timeout "$TIMEOUT" ceph-osd -i "$OSD_ID" --mkfs --osd-uuid "$uuid" -c "$CONF" \
    >"$LOG/osd-mkfs.log" 2>&1 ||
    fail_with_logs "ceph-osd --mkfs failed: $(tail -n 20 "$LOG/osd-mkfs.log")"
  start_daemon osd "$OSD_ID"
  cephcli osd crush add "osd.$OSD_ID" 1.0 host="$(hostname -s)" root=default >/dev/null 2>&1 ||
    fail_with_logs "'ceph osd crush add' failed"
  cephcli osd pool create "$POOL" "$PG_NUM" "$PG_NUM" >/dev/null 2>&1 ||
    fail_with_logs "'ceph osd pool create $POOL' failed"
  cephcli osd pool application enable "$POOL" rados >/dev/null 2>&1 ||
    fail_with_logs "'ceph osd pool application enable' failed"
}

cmd_up() {
  local t0 health ms
  t0=$(date +%s%N)
  mkdir -p "$CLASS_DIR"
  CLASS_DIR=$(cd "$CLASS_DIR" && pwd)
  if [ -f "$MARKER" ]; then
    # A cluster exists here: start whatever of it is not running.
    [ -f "$CONF" ] || die "$DIR has no ceph.conf; run 'down' first"
    local made
    made=$(sed -n 's/^store=//p' "$MARKER")
    if [ "$made" != "$STORE" ] && [ -n "${STORE_GIVEN:-}" ]; then
      die "the cluster in $DIR uses --store $made; run 'down' first to make a $STORE one"
    fi
    STORE=$made
    start_owner_watch
    if [ "$STORE" = memstore ] && [ -z "$(running_pid "osd.$OSD_ID")" ]; then
      die "the memstore OSD in $DIR stopped, and its objects and placement groups went with it;" \
        "run 'down' and then 'up' for a new cluster (or use --store file)"
    fi
    start_daemon mon "$MON_ID"
    wait_mon
    start_daemon osd "$OSD_ID"
    wait_osd_up
  else
    create_cluster
  fi
  wait_pool
  health=$(cephcli health 2>/dev/null || echo "unknown")
  ms=$((($(date +%s%N) - t0) / 1000000))
  echo "ceph.sh: cluster up in $DIR (store $STORE, pool $POOL, $((ms / 1000)).$((ms % 1000 / 100))s): $health"
  echo "ceph-conf=$CONF"
}

cmd_down() {
  if [ ! -f "$MARKER" ]; then
    # Nothing of ours, or already down. Refuse to delete what we did not make.
    if [ -z "$(ls -A "$DIR" | grep -vx .lock)" ]; then
      rm -f "$DIR/.lock"
      rmdir "$DIR" 2>/dev/null || true
    fi
    echo "ceph.sh: no cluster in $DIR"
    return 0
  fi
  # Everything is deleted next, so there is nothing to shut down cleanly for.
  KILL=1
  stop_daemon watch
  stop_daemon "osd.$OSD_ID"
  stop_daemon "mon.$MON_ID"
  rm -rf "$CONF" "$MARKER" "$RUN" "$LOG" "$DIR/mon" "$DIR/osd" "$DIR/crash" "$DIR/monmap" \
    "$DIR/.cephcli.err" "$DIR/.lock"
  rmdir "$DIR" 2>/dev/null || true
  echo "ceph.sh: cluster in $DIR stopped and removed"
}

cmd_status() {
  [ -f "$MARKER" ] || { echo "ceph.sh: no cluster in $DIR"; return 1; }
  local ok=0 name pid
  for name in "mon.$MON_ID" "osd.$OSD_ID"; do
    pid=$(running_pid "$name")
    if [ -n "$pid" ]; then echo "$name: running (pid $pid)"; else echo "$name: stopped"; ok=1; fi
  done
  pid=$(running_pid watch)
  [ -z "$pid" ] || echo "owner watcher: running (pid $pid)"
  echo "$(cat "$MARKER"), ceph.conf: $CONF"
  [ -n "$(running_pid "mon.$MON_ID")" ] && cephcli -s 2>&1 || true
  return $ok
}

cmd_stop() {
  [ -f "$MARKER" ] || die "no cluster in $DIR"
  stop_daemon "$1"
  echo "ceph.sh: $1 stopped"
}

cmd_restart_osd() {
  [ -f "$MARKER" ] || die "no cluster in $DIR"
  [ -n "$(running_pid "mon.$MON_ID")" ] || die "the monitor is not running; use 'up'"
  STORE=$(sed -n 's/^store=//p' "$MARKER")
  [ "$STORE" = file ] || die "a memstore OSD loses all its objects and placement groups when it" \
    "stops, so it cannot be restarted; make the cluster with --store file"
  stop_daemon "osd.$OSD_ID"
  start_daemon osd "$OSD_ID"
  wait_osd_up
  wait_pool
  echo "ceph.sh: osd.$OSD_ID restarted"
  echo "ceph-conf=$CONF"
}

case "$CMD" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  restart-osd) cmd_restart_osd ;;
  stop-osd) cmd_stop "osd.$OSD_ID" ;;
  stop-mon) cmd_stop "mon.$MON_ID" ;;
  watch-owner) cmd_watch_owner ;;
esac
