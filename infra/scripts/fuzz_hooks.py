"""Schemathesis hooks for `infra/scripts/fuzz-api.sh`: who calls, and what a caller signs.

- Staff routes are called with an admin token, creators' own routes (`/v1/creators/me...`) with a
  creator's token; both come from the local identity provider (`/_local/idp/token`).
- Webhooks are signed as each platform signs them (the platforms spec, section 1: headers, signed
  bytes, encodings), with the local stack's demo secrets (`infra/local/src/seed.rs`), over the bytes
  actually sent: the signature is added to the prepared request, after schemathesis has
  serialized the body. A signature header the fuzzer broke on purpose is left broken.
- Writes to the storefront carry `x-amz-content-sha256`, as the widget sends it for
  CloudFront's origin access control.

So the fuzzer reaches the code behind each check instead of stopping at `401`/`403`. The generated
data is otherwise left alone, except a Standard Webhooks source (the configured `reviews`) and
Meta's verify token, which only configuration can know.
"""

import base64
import hashlib
import hmac
import json
import os
import re
import time
import urllib.request

import requests
import schemathesis
import yaml

BASE = os.environ["REELCART_FUZZ_URL"]

# infra/local/src/seed.rs (the defaults when no operator secret is set).
META_APP_SECRET = b"demo-meta-app-secret"
META_VERIFY_TOKEN = "demo-verify-token"
TIKTOK_SHOP_APP_KEY = "demo-tts-app-key"
TIKTOK_SHOP_APP_SECRET = b"demo-tts-app-secret"
TIKTOK_CLIENT_SECRET = b"demo-tiktok-client-secret"
SHOPIFY_WEBHOOK_SECRET = b"demo-shopify-secret"
STANDARD_SECRETS = {"reviews": base64.b64decode("ZGVtby1zdGFuZGFyZC13ZWJob29rLXNlY3JldA==")}


def _header_shapes():
    """Each webhook route's header patterns, as docs/openapi.yaml gives them: path -> name -> regex."""
    root = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "openapi.yaml")
    with open(root, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    shapes = {}
    for path, ops in doc["paths"].items():
        for op in ops.values():
            for p in op.get("parameters", []) if isinstance(op, dict) else []:
                if p.get("in") == "header" and "pattern" in p.get("schema", {}):
                    shapes.setdefault(path, {})[p["name"].lower()] = p["schema"]["pattern"]
    return shapes


# A header the fuzzer made malformed on purpose (to see it refused) is left as it is.
HEADER_SHAPES = _header_shapes()


def _token(sub, groups):
    req = urllib.request.Request(
        f"{BASE}/_local/idp/token",
        data=json.dumps({"sub": sub, "groups": groups, "ttl_secs": 3600}).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)["token"]


class _Bearer:
    sub = ""
    groups: list = []

    def get(self, case, ctx):
        return _token(self.sub, self.groups)

    def set(self, case, data, ctx):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"


@schemathesis.auth(refresh_interval=1800).apply_to(path_regex=r"^/v1/creators/me")
class CreatorAuth(_Bearer):
    sub = "fuzz-creator"
    groups = ["creator"]


@schemathesis.auth(refresh_interval=1800).apply_to(
    path_regex=r"^/v1/(connections|catalog|analytics|moderation|creators(?!/me))"
)
class AdminAuth(_Bearer):
    sub = "fuzz-admin"
    groups = ["admin"]


@schemathesis.hook
def map_path_parameters(ctx, path_parameters):
    # Standard Webhooks sources are configured by name: sign as the demo's `reviews`.
    if ctx.operation.path == "/webhooks/standard/{source}" and path_parameters:
        path_parameters["source"] = "reviews"
    return path_parameters


@schemathesis.hook
def map_query(ctx, query):
    # Meta's subscription handshake carries the verify token the app was given.
    if ctx.operation.path == "/webhooks/meta" and query and "hub.verify_token" in query:
        query["hub.verify_token"] = META_VERIFY_TOKEN
    return query


def _hmac(key, message):
    return hmac.new(key, message, hashlib.sha256)


def _sign(request):
    """Sign `request` in place, as its caller would: each signature header the fuzzer sent is
    replaced with the right value (one it left out, to test a missing signature, stays out)."""
    path = request.path_url.split("?", 1)[0]
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode()
    h = request.headers

    route = "/webhooks/standard/{source}" if path.startswith("/webhooks/standard/") else path

    def present(name):
        shape = HEADER_SHAPES.get(route, {}).get(name.lower(), ".*")
        return name in h and re.search(shape, h[name]) is not None

    storefront = path in ("/v1/feed", "/v1/events", "/v1/sessions") or path.startswith("/r/")
    if storefront and request.method in ("POST", "PUT", "PATCH"):
        h["x-amz-content-sha256"] = hashlib.sha256(body).hexdigest()
    elif path == "/webhooks/meta" and present("X-Hub-Signature-256"):
        h["X-Hub-Signature-256"] = "sha256=" + _hmac(META_APP_SECRET, body).hexdigest()
    elif path == "/webhooks/tiktok-shop" and present("Authorization"):
        h["Authorization"] = _hmac(TIKTOK_SHOP_APP_SECRET, TIKTOK_SHOP_APP_KEY.encode() + body).hexdigest()
    elif path == "/webhooks/tiktok" and present("TikTok-Signature"):
        t = str(int(time.time()))
        h["TikTok-Signature"] = f"t={t},s=" + _hmac(TIKTOK_CLIENT_SECRET, t.encode() + b"." + body).hexdigest()
    elif path == "/webhooks/shopify" and present("X-Shopify-Hmac-Sha256"):
        h["X-Shopify-Hmac-Sha256"] = base64.b64encode(_hmac(SHOPIFY_WEBHOOK_SECRET, body).digest()).decode()
    elif path.startswith("/webhooks/standard/") and present("webhook-signature"):
        secret = STANDARD_SECRETS.get(path.rsplit("/", 1)[-1], b"not-a-configured-source")
        wid = h.get("webhook-id", "")
        if present("webhook-timestamp"):
            h["webhook-timestamp"] = str(int(time.time()))
        ts = h.get("webhook-timestamp", "")
        sig = _hmac(secret, f"{wid}.{ts}.".encode() + body).digest()
        h["webhook-signature"] = "v1," + base64.b64encode(sig).decode()


_send = requests.adapters.HTTPAdapter.send


def _signed_send(self, request, *args, **kwargs):
    _sign(request)
    return _send(self, request, *args, **kwargs)


requests.adapters.HTTPAdapter.send = _signed_send
