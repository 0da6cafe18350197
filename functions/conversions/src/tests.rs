//! The sender over a recording fake of the platforms, and the HTTP client against a stub that
//! answers as the platforms do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use reelcart_domain::FixedClock;
use reelcart_domain::attribution::conversions::{Item, Purchase, Shopper};
use std::sync::Mutex;

const NOW: i64 = 1_795_676_400;

#[derive(Default)]
struct Fake {
    sent: Mutex<Vec<(AdPlatform, Value)>>,
    /// The answer to give each platform (default: delivered).
    answer: Mutex<Option<(AdPlatform, SendError)>>,
}

impl AdApi for &Fake {
    async fn send(&self, platform: AdPlatform, event: &Value) -> Result<(), SendError> {
        let mut answer = self.answer.lock().unwrap();
        if answer.as_ref().is_some_and(|(p, _)| *p == platform)
            && let Some((_, e)) = answer.take()
        {
            return Err(e);
        }
        drop(answer);
        self.sent.lock().unwrap().push((platform, event.clone()));
        Ok(())
    }
}

fn purchase(at: i64) -> Purchase {
    Purchase {
        event_id: "shopify:42".into(),
        order_id: "42".into(),
        event_time: at,
        currency: "USD".into(),
        value_cents: 4500,
        items: vec![Item {
            id: "TEE-M".into(),
            quantity: 1,
            price_cents: 4500,
        }],
        source_url: Some("https://shop.example/products/tee".into()),
        shopper: Shopper {
            email: Some("maya@example.com".into()),
            phone: Some("+1 234 567 8901".into()),
            user_agent: Some("Mozilla/5.0".into()),
            ..Shopper::default()
        },
    }
}

fn batch(messages: Vec<String>) -> SqsEvent {
    reelcart_lambda::testing::sqs_batch(messages)
}

fn message(platform: AdPlatform, at: i64) -> String {
    serde_json::to_string(&ConversionMessage {
        platform,
        purchase: purchase(at),
    })
    .unwrap()
}

#[tokio::test]
async fn each_platform_gets_its_own_event_and_failures_are_retried_apart() {
    let fake = Fake::default();
    *fake.answer.lock().unwrap() = Some((AdPlatform::Tiktok, SendError::Retry("429".into())));
    let sender = Sender {
        api: &fake,
        clock: Arc::new(FixedClock::at(NOW + 60)),
    };
    let out = sender
        .handle(batch(vec![
            message(AdPlatform::Meta, NOW),
            message(AdPlatform::Tiktok, NOW),
            "{\"not\": \"a conversion\"}".into(),
            // Eight days old: Meta would refuse it; dropped, not retried.
            message(AdPlatform::Meta, NOW - 8 * 86_400),
        ]))
        .await
        .unwrap();
    let mut failed: Vec<&str> = out
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    failed.sort();
    assert_eq!(
        failed,
        ["m1", "m2"],
        "the throttled TikTok event and the malformed one"
    );
    let sent = fake.sent.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].0, AdPlatform::Meta);
    assert_eq!(sent[0].1["event_id"], "shopify:42");
    assert_eq!(
        sent[0].1["user_data"]["ph"][0],
        "254aa248acb47dd654ca3ea53f48c2c26d641d23d7e2e93a1ec56258df7674c4"
    );
    // The redelivery of the TikTok event goes through.
    let out = sender
        .handle(batch(vec![message(AdPlatform::Tiktok, NOW)]))
        .await
        .unwrap();
    assert!(out.batch_item_failures.is_empty());
    assert_eq!(fake.sent.lock().unwrap()[1].0, AdPlatform::Tiktok);
}

#[tokio::test]
async fn a_platform_without_a_pixel_is_skipped_and_a_refusal_is_dead_lettered() {
    let fake = Fake::default();
    let sender = Sender {
        api: &fake,
        clock: Arc::new(FixedClock::at(NOW)),
    };
    *fake.answer.lock().unwrap() = Some((AdPlatform::Meta, SendError::NotConfigured));
    let out = sender
        .handle(batch(vec![message(AdPlatform::Meta, NOW)]))
        .await
        .unwrap();
    assert!(out.batch_item_failures.is_empty());
    *fake.answer.lock().unwrap() = Some((AdPlatform::Meta, SendError::Refused("190".into())));
    let out = sender
        .handle(batch(vec![message(AdPlatform::Meta, NOW)]))
        .await
        .unwrap();
    assert_eq!(out.batch_item_failures.len(), 1);
}

#[test]
fn the_secret_says_which_platforms_are_on_and_never_prints_a_token() {
    let p = Pixels::parse(
        r#"{"meta_pixel_id": "1", "meta_access_token": "EAAB-secret", "tiktok_pixel_code": "C1", "tiktok_access_token": ""}"#,
    )
    .unwrap();
    assert_eq!(p.configured(), [AdPlatform::Meta]);
    assert!(!format!("{p:?}").contains("EAAB"));
    assert!(Pixels::parse("{\"meta_pixel_id\": 12").is_err());
}

#[tokio::test]
async fn the_client_sends_what_the_platforms_expect_and_reads_their_answers() {
    use axum::routing::post;
    /// What the stub saw: the endpoint, the `Access-Token` header and the body.
    type Seen = Arc<Mutex<Vec<(String, Option<String>, Value)>>>;
    let seen: Seen = Arc::default();
    let s1 = seen.clone();
    let s2 = seen.clone();
    let app = axum::Router::new()
        .route(
            "/v21.0/{pixel}/events",
            post(move |axum::extract::Path(pixel): axum::extract::Path<String>, axum::Json(b): axum::Json<Value>| {
                let s = s1.clone();
                async move {
                    s.lock().unwrap().push((format!("meta:{pixel}"), None, b));
                    axum::Json(serde_json::json!({"events_received": 1, "messages": [], "fbtrace_id": "x"}))
                }
            }),
        )
        .route(
            "/open_api/v1.3/event/track/",
            post(move |h: axum::http::HeaderMap, axum::Json(b): axum::Json<Value>| {
                let s = s2.clone();
                async move {
                    let token = h.get("access-token").and_then(|v| v.to_str().ok()).map(str::to_string);
                    s.lock().unwrap().push(("tiktok".into(), token, b));
                    // Throttled: a code in a 200, as the Business API answers.
                    axum::Json(serde_json::json!({"code": 40100, "message": "Too many requests", "data": {}}))
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let pixels = Pixels::parse(
        r#"{"meta_pixel_id": "77", "meta_access_token": "mt", "tiktok_pixel_code": "C9", "tiktok_access_token": "tt"}"#,
    )
    .unwrap();
    let api = HttpAdApi::new(base.clone(), base, pixels).unwrap();
    let event = serde_json::json!({"event_name": "Purchase"});
    api.send(AdPlatform::Meta, &event).await.unwrap();
    let err = api.send(AdPlatform::Tiktok, &event).await.unwrap_err();
    assert!(matches!(err, SendError::Retry(_)), "{err}");
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].0, "meta:77");
    assert_eq!(
        (
            seen[0].2["access_token"].as_str(),
            seen[0].2["data"][0]["event_name"].as_str()
        ),
        (Some("mt"), Some("Purchase"))
    );
    assert_eq!(
        (
            seen[1].1.as_deref(),
            seen[1].2["event_source"].as_str(),
            seen[1].2["event_source_id"].as_str()
        ),
        (Some("tt"), Some("web"), Some("C9"))
    );
}

#[tokio::test]
async fn the_sample_batch_sends_one_purchase_to_each_platform() {
    let event: SqsEvent =
        serde_json::from_str(include_str!("../../../events/conversions/sqs-batch.json")).unwrap();
    let fake = Fake::default();
    let sender = Sender {
        api: &fake,
        clock: Arc::new(FixedClock::at(1_764_115_200 + 30)),
    };
    let out = sender.handle(event).await.unwrap();
    assert!(out.batch_item_failures.is_empty());
    let sent = fake.sent.lock().unwrap();
    assert_eq!(
        sent.iter().map(|(p, _)| *p).collect::<Vec<_>>(),
        [AdPlatform::Meta, AdPlatform::Tiktok]
    );
    assert_eq!(
        sent[1].1["user"]["phone"][0],
        reelcart_domain::attribution::conversions::sha256_hex("+12345678901")
    );
}
