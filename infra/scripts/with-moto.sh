#!/usr/bin/env bash
# Run a command against a fresh moto server on a free loopback port, then stop the server.
# Usage: infra/scripts/with-moto.sh <command...>
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
python="$root/.venv/bin/python"
[ -x "$root/.venv/bin/moto_server" ] || { echo "moto is not installed: run 'make venv'" >&2; exit 2; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
log=$(mktemp -t moto.XXXXXX.log)
# moto's server with DynamoDB's conditional writes made atomic (infra/scripts/moto_atomic.py).
"$python" "$root/infra/scripts/moto_atomic.py" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 100); do
  if python3 -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1',$port)))" 2>/dev/null; then break; fi
  sleep 0.1
done
export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-testing}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-testing}"
export AWS_REGION="${AWS_REGION:-us-east-1}"
"$@"
