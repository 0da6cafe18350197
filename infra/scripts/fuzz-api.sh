#!/usr/bin/env bash
# The API contract under a schema-driven fuzzer: schemathesis (infra/requirements.txt) runs every
# operation of docs/openapi.yaml against a fresh local stack, with every check, and prints its
# summary (the full report in $REELCART_FUZZ_REPORT, default target/fuzz-api.txt). Who calls and
# what platforms sign: infra/scripts/fuzz_hooks.py; the API's status convention:
# infra/scripts/schemathesis.toml. Run inside infra/scripts/with-moto.sh, so every function runs
# as its own IAM role. `make test` runs it with a fixed seed ($REELCART_FUZZ_SEED), `make fuzz`
# with a fresh one and more examples ($REELCART_FUZZ_EXAMPLES, default 20).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
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
REELCART_FUZZ_URL="http://127.0.0.1:$port" PYTHONPATH="$root/infra/scripts" \
  .venv/bin/st --config-file infra/scripts/schemathesis.toml run docs/openapi.yaml --url "http://127.0.0.1:$port" \
  --checks all --max-examples "${REELCART_FUZZ_EXAMPLES:-20}" ${REELCART_FUZZ_SEED:+--seed "$REELCART_FUZZ_SEED"} \
  --workers 1 >"$report" 2>&1
status=$?
sed -n '/= SUMMARY =/,$p' "$report"
echo "full report: $report; server errors in the stack's log: $(grep -c '"level":"ERROR"' "$log")"
exit $status
