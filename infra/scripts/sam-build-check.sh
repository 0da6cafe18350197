#!/usr/bin/env bash
# `sam build` of every zip function of template.yaml, as a deploy runs it (rust-cargolambda, SAM's
# beta builder, enabled in samconfig.toml), checked for a bootstrap in each artifact. For speed and
# because the CI machine has no arm64 Rust target: debug mode (SAM_BUILD_MODE=debug) and
# Architecture=x86_64. The transcoder's image needs a container engine: see
# infra/transcoder/check.sh.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export PATH="$root/.venv/bin:$PATH" SAM_CLI_TELEMETRY=0 SAM_BUILD_MODE=debug
out=$(mktemp -d -t sam-build.XXXXXX)
trap 'rm -rf "$out"' EXIT
functions=$(.venv/bin/python - <<'PY'
from samtranslator.yaml_helper import yaml_parse
t = yaml_parse(open("template.yaml").read())
for rid, r in t["Resources"].items():
    if r.get("Type") == "AWS::Serverless::Function" and r.get("Properties", {}).get("PackageType") != "Image":
        print(rid)
PY
)
start=$(date +%s)
n=0
for f in $functions; do
  if ! sam build "$f" --build-dir "$out/$f" --parameter-overrides Architecture=x86_64 >"$out/$f.log" 2>&1; then
    cat "$out/$f.log" >&2
    echo "sam build $f failed" >&2
    exit 1
  fi
  bin="$out/$f/$f/bootstrap"
  [ -x "$bin" ] && head -c 4 "$bin" | grep -q $'\x7fELF' || { echo "sam build $f: no bootstrap in its artifact" >&2; exit 1; }
  n=$((n + 1))
done
echo "sam build: $n zip functions built, each with its bootstrap, in $(( $(date +%s) - start )) s"
