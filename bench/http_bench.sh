#!/usr/bin/env bash
# http_bench: what an invoke costs over HTTP. One `nearfaas serve` on
# loopback; wrk drives GET /ping on its invoke port (the same HTTP stack,
# no function: the baseline) and then synchronous invokes of bench/http_noop
# (a function that does nothing), side by side in one run (ping before and
# after the invokes; their mean is the baseline). Prints the throughputs and
# latencies, the ratio of invoke to ping throughput, and one summary line:
#
#   http-bench: invoke X req/s p50 A ms p99 B ms, ping Y req/s, ratio R (goal >= 0.5, p99 < 2 ms)
#
# It fails (exit 1) unless every invoke wrk counted ran as a call the server
# logged: the server's count of successful bench/http_noop calls must be at
# least wrk's count of answered invokes and at most that plus the requests
# that can be in flight when wrk stops (one per connection per run), which
# wrk does not count.
#
# Usage: bench/http_bench.sh [--quick] [--build DIR] [--duration SECONDS]
#                            [--connections N] [--slots N] [--http-threads N] [--check]
#   --quick   1 s per measurement (CI); the default is 5 s (three measurements
#             and a 1 s warm-up)
#   --check   exit 1 if the goal is missed (by default the result is only reported)
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=build
DURATION=5
CONNECTIONS=4
SLOTS=1
HTTP_THREADS=1
CHECK=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) DURATION=1 ;;
    --build) BUILD="$2"; shift ;;
    --duration) DURATION="$2"; shift ;;
    --connections) CONNECTIONS="$2"; shift ;;
    --slots) SLOTS="$2"; shift ;;
    --http-threads) HTTP_THREADS="$2"; shift ;;
    --check) CHECK=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | grep '^#' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "http-bench: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done

NEARFAAS="$BUILD/nearfaas"
NOOP="$BUILD/func/bench/http_noop.wasm"
# How long the server may take to start listening.
START_TIMEOUT_S=30

command -v wrk >/dev/null || { echo "http-bench: wrk is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
[ -x "$NEARFAAS" ] || { echo "http-bench: no $NEARFAAS; build first" >&2; exit 1; }
[ -f "$NOOP" ] || { echo "http-bench: no $NOOP; build target func_bench_http_noop" >&2; exit 1; }

WORK=$(mktemp -d /tmp/nearfaas-http-bench-XXXXXX)
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# The server logs one line per call, as it does in production; to a file.
"$NEARFAAS" serve --upload-port 0 --invoke-port 0 --data-dir "$WORK/data" \
  --slots "$SLOTS" --http-threads "$HTTP_THREADS" >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!

UPLOAD_PORT=""
INVOKE_PORT=""
for _ in $(seq 1 $((START_TIMEOUT_S * 10))); do
  line=$(grep -o 'upload endpoint on [0-9.]*:[0-9]*, invoke endpoint on [0-9.]*:[0-9]*' \
    "$WORK/serve.log" || true)
  if [ -n "$line" ]; then
    UPLOAD_PORT=$(echo "$line" | sed -E 's/upload endpoint on [0-9.]+:([0-9]+),.*/\1/')
    INVOKE_PORT=$(echo "$line" | sed -E 's/.*invoke endpoint on [0-9.]+:([0-9]+)/\1/')
    break
  fi
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$INVOKE_PORT" ]; then
  echo "http-bench: the server did not start:" >&2
  cat "$WORK/serve.log" >&2
  exit 1
fi

"$NEARFAAS" func upload bench http_noop "$NOOP" --upload-port "$UPLOAD_PORT" 2>/dev/null

cat >"$WORK/invoke.lua" <<'EOF'
wrk.method = "POST"
wrk.body = '{"user": "bench", "function": "http_noop"}'
wrk.headers["Content-Type"] = "application/json"
EOF

# Runs wrk for SECONDS; prints "<req/s> <p50 ms> <p99 ms> <requests answered>".
# Fails on any error response.
measure_for() {
  local seconds=$1 out
  shift
  out=$(wrk -t1 -c"$CONNECTIONS" -d"${seconds}s" --latency "$@")
  if echo "$out" | grep -qE 'Non-2xx|Socket errors'; then
    echo "http-bench: errors during the run:" >&2
    echo "$out" >&2
    return 1
  fi
  echo "$out" | awk '
    function ms(v) {
      if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
      if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
      if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
      return v + 0
    }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    $1 == "Requests/sec:" { rps = $2 }
    $2 == "requests" && $3 == "in" { n = $1 }
    END { printf "%.0f %.3f %.3f %d\n", rps, p50, p99, n }'
}
measure() { measure_for "$DURATION" "$@"; }

INVOKE_URL="http://127.0.0.1:$INVOKE_PORT/"
# Warm-up: Faaslets restored, code paged in, connections set up.
read -r _ _ _ WARM_CALLS < <(measure_for 1 -s "$WORK/invoke.lua" "$INVOKE_URL")
# The ping runs bracket the invoke run, so that a change in the machine's load
# (other processes on a shared machine) weighs on both sides alike.
read -r PING1_RPS PING1_P50 PING1_P99 _ < <(measure "http://127.0.0.1:$INVOKE_PORT/ping")
read -r INV_RPS INV_P50 INV_P99 INV_CALLS < <(measure -s "$WORK/invoke.lua" "$INVOKE_URL")
read -r PING2_RPS PING2_P50 PING2_P99 _ < <(measure "http://127.0.0.1:$INVOKE_PORT/ping")
read -r PING_RPS PING_P50 PING_P99 < <(awk -v r1="$PING1_RPS" -v r2="$PING2_RPS" \
  -v a1="$PING1_P50" -v a2="$PING2_P50" -v b1="$PING1_P99" -v b2="$PING2_P99" \
  'BEGIN { printf "%.0f %.3f %.3f\n", (r1 + r2) / 2, (a1 + a2) / 2, (b1 + b2) / 2 }')

RATIO=$(awk -v a="$INV_RPS" -v b="$PING_RPS" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
MET=$(awk -v r="$RATIO" -v p="$INV_P99" 'BEGIN { print (r >= 0.5 && p < 2.0) ? "met" : "missed" }')
# The server's log is complete once it has stopped.
kill -TERM "$SERVER_PID"
wait "$SERVER_PID" || true
SERVER_PID=""
CALLS=$(grep -c 'bench/http_noop sync 200' "$WORK/serve.log" || true)
WRK_CALLS=$((WARM_CALLS + INV_CALLS))
IN_FLIGHT=$((2 * CONNECTIONS))

echo "http-bench: loopback, server --slots $SLOTS --http-threads $HTTP_THREADS," \
  "wrk -t1 -c$CONNECTIONS -d${DURATION}s per measurement, $(nproc) cores"
printf '  %-22s %10s %10s %10s\n' "" "req/s" "p50 ms" "p99 ms"
printf '  %-22s %10s %10s %10s\n' "GET /ping (before)" "$PING1_RPS" "$PING1_P50" "$PING1_P99"
printf '  %-22s %10s %10s %10s\n' "GET /ping (after)" "$PING2_RPS" "$PING2_P50" "$PING2_P99"
printf '  %-22s %10s %10s %10s\n' "invoke bench/http_noop" "$INV_RPS" "$INV_P50" "$INV_P99"
echo "  invokes answered to wrk: $WRK_CALLS; calls logged by the server: $CALLS; goal $MET"
printf 'http-bench: invoke %s req/s p50 %.2f ms p99 %.2f ms, ping %s req/s, ratio %s (goal >= 0.5, p99 < 2 ms)\n' \
  "$INV_RPS" "$INV_P50" "$INV_P99" "$PING_RPS" "$RATIO"

if [ "$CALLS" -lt "$WRK_CALLS" ] || [ "$CALLS" -gt $((WRK_CALLS + IN_FLIGHT)) ]; then
  echo "http-bench: the server logged $CALLS calls, wrk counted $WRK_CALLS answered invokes" \
    "(at most $IN_FLIGHT more may have been in flight): the measurement is not what it says" >&2
  exit 1
fi
if [ "$CHECK" = 1 ] && [ "$MET" != met ]; then exit 1; fi
exit 0
