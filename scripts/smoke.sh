#!/usr/bin/env bash
# The README's quick start, checked: `npm start` with no DATABASE_URL serves on an
# embedded PostgreSQL; buf curl reaches Health, LogEvent and Authenticate through
# server reflection, with a token the CLI made; after a restart the recorded
# event is still there. With SMOKE_PYTHON set to a Python interpreter, the Python
# example (examples/python) makes its calls against the restarted server too.
set -euo pipefail
cd "$(dirname "$0")/.."

data=$(mktemp -d)
grpc_port=${SMOKE_GRPC_PORT:-50071}
http_port=${SMOKE_HTTP_PORT:-9471}
# A data folder in the checkout that does not exist yet, as `.warden` in a fresh one.
export WARDEN_DATA_DIR="$PWD/.warden/smoke-${data##*.}" WARDEN_GRPC_PORT="$grpc_port" WARDEN_HTTP_PORT="$http_port" WARDEN_EMBEDDED_PG_PORT=${SMOKE_PG_PORT:-54371}
unset DATABASE_URL
server=""
# Where the start-up log says the data lives: WARDEN_DATA_DIR, or its place under /var/lib/warden as root.
placed=""
cleanup() {
  if [ -n "$server" ]; then kill -TERM -- "-$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$data" "$WARDEN_DATA_DIR" ${placed:+"$placed"}
}
trap cleanup EXIT

start() {
  # Its own process group, so SIGTERM reaches the server as it would from a terminal or supervisor.
  setsid npm start >"$data/server.log" 2>&1 &
  server=$!
  for _ in $(seq 1 120); do
    if curl -fs "http://127.0.0.1:$http_port/readyz" >/dev/null 2>&1; then
      placed=$(grep '"started embedded PostgreSQL"' "$data/server.log" | sed -E 's/.*"dataDir":"([^"]*)".*/\1/')
      return 0
    fi
    kill -0 "$server" 2>/dev/null || break
    sleep 1
  done
  cat "$data/server.log"
  echo "smoke: server did not become ready" >&2
  exit 1
}

stop() {
  kill -TERM -- "-$server"
  # npm exits at once (143); the server it forwarded the signal to finishes on its own.
  wait "$server" || true
  server=""
  for _ in $(seq 1 30); do
    grep -q '"warden stopped"' "$data/server.log" && return 0
    sleep 1
  done
  cat "$data/server.log"
  echo "smoke: no clean shutdown after SIGTERM" >&2
  exit 1
}

call() {
  npx buf curl --protocol grpc --http2-prior-knowledge "${@:3}" -d "$2" "http://127.0.0.1:$grpc_port/$1"
}

expect() {
  if ! grep -q -- "$2" <<<"$1"; then
    echo "smoke: expected $2 in: $1" >&2
    exit 1
  fi
}

# A fresh checkout: npm start makes its data folder and serves without any setup.
start
expect "$(call grpc.health.v1.Health/Check '{}')" '"SERVING"'
expect "$(call warden.v1.AuthService/Authenticate '{"credential":"not-a-token"}')" FAILURE_REASON_MALFORMED_CREDENTIAL
stop

# Reporting and reading events need a token, made with the CLI as the README shows while the server is
# stopped (the CLI opens the embedded database itself).
token=$(npm run --silent warden -- token create --name smoke-service --scopes events:write,events:read | tail -n 1)
auth="authorization: Bearer $token"

start
event_id=$(node -e 'console.log(crypto.randomUUID())')
expect "$(call warden.v1.AuthService/LogEvent "{\"event\":{\"eventId\":\"$event_id\",\"type\":\"EVENT_TYPE_LOGIN_SUCCESS\",\"outcome\":\"OUTCOME_SUCCESS\",\"principal\":{\"subject\":\"smoke\"}}}" -H "$auth")" "$event_id"
stop

start
expect "$(call warden.v1.AuthService/ListEvents '{"subject":"smoke"}' -H "$auth")" "$event_id"
if [ -n "${SMOKE_PYTHON:-}" ]; then
  # The Python example (examples/python, generated beforehand) against the same server, with the same token.
  WARDEN_ADDRESS="127.0.0.1:$grpc_port" WARDEN_TOKEN="$token" "$SMOKE_PYTHON" examples/python/client.py
fi
stop
echo "smoke: passed (embedded database in $placed, reflection, CLI token, restart keeps data)"
