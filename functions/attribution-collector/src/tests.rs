//! The collector over in-memory ports: the HTTP edge, counting with dedupe, orders credited and
//! reversed, the funnel.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use aws_lambda_events::sqs::SqsEvent;
use reelcart_domain::FixedClock;
use reelcart_domain::attribution::CreatorCode;
use reelcart_domain::content::{MediaType, Source, Status, UgcItem};
use reelcart_lambda::testing::api_request;
use reelcart_ports::memory::{
    MemoryAnalytics, MemoryBlobs, MemoryCatalog, MemoryContent, MemoryCreators, MemoryQueue,
};
use reelcart_ports::{CreatorStore, ItemStore};

const LINK_KEY: &str = "a-link-signing-key-of-enough-length!!";
use serde_json::{Value, json};

const NOW: i64 = 1_795_676_400; // 2026-11-26T07:00:00Z

type Test = Collector<
    MemoryAnalytics,
    MemoryQueue,
    MemoryBlobs,
    MemoryCreators,
    MemoryContent,
    MemoryCatalog,
>;

/// Content `id` by creator `cr_{id}` (from Instagram), in `status`.
fn item(id: &str, status: Status) -> UgcItem {
    let mut i = UgcItem::new(
        Source::InstagramMention,
        id,
        MediaType::Video,
        "",
        NOW - 86_400,
    );
    i.id = id.to_string();
    i.author.creator_id = Some(format!("cr_{id}"));
    i.status = status;
    i
}

/// A collector whose content store holds the published items the tests' beacons name.
fn collector(model: Model) -> Test {
    let content = MemoryContent::default();
    let ids = ["ugc_a", "ugc_b", "ugc_c", "ugc_q", "ugc_z"].map(String::from);
    for id in ids.into_iter().chain((0..20).map(|i| format!("ugc_{i}"))) {
        let id = id.as_str();
        // The memory store answers at once.
        futures::executor::block_on(content.create_item(&item(id, Status::Published))).unwrap();
    }
    Collector {
        analytics: MemoryAnalytics::default(),
        content,
        links: MemoryCreators::default(),
        beacons: MemoryQueue::default(),
        conversions: Some(MemoryQueue::default()),
        shop_orders: Some(MemoryQueue::default()),
        raw: MemoryBlobs::default(),
        catalog: MemoryCatalog::default(),
        config: Config {
            cors: Cors::parse("https://shop.example"),
            windows: Windows::both(24 * 3600),
            model,
            link_keys: Arc::new(reelcart_lambda::keyring::KeyRing::fixed(vec![
                secrecy::SecretString::from(LINK_KEY.to_string()),
            ])),
        },
        clock: Arc::new(FixedClock::at(NOW)),
    }
}

/// The session token Reelcart signs for the test's session `name` (`s_buyer` …).
fn session(name: &str) -> String {
    let id: String = name.chars().filter(char::is_ascii_alphanumeric).collect();
    reelcart_domain::creator::session_token(
        &secrecy::SecretString::from(LINK_KEY.to_string()),
        &format!("{id:0<16}"),
    )
    .unwrap()
}

/// A beacon of session `name` (its signed token).
fn beacon(id: &str, kind: &str, name: &str, ugc: &str, at: i64) -> Value {
    let mut b = json!({"event_id": id, "type": kind, "session_id": session(name), "ugc_id": ugc,
        "creator_id": format!("cr_{ugc}"), "platform": "instagram", "placement": "pdp", "ts": at * 1000});
    if kind == "product_click" || kind == "add_to_cart" {
        b["sku"] = json!("TEE-1");
    }
    b
}

async fn call(c: &Test, req: Request) -> (u16, Value, Response<Body>) {
    let resp = c.handle_http(req).await;
    let status = resp.status().as_u16();
    let body = serde_json::from_slice(resp.body().as_ref()).unwrap_or(Value::Null);
    (status, body, resp)
}

fn post_events(events: Vec<Value>) -> Request {
    let body = serde_json::to_vec(&json!({ "events": events })).unwrap();
    api_request(
        "POST",
        "/v1/events",
        None,
        &[
            ("origin", "https://shop.example"),
            ("content-type", "text/plain"),
        ],
        Some(&body),
    )
}

/// The aggregate rows of `day`.
async fn rows_of(c: &Test, day: &str) -> Vec<reelcart_domain::attribution::AggRow> {
    c.analytics.aggregates(&[day.to_string()]).await.unwrap()
}

/// Creator `creator`'s 10 % discount code `code`.
async fn add_code(c: &Test, code: &str, creator: &str, campaign: Option<&str>) {
    c.analytics
        .put_creator_code(&CreatorCode {
            code: code.into(),
            creator_id: creator.into(),
            campaign: campaign.map(str::to_string),
            percent: 10,
            store_id: None,
            created_at: 0,
            skus: Vec::new(),
            ..Default::default()
        })
        .await
        .unwrap();
}

fn sqs(bodies: Vec<String>) -> SqsEvent {
    reelcart_lambda::testing::sqs_batch(bodies)
}

fn order_event(topic: &str, data: Value) -> String {
    let kind = if topic == "orders/create" {
        "order_created"
    } else {
        "order_updated"
    };
    json!({"id": format!("wh#shopify#{topic}#{}", data["id"]), "kind": kind, "platform": "shopify",
        "topic": topic, "account": "shop.example", "subject": data["id"].to_string(),
        "received_at": NOW, "data": data})
    .to_string()
}

/// An order whose cart carries session `name`'s signed token.
fn shopify_order(id: u64, name: &str, total: &str, codes: &[&str]) -> Value {
    order_with_token(id, &session(name), total, codes)
}

fn order_with_token(id: u64, token: &str, total: &str, codes: &[&str]) -> Value {
    json!({"id": id, "created_at": "2026-11-26T07:00:00Z", "total_price": total, "currency": "USD",
        "note_attributes": [{"name": "reelcart_token", "value": token}],
        "discount_codes": codes.iter().map(|c| json!({"code": c})).collect::<Vec<_>>()})
}

#[tokio::test]
async fn the_edge_takes_checked_batches_only() {
    let c = collector(Model::LastTouch);
    let (s, out, resp) = call(
        &c,
        post_events(vec![beacon("evt_00001", "impression", "s_1", "ugc_a", NOW)]),
    )
    .await;
    assert_eq!((s, out["accepted"].as_u64()), (202, Some(1)));
    assert_eq!(
        resp.headers()["access-control-allow-origin"],
        "https://shop.example"
    );
    let queued: BeaconMessage = serde_json::from_str(&c.beacons.messages()[0]).unwrap();
    assert_eq!(queued.events[0].at, NOW);
    // A browser cannot report a purchase; nor anything off the schema.
    let (s, out, _) = call(
        &c,
        post_events(vec![beacon("evt_00002", "purchase", "s_1", "ugc_a", NOW)]),
    )
    .await;
    assert_eq!(
        (s, out["error"]["code"].as_str()),
        (400, Some("invalid_events"))
    );
    let big = vec![b'x'; 40_000];
    let req = api_request("POST", "/v1/events", None, &[], Some(&big));
    assert_eq!(call(&c, req).await.0, 413);
    assert_eq!(c.beacons.messages().len(), 1);
    // Preflight, from an allowed origin and another.
    let pre = api_request(
        "OPTIONS",
        "/v1/events",
        None,
        &[("origin", "https://shop.example")],
        None,
    );
    let (s, _, resp) = call(&c, pre).await;
    assert_eq!(s, 204);
    assert!(
        resp.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("POST")
    );
    let evil = api_request(
        "OPTIONS",
        "/v1/events",
        None,
        &[("origin", "https://evil.example")],
        None,
    );
    assert!(
        call(&c, evil)
            .await
            .2
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn ten_thousand_beacons_write_once_per_distinct_key_and_duplicates_count_once() {
    let c = collector(Model::LastTouch);
    // 200 messages of 50 events: 50 sessions, 20 items, 2 placements; every 10th event resent.
    let mut bodies = Vec::new();
    let mut n = 0;
    for m in 0..200 {
        let mut events = Vec::new();
        for k in 0..50 {
            let i = m * 50 + k;
            let kind = ["impression", "view", "product_click", "add_to_cart"][i % 4];
            let mut b = beacon(
                &format!("evt_{i:06}"),
                kind,
                &format!("s_{}", i % 50),
                &format!("ugc_{}", i % 20),
                NOW,
            );
            b["placement"] = json!(if (i / 20) % 2 == 0 { "pdp" } else { "home" });
            events.push(b);
            n += 1;
        }
        let parsed = parse_batch(
            &serde_json::to_vec(&json!({ "events": events })).unwrap(),
            NOW,
        )
        .unwrap();
        bodies.push(
            serde_json::to_string(&BeaconMessage {
                received_at: NOW,
                events: parsed,
            })
            .unwrap(),
        );
    }
    // Resend a tenth of the messages (a client retry): nothing is counted twice.
    for m in (0..200).step_by(10) {
        bodies.push(bodies[m].clone());
    }
    assert_eq!(n, 10_000);
    let out = c.handle_sqs(sqs(bodies)).await.unwrap();
    assert!(out.batch_item_failures.is_empty());
    let rows = rows_of(&c, "2026-11-26").await;
    let counted: i64 = rows
        .iter()
        .map(|r| {
            r.counters.impressions + r.counters.views + r.counters.clicks + r.counters.add_to_carts
        })
        .sum();
    assert_eq!(counted, 10_000);
    let keys = rows.len() as u64;
    assert_eq!(keys, 40);
    // Writes: one transaction per aggregate key, its row and its content's total together (so a
    // retry after a partial failure counts nothing twice).
    let writes = c.analytics.writes();
    assert_eq!(writes, 2 * keys);
    println!(
        "10,000 beacons (+1,000 resent) → {writes} counter writes for {keys} distinct keys (ratio {:.2})",
        writes as f64 / keys as f64
    );
    // The raw events are kept.
    assert_eq!(c.raw.keys().len(), 1);
}

#[tokio::test]
async fn a_failed_count_is_forgotten_and_counted_by_the_retry() {
    let c = collector(Model::LastTouch);
    let parsed = parse_batch(
        &serde_json::to_vec(&json!({"events": [beacon("evt_00009", "view", "s_9", "ugc_z", NOW)]}))
            .unwrap(),
        NOW,
    )
    .unwrap();
    let body = serde_json::to_string(&BeaconMessage {
        received_at: NOW,
        events: parsed,
    })
    .unwrap();
    c.analytics.fail_adds(true);
    let out = c.handle_sqs(sqs(vec![body.clone()])).await.unwrap();
    assert_eq!(out.batch_item_failures.len(), 1);
    c.analytics.fail_adds(false);
    let out = c.handle_sqs(sqs(vec![body])).await.unwrap();
    assert!(out.batch_item_failures.is_empty());
    let rows = rows_of(&c, "2026-11-26").await;
    assert_eq!(rows[0].counters.views, 1);
}

/// Some aggregates added, one not: the retry counts only the events of the one that was not —
/// the others are not counted twice.
#[tokio::test]
async fn a_partly_added_batch_is_retried_without_counting_twice() {
    let c = collector(Model::LastTouch);
    let parsed = parse_batch(
        &serde_json::to_vec(&json!({"events": [
            beacon("evt_00101", "view", "s_p", "ugc_a", NOW),
            beacon("evt_00102", "view", "s_p", "ugc_b", NOW),
            beacon("evt_00103", "view", "s_q", "ugc_b", NOW),
        ]}))
        .unwrap(),
        NOW,
    )
    .unwrap();
    let body = serde_json::to_string(&BeaconMessage {
        received_at: NOW,
        events: parsed,
    })
    .unwrap();
    c.analytics.fail_adds_for(Some("ugc_b"));
    let out = c.handle_sqs(sqs(vec![body.clone()])).await.unwrap();
    assert_eq!(out.batch_item_failures.len(), 1);
    c.analytics.fail_adds_for(None);
    let out = c.handle_sqs(sqs(vec![body])).await.unwrap();
    assert!(out.batch_item_failures.is_empty());
    let views = |ugc: &str, rows: &[reelcart_domain::attribution::AggRow]| {
        rows.iter()
            .filter(|r| r.key.ugc_id == ugc)
            .map(|r| r.counters.views)
            .sum::<i64>()
    };
    let rows = rows_of(&c, "2026-11-26").await;
    assert_eq!((views("ugc_a", &rows), views("ugc_b", &rows)), (1, 2));
    let totals = c
        .analytics
        .totals(&["ugc_a".into(), "ugc_b".into()])
        .await
        .unwrap();
    assert_eq!((totals["ugc_a"].views, totals["ugc_b"].views), (1, 2));
}

#[tokio::test]
async fn orders_credit_the_sessions_last_touch_and_refunds_reverse_it() {
    let c = collector(Model::LastTouch);
    let events = vec![
        beacon("evt_10001", "impression", "s_buyer", "ugc_a", NOW - 900),
        beacon("evt_10002", "view", "s_buyer", "ugc_a", NOW - 880),
        beacon("evt_10003", "product_click", "s_buyer", "ugc_b", NOW - 600),
        beacon("evt_10004", "view", "s_other", "ugc_c", NOW - 60),
    ];
    let parsed = parse_batch(
        &serde_json::to_vec(&json!({ "events": events })).unwrap(),
        NOW,
    )
    .unwrap();
    let msg = serde_json::to_string(&BeaconMessage {
        received_at: NOW,
        events: parsed,
    })
    .unwrap();
    let order = shopify_order(1001, "s_buyer", "59.98", &[]);
    let out = c
        .handle_sqs(sqs(vec![msg, order_event("orders/create", order.clone())]))
        .await
        .unwrap();
    assert!(out.batch_item_failures.is_empty());
    // orders/updated for the same order: credited once.
    c.handle_sqs(sqs(vec![order_event("orders/updated", order)]))
        .await
        .unwrap();
    let rows = rows_of(&c, "2026-11-26").await;
    let f = funnel(&rows, By::Content);
    let b = f.iter().find(|r| r.key == "ugc_b").unwrap();
    assert_eq!(
        (b.orders, b.revenue.as_deref().unwrap_or("")),
        (1.0, "59.98")
    );
    let a = f.iter().find(|r| r.key == "ugc_a").unwrap();
    assert_eq!((a.impressions, a.views, a.orders), (1, 1, 0.0));
    let creators = funnel(&rows, By::Creator);
    assert_eq!(creators[0].key, "cr_ugc_b");

    // A partial refund, then a cancellation: back to nothing.
    let refund = json!({"id": 77, "order_id": 1001, "transactions": [{"kind": "refund", "status": "success", "amount": "20.00"}]});
    c.handle_sqs(sqs(vec![order_event("refunds/create", refund.clone())]))
        .await
        .unwrap();
    c.handle_sqs(sqs(vec![order_event("refunds/create", refund)]))
        .await
        .unwrap();
    let rows = rows_of(&c, "2026-11-26").await;
    let b = funnel(&rows, By::Content)
        .into_iter()
        .find(|r| r.key == "ugc_b")
        .unwrap();
    assert_eq!(
        (b.orders, b.revenue.as_deref().unwrap_or("")),
        (1.0, "39.98")
    );
    let cancel = shopify_order(1001, "s_buyer", "59.98", &[]);
    c.handle_sqs(sqs(vec![order_event("orders/cancelled", cancel)]))
        .await
        .unwrap();
    let rows = rows_of(&c, "2026-11-26").await;
    let b = funnel(&rows, By::Content)
        .into_iter()
        .find(|r| r.key == "ugc_b")
        .unwrap();
    assert_eq!(
        (b.orders, b.revenue.as_deref().unwrap_or("")),
        (0.0, "0.00")
    );
}

#[tokio::test]
async fn a_creator_code_credits_a_creator_and_no_token_credits_nothing_else() {
    let c = collector(Model::Linear);
    add_code(&c, "MAYA10", "cr_maya", Some("fall")).await;
    c.handle_sqs(sqs(vec![
        order_event(
            "orders/create",
            shopify_order(2001, "s_nobody", "10.00", &["maya10"]),
        ),
        order_event(
            "orders/create",
            shopify_order(2002, "s_nobody", "10.00", &[]),
        ),
    ]))
    .await
    .unwrap();
    let rows = rows_of(&c, "2026-11-26").await;
    let by_creator = funnel(&rows, By::Creator);
    assert_eq!(by_creator.len(), 1);
    assert_eq!(
        (
            by_creator[0].key.as_str(),
            by_creator[0].revenue.as_deref().unwrap_or("")
        ),
        ("cr_maya", "10.00")
    );
    assert_eq!(funnel(&rows, By::Campaign)[0].key, "fall");
}

#[tokio::test]
async fn the_funnel_is_for_admins_as_json_or_csv() {
    let c = collector(Model::LastTouch);
    let parsed = parse_batch(
        &serde_json::to_vec(&json!({"events": [
        beacon("evt_20001", "impression", "s_1", "ugc_a", NOW),
        beacon("evt_20002", "view", "s_1", "ugc_a", NOW),
        beacon("evt_20003", "product_click", "s_1", "ugc_a", NOW)]}))
        .unwrap(),
        NOW,
    )
    .unwrap();
    c.count(parsed).await.unwrap();
    let uri = "/v1/analytics/funnel?from=2026-11-20&to=2026-11-26&by=content";
    assert_eq!(
        call(&c, api_request("GET", uri, None, &[], None)).await.0,
        401
    );
    assert_eq!(
        call(
            &c,
            api_request("GET", uri, Some(("m", "[moderator]")), &[], None)
        )
        .await
        .0,
        403
    );
    let (s, out, _) = call(
        &c,
        api_request("GET", uri, Some(("a", "[admin]")), &[], None),
    )
    .await;
    assert_eq!(s, 200, "{out}");
    let row = &out["rows"][0];
    assert_eq!(
        (
            row["impressions"].as_i64(),
            row["views"].as_i64(),
            row["product_clicks"].as_i64()
        ),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(row["view_rate"], 1.0);
    let csv_uri = format!("{uri}&format=csv");
    let resp = c
        .handle_http(api_request(
            "GET",
            &csv_uri,
            Some(("a", "[admin]")),
            &[],
            None,
        ))
        .await;
    assert_eq!(resp.headers()["content-type"], "text/csv; charset=utf-8");
    let body = String::from_utf8(resp.body().to_vec()).unwrap();
    assert!(body.starts_with("content,impressions,views,product_clicks"));
    assert!(
        body.contains("\r\nugc_a,1,1,1,0,0,0.00,0.00,0.00,,1,1,0,,0\r\n"),
        "{body}"
    );
    // A range over 92 days is refused on its meaning; what is not a date or a format, by schema.
    for (bad, status) in [
        ("from=2026-01-01&to=2026-12-31", 422),
        ("from=2026-02-30", 400),
        ("format=xml", 400),
    ] {
        let path = format!("/v1/analytics/funnel?{bad}");
        assert_eq!(
            call(
                &c,
                api_request("GET", &path, Some(("a", "[admin]")), &[], None)
            )
            .await
            .0,
            status,
            "{bad}"
        );
    }
}

#[tokio::test]
async fn the_sample_events_are_taken_as_the_function_url_and_the_queues_deliver_them() {
    let c = collector(Model::LastTouch);
    let beacons: Value = serde_json::from_str(include_str!(
        "../../../events/attribution-collector/beacons.json"
    ))
    .unwrap();
    let req = reelcart_lambda::http::request_from_apigw_v2(beacons).unwrap();
    let (s, out, _) = call(&c, req).await;
    assert_eq!((s, out["accepted"].as_u64()), (202, Some(4)), "{out}");
    // The sample's content: published, by Maya.
    let mut video = item("ugc_4f1c2b3a4d5e6f708192", Status::Published);
    video.author.creator_id = Some("cr_maya".into());
    c.content.create_item(&video).await.unwrap();
    let batch: SqsEvent = serde_json::from_str(include_str!(
        "../../../events/attribution-collector/sqs-batch.json"
    ))
    .unwrap();
    let out = c.handle_sqs(batch).await.unwrap();
    assert!(out.batch_item_failures.is_empty());
    let rows = rows_of(&c, "2025-11-26").await;
    let by_creator = funnel(&rows, By::Creator);
    assert_eq!(by_creator[0].key, "cr_maya");
    assert_eq!(
        (
            by_creator[0].orders,
            by_creator[0].revenue.as_deref().unwrap_or("")
        ),
        (1.0, "59.98")
    );
    let funnel_req: Value = serde_json::from_str(include_str!(
        "../../../events/attribution-collector/funnel.json"
    ))
    .unwrap();
    let (s, out, _) = call(
        &c,
        reelcart_lambda::http::request_from_apigw_v2(funnel_req).unwrap(),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(out["rows"][0]["key"], "cr_maya");
}

#[tokio::test]
async fn a_signed_link_redirects_with_a_token_whose_order_credits_the_creator() {
    let c = collector(Model::LastTouch);
    let link = reelcart_domain::creator::Link {
        id: "Lk0123456Z".into(),
        creator_id: "cr_maya".into(),
        sku: "TEE-1".into(),
        target: "https://shop.example/products/tee".into(),
        campaign: Some("fall".into()),
        created_at: NOW,
    };
    c.links.put_link(&link).await.unwrap();
    let code =
        reelcart_domain::creator::sign_code(&c.config.link_keys.keys()[0], &link.id).unwrap();
    let resp = c
        .handle_http(api_request("GET", &format!("/r/{code}"), None, &[], None))
        .await;
    assert_eq!(resp.status(), 302);
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("https://shop.example/products/tee?utm_source=reelcart&utm_medium=creator&utm_content=cr_maya&utm_campaign=fall&rc_token=rc1."));
    let token = location.rsplit_once("rc_token=").unwrap().1.to_string();
    // The link's session token is one Reelcart signed.
    assert!(reelcart_domain::creator::verify_session(
        &c.config.link_keys.keys(),
        &token
    ));
    // A tampered code, an unknown one: 404, nothing recorded.
    let mut bad = code.clone();
    let last = bad.pop().unwrap();
    bad.push(if last == '0' { '1' } else { '0' });
    for path in [format!("/r/{bad}"), "/r/nothing".to_string()] {
        let r = c
            .handle_http(api_request("GET", &path, None, &[], None))
            .await;
        assert_eq!(r.status(), 404, "{path}");
    }
    // The shopper buys with that token in the cart: the creator is credited, on the link.
    c.handle_sqs(sqs(vec![order_event(
        "orders/create",
        order_with_token(3001, &token, "42.00", &[]),
    )]))
    .await
    .unwrap();
    let rows = rows_of(&c, "2026-11-26").await;
    let by_creator = funnel(&rows, By::Creator);
    assert_eq!(by_creator.len(), 1);
    let maya = &by_creator[0];
    assert_eq!(
        (
            maya.key.as_str(),
            maya.product_clicks,
            maya.orders,
            maya.revenue.as_deref().unwrap_or("")
        ),
        ("cr_maya", 1, 1.0, "42.00")
    );
    assert_eq!(funnel(&rows, By::Placement)[0].key, "link");
}

#[tokio::test]
async fn queue_messages_are_typed_and_malformed_ones_go_to_the_dead_letter_queue() {
    let c = collector(Model::LastTouch);
    let events = parse_batch(
        &serde_json::to_vec(
            &json!({ "events": [beacon("evt_q00001", "view", "s_q", "ugc_q", NOW)] }),
        )
        .unwrap(),
        NOW,
    )
    .unwrap();
    let good = serde_json::to_string(&BeaconMessage {
        received_at: NOW,
        events,
    })
    .unwrap();
    let out = c
        .handle_sqs(sqs(vec![
            good,
            "not json".into(),
            // A beacon message whose events are not events, and an order event without its id:
            // neither is one of the two messages.
            json!({"received_at": NOW, "events": [{"kind": "view"}]}).to_string(),
            json!({"kind": "order_created", "platform": "shopify"}).to_string(),
        ]))
        .await
        .unwrap();
    let mut failed: Vec<String> = out
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect();
    failed.sort();
    assert_eq!(
        failed,
        ["m1", "m2", "m3"],
        "reported, so the redrive moves them to the DLQ"
    );
    assert!(serde_json::from_str::<QueueMessage>("{}").is_err());
}

/// Sum of the four beacon counters.
fn seen(c: &reelcart_domain::attribution::Counters) -> i64 {
    c.impressions + c.views + c.clicks + c.add_to_carts
}

#[tokio::test]
async fn a_beacon_credits_its_contents_creator_only_when_published_and_only_today() {
    let c = collector(Model::LastTouch);
    for (id, status) in [
        ("ugc_queued", Status::Queued),
        ("ugc_gone", Status::Rejected),
    ] {
        c.content.create_item(&item(id, status)).await.unwrap();
    }
    let mut forged = beacon("evt_20001", "view", "s_1", "ugc_a", NOW);
    forged["creator_id"] = json!("cr_mallory");
    forged["platform"] = json!("tiktok");
    forged["campaign"] = json!("mallory_campaign");
    // Dated tomorrow, to open tomorrow's row before anyone else.
    let tomorrow = beacon("evt_20002", "product_click", "s_1", "ugc_b", NOW + 86_400);
    let events: Vec<Value> = vec![
        forged,
        tomorrow,
        beacon("evt_20003", "view", "s_1", "ugc_queued", NOW),
        beacon("evt_20004", "view", "s_1", "ugc_gone", NOW),
        beacon("evt_20005", "view", "s_1", "ugc_nowhere", NOW),
    ];
    let parsed = parse_batch(
        &serde_json::to_vec(&json!({ "events": events })).unwrap(),
        NOW,
    )
    .unwrap();
    let report = c.count(parsed).await.unwrap();
    assert_eq!(
        (report.events, report.counted, report.unpublished),
        (5, 2, 3)
    );
    let today = rows_of(&c, "2026-11-26").await;
    let tomorrow = rows_of(&c, "2026-11-27").await;
    assert!(tomorrow.is_empty(), "{tomorrow:?}");
    let mut rows: Vec<_> = today
        .iter()
        .map(|r| {
            (
                r.key.ugc_id.as_str(),
                r.creator_id.as_deref(),
                r.platform.as_deref(),
                r.key.campaign.as_str(),
                seen(&r.counters),
            )
        })
        .collect();
    rows.sort();
    assert_eq!(
        rows,
        [
            ("ugc_a", Some("cr_ugc_a"), Some("instagram_mention"), "", 1),
            ("ugc_b", Some("cr_ugc_b"), Some("instagram_mention"), "", 1),
        ]
    );
    // The touches a later order is credited from are the resolved ones too.
    let touches = c.analytics.touches(&session("s_1"), NOW).await.unwrap();
    assert!(
        touches
            .iter()
            .all(|t| t.creator_id.as_deref() != Some("cr_mallory")),
        "{touches:?}"
    );
    assert_eq!(touches.len(), 2);
}

#[tokio::test]
async fn creators_selling_on_the_same_day_never_share_a_row() {
    let c = collector(Model::LastTouch);
    for (code, creator) in [("ANA10", "cr_ana"), ("BEN10", "cr_ben")] {
        add_code(&c, code, creator, None).await;
    }
    c.handle_sqs(sqs(vec![
        order_event(
            "orders/create",
            shopify_order(3001, "s_x", "30.00", &["ana10"]),
        ),
        order_event(
            "orders/create",
            shopify_order(3002, "s_y", "50.00", &["BEN10"]),
        ),
        order_event(
            "orders/create",
            shopify_order(3003, "s_z", "20.00", &["ANA10"]),
        ),
    ]))
    .await
    .unwrap();
    let rows = rows_of(&c, "2026-11-26").await;
    let mut per_row: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.key.creator.as_str(),
                r.creator_id.as_deref(),
                r.counters.revenue_cents,
            )
        })
        .collect();
    per_row.sort();
    // One row each, same day, placement and (no) campaign: each creator's own sales.
    assert_eq!(
        per_row,
        [
            ("cr_ana", Some("cr_ana"), 5_000),
            ("cr_ben", Some("cr_ben"), 5_000)
        ]
    );
}

#[tokio::test]
async fn only_a_session_reelcart_signed_keeps_touches_and_credits_an_order() {
    let c = collector(Model::LastTouch);
    // The widget's session: issued here, with CORS for the storefront.
    let req = api_request(
        "POST",
        "/v1/sessions",
        None,
        &[("origin", "https://shop.example")],
        None,
    );
    let (s, out, resp) = call(&c, req).await;
    assert_eq!(s, 201);
    let issued = out["token"].as_str().unwrap().to_string();
    assert!(reelcart_domain::creator::verify_session(
        &c.config.link_keys.keys(),
        &issued
    ));
    assert_eq!(resp.headers()["cache-control"], "no-store");
    assert_eq!(
        resp.headers()["access-control-allow-origin"],
        "https://shop.example"
    );
    // A made-up session id and a forged signature watch and click like a signed one.
    let made_up = "rc_0f8fad5bd9cb469fa16570867728950e".to_string();
    let (head, _) = issued.rsplit_once('.').unwrap();
    let forged = format!("{head}.{}", "A".repeat(22));
    let mut events = Vec::new();
    for (n, token) in [&issued, &made_up, &forged].into_iter().enumerate() {
        let mut b = beacon(
            &format!("evt_3000{n}"),
            "product_click",
            "s_x",
            "ugc_a",
            NOW - 60,
        );
        b["session_id"] = json!(token);
        events.push(b);
    }
    let parsed = parse_batch(
        &serde_json::to_vec(&json!({ "events": events })).unwrap(),
        NOW,
    )
    .unwrap();
    let report = c.count(parsed).await.unwrap();
    assert_eq!(report.counted, 3, "all three are seen in the funnel");
    assert_eq!(c.analytics.touches(&issued, NOW).await.unwrap().len(), 1);
    assert!(c.analytics.touches(&made_up, NOW).await.unwrap().is_empty());
    assert!(c.analytics.touches(&forged, NOW).await.unwrap().is_empty());
    // Orders: only the signed token's is credited.
    c.handle_sqs(sqs(vec![
        order_event(
            "orders/create",
            order_with_token(4001, &issued, "20.00", &[]),
        ),
        order_event(
            "orders/create",
            order_with_token(4002, &made_up, "30.00", &[]),
        ),
        order_event(
            "orders/create",
            order_with_token(4003, &forged, "40.00", &[]),
        ),
    ]))
    .await
    .unwrap();
    let rows = rows_of(&c, "2026-11-26").await;
    let revenue: i64 = rows.iter().map(|r| r.counters.revenue_cents).sum();
    assert_eq!(revenue, 2_000);
    assert!(
        c.analytics
            .ledger("shopify:4002")
            .await
            .unwrap()
            .unwrap()
            .0
            .credits
            .is_empty()
    );
    assert!(
        c.analytics
            .ledger("shopify:4003")
            .await
            .unwrap()
            .unwrap()
            .0
            .credits
            .is_empty()
    );
}

mod lines;

mod tiktok_shop;
