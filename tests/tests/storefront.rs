//! The storefront loop on the local stack, in a real browser: transcoded videos in the demo
//! product page's feed (Debian's Chromium through playwright-core), a swipe, a product click and an
//! add to cart; the funnel API then shows the impressions, views and clicks; a signed Shopify
//! order carrying the cart's token credits that content and its creator; a refund takes it back.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sdk_s3::primitives::ByteStream;
use reelcart_aws::{DynamoCatalog, DynamoContent, DynamoMediaRecords};
use reelcart_domain::content::{
    Author, Channel, Consent, MediaType, ProductMapping, Rights, Source, Status, UgcItem,
};
use reelcart_domain::video::{MediaStatus, TranscodeRequest};
use reelcart_e2e::*;
use reelcart_media::samples::{Sample, generate};
use reelcart_ports::{CatalogStore, MediaRecords};
use reelcart_ports::{ItemStore, MappingStore, RightsStore};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn web_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../web")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_plays_in_a_browser_and_an_order_credits_what_was_touched() {
    let web = web_dir();
    assert!(
        web.join("dist/reelcart-feed.min.js").exists()
            && web.join("node_modules/playwright-core").exists(),
        "the widget is not built: run `make web` (npm ci + build in web/)"
    );
    let stack = start_stack().await;
    let http = reqwest::Client::new();
    let dynamo = aws_sdk_dynamodb::Client::new(&stack.emulator.sdk);
    let content = DynamoContent::new(dynamo.clone(), stack.physical("ContentTable").unwrap());
    let media = DynamoMediaRecords::new(dynamo.clone(), stack.physical("ContentTable").unwrap());
    let catalog = DynamoCatalog::new(dynamo, stack.physical("CatalogTable").unwrap());
    let base = stack.url();
    catalog
        .put_products(&[
            reelcart_local::seed::catalog_product(1, &stack.sim_url),
            reelcart_local::seed::catalog_product(2, &stack.sim_url),
        ])
        .await
        .unwrap();
    let sku = "TEE-00001";

    // Two creators' videos, transcoded by the stack's transcoder.
    let s3 = reelcart_aws::s3_client(&stack.emulator.sdk, true);
    let raw = stack.physical("RawMediaBucket").unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let now = now();
    let mut ids = Vec::new();
    for (n, creator) in ["cr_ana", "cr_ben"].iter().enumerate() {
        let clip = dir.path().join(format!("c{n}.mp4"));
        generate(Path::new("ffmpeg"), Sample::new(720, 1280, 8.0), &clip)
            .await
            .unwrap();
        let mut item = UgcItem::new(
            Source::Upload,
            &format!("{creator}/up{n}"),
            MediaType::Video,
            &format!("My everyday tee, take {n}"),
            now - 100 + n as i64,
        );
        item.author = Author {
            handle: Some(creator.trim_start_matches("cr_").into()),
            creator_id: Some((*creator).into()),
        };
        item.status = Status::Published;
        let key = format!("uploads/{creator}/up{n}.mp4");
        s3.put_object()
            .bucket(&raw)
            .key(&key)
            .content_type("video/mp4")
            .body(ByteStream::from_path(&clip).await.unwrap())
            .send()
            .await
            .unwrap();
        stack
            .clients
            .sqs
            .send_message()
            .queue_url(stack.physical("TranscodeQueue").unwrap())
            .message_body(
                serde_json::to_string(&TranscodeRequest {
                    item_id: item.id.clone(),
                    bucket: raw.clone(),
                    key,
                })
                .unwrap(),
            )
            .send()
            .await
            .unwrap();
        assert!(content.create_item(&item).await.unwrap());
        content
            .put_rights(&Rights {
                id: format!("r{n}"),
                item_id: item.id.clone(),
                license: "creator portal terms".into(),
                channels: [Channel::Site].into(),
                starts_at: now - 100,
                expires_at: None,
                revoked_at: None,
                consent: Consent::PortalTerms {
                    creator_id: (*creator).into(),
                    terms_version: "1".into(),
                    accepted_at: now - 100,
                },
                artifact_key: "consent/test".into(),
            })
            .await
            .unwrap();
        for placement in ["pdp", "collection:summer"] {
            content
                .put_mapping(
                    &item.id,
                    &ProductMapping {
                        sku: sku.into(),
                        placement: placement.into(),
                        confidence: 1.0,
                        // The first is pinned: the order in the feed is known.
                        pinned: n == 0,
                    },
                )
                .await
                .unwrap();
        }
        ids.push(item.id);
    }
    for id in &ids {
        eventually(Duration::from_secs(120), "transcoded", || {
            let media = media.clone();
            let id = id.clone();
            async move {
                media
                    .get(&id)
                    .await
                    .unwrap()
                    .filter(|r| r.status == MediaStatus::Transcoded)
            }
        })
        .await;
    }
    let feed: Value = http
        .get(format!("{base}/v1/feed?placement=pdp&sku={sku}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(feed["items"].as_array().unwrap().len(), 2, "{feed}");

    // The browser.
    let shots = web.join("test-results/storefront");
    let run = tokio::process::Command::new("node")
        .arg(web.join("tests/storefront.mjs"))
        .arg(&base)
        .arg(sku)
        .arg(&shots)
        .output()
        .await
        .expect("node runs (make tools installs it)");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "storefront.mjs failed: {stderr}");
    let out: Value = serde_json::from_slice(
        run.stdout
            .split(|b| *b == b'\n')
            .rfind(|l| l.starts_with(b"{"))
            .unwrap(),
    )
    .unwrap();
    println!("browser: {out}");
    // hls.js is fetched only where the browser has no native HLS, and plays there.
    assert_eq!(out["hls_js"], !out["native_hls"].as_bool().unwrap());
    if out["native_hls"] == true {
        assert_eq!(out["hls_js_requests_with_native"], 0);
    }
    assert_eq!(out["hls_js_loaded"], 1, "{out}");
    assert!(out["hls_js_first_frame_ms"].as_u64().is_some());
    assert_eq!(
        out["active_item"],
        ids[1].as_str(),
        "the swipe moved to the second video"
    );
    assert_eq!(out["cart"][0]["sku"], sku);
    // The page's largest paint is its own content, never the widget's posters or videos.
    let lcp = out["lcp"].as_str().unwrap_or_default();
    assert!(
        !lcp.contains("/_local/cdn/") && !lcp.starts_with("REELCART"),
        "LCP: {lcp}"
    );
    let token = out["token"].as_str().unwrap().to_string();
    for shot in out["screenshots"].as_array().unwrap() {
        assert!(Path::new(shot.as_str().unwrap()).exists());
    }

    // The funnel: the impression, view and clicks, counted from the beacons.
    let admin = stack.token("admin-1", &["admin"]).unwrap();
    let today = reelcart_domain::attribution::day_of(now);
    let funnel = |by: &'static str| {
        let http = http.clone();
        let admin = admin.clone();
        let url = format!("{base}/v1/analytics/funnel?from={today}&to={today}&by={by}");
        async move {
            let v: Value = http
                .get(url)
                .bearer_auth(admin)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["rows"].as_array().cloned().unwrap_or_default()
        }
    };
    let row_of = |rows: &[Value], key: &str| rows.iter().find(|r| r["key"] == key).cloned();
    let first = eventually(Duration::from_secs(30), "beacons counted", || {
        let f = funnel("content");
        let id = ids[0].clone();
        async move {
            let rows = f.await;
            row_of(&rows, &id)
                .filter(|r| r["impressions"].as_i64() >= Some(1) && r["views"].as_i64() >= Some(1))
        }
    })
    .await;
    println!("first video: {first}");
    let second = eventually(Duration::from_secs(30), "clicks counted", || {
        let f = funnel("content");
        let id = ids[1].clone();
        async move {
            let rows = f.await;
            row_of(&rows, &id).filter(|r| {
                r["product_clicks"].as_i64() >= Some(1) && r["add_to_carts"].as_i64() >= Some(1)
            })
        }
    })
    .await;
    assert_eq!(second["orders"], 0.0);

    // A verified Shopify order with the cart's token: credited to the second video and its creator.
    let order = json!({"id": 9_100_001u64, "created_at": reelcart_e2e::rfc3339(reelcart_e2e::now() + 1), "total_price": "29.99", "currency": "USD",
        "note_attributes": [{"name": "reelcart_token", "value": token}],
        "line_items": [{"sku": sku, "quantity": 1, "price": "29.99"}]})
    .to_string();
    let d = reelcart_local::simulator::shopify(
        reelcart_local::seed::DEMO_SHOPIFY_WEBHOOK_SECRET,
        "reelcart-demo.myshopify.com",
        "orders/create",
        "evt-order-9100001",
        &order,
    );
    assert_eq!(post(&http, &stack, &d).await.0, 200);
    let credited = eventually(Duration::from_secs(30), "the order credited", || {
        let f = funnel("creator");
        async move {
            let rows = f.await;
            row_of(&rows, "cr_ben").filter(|r| r["orders"] == 1.0)
        }
    })
    .await;
    assert_eq!(credited["revenue"], "29.99");
    let by_content = funnel("content").await;
    assert_eq!(row_of(&by_content, &ids[1]).unwrap()["revenue"], "29.99");
    assert_eq!(row_of(&by_content, &ids[0]).unwrap()["orders"], 0.0);

    // The refund takes it back.
    let refund = json!({"id": 5_500_001u64, "order_id": 9_100_001u64,
        "transactions": [{"kind": "refund", "status": "success", "amount": "29.99"}]})
    .to_string();
    let d = reelcart_local::simulator::shopify(
        reelcart_local::seed::DEMO_SHOPIFY_WEBHOOK_SECRET,
        "reelcart-demo.myshopify.com",
        "refunds/create",
        "evt-refund-5500001",
        &refund,
    );
    assert_eq!(post(&http, &stack, &d).await.0, 200);
    eventually(Duration::from_secs(30), "the refund reversed", || {
        let f = funnel("creator");
        async move {
            let rows = f.await;
            row_of(&rows, "cr_ben").filter(|r| r["orders"] == 0.0 && r["revenue"] == "0.00")
        }
    })
    .await;
    println!(
        "time to first frame {} ms, next video {} ms after the swipe",
        out["first_frame_ms"], out["swipe_ms"]
    );
}
