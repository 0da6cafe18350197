//! The public edge under a flood: the local stack enforces the Lambda concurrency the template
//! sets (reserved executions for webhook-receiver, a ceiling on the public functions, the
//! account's quota), so a flood of beacons is throttled at the collector and signed webhooks keep
//! their executions. The same flood against the template without its reservations takes the
//! account's shared executions and platforms' deliveries are throttled: what the reservations fix.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reelcart_local::server::content_sha256;
use reelcart_local::{Options, Stack};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Concurrent shoppers' browsers in the flood.
const FLOOD: usize = 150;
/// Signed webhooks sent one after another, without and then during the flood.
const WEBHOOKS: usize = 15;

async fn stack(account_concurrency: u32, parameters: &[(&str, &str)]) -> Stack {
    let prefix = format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let mut opts = Options::new(prefix);
    opts.bind = ([127, 0, 0, 1], 0).into();
    opts.run_schedules = false;
    opts.account_concurrency = account_concurrency;
    opts.parameters = parameters
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Stack::start(opts).await.expect("local stack starts")
}

/// Statuses and latencies of `WEBHOOKS` signed product updates, sent one at a time.
async fn webhooks(http: &reqwest::Client, stack: &Stack, run: &str) -> (Vec<u16>, Vec<Duration>) {
    let mut statuses = Vec::new();
    let mut latencies = Vec::new();
    for i in 0..WEBHOOKS {
        // A new product each time: Shopify deliveries are deduplicated on their body.
        let body =
            json!({"id": 9_100_000 + i, "title": format!("Flood tee {run}"), "variants": []});
        let t = Instant::now();
        let status = reelcart_e2e::shopify_webhook(
            http,
            stack,
            "products/update",
            &format!("edge-{run}-{i}"),
            &body,
        )
        .await;
        latencies.push(t.elapsed());
        statuses.push(status);
    }
    (statuses, latencies)
}

fn percentile(latencies: &[Duration], p: f64) -> Duration {
    let mut v = latencies.to_vec();
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// `FLOOD` loops posting beacons until `stop`; counts answers by status class.
fn flood(
    stack: &Stack,
    token: &str,
    stop: Arc<AtomicBool>,
) -> (
    Vec<tokio::task::JoinHandle<()>>,
    Arc<AtomicU64>,
    Arc<AtomicU64>,
) {
    let accepted = Arc::new(AtomicU64::new(0));
    let throttled = Arc::new(AtomicU64::new(0));
    let body = json!({"events": [{"event_id": "flood-beacon-1", "type": "impression", "session_id": token,
        "ugc_id": "ugc_flood", "placement": "pdp", "sku": "TEE-1", "ts": reelcart_e2e::now() * 1000}]})
    .to_string();
    let url = format!("{}/v1/events", stack.url());
    let hash = content_sha256(body.as_bytes());
    let tasks = (0..FLOOD)
        .map(|_| {
            let (url, body, hash, stop) = (url.clone(), body.clone(), hash.clone(), stop.clone());
            let (accepted, throttled) = (accepted.clone(), throttled.clone());
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                while !stop.load(Ordering::Relaxed) {
                    match http
                        .post(&url)
                        .header("content-type", "text/plain")
                        .header("x-amz-content-sha256", &hash)
                        .body(body.clone())
                        .send()
                        .await
                    {
                        Ok(r) if r.status().as_u16() == 429 => {
                            throttled.fetch_add(1, Ordering::Relaxed);
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                        Ok(r) => {
                            assert_eq!(r.status().as_u16(), 202, "a beacon of the flood refused");
                            accepted.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
                    }
                }
            })
        })
        .collect();
    (tasks, accepted, throttled)
}

/// Webhooks alone, then during a flood: (statuses during the flood, report line).
async fn under_flood(stack: &Stack, label: &str) -> (Vec<u16>, String) {
    let http = reqwest::Client::new();
    let token = http
        .post(format!("{}/v1/sessions", stack.url()))
        .header("x-amz-content-sha256", content_sha256(b""))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let (quiet, alone) = webhooks(&http, stack, &format!("{label}-quiet")).await;
    assert!(quiet.iter().all(|s| *s == 200), "{label}: {quiet:?}");

    let stop = Arc::new(AtomicBool::new(false));
    let (tasks, accepted, throttled) = flood(stack, &token, stop.clone());
    // Let the flood build up before the platforms deliver.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let (statuses, flooded) = webhooks(&http, stack, &format!("{label}-flood")).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let report = format!(
        "{label}: webhook latency p50 {:?} / p95 {:?} alone, p50 {:?} / p95 {:?} during the flood \
         ({} beacon requests accepted, {} throttled; collector throttles {}, receiver throttles {})",
        percentile(&alone, 0.5),
        percentile(&alone, 0.95),
        percentile(&flooded, 0.5),
        percentile(&flooded, 0.95),
        accepted.load(Ordering::Relaxed),
        throttled.load(Ordering::Relaxed),
        stack.concurrency.throttles("AttributionCollectorFunction"),
        stack.concurrency.throttles("WebhookReceiverFunction"),
    );
    println!("{report}");
    (statuses, report)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_beacon_flood_is_throttled_at_the_collector_and_webhooks_keep_their_executions() {
    // The template's reservations, the public functions' ceiling lowered from 50 to 5: one
    // emulator process serves every AWS service here (about a hundred IAM-checked calls a
    // second), and 50 executions of the collector calling SQS would measure its queue, not
    // Lambda's concurrency. The smallest account that fits them (20 + 5 + 5, and Lambda's 100
    // unreserved): the flood has every execution it can get.
    let protected = stack(130, &[("PublicConcurrency", "5")]).await;
    assert_eq!(
        protected.concurrency.reserved("WebhookReceiverFunction"),
        Some(20)
    );
    assert_eq!(
        protected
            .concurrency
            .reserved("AttributionCollectorFunction"),
        Some(5)
    );
    let (statuses, report) = under_flood(&protected, "reserved").await;
    assert!(statuses.iter().all(|s| *s == 200), "{report}: {statuses:?}");
    assert_eq!(
        protected.concurrency.throttles("WebhookReceiverFunction"),
        0,
        "{report}"
    );
    assert!(
        protected
            .concurrency
            .throttles("AttributionCollectorFunction")
            > 0,
        "the flood never reached the collector's ceiling: {report}"
    );
    // Each delivery is in the receiver's own metrics (embedded metric format), by outcome.
    let counted = reelcart_lambda::metrics::captured_sum(
        "WebhookDeliveries",
        &[("Platform", "shopify"), ("Outcome", "accepted")],
    );
    assert!(counted >= (2 * WEBHOOKS) as f64, "{counted}");
    protected.stop().await;

    // The same template with nothing reserved, in an account of 100: the flood takes the shared
    // executions and platforms' deliveries are throttled with it.
    let open = stack(
        100,
        &[("WebhookConcurrency", "0"), ("PublicConcurrency", "0")],
    )
    .await;
    assert_eq!(open.concurrency.reserved("WebhookReceiverFunction"), None);
    let (statuses, report) = under_flood(&open, "unreserved").await;
    assert!(
        statuses.contains(&429),
        "without reservations the flood should have throttled webhooks: {report}: {statuses:?}"
    );
    open.stop().await;
}

#[tokio::test]
async fn reservations_the_account_cannot_hold_stop_the_stack_as_they_fail_a_deploy() {
    let prefix = format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let mut opts = Options::new(prefix);
    opts.bind = ([127, 0, 0, 1], 0).into();
    opts.run_schedules = false;
    // A new account's quota of 10 concurrent executions.
    opts.account_concurrency = 10;
    let err = Stack::start(opts).await.unwrap_err();
    assert!(
        format!("{err:#}").contains("under Lambda's minimum of 10"),
        "{err:#}"
    );
}

/// The collector's function URL takes only what CloudFront signed: through the local edge, a
/// beacon without its body's SHA-256 (what sendBeacon sends), or with another body's, is refused
/// as Lambda refuses it; with it, accepted.
#[tokio::test]
async fn beacons_need_their_body_hash_as_the_origin_access_control_signs_it() {
    let stack = reelcart_e2e::start_stack().await;
    let http = reqwest::Client::new();
    let url = format!("{}/v1/events", stack.url());
    let body = json!({"events": [{"event_id": "hash-beacon-1", "type": "impression",
        "session_id": "rc_local", "ugc_id": "ugc_x", "placement": "pdp"}]})
    .to_string();
    let post = |hash: Option<String>| {
        let mut r = http
            .post(&url)
            .header("content-type", "text/plain")
            .body(body.clone());
        if let Some(h) = hash {
            r = r.header("x-amz-content-sha256", h);
        }
        async move { r.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(post(None).await, 403);
    assert_eq!(post(Some(content_sha256(b"{}"))).await, 403);
    assert_eq!(post(Some(content_sha256(body.as_bytes()))).await, 202);
    // A GET (a creator's link, the feed) has no body to sign.
    let feed = http
        .get(format!("{}/v1/feed?placement=home", stack.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(feed.status().as_u16(), 200);
    stack.stop().await;
}

/// A known path's other methods reach the function that serves it and are answered `405` with
/// `Allow` (the template's `ANY` routes: API Gateway alone answers `404`); a path no function
/// serves is `404`; and the routes of the request's method still win over the `ANY` ones.
#[tokio::test]
async fn other_methods_of_a_known_path_are_405_with_allow() {
    let stack = reelcart_e2e::start_stack().await;
    let http = reqwest::Client::new();
    let admin = stack.token("admin-405", &["admin"]).unwrap();
    let creator = stack.token("creator-405", &["creator"]).unwrap();
    let call = |method: &str, path: &str, token: Option<&str>| {
        let mut r = http.request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            format!("{}{path}", stack.url()),
        );
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        async move {
            let resp = r.send().await.unwrap();
            let allow = resp
                .headers()
                .get("allow")
                .map(|v| v.to_str().unwrap().to_string());
            (resp.status().as_u16(), allow)
        }
    };
    for (method, path, token, allow) in [
        (
            "TRACE",
            "/v1/creators/me",
            Some(creator.as_str()),
            "GET,PUT",
        ),
        ("DELETE", "/v1/creators", Some(admin.as_str()), "GET"),
        (
            "PATCH",
            "/v1/moderation/blocklist",
            Some(admin.as_str()),
            "GET,PUT",
        ),
        ("POST", "/v1/catalog/products", Some(admin.as_str()), "GET"),
        ("PUT", "/v1/connections", Some(admin.as_str()), "GET"),
        ("TRACE", "/webhooks/shopify", None, "POST"),
        ("PUT", "/webhooks/meta", None, "GET, POST"),
        ("GET", "/webhooks/meta/deauthorize", None, "POST"),
        ("DELETE", "/v1/sessions", None, "POST, OPTIONS"),
    ] {
        let (status, got) = call(method, path, token).await;
        assert_eq!(status, 405, "{method} {path}");
        let got = got.unwrap_or_default();
        let listed: Vec<&str> = got.split(',').map(str::trim).collect();
        for m in allow.split(',').map(str::trim) {
            assert!(listed.contains(&m), "{method} {path}: Allow {got}");
        }
        assert!(!listed.contains(&method), "{method} {path}: Allow {got}");
    }
    // Without a token the gateway's authorizer answers first, as for any staff route.
    assert_eq!(call("TRACE", "/v1/creators/me", None).await.0, 401);
    assert_eq!(
        call("GET", "/v1/creators/nobody/else", Some(&admin))
            .await
            .0,
        404
    );
    assert_eq!(call("GET", "/nowhere", None).await.0, 404);
    assert_eq!(call("GET", "/v1/creators", Some(&admin)).await.0, 200);
    stack.stop().await;
}
