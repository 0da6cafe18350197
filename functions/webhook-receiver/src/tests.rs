//! Handler tests: real API Gateway payloads from `events/webhook-receiver`, in-memory ports.

use super::*;
use reelcart_domain::FixedClock;
use reelcart_ports::memory::{MemoryBlobs, MemoryIdempotency, MemoryQueue, MemorySecrets};
use std::sync::atomic::Ordering;

const NOW: i64 = 1_764_115_200;
const DEMO_SECRETS: &str = r#"{
  "meta_app_secrets": ["demo-meta-app-secret"], "meta_verify_token": "demo-verify-token",
  "tiktok_shop_app_key": "demo-tts-app-key", "tiktok_shop_app_secrets": ["demo-tts-app-secret"],
  "tiktok_client_secrets": ["demo-tiktok-client-secret"], "shopify_webhook_secrets": ["demo-shopify-secret"],
  "standard_webhook_secrets": {"reviews": ["whsec_ZGVtby1zdGFuZGFyZC13ZWJob29rLXNlY3JldA=="]}
}"#;

type TestReceiver = Receiver<MemoryIdempotency, MemoryQueue, MemoryBlobs, MemorySecrets>;

async fn receiver() -> (TestReceiver, Arc<FixedClock>) {
    receiver_with(DEMO_SECRETS).await
}

async fn receiver_with(secrets_json: &str) -> (TestReceiver, Arc<FixedClock>) {
    let source = MemorySecrets::default();
    source.set("webhooks", secrets_json);
    let clock = Arc::new(FixedClock::at(NOW));
    let secrets = SecretsCache::load(source, "webhooks".into(), 300, NOW)
        .await
        .unwrap();
    let r = Receiver {
        idempotency: MemoryIdempotency::default(),
        queue: MemoryQueue::default(),
        payloads: MemoryBlobs::default(),
        secrets,
        clock: clock.clone(),
        limits: Limits::default(),
    };
    (r, clock)
}

fn fixture(name: &str) -> Request {
    let json = match name {
        "shopify-orders-create" => {
            include_str!("../../../events/webhook-receiver/shopify-orders-create.json")
        }
        "tiktok-shop-order-status" => {
            include_str!("../../../events/webhook-receiver/tiktok-shop-order-status.json")
        }
        "tiktok-authorization-removed" => {
            include_str!("../../../events/webhook-receiver/tiktok-authorization-removed.json")
        }
        "meta-instagram-mention" => {
            include_str!("../../../events/webhook-receiver/meta-instagram-mention.json")
        }
        "meta-verify-handshake" => {
            include_str!("../../../events/webhook-receiver/meta-verify-handshake.json")
        }
        "standard-review-created" => {
            include_str!("../../../events/webhook-receiver/standard-review-created.json")
        }
        "meta-deauthorize" => {
            include_str!("../../../events/webhook-receiver/meta-deauthorize.json")
        }
        other => panic!("no fixture {other}"),
    };
    lambda_http::request::from_str(json).unwrap()
}

const DELIVERIES: [&str; 5] = [
    "shopify-orders-create",
    "tiktok-shop-order-status",
    "tiktok-authorization-removed",
    "meta-instagram-mention",
    "standard-review-created",
];

fn body_json(r: &Response<Body>) -> serde_json::Value {
    serde_json::from_slice(r.body().as_ref()).unwrap()
}

fn error_code(r: &Response<Body>) -> String {
    body_json(r)["error"]["code"].as_str().unwrap().to_string()
}

fn with_body(mut req: Request, body: &[u8]) -> Request {
    *req.body_mut() = Body::Binary(body.to_vec());
    req
}

#[tokio::test]
async fn every_platform_fixture_is_accepted_once_then_duplicate() {
    let (r, _) = receiver().await;
    for name in DELIVERIES {
        let first = r.handle(fixture(name)).await;
        assert_eq!(first.status(), 200, "{name}: {:?}", first.body());
        let first = body_json(&first);
        assert_eq!(first["status"], "accepted", "{name}");
        let again = body_json(&r.handle(fixture(name)).await);
        assert_eq!(again["status"], "duplicate", "{name}");
        assert_eq!(again["id"], first["id"]);
    }
    let sent = r.queue.messages();
    assert_eq!(
        sent.len(),
        DELIVERIES.len(),
        "one message per distinct delivery"
    );
    // The enqueued envelope carries the raw body exactly as verified.
    let env: WebhookEnvelope = serde_json::from_str(&sent[3]).unwrap();
    assert_eq!(env.platform, Platform::Meta);
    assert!(
        env.body.unwrap().contains(r"\u00e4"),
        "escaped bytes preserved"
    );
}

#[tokio::test]
async fn base64_encoded_api_gateway_bodies_are_verified_after_decoding() {
    let (r, _) = receiver().await;
    let req = fixture("tiktok-shop-order-status"); // isBase64Encoded: true
    let resp = r.handle(req).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(body_json(&resp)["id"], "wh#tiktok-shop#7327112393057371910");
}

#[tokio::test]
async fn meta_handshake_answers_the_challenge_only_with_the_right_token() {
    let (r, _) = receiver().await;
    let ok = r.handle(fixture("meta-verify-handshake")).await;
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.body().as_ref(), b"1158201444");
    assert_eq!(ok.headers()["content-type"], "text/plain; charset=utf-8");

    let mut bad = fixture("meta-verify-handshake");
    *bad.uri_mut() = "/webhooks/meta?hub.mode=subscribe&hub.challenge=1&hub.verify_token=nope"
        .parse()
        .unwrap();
    let resp = r.handle(bad).await;
    assert_eq!(resp.status(), 403);
    assert_eq!(error_code(&resp), "verification_failed");
}

#[tokio::test]
async fn tampered_or_unsigned_deliveries_are_401_and_change_nothing() {
    let (r, _) = receiver().await;
    for name in DELIVERIES {
        let req = fixture(name);
        let mut body = req.body().as_ref().to_vec();
        body[1] ^= 0x20;
        let resp = r.handle(with_body(req, &body)).await;
        assert_eq!(resp.status(), 401, "{name}");
        assert_eq!(error_code(&resp), "invalid_signature", "{name}");
    }
    let mut unsigned = fixture("shopify-orders-create");
    unsigned.headers_mut().remove("x-shopify-hmac-sha256");
    let resp = r.handle(unsigned).await;
    assert_eq!(
        (resp.status().as_u16(), error_code(&resp)),
        (401, "missing_signature".into())
    );
    assert!(r.queue.messages().is_empty());
    assert!(
        r.idempotency.is_empty(),
        "no dedupe key written for rejected requests"
    );
}

#[tokio::test]
async fn replayed_signed_timestamps_outside_tolerance_are_401() {
    let (r, clock) = receiver().await;
    clock.set(NOW + 301);
    for name in ["standard-review-created", "tiktok-authorization-removed"] {
        let resp = r.handle(fixture(name)).await;
        assert_eq!(resp.status(), 401, "{name}");
        assert_eq!(error_code(&resp), "timestamp_out_of_tolerance");
    }
    clock.set(NOW + 300);
    assert_eq!(
        r.handle(fixture("standard-review-created")).await.status(),
        200
    );
}

#[tokio::test]
async fn oversized_bodies_are_413_before_verification() {
    let (r, _) = receiver().await;
    let big = vec![b'a'; Limits::default().max_body_bytes + 1];
    let resp = r
        .handle(with_body(fixture("shopify-orders-create"), &big))
        .await;
    assert_eq!(resp.status(), 413);
    assert_eq!(error_code(&resp), "payload_too_large");
}

#[tokio::test]
async fn verified_but_malformed_bodies_are_400() {
    let (r, _) = receiver().await;
    // Correctly signed, but not what TikTok Shop sends (no notification id).
    let body = br#"{"type":1,"data":{}}"#;
    let sig =
        reelcart_domain::webhook::sign_hex(b"demo-tts-app-secret", &[b"demo-tts-app-key", body]);
    let mut req = with_body(fixture("tiktok-shop-order-status"), body);
    req.headers_mut()
        .insert("authorization", sig.parse().unwrap());
    let resp = r.handle(req).await;
    assert_eq!(resp.status(), 400);
    assert_eq!(error_code(&resp), "malformed");
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    let (r, _) = receiver().await;
    let mut req = fixture("shopify-orders-create");
    *req.uri_mut() = "/webhooks/paypal".parse().unwrap();
    assert_eq!(r.handle(req).await.status(), 404);
    let mut req = fixture("shopify-orders-create");
    *req.uri_mut() = "/webhooks/standard".parse().unwrap();
    assert_eq!(r.handle(req).await.status(), 404);
    let mut req = fixture("meta-verify-handshake");
    *req.uri_mut() = "/webhooks/shopify".parse().unwrap();
    assert_eq!(r.handle(req).await.status(), 405);
}

#[tokio::test]
async fn a_queue_outage_is_500_and_the_retry_is_accepted_not_a_duplicate() {
    let (r, _) = receiver().await;
    r.queue.fail_sends.store(true, Ordering::SeqCst);
    let resp = r.handle(fixture("shopify-orders-create")).await;
    assert_eq!(resp.status(), 500);
    assert_eq!(error_code(&resp), "internal");
    r.queue.fail_sends.store(false, Ordering::SeqCst);
    let resp = r.handle(fixture("shopify-orders-create")).await;
    assert_eq!(
        body_json(&resp)["status"],
        "accepted",
        "nothing lost: the retry goes through"
    );
    assert_eq!(r.queue.messages().len(), 1);
}

#[tokio::test]
async fn a_concurrent_in_flight_delivery_is_409_with_retry_after() {
    let (r, _) = receiver().await;
    // The key Shopify deliveries are deduped on: the topic's and the signed body's hash.
    let req = fixture("shopify-orders-create");
    let delivery = identify(Platform::Shopify, None, req.headers(), req.body().as_ref()).unwrap();
    let key = delivery.dedupe_key();
    assert_eq!(
        r.idempotency.claim(&key, NOW, 30, 3600).await.unwrap(),
        Claim::Acquired
    );
    let resp = r.handle(req).await;
    assert_eq!(resp.status(), 409);
    assert_eq!(resp.headers()["retry-after"], "1");
}

#[tokio::test]
async fn bodies_too_large_for_one_message_travel_by_reference() {
    let (r, _) = receiver().await;
    let note = "x".repeat(230 * 1024);
    let body = format!(r#"{{"id":1,"line_items":[],"note":"{note}"}}"#);
    let sig = {
        use base64::Engine;
        use hmac::{KeyInit, Mac};
        let mut m = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"demo-shopify-secret").unwrap();
        m.update(body.as_bytes());
        base64::engine::general_purpose::STANDARD.encode(m.finalize().into_bytes())
    };
    let mut req = with_body(fixture("shopify-orders-create"), body.as_bytes());
    req.headers_mut()
        .insert("x-shopify-hmac-sha256", sig.parse().unwrap());
    let resp = r.handle(req).await;
    assert_eq!(resp.status(), 200);
    let sent = r.queue.messages();
    assert!(sent[0].len() < 1024, "envelope is small");
    let env: WebhookEnvelope = serde_json::from_str(&sent[0]).unwrap();
    let body_ref = env.body_ref.unwrap();
    assert_eq!(env.body, None);
    assert_eq!(
        r.payloads
            .get(&body_ref.key)
            .await
            .unwrap()
            .unwrap()
            .as_ref(),
        body.as_bytes()
    );
    assert_eq!(
        r.payloads.content_type(&body_ref.key).as_deref(),
        Some("application/json")
    );
}

#[tokio::test]
async fn rotated_secrets_are_picked_up_after_the_refresh_interval() {
    let (r, clock) = receiver().await;
    // The operator rotates: the Shopify secret list now has only a new secret.
    r.secrets_source_set(&DEMO_SECRETS.replace("demo-shopify-secret", "rotated-secret"));
    assert_eq!(
        r.handle(fixture("shopify-orders-create")).await.status(),
        200,
        "old secret until refresh"
    );
    clock.advance(301);
    let mut again = fixture("shopify-orders-create");
    again
        .headers_mut()
        .insert("x-shopify-event-id", "another-event".parse().unwrap());
    assert_eq!(
        r.handle(again).await.status(),
        401,
        "old secret refused after refresh"
    );
}

impl TestReceiver {
    fn secrets_source_set(&self, json: &str) {
        self.secrets.source().set("webhooks", json);
    }
}

#[tokio::test]
async fn meta_deauthorize_is_verified_then_enqueued_as_a_revocation_once() {
    let (r, _) = receiver().await;
    let first = r.handle(fixture("meta-deauthorize")).await;
    assert_eq!(first.status(), 200, "{:?}", first.body());
    assert_eq!(
        body_json(&first)["id"],
        "wh#meta#deauthorize#1000000000000001#1764115200"
    );
    let again = r.handle(fixture("meta-deauthorize")).await;
    assert_eq!(body_json(&again)["status"], "duplicate");
    let sent = r.queue.messages();
    assert_eq!(sent.len(), 1);
    let env: WebhookEnvelope = serde_json::from_str(&sent[0]).unwrap();
    assert_eq!(env.topic.as_deref(), Some("deauthorize"));
    let events = reelcart_domain::event::normalize(&env, env.body.as_deref().unwrap()).unwrap();
    assert_eq!(
        events[0].kind,
        reelcart_domain::event::EventKind::ConnectionRevoked
    );
    assert_eq!(events[0].account.as_deref(), Some("1000000000000001"));

    // The same form signed with another secret, or with the payload changed, or without it.
    let req = fixture("meta-deauthorize");
    let form = String::from_utf8(req.body().to_vec()).unwrap();
    let (sig, payload) = form
        .trim_start_matches("signed_request=")
        .split_once('.')
        .unwrap();
    let tampered = format!("signed_request={sig}.{}x", &payload[..payload.len() - 1]);
    for body in [tampered.as_str(), "signed_request=abc", "other=1", ""] {
        let resp = r
            .handle(with_body(fixture("meta-deauthorize"), body.as_bytes()))
            .await;
        assert_eq!(resp.status(), 401, "{body}");
    }
    assert_eq!(r.queue.messages().len(), 1);
}

/// An empty Shopify secret (`[""]`) is refused when loaded: a delivery "signed" with it is
/// refused, and the health route says which secret, never its value. Fails without the check:
/// the empty secret verified the forged delivery.
#[tokio::test]
async fn an_empty_secret_verifies_nothing_and_the_health_route_says_so() {
    let (r, _) = receiver_with(
        r#"{"shopify_webhook_secrets": [""], "meta_app_secrets": ["meta-app-secret-0123456789"]}"#,
    )
    .await;
    let mut forged = fixture("shopify-orders-create");
    let body: Vec<u8> = forged.body().as_ref().to_vec();
    let sig = {
        use base64::Engine;
        let hex_sig = reelcart_domain::webhook::sign_hex(b"", &[&body]);
        base64::engine::general_purpose::STANDARD.encode(hex::decode(hex_sig).unwrap())
    };
    forged
        .headers_mut()
        .insert("x-shopify-hmac-sha256", sig.parse().unwrap());
    let resp = r.handle(forged).await;
    assert_eq!(resp.status().as_u16(), 401, "signed with an empty secret");
    let health = lambda_http::http::Request::builder()
        .method("GET")
        .uri("/webhooks/health")
        .body(Body::Empty)
        .unwrap();
    let health = r.handle(health).await;
    assert_eq!(health.status().as_u16(), 503);
    let v = body_json(&health);
    assert_eq!(
        v["refused_secrets"],
        serde_json::json!(["shopify_webhook_secrets[0]"])
    );
    assert_eq!(
        (
            v["verifies"]["shopify"].as_bool(),
            v["verifies"]["meta"].as_bool()
        ),
        (Some(false), Some(true))
    );
    let (ok, _) = receiver().await;
    let health = lambda_http::http::Request::builder()
        .method("GET")
        .uri("/webhooks/health")
        .body(Body::Empty)
        .unwrap();
    assert_eq!(ok.handle(health).await.status().as_u16(), 200);
}

/// The shop header is not signed (an app's secret signs every store's deliveries): with the
/// brand's store pinned, a delivery naming another store is refused. Fails without the pin.
#[tokio::test]
async fn a_shopify_delivery_for_another_store_is_refused() {
    let (mut r, _) = receiver().await;
    r.limits.shopify_shop = Some("reelcart-demo.myshopify.com".into());
    let mut other = fixture("shopify-orders-create");
    other.headers_mut().insert(
        "x-shopify-shop-domain",
        "evil.myshopify.com".parse().unwrap(),
    );
    let resp = r.handle(other).await;
    assert_eq!(
        (resp.status().as_u16(), error_code(&resp)),
        (403, "wrong_shop".to_string())
    );
    assert!(r.queue.messages().is_empty());
    let ours = r.handle(fixture("shopify-orders-create")).await;
    assert_eq!(ours.status(), 200);
}

/// A captured product body resent under `products/delete`: refused before it is queued.
#[tokio::test]
async fn a_signed_body_under_a_topic_it_does_not_fit_is_refused() {
    let (r, _) = receiver().await;
    let mut req = fixture("shopify-orders-create");
    req.headers_mut()
        .insert("x-shopify-topic", "products/delete".parse().unwrap());
    let resp = r.handle(req).await;
    assert_eq!(
        (resp.status().as_u16(), error_code(&resp)),
        (400, "malformed".to_string())
    );
    assert!(r.queue.messages().is_empty());
}
