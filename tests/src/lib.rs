//! Helpers for end-to-end tests: each test starts its own local stack under a unique prefix (so
//! tests run in parallel against one emulator), sends signed deliveries like a platform would, and
//! reads back tables and queues.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_sqs::types::QueueAttributeName;
use reelcart_local::simulator::Delivery;
use reelcart_local::{Options, Stack};
use std::time::{Duration, Instant};

mod videos;
pub use videos::publish_videos;

/// Start a stack on a free port with a unique prefix; schedules only fire when a test asks.
pub async fn start_stack() -> Stack {
    let prefix = format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let mut opts = Options::new(prefix);
    opts.bind = ([127, 0, 0, 1], 0).into();
    opts.run_schedules = false;
    Stack::start(opts)
        .await
        .expect("local stack starts (is moto installed? run `make venv`)")
}

pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// GET a JSON document from the platform simulator (`/_sim/...` controls).
pub async fn sim_get(stack: &Stack, path: &str) -> serde_json::Value {
    reqwest::get(format!("{}{path}", stack.sim_url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A Shopify webhook of `topic` (signed with the demo store's secret) posted to the stack; the
/// receiver's status.
pub async fn shopify_webhook(
    client: &reqwest::Client,
    stack: &Stack,
    topic: &str,
    event_id: &str,
    body: &serde_json::Value,
) -> u16 {
    let d = reelcart_local::simulator::shopify(
        reelcart_local::seed::DEMO_SHOPIFY_WEBHOOK_SECRET,
        "reelcart-demo.myshopify.com",
        topic,
        event_id,
        &body.to_string(),
    );
    post(client, stack, &d).await.0
}

/// POST a delivery once; returns status and JSON body.
pub async fn post(
    client: &reqwest::Client,
    stack: &Stack,
    d: &Delivery,
) -> (u16, serde_json::Value) {
    let mut req = client
        .post(format!("{}{}", stack.url(), d.path))
        .body(d.body.clone());
    if !d
        .headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
    {
        req = req.header("content-type", "application/json");
    }
    for (k, v) in &d.headers {
        req = req.header(k, v);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let body = resp.json().await.unwrap_or(serde_json::Value::Null);
    (status, body)
}

/// POST like a platform: retry on 409 (in flight elsewhere), 429 (the receiver's reserved
/// executions all busy: Lambda throttled it) and 5xx, with a jittered backoff, for up to two
/// minutes. Platforms retry for hours; a loaded 2-core CI machine can keep a delivery losing the
/// race for the reserved executions for several seconds, which a count of attempts did not allow.
pub async fn deliver(
    client: &reqwest::Client,
    stack: &Stack,
    d: &Delivery,
) -> (u16, serde_json::Value) {
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let mut backoff = Duration::from_millis(20);
    let mut seen = Vec::new();
    loop {
        let (status, body) = post(client, stack, d).await;
        if status != 409 && status != 429 && status < 500 {
            return (status, body);
        }
        seen.push(status);
        if std::time::Instant::now() >= deadline {
            panic!(
                "delivery {} never got a final answer in 120 s; statuses: {seen:?}",
                d.path
            );
        }
        let jitter = Duration::from_millis(rand::random_range(0..=backoff.as_millis() as u64));
        tokio::time::sleep(backoff / 2 + jitter / 2).await;
        backoff = (backoff * 2).min(Duration::from_millis(1000));
    }
}

/// Every item of a table.
pub async fn scan(
    stack: &Stack,
    logical_table: &str,
) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    stack.scan(logical_table).await.unwrap()
}

/// Messages visible plus in flight in a queue.
pub async fn queue_depth(stack: &Stack, logical_queue: &str) -> usize {
    let url = stack.physical(logical_queue).unwrap();
    let out = stack
        .clients
        .sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .unwrap();
    let attrs = out.attributes.unwrap_or_default();
    [
        QueueAttributeName::ApproximateNumberOfMessages,
        QueueAttributeName::ApproximateNumberOfMessagesNotVisible,
    ]
    .iter()
    .map(|k| {
        attrs
            .get(k)
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0)
    })
    .sum()
}

/// Receive and delete everything in a queue (bodies).
pub async fn drain(stack: &Stack, logical_queue: &str) -> Vec<String> {
    let url = stack.physical(logical_queue).unwrap().to_string();
    let mut bodies = Vec::new();
    loop {
        let out = stack
            .clients
            .sqs
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        let msgs = out.messages.unwrap_or_default();
        if msgs.is_empty() {
            return bodies;
        }
        for m in msgs {
            bodies.push(m.body.clone().unwrap_or_default());
            stack
                .clients
                .sqs
                .delete_message()
                .queue_url(&url)
                .receipt_handle(m.receipt_handle.unwrap_or_default())
                .send()
                .await
                .unwrap();
        }
    }
}

/// Poll `f` until it returns `Some`, or fail after `within`.
pub async fn eventually<T, F, Fut>(within: Duration, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = f().await {
            return v;
        }
        if Instant::now() > deadline {
            panic!("timed out after {within:?} waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `2026-11-26T07:00:00Z` of a unix time (what stores put in their webhooks).
pub fn rfc3339(ts: i64) -> String {
    let s = ts.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        reelcart_domain::attribution::day_of(ts),
        s / 3600,
        s % 3600 / 60,
        s % 60
    )
}
