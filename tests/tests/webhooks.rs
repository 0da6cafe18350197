//! The webhook flow end to end on the local stack: real HTTP, the emulator's DynamoDB, SQS and S3,
//! the processor fed by the SQS pump with partial batch failures and DLQ redrive.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use futures::StreamExt;
use rand::seq::SliceRandom;
use reelcart_domain::webhook::{Delivery, Platform, WebhookEnvelope};
use reelcart_e2e::*;
use reelcart_local::simulator;
use std::collections::HashMap;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thousand_deliveries_of_hundred_events_are_processed_exactly_once() {
    let stack = start_stack().await;
    let client = reqwest::Client::new();
    let tag = "k";
    let now = now();
    // 100 distinct events across all five platforms, each delivered 10 times, shuffled.
    let mut deliveries: Vec<_> = (0..100)
        .flat_map(|n| std::iter::repeat_n(simulator::sample(n, tag, now), 10))
        .collect();
    deliveries.shuffle(&mut rand::rng());
    assert_eq!(deliveries.len(), 1000);

    let answers: Vec<(u16, serde_json::Value)> = futures::stream::iter(deliveries.iter())
        .map(|d| deliver(&client, &stack, d))
        .buffer_unordered(32)
        .collect()
        .await;
    let mut by_status: HashMap<String, usize> = HashMap::new();
    for (code, body) in &answers {
        assert_eq!(*code, 200, "{body}");
        *by_status
            .entry(body["status"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    assert_eq!(by_status.get("accepted"), Some(&100), "{by_status:?}");
    assert_eq!(by_status.get("duplicate"), Some(&900), "{by_status:?}");

    let processed = eventually(Duration::from_secs(60), "100 processed events", || async {
        let n = scan(&stack, "EventsTable").await.len();
        (n >= 100).then_some(n)
    })
    .await;
    assert_eq!(processed, 100);
    // Nothing late arrives: the event queue is empty and the count stays at 100.
    eventually(Duration::from_secs(20), "event queue drained", || async {
        (queue_depth(&stack, "WebhookEventQueue").await == 0).then_some(())
    })
    .await;
    assert_eq!(scan(&stack, "EventsTable").await.len(), 100);
    assert_eq!(queue_depth(&stack, "WebhookEventDLQ").await, 0);
    // Routed once each: 20 Shopify orders + 20 TikTok Shop orders, 20 mentions + 20 reviews,
    // 20 revocations (each queue has its consumer: attribution, ugc-ingest, connection-events).
    let events = scan(&stack, "EventsTable").await;
    let routed = |to: &str| {
        events
            .iter()
            .filter(|i| {
                i.get("routed_to")
                    .and_then(|v| v.as_s().ok())
                    .is_some_and(|r| r == to)
            })
            .count()
    };
    assert_eq!(routed("orders"), 40);
    assert_eq!(routed("content"), 40);
    assert_eq!(routed("catalog"), 0);
    assert_eq!(routed("connections"), 20);
    eventually(
        Duration::from_secs(20),
        "connection events consumed",
        || async { (queue_depth(&stack, "ConnectionsQueue").await == 0).then_some(()) },
    )
    .await;
    assert_eq!(queue_depth(&stack, "ConnectionsDLQ").await, 0);
    stack.stop().await;
}

fn envelope(n: usize) -> String {
    let d = Delivery {
        platform: Platform::Shopify,
        source: Some("poison-test.myshopify.com".into()),
        delivery_id: format!("evt-{n}"),
        topic: Some("orders/create".into()),
    };
    serde_json::to_string(&WebhookEnvelope::new(&d, now(), format!(r#"{{"id":{n}}}"#))).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_message_in_a_batch_of_ten_lands_in_the_dlq_and_the_other_nine_pass() {
    let stack = start_stack().await;
    let url = stack.physical("WebhookEventQueue").unwrap().to_string();
    let mut batch = stack.clients.sqs.send_message_batch().queue_url(&url);
    for n in 0..10 {
        let body = if n == 4 {
            "{\"v\":1,\"this is\":\"not an envelope\"".to_string()
        } else {
            envelope(n)
        };
        batch = batch.entries(
            aws_sdk_sqs::types::SendMessageBatchRequestEntry::builder()
                .id(n.to_string())
                .message_body(body)
                .build()
                .unwrap(),
        );
    }
    batch.send().await.unwrap();

    let dead = eventually(
        Duration::from_secs(60),
        "the poison message in the DLQ",
        || async {
            let bodies = drain(&stack, "WebhookEventDLQ").await;
            (!bodies.is_empty()).then_some(bodies)
        },
    )
    .await;
    assert_eq!(dead.len(), 1);
    assert!(dead[0].contains("not an envelope"));
    let events = scan(&stack, "EventsTable").await;
    assert_eq!(events.len(), 9, "the other nine went through");
    assert_eq!(queue_depth(&stack, "WebhookEventQueue").await, 0);
    let to_orders = events
        .iter()
        .filter(|i| {
            i.get("routed_to")
                .and_then(|v| v.as_s().ok())
                .is_some_and(|r| r == "orders")
        })
        .count();
    assert_eq!(to_orders, 9);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_replayed_requests_are_rejected_and_change_nothing() {
    let stack = start_stack().await;
    let client = reqwest::Client::new();
    let now = now();

    let forged = [
        // Signed with the wrong secret.
        simulator::shopify(
            "wrong-secret",
            "x.myshopify.com",
            "orders/create",
            "forged-1",
            r#"{"id":1}"#,
        ),
        simulator::meta("wrong-secret", r#"{"object":"instagram","entry":[]}"#),
        simulator::tiktok_shop(
            "demo-tts-app-key",
            "wrong-secret",
            r#"{"type":1,"tts_notification_id":"f1"}"#,
        ),
        // A stale replay of a correctly signed delivery (signed 6 minutes ago).
        simulator::sample(4, "replay", now - 360),
        simulator::sample(2, "replay", now - 360),
        // From the future.
        simulator::sample(4, "future", now + 360),
    ];
    for d in &forged {
        let (status, body) = post(&client, &stack, d).await;
        assert_eq!(status, 401, "{}: {body}", d.path);
    }
    // A body altered after signing.
    let mut tampered = simulator::sample(0, "tamper", now);
    tampered.body = tampered.body.replace("59.98", "0.01");
    assert_eq!(post(&client, &stack, &tampered).await.0, 401);
    // No signature at all.
    let mut unsigned = simulator::sample(1, "nosig", now);
    unsigned.headers.clear();
    let (status, body) = post(&client, &stack, &unsigned).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("missing_signature"))
    );
    // Too large.
    let huge = simulator::shopify(
        "demo-shopify-secret",
        "x.myshopify.com",
        "orders/create",
        "huge",
        &format!(r#"{{"id":1,"p":"{}"}}"#, "x".repeat(300 * 1024)),
    );
    assert_eq!(post(&client, &stack, &huge).await.0, 413);

    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        scan(&stack, "IdempotencyTable").await.is_empty(),
        "no dedupe key written"
    );
    assert_eq!(
        queue_depth(&stack, "WebhookEventQueue").await,
        0,
        "nothing enqueued"
    );
    assert!(
        scan(&stack, "EventsTable").await.is_empty(),
        "nothing processed"
    );

    // The genuine delivery is accepted once; its exact replay within the window is a duplicate.
    let genuine = simulator::sample(4, "genuine", now);
    assert_eq!(
        deliver(&client, &stack, &genuine).await.1["status"],
        "accepted"
    );
    assert_eq!(
        deliver(&client, &stack, &genuine).await.1["status"],
        "duplicate"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_too_large_for_one_message_travels_through_s3_and_is_processed() {
    let stack = start_stack().await;
    let client = reqwest::Client::new();
    let note = "é".repeat(110 * 1024); // 220 KiB of UTF-8: under the body limit, over one message
    let body = format!(r#"{{"id":77,"line_items":[],"note":"{note}"}}"#);
    let d = simulator::shopify(
        "demo-shopify-secret",
        "reelcart-demo.myshopify.com",
        "orders/create",
        "big-1",
        &body,
    );
    let (status, answer) = deliver(&client, &stack, &d).await;
    assert_eq!(status, 200, "{answer}");
    let events = eventually(
        Duration::from_secs(30),
        "the large event processed",
        || async {
            let items = scan(&stack, "EventsTable").await;
            (!items.is_empty()).then_some(items)
        },
    )
    .await;
    assert_eq!(events[0]["kind"].as_s().unwrap(), "order_created");
    assert_eq!(events[0]["subject"].as_s().unwrap(), "77");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meta_handshake_and_unknown_routes_on_the_local_port() {
    let stack = start_stack().await;
    let client = reqwest::Client::new();
    let ok = client
        .get(format!("{}/webhooks/meta?hub.mode=subscribe&hub.challenge=42&hub.verify_token=demo-verify-token", stack.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.unwrap(), "42");
    let bad = client
        .get(format!(
            "{}/webhooks/meta?hub.mode=subscribe&hub.challenge=42&hub.verify_token=guess",
            stack.url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 403);
    let missing = client
        .post(format!("{}/webhooks/nope", stack.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    let health = client
        .get(format!("{}/healthz", stack.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    stack.stop().await;
}
