#!/usr/bin/env python3
"""Regenerate the sample payloads in events/: API Gateway v2 requests for webhook-receiver, signed
exactly as each platform signs (spec/platforms.md section 1) with the local stack's demo secrets,
and an SQS batch of the envelopes webhook-receiver enqueues, for webhook-processor.
Run from the repository root: python3 infra/scripts/gen-events.py"""
import json, hmac, hashlib, base64
T = 1764115200
META, VT = b"demo-meta-app-secret", "demo-verify-token"
TTS_KEY, TTS = "demo-tts-app-key", b"demo-tts-app-secret"
TT = b"demo-tiktok-client-secret"
SHOP = b"demo-shopify-secret"
STD = base64.b64decode("ZGVtby1zdGFuZGFyZC13ZWJob29rLXNlY3JldA==")
def hx(k, m): return hmac.new(k, m, hashlib.sha256).hexdigest()
def b64(k, m): return base64.b64encode(hmac.new(k, m, hashlib.sha256).digest()).decode()
def req(method, path, headers, body, b64body=False, query=""):
    headers = {k.lower(): v for k, v in headers.items()}
    headers.setdefault("content-type", "application/json")
    headers["host"] = "abc123.execute-api.us-east-1.amazonaws.com"
    return {"version": "2.0", "routeKey": f"{method} {path.split('/standard/')[0] + '/standard/{source}' if '/standard/' in path else path}",
        "rawPath": path, "rawQueryString": query, "headers": headers,
        "requestContext": {"accountId": "123456789012", "apiId": "abc123", "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abc123", "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "192.0.2.10", "userAgent": headers.get("user-agent", "webhook-sender")},
            "requestId": "JKJaXmPLvHcESHA=", "routeKey": "$default", "stage": "$default", "time": "26/Nov/2025:00:00:00 +0000", "timeEpoch": T * 1000},
        **({"body": base64.b64encode(body.encode()).decode() if b64body else body} if body is not None else {}),
        "isBase64Encoded": b64body}
out = {}
shop_body = json.dumps({"id": 820982911946154508, "email": "jon@example.com", "total_price": "59.98", "currency": "USD",
    "line_items": [{"sku": "TEE-BLK-M", "quantity": 2, "price": "29.99"}], "note_attributes": [{"name": "reelcart_ugc", "value": "ugc_123"}]}, separators=(",", ":"))
out["shopify-orders-create"] = req("POST", "/webhooks/shopify", {"X-Shopify-Topic": "orders/create", "X-Shopify-Hmac-Sha256": b64(SHOP, shop_body.encode()),
    "X-Shopify-Shop-Domain": "reelcart-demo.myshopify.com", "X-Shopify-Event-Id": "98880550-7158-44d4-b7cd-2c97c8a091b5",
    "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", "X-Shopify-Triggered-At": "2025-11-26T00:00:00.000Z", "X-Shopify-API-Version": "2025-10", "User-Agent": "Shopify-Captain-Hook"}, shop_body)
tts_body = json.dumps({"type": 1, "tts_notification_id": "7327112393057371910", "shop_id": "7494049642642441621", "timestamp": T,
    "data": {"order_id": "576461413038785752", "order_status": "AWAITING_SHIPMENT", "update_time": T}}, separators=(",", ":"))
out["tiktok-shop-order-status"] = req("POST", "/webhooks/tiktok-shop", {"Authorization": hx(TTS, TTS_KEY.encode() + tts_body.encode())}, tts_body, b64body=True)
tt_body = json.dumps({"client_key": "demo-client-key", "event": "authorization.removed", "create_time": T, "user_openid": "act.demo-creator", "content": "{\"reason\":1}"}, separators=(",", ":"))
out["tiktok-authorization-removed"] = req("POST", "/webhooks/tiktok", {"TikTok-Signature": f"t={T},s=" + hx(TT, f"{T}.{tt_body}".encode())}, tt_body)
meta_body = '{"object":"instagram","entry":[{"id":"17841400000000001","time":%d,"changes":[{"field":"mentions","value":{"media_id":"17887498072083520","comment_id":null,"text":"Love my new tee \\u00e4"}}]}]}' % T
out["meta-instagram-mention"] = req("POST", "/webhooks/meta", {"X-Hub-Signature-256": "sha256=" + hx(META, meta_body.encode()), "User-Agent": "facebookexternalua"}, meta_body)
out["meta-verify-handshake"] = req("GET", "/webhooks/meta", {}, None, query=f"hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token={VT}")
std_body = json.dumps({"type": "review.created", "timestamp": "2025-11-26T00:00:00Z", "data": {"id": "rev_01", "rating": 5, "sku": "TEE-BLK-M",
    "title": "Great fit", "body": "Soft and true to size.", "reviewer": {"name": "Sam K."},
    "media": [{"type": "image", "url": "https://reviews.example/rev_01.jpg"}], "consent": {"terms_version": "reviews-3", "accepted_at": T - 60}}}, separators=(",", ":"))
std_id = "msg_2Kq0yJ7mJ1n6Zr2p3VdYbC4nX9A"
out["standard-review-created"] = req("POST", "/webhooks/standard/reviews", {"webhook-id": std_id, "webhook-timestamp": str(T), "webhook-signature": "v1," + b64(STD, f"{std_id}.{T}.{std_body}".encode())}, std_body)
def signed_request(secret, payload):
    b = base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")
    sig = base64.urlsafe_b64encode(hmac.new(secret, b.encode(), hashlib.sha256).digest()).decode().rstrip("=")
    return f"{sig}.{b}"
deauth = signed_request(META, json.dumps({"algorithm": "HMAC-SHA256", "issued_at": T, "user_id": "1000000000000001"}, separators=(",", ":")))
out["meta-deauthorize"] = req("POST", "/webhooks/meta/deauthorize", {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "facebookplatform/1.0 (+http://developers.facebook.com)"},
    "signed_request=" + deauth)
for name, ev in out.items():
    with open(f"events/webhook-receiver/{name}.json", "w") as f:
        json.dump(ev, f, indent=2); f.write("\n")
# Processor: an SQS batch of envelopes as the receiver enqueues them.
def env(platform, key, delivery, topic, body, source=None):
    e = {"v": 1, "platform": platform, "delivery_id": delivery, "dedupe_key": key, "received_at": T, "body": body}
    if source: e["source"] = source
    if topic: e["topic"] = topic
    return e
envs = [env("shopify", "wh#shopify#reelcart-demo.myshopify.com#98880550-7158-44d4-b7cd-2c97c8a091b5", "98880550-7158-44d4-b7cd-2c97c8a091b5", "orders/create", shop_body, "reelcart-demo.myshopify.com"),
        env("tiktok-shop", "wh#tiktok-shop#7327112393057371910", "7327112393057371910", "1", tts_body),
        env("meta", "wh#meta#" + hashlib.sha256(meta_body.encode()).hexdigest(), hashlib.sha256(meta_body.encode()).hexdigest(), "instagram", meta_body),
        env("standard", "wh#standard#reviews#" + std_id, std_id, "review.created", std_body, "reviews")]
records = []
for i, e in enumerate(envs):
    body = json.dumps(e, separators=(",", ":"))
    records.append({"messageId": f"059f36b4-87a3-44ab-83d2-66197{i:07d}", "receiptHandle": f"AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a{i}",
        "body": body, "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": str(T * 1000), "SenderId": "AROAEXAMPLE:webhook-receiver", "ApproximateFirstReceiveTimestamp": str(T * 1000)},
        "messageAttributes": {}, "md5OfBody": hashlib.md5(body.encode()).hexdigest(), "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:reelcart-WebhookEventQueue", "awsRegion": "us-east-1"})
with open("events/webhook-processor/sqs-batch.json", "w") as f:
    json.dump({"Records": records}, f, indent=2); f.write("\n")
# connections-api: requests as API Gateway delivers them after its JWT authorizer (claims as
# strings, groups as "[a b]").
import os
os.makedirs("events/connections-api", exist_ok=True)
def authed(method, path, route, claims, query=""):
    r = req(method, path, {"User-Agent": "Mozilla/5.0"}, None, query=query)
    r["routeKey"] = f"{method} {route}"
    r["requestContext"]["routeKey"] = f"{method} {route}"
    r["headers"]["x-forwarded-proto"] = "https"
    if claims is not None:
        r["requestContext"]["authorizer"] = {"jwt": {"claims": {"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example",
            "aud": "4example0client0id", "token_use": "id", "iat": str(T), "exp": str(T + 3600), **claims}, "scopes": None}}
    return r
admin = {"sub": "8f2c1e4a-0000-4000-8000-00000000a001", "cognito:groups": "[admin]", "email": "admin@example.com"}
conn = {
    "list-connections": authed("GET", "/v1/connections", "/v1/connections", admin),
    "authorize-tiktok": authed("POST", "/v1/connections/tiktok/authorize", "/v1/connections/{platform}/authorize", admin),
    "authorize-as-moderator": authed("POST", "/v1/connections/meta/authorize", "/v1/connections/{platform}/authorize",
        {"sub": "8f2c1e4a-0000-4000-8000-00000000b002", "cognito:groups": "[moderator]"}),
    "callback-denied": authed("GET", "/v1/connections/instagram/callback", "/v1/connections/{platform}/callback", None,
        query="error=access_denied&error_reason=user_denied&error_description=The+user+denied+your+request.&state=eyJwIjoiaW5zdGFncmFtIn0.c2ln"),
}
for name, ev in conn.items():
    with open(f"events/connections-api/{name}.json", "w") as f:
        json.dump(ev, f, indent=2); f.write("\n")
# catalog-sync: an SQS batch of what reaches it — a Shopify product update and delete as the
# processor routes them, an S3 notification of an import file (key URL-encoded), a continuation.
os.makedirs("events/catalog-sync", exist_ok=True)
product = {"id": 632910392, "title": "IPod Nano - 8GB", "body_html": "<p>It's the small iPod.</p>", "vendor": "Apple",
    "handle": "ipod-nano", "status": "active", "tags": "tiktok-category:601226", "options": [{"name": "Color"}],
    "images": [{"id": 850703190, "src": "https://cdn.shopify.com/s/files/1/ipod-nano.png", "width": 1000, "height": 1000}],
    "variants": [{"id": 808950810, "sku": "IPOD2008PINK", "price": "199.00", "inventory_quantity": 10,
        "inventory_policy": "deny", "barcode": "6291041500213", "grams": 567, "option1": "Pink"}]}
def event(eid, kind, topic, subject, data):
    return {"id": eid, "kind": kind, "platform": "shopify", "topic": topic, "account": "reelcart-demo.myshopify.com",
        "subject": subject, "received_at": T, "data": data}
s3 = {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1", "eventTime": "2025-11-26T00:00:00.000Z",
    "eventName": "ObjectCreated:Put", "s3": {"s3SchemaVersion": "1.0", "configurationId": "imports",
    "bucket": {"name": "reelcart-importbucket", "arn": "arn:aws:s3:::reelcart-importbucket"},
    "object": {"key": "imports/spring+catalog.csv", "size": 420, "eTag": "0123456789abcdef"}}}]}
bodies = [event("wh#shopify#reelcart-demo.myshopify.com#e-upd-1", "product_changed", "products/update", "632910392", product),
    event("wh#shopify#reelcart-demo.myshopify.com#e-del-1", "product_deleted", "products/delete", "921728736", {"id": 921728736}),
    s3, {"sync": "tiktok-shop"}]
records = []
for i, b in enumerate(bodies):
    body = json.dumps(b, separators=(",", ":"))
    records.append({"messageId": f"7b0e3f4c-1a2b-4c5d-8e9f-00000000000{i}", "receiptHandle": f"AQEBcatalog{i}", "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": str(T * 1000), "SenderId": "AROAEXAMPLE:webhook-processor",
            "ApproximateFirstReceiveTimestamp": str(T * 1000)}, "messageAttributes": {}, "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:reelcart-CatalogQueue", "awsRegion": "us-east-1"})
with open("events/catalog-sync/sqs-batch.json", "w") as f:
    json.dump({"Records": records}, f, indent=2); f.write("\n")
with open("events/catalog-sync/schedule.json", "w") as f:
    json.dump({"version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa", "detail-type": "Scheduled Event", "source": "aws.scheduler",
        "account": "123456789012", "time": "2025-11-26T00:15:00Z", "region": "us-east-1", "resources": [], "detail": {}}, f, indent=2); f.write("\n")
with open("events/catalog-sync/pull-shopify.json", "w") as f:
    json.dump({"action": "pull_shopify"}, f, indent=2); f.write("\n")
# transcoder: a transcode request as ingestion sends it, and MediaConvert's job-state events.
os.makedirs("events/transcoder", exist_ok=True)
body = json.dumps({"item_id": "ugc_01HZX3", "bucket": "reelcart-rawmediabucket", "key": "uploads/ugc_01HZX3/clip.mov"}, separators=(",", ":"))
with open("events/transcoder/sqs-batch.json", "w") as f:
    json.dump({"Records": [{"messageId": "3c1f8b2e-5d6a-4e7f-9a0b-000000000001", "receiptHandle": "AQEBtranscode0", "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": str(T * 1000), "SenderId": "AROAEXAMPLE:ugc-ingest",
            "ApproximateFirstReceiveTimestamp": str(T * 1000)}, "messageAttributes": {}, "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:reelcart-TranscodeQueue", "awsRegion": "us-east-1"}]}, f, indent=2); f.write("\n")
prefix = "media/ugc_01HZX3/9f86d081884c7d65-v1/"
def mc(status, extra):
    return {"version": "0", "id": "1b4a2c3d-0000-4000-8000-00000000c001", "detail-type": "MediaConvert Job State Change", "source": "aws.mediaconvert",
        "account": "123456789012", "time": "2025-11-26T00:03:00Z", "region": "us-east-1",
        "resources": ["arn:aws:mediaconvert:us-east-1:123456789012:jobs/1764115200000-abc123"],
        "detail": {"timestamp": T * 1000 + 180000, "accountId": "123456789012", "queue": "arn:aws:mediaconvert:us-east-1:123456789012:queues/Default",
            "jobId": "1764115200000-abc123", "status": status, "userMetadata": {"item_id": "ugc_01HZX3", "prefix": prefix, "version": "1"}, **extra}}
b = "s3://reelcart-mediabucket/" + prefix
complete = mc("COMPLETE", {"outputGroupDetails": [
    {"outputDetails": [{"outputFilePaths": [b + "master_1080p.m3u8"], "durationInMs": 12000, "videoDetails": {"widthInPx": 1080, "heightInPx": 1920}}],
     "playlistFilePaths": [b + "master.m3u8"], "type": "CMAF_GROUP"},
    {"outputDetails": [{"outputFilePaths": [b + "poster.0000000.jpg"], "durationInMs": 12000, "videoDetails": {"widthInPx": 720, "heightInPx": 1280}}], "type": "FILE_GROUP"}]})
error = mc("ERROR", {"errorCode": 1010, "errorMessage": "Couldn't parse input file: s3://reelcart-rawmediabucket/uploads/ugc_01HZX3/clip.mov"})
for name, ev in [("mediaconvert-complete", complete), ("mediaconvert-error", error)]:
    with open(f"events/transcoder/{name}.json", "w") as f:
        json.dump(ev, f, indent=2); f.write("\n")
# ugc-ingest: what the content queue carries — Instagram mentions (of media, in a comment) as the
# processor routes them, a rights-request command from moderation-api, a creator's upload (S3
# notification, key URL-encoded), a review — and its schedule.
os.makedirs("events/ugc-ingest", exist_ok=True)
def meta_event(eid, value):
    return {"id": eid, "kind": "content_mention", "platform": "meta", "topic": "instagram", "account": "17841400000000001",
        "subject": value.get("comment_id") or value.get("media_id"), "received_at": T, "data": {"field": "mentions", "value": value}}
upload = {"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1", "eventTime": "2025-11-26T00:00:00.000Z",
    "eventName": "ObjectCreated:Post", "s3": {"s3SchemaVersion": "1.0", "configurationId": "uploads",
    "bucket": {"name": "reelcart-rawmediabucket", "arn": "arn:aws:s3:::reelcart-rawmediabucket"},
    "object": {"key": "uploads/cr_01/up_01.mp4", "size": 4200000, "eTag": "0123456789abcdef"}}}]}
review = {"id": "wh#standard#reviews#" + std_id, "kind": "review_created", "platform": "standard", "topic": "review.created",
    "account": "reviews", "subject": "rev_01", "received_at": T, "data": json.loads(std_body)}
bodies = [meta_event("wh#meta#mention-media", {"media_id": "17887498072083520"}),
    meta_event("wh#meta#mention-comment", {"media_id": "17887498072083520", "comment_id": "17858893269000001"}),
    {"command": "post_rights_request", "item_id": "ugc_4f1c2b3a4d5e6f708192", "request_id": "rq0123456789abcdef"},
    upload, review]
records = []
for i, b in enumerate(bodies):
    body = json.dumps(b, separators=(",", ":"))
    records.append({"messageId": f"5d2c9a10-3b4e-4f60-9a7b-00000000000{i}", "receiptHandle": f"AQEBcontent{i}", "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": str(T * 1000), "SenderId": "AROAEXAMPLE:webhook-processor",
            "ApproximateFirstReceiveTimestamp": str(T * 1000)}, "messageAttributes": {}, "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:reelcart-ContentQueue", "awsRegion": "us-east-1"})
with open("events/ugc-ingest/sqs-batch.json", "w") as f:
    json.dump({"Records": records}, f, indent=2); f.write("\n")
with open("events/ugc-ingest/schedule.json", "w") as f:
    json.dump({"version": "0", "id": "6a1e2b3c-4d5e-4f60-8a7b-00000000d001", "detail-type": "Scheduled Event", "source": "aws.scheduler",
        "account": "123456789012", "time": "2025-11-26T01:00:00Z", "region": "us-east-1", "resources": [], "detail": {}}, f, indent=2); f.write("\n")
# feed-api: a function-URL request (payload 2.0, no authorizer) with a conditional header.
os.makedirs("events/feed-api", exist_ok=True)
def url_request(method, path, query, headers, body=None):
    r = req(method, path, {"Origin": "https://shop.example", "User-Agent": "Mozilla/5.0", **headers}, body, query=query)
    r["routeKey"] = "$default"
    r["requestContext"]["domainName"] = "abcdefghijklmnop.lambda-url.us-east-1.on.aws"
    r["requestContext"]["domainPrefix"] = "abcdefghijklmnop"
    r["headers"]["host"] = "abcdefghijklmnop.lambda-url.us-east-1.on.aws"
    r["queryStringParameters"] = dict(kv.split("=", 1) for kv in query.split("&")) if query else None
    return r
with open("events/feed-api/pdp.json", "w") as f:
    json.dump(url_request("GET", "/v1/feed", "placement=pdp&sku=TEE-BLK-M&limit=10", {}), f, indent=2); f.write("\n")
with open("events/feed-api/home-if-none-match.json", "w") as f:
    json.dump(url_request("GET", "/v1/feed", "placement=home", {"If-None-Match": '"0123456789abcdef0123456789abcdef"'}), f, indent=2); f.write("\n")
# attribution-collector: a beacon batch as the widget sends it (text/plain, sendBeacon), the
# beacon queue's and the orders queue's messages, and the funnel as an admin asks for it.
os.makedirs("events/attribution-collector", exist_ok=True)
beacon_events = [{"event_id": f"8f14e45fceea167a5a36dedd4bea25{i:02d}", "type": t, "session_id": "rc_0f8fad5bd9cb469fa16570867728950e",
    "ugc_id": "ugc_4f1c2b3a4d5e6f708192", "creator_id": "cr_maya", "platform": "instagram", "placement": "pdp",
    "campaign": "fall", **({"sku": "TEE-BLK-M"} if t in ("product_click", "add_to_cart") else {}), "ts": T * 1000 + i * 1500}
    for i, t in enumerate(["impression", "view", "product_click", "add_to_cart"])]
beacon_body = json.dumps({"events": beacon_events}, separators=(",", ":"))
with open("events/attribution-collector/beacons.json", "w") as f:
    json.dump(url_request("POST", "/v1/events", "", {"Content-Type": "text/plain;charset=UTF-8"}, beacon_body), f, indent=2); f.write("\n")
beacon_msg = {"received_at": T + 6, "events": [{"beacon": e, "at": e["ts"] // 1000} for e in beacon_events]}
shop_order = json.loads(shop_body)
shop_order.update({"created_at": "2025-11-26T00:10:00Z", "note_attributes": [{"name": "reelcart_token", "value": "rc_0f8fad5bd9cb469fa16570867728950e"}]})
order_event = {"id": "wh#shopify#reelcart-demo.myshopify.com#98880550-7158-44d4-b7cd-2c97c8a091b5", "kind": "order_created", "platform": "shopify",
    "topic": "orders/create", "account": "reelcart-demo.myshopify.com", "subject": str(shop_order["id"]), "received_at": T + 600, "data": shop_order}
records = []
for i, (b, src) in enumerate([(beacon_msg, "BeaconQueue"), (order_event, "OrdersQueue")]):
    body = json.dumps(b, separators=(",", ":"))
    records.append({"messageId": f"9a1b2c3d-4e5f-4a6b-8c7d-00000000000{i}", "receiptHandle": f"AQEBattr{i}", "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": str(T * 1000), "SenderId": "AROAEXAMPLE:sender",
            "ApproximateFirstReceiveTimestamp": str(T * 1000)}, "messageAttributes": {}, "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs", "eventSourceARN": f"arn:aws:sqs:us-east-1:123456789012:reelcart-{src}", "awsRegion": "us-east-1"})
with open("events/attribution-collector/sqs-batch.json", "w") as f:
    json.dump({"Records": records}, f, indent=2); f.write("\n")
with open("events/attribution-collector/funnel.json", "w") as f:
    json.dump(authed("GET", "/v1/analytics/funnel", "/v1/analytics/funnel", admin, query="from=2025-11-20&to=2025-11-26&by=creator"), f, indent=2); f.write("\n")
print("wrote", ", ".join(sorted(out) + sorted(conn)), "sqs-batch.json and the catalog-sync events")
