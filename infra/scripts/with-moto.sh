#!/usr/bin/env bash
# Run a command against a fresh moto server on a free loopback port, then stop the server.
# Every function of the local stacks the command starts runs as its own IAM role, enforced by the
# server (infra/scripts/moto_server.py). Afterwards the IAM check reads what the server decided:
# it fails the run on any refused call, and prints the least-privilege report
# (infra/scripts/iam_report.py; also written to $REELCART_IAM_REPORT if set; REELCART_IAM_QUIET=1:
# refusals only).
# Usage: infra/scripts/with-moto.sh <command...>
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
python="$root/.venv/bin/python"
[ -x "$root/.venv/bin/moto_server" ] || { echo "moto is not installed: run 'make venv'" >&2; exit 2; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
log=$(mktemp -t moto.XXXXXX.log)
export REELCART_IAM_LOG
REELCART_IAM_LOG=$(mktemp -t iam-decisions.XXXXXX.jsonl)
"$python" "$root/infra/scripts/moto_server.py" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$log" "$REELCART_IAM_LOG"' EXIT
for _ in $(seq 1 100); do
  if python3 -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1',$port)))" 2>/dev/null; then break; fi
  sleep 0.1
done
export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-testing}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-testing}"
export AWS_REGION="${AWS_REGION:-us-east-1}"
status=0
"$@" || status=$?
iam=0
"$python" "$root/infra/scripts/iam_report.py" --log "$REELCART_IAM_LOG" ${REELCART_IAM_REPORT:+--out "$REELCART_IAM_REPORT"} ${REELCART_IAM_QUIET:+--quiet} || iam=$?
[ "$status" -ne 0 ] && exit "$status"
exit "$iam"
