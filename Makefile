# Reelcart — the two commands are `make demo` and `make test`; everything they need is installed
# here, idempotently: Python tools into ./.venv (pinned in infra/requirements.txt).

SHELL := /bin/bash
.DEFAULT_GOAL := help

# Builds live outside the clone so CI runs on the same machine reuse them.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/reelcart-target
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= us-east-1

VENV   := .venv
STAMP  := $(VENV)/.installed-$(shell sha256sum infra/requirements.txt | cut -c1-12)
LAMBDA := $(VENV)/.cargo-lambda
CARGO_TEST := $(shell cargo nextest --version >/dev/null 2>&1 && echo "cargo nextest run --workspace --no-fail-fast" || echo "cargo test --workspace --no-fail-fast")

.PHONY: help venv tools web demo up test lint fmt build consoles shopify-extension bench bench-smoke fuzz clean

help:
	@echo "make demo   local stack: signed webhooks of every platform processed, demo connections refreshed (Ctrl-C stops)"
	@echo "make up     the local stack alone, in the foreground (REELCART_PORT, default 3000)"
	@echo "make test   fmt, clippy, template and OpenAPI lint, unit/handler/contract/end-to-end tests on the emulator"
	@echo "make build  sam + cargo-lambda into .venv, every Lambda built for arm64 (ARCH=x86-64 for Intel); then docs/deploy.md"
	@echo "make consoles STACK=name   upload the moderation console and creator portal to a deployed stack"
	@echo "make bench  verification throughput, init time, binary sizes, peak memory"
	@echo "make fuzz   schemathesis over every operation of docs/openapi.yaml against a local stack"

venv: $(STAMP)
$(STAMP): infra/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r infra/requirements.txt
	rm -f $(VENV)/.installed-*
	touch $@

# FFmpeg from Debian: the transcoder runs it locally (in AWS its container image brings its own).
# Chromium from Debian: the storefront's browser tests.
tools:
	@if ! command -v ffmpeg >/dev/null || ! command -v ffprobe >/dev/null; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get install -y -q ffmpeg >/dev/null || \
		{ $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q ffmpeg >/dev/null; }; \
	fi
	@ffmpeg -hide_banner -version | head -1
	@# Debian's Chromium for the browser tests (playwright-core drives it; no browser download).
	@if ! command -v chromium >/dev/null; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get install -y -q chromium >/dev/null || \
		{ $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q chromium >/dev/null; }; \
	fi
	@chromium --version
	@node --version >/dev/null || { echo "Node.js is needed for the widget build and browser tests"; exit 1; }

# The storefront widget (web/): npm packages pinned by web/package-lock.json, built with esbuild;
# the build fails if the widget is over its 10 KB gzip budget.
WEB_STAMP := web/node_modules/.installed-$(shell sha256sum web/package-lock.json | cut -c1-12)
$(WEB_STAMP): web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	rm -f web/node_modules/.installed-*
	touch $@
web: $(WEB_STAMP)
	cd web && node build.mjs

demo: venv tools web
	cargo build -p reelcart-local
	REELCART_DEMO_LOG=$(CARGO_TARGET_DIR)/reelcart-demo.log $(CARGO_TARGET_DIR)/debug/reelcart-local demo

up: venv tools web
	cargo build -p reelcart-local
	$(CARGO_TARGET_DIR)/debug/reelcart-local up

lint: venv
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	$(VENV)/bin/cfn-lint --include-checks I3011 -- template.yaml
	$(VENV)/bin/sam validate --lint --template template.yaml
	$(VENV)/bin/openapi-spec-validator docs/openapi.yaml

# Every function of every local stack runs as its own IAM role (the transformed template's), the
# emulator enforcing it; the run fails on any refused call and prints the least-privilege report
# (also in $(CARGO_TARGET_DIR)/iam-report.txt). Before that: `sam build` of every zip function, and
# the transcoder image's build steps.
test: lint tools web $(LAMBDA)
	$(VENV)/bin/python -m unittest discover -s infra/scripts -p 'test_*.py'
	infra/scripts/sam-build-check.sh
	infra/transcoder/check.sh
	$(MAKE) --no-print-directory bench-smoke
	REELCART_IAM_REPORT=$(CARGO_TARGET_DIR)/iam-report.txt infra/scripts/with-moto.sh $(CARGO_TEST)
	REELCART_IAM_QUIET=1 REELCART_FUZZ_SEED=20261205 infra/scripts/with-moto.sh infra/scripts/fuzz-api.sh

fmt:
	cargo fmt --all

$(LAMBDA):
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check 'cargo-lambda==1.9.2'
	touch $@

# ARCH=arm64 (the template's architecture) or ARCH=x86-64.
ARCH ?= arm64
# Installs what docs/deploy.md names: sam (.venv), cargo-lambda with zig (.venv), the Rust target.
build: venv $(LAMBDA)
	@if [ "$(ARCH)" = arm64 ]; then rustup target add aarch64-unknown-linux-gnu; fi
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" cargo lambda build --release --$(ARCH)

# The consoles' files into the deployed stack's bucket (config.json is the stack's own), then a
# CloudFront invalidation. DRY_RUN=1 lists what would be uploaded.
consoles: venv web
	@test -n "$(STACK)" || { echo "usage: make consoles STACK=<stack name>"; exit 2; }
	$(VENV)/bin/python infra/scripts/publish_consoles.py $(STACK) $(if $(DRY_RUN),--dry-run)

# The Shopify theme app extension's assets: the built widget and hls.js (docs/shopify.md); then
# `shopify app deploy` from shopify/.
shopify-extension: web
	cp web/dist/reelcart-feed.min.js web/dist/hls.light.min.js shopify/extensions/reelcart-feed/assets/

# Every function's binary (one list: the crates under functions/), which lambda_init measures.
FUNCTIONS := $(notdir $(wildcard functions/*))
bench: venv tools
	cargo build --release $(addprefix -p ,$(FUNCTIONS)) -p reelcart-bench
	infra/scripts/with-moto.sh cargo bench -p reelcart-bench

# Every benchmark compiled and run once in its short mode (`cargo test --benches`: criterion's
# test mode, small inputs for the others), on the same binaries `make bench` measures, so none can
# rot unnoticed. Part of `make test`; its figures mean nothing.
bench-smoke: venv tools
	cargo build $(addprefix -p ,$(FUNCTIONS)) -p reelcart-bench --bins
	REELCART_IAM_QUIET=1 infra/scripts/with-moto.sh cargo test -p reelcart-bench --benches

clean:
	cargo clean
	rm -rf $(VENV)

# The API contract under schemathesis, exploring: a fresh seed and 100 examples per operation
# (`make test` runs the same with a fixed seed and 20).
fuzz: venv
	cargo build -p reelcart-local
	REELCART_FUZZ_EXAMPLES=$${REELCART_FUZZ_EXAMPLES:-100} infra/scripts/with-moto.sh infra/scripts/fuzz-api.sh
