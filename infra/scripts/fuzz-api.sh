#!/usr/bin/env bash
# The API contract under a schema-driven fuzzer: schemathesis (pinned here) runs every operation of
# docs/openapi.yaml against a fresh local stack, as an admin, and prints its summary (the full
# report in $REELCART_FUZZ_REPORT, default target/fuzz-api.txt). Run inside infra/scripts/with-moto.sh
# (`make fuzz` does). Not yet part of `make test`: see docs/testing.md for where the contract stands.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
st_version=4.32.5
[ "$(.venv/bin/st --version 2>/dev/null)" = "st, version $st_version" ] ||
  .venv/bin/pip install --quiet --disable-pip-version-check "schemathesis==$st_version"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
report=${REELCART_FUZZ_REPORT:-${CARGO_TARGET_DIR:-target}/fuzz-api.txt}
log=$(mktemp -t fuzz-stack.XXXXXX.log)
REELCART_PORT=$port "${CARGO_TARGET_DIR:-target}/debug/reelcart-local" up >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -f "$log"' EXIT
for _ in $(seq 1 180); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
  sleep 1
done
token=$(curl -s -X POST "http://127.0.0.1:$port/_local/idp/token" -H 'content-type: application/json' \
  -d '{"sub":"fuzz-admin","groups":["admin"],"ttl_secs":3600}' |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
.venv/bin/st run docs/openapi.yaml --url "http://127.0.0.1:$port" \
  -H "Authorization: Bearer $token" --checks all --max-examples 20 --workers 2 >"$report" 2>&1
status=$?
sed -n '/= SUMMARY =/,$p' "$report"
echo "full report: $report; server errors in the stack's log: $(grep -c '"level":"ERROR"' "$log")"
exit $status
