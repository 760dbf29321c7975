#!/usr/bin/env bash
# The main job: set up and build, start the embedded server, upload and invoke
# the demo functions (the CLI client and curl), then show the engine on its own.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh
NF=build/nearfaas
DATA=${NEARFAAS_DATA_DIR:-build/demo-data}
INVOKE_PORT=${NEARFAAS_INVOKE_PORT:-8080}
UPLOAD_PORT=${NEARFAAS_UPLOAD_PORT:-8002}
# Port flags only when they differ from the defaults (8080, 8002).
PORTS=()
[ "$INVOKE_PORT" = 8080 ] || PORTS+=(--invoke-port "$INVOKE_PORT")
[ "$UPLOAD_PORT" = 8002 ] || PORTS+=(--upload-port "$UPLOAD_PORT")
LOG=build/demo-serve.log

echo
echo "== $NF serve   (upload :$UPLOAD_PORT and invoke :$INVOKE_PORT on 127.0.0.1, data in $DATA; log in $LOG)"
$NF serve --data-dir "$DATA" ${PORTS[@]+"${PORTS[@]}"} >"$LOG" 2>&1 &
SERVER=$!
stop_server() {
  kill -TERM "$SERVER" 2>/dev/null || true
  wait "$SERVER" 2>/dev/null || true
}
trap stop_server EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$INVOKE_PORT/ping" >/dev/null 2>&1 && break
  kill -0 "$SERVER" 2>/dev/null || { cat "$LOG"; echo "demo: the server did not start" >&2; exit 1; }
  sleep 0.1
done

show() {  # prints the command (quoted as a shell would need it), then runs it
  printf '$'
  printf ' %q' "$@"
  printf '\n'
  "$@"
  echo
}

echo
echo "== upload functions (code is generated on upload)"
for f in demo/hello demo/chain demo/echo ndp/put ndp/get ndp/wordcount; do
  show $NF func upload "${f%/*}" "${f#*/}" "build/func/$f.wasm" ${PORTS[@]+"${PORTS[@]}"}
done

echo "== invoke"
show $NF func invoke demo hello ${PORTS[@]+"${PORTS[@]}"}
show $NF func invoke demo chain --input 4 ${PORTS[@]+"${PORTS[@]}"}
show $NF func invoke ndp put --input 'hello hello world my world' ${PORTS[@]+"${PORTS[@]}"}
show $NF func invoke ndp get --input hello ${PORTS[@]+"${PORTS[@]}"}
show $NF func invoke ndp wordcount --input hello ${PORTS[@]+"${PORTS[@]}"}

echo "== the same over HTTP with curl, with and without forbid_ndp"
URL=http://127.0.0.1:$INVOKE_PORT/f/
for body in '{"async": false, "user": "ndp", "function": "wordcount", "input_data": "hello"}' \
            '{"async": false, "user": "ndp", "function": "wordcount", "input_data": "hello", "forbid_ndp": true}'; do
  echo "\$ curl -X POST '$URL' -H 'Content-Type: application/json' -d '$body'"
  curl -s -X POST "$URL" -H "Content-Type: application/json" -d "$body"
  echo
done

echo "== an async call and its status"
ID=$($NF func invoke demo hello --async ${PORTS[@]+"${PORTS[@]}"})
echo "\$ $NF func invoke demo hello --async   ->   $ID"
show $NF func status "$ID" --wait --http-timeout 10 ${PORTS[@]+"${PORTS[@]}"}

echo "== errors are answers, not crashes"
set +e
show $NF func invoke demo nosuch ${PORTS[@]+"${PORTS[@]}"}
echo "\$ curl -X POST '$URL' -d '{\"user\": \"demo\"'"
curl -s -w ' (HTTP %{http_code})\n' -X POST "$URL" -d '{"user": "demo"'
echo
set -e

stop_server
trap - EXIT
echo "== server log"
cat "$LOG"

echo
echo "== the engine on its own: $NF run build/examples/wordfreq.wasm 3 < README.md"
$NF run build/examples/wordfreq.wasm 3 < README.md
echo
echo "== $NF run --invoke recurse build/tests/traps.wasm 0   (a trap is reported, not a crash)"
set +e
$NF run --invoke recurse build/tests/traps.wasm 0
echo "exit status: $?"
