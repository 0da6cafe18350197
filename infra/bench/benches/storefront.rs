//! The storefront's hot paths, each beside a baseline measured in the same run:
//! - beacons: checking a 50-event batch and summing it into aggregates (what the collector does
//!   per request and per queue batch), next to merely parsing the same body into `serde_json::Value`;
//! - beacon ingest: the collector counting 10,000 beacons (200 queue messages, 50 sessions, 20
//!   published items, 40 aggregate keys, every event's content resolved and each touch's products
//!   read) with in-memory stores, next to the bare check + dedupe + aggregate of the same events
//!   (what counting cost before beacons were resolved server-side). The counter writes per 1,000
//!   beacons are printed.
//! - the feed: answering `GET /v1/feed?placement=home&limit=10` from a warm snapshot of 200
//!   published items (ordering, products, JSON, ETag), next to serializing the same page alone.
//!   The response size is printed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use feed_api::{Config, FeedApi};
use reelcart_domain::FixedClock;
use reelcart_domain::attribution::{aggregate, dedupe, parse_batch};
use reelcart_domain::catalog::Product;
use reelcart_domain::content::{
    Channel, Consent, MediaType, ProductMapping, Rights, Source, Status, UgcItem,
};
use reelcart_domain::feed::Placement;
use reelcart_domain::video::{MediaRecord, MediaStatus, SourceRef};
use reelcart_lambda::router::HttpApi;
use reelcart_ports::memory::{MemoryAnalytics, MemoryCatalog, MemoryContent, MemoryMediaRecords};
use reelcart_ports::{CatalogStore, MediaRecords};
use reelcart_ports::{ItemStore, MappingStore, RightsStore};
use serde_json::json;
use std::hint::black_box;
use std::sync::Arc;

const NOW: i64 = 1_795_676_400;

fn batch() -> Vec<u8> {
    let events: Vec<_> = (0..50)
        .map(|i| {
            let kind = ["impression", "view", "product_click", "add_to_cart"][i % 4];
            json!({"event_id": format!("evt_{i:08}"), "type": kind, "session_id": format!("rc_{:032}", i % 3),
                "ugc_id": format!("ugc_{:020}", i % 10), "creator_id": "cr_ana", "platform": "instagram",
                "placement": "pdp", "campaign": "fall", "sku": "TEE-00001", "ts": NOW * 1000})
        })
        .collect();
    serde_json::to_vec(&json!({ "events": events })).unwrap()
}

fn beacons(c: &mut Criterion) {
    let body = batch();
    println!("beacon batch: 50 events, {} bytes", body.len());
    let mut g = c.benchmark_group("beacons");
    g.throughput(Throughput::Elements(50));
    g.bench_function("baseline: serde_json::Value parse", |b| {
        b.iter(|| black_box(serde_json::from_slice::<serde_json::Value>(black_box(&body)).unwrap()))
    });
    g.bench_function("check + dedupe + aggregate", |b| {
        b.iter(|| {
            let events = dedupe(parse_batch(black_box(&body), NOW).unwrap());
            black_box(aggregate(&events))
        })
    });
    g.finish();
}

/// A collector whose content store holds the 20 published items the beacons name.
async fn collector() -> attribution_collector::Collector<
    MemoryAnalytics,
    reelcart_ports::memory::MemoryQueue,
    reelcart_ports::memory::MemoryBlobs,
    reelcart_ports::memory::MemoryCreators,
    MemoryContent,
    MemoryCatalog,
> {
    use reelcart_domain::attribution::{Model, Windows};
    let content = MemoryContent::default();
    for i in 0..20 {
        let mut item = UgcItem::new(
            Source::Upload,
            &format!("u{i}"),
            MediaType::Video,
            "",
            NOW - 86_400,
        );
        item.id = format!("ugc_{i}");
        item.author.creator_id = Some(format!("cr_{i}"));
        item.status = Status::Published;
        content.create_item(&item).await.unwrap();
        content
            .put_mapping(
                &item.id,
                &ProductMapping {
                    sku: format!("SKU-{i}"),
                    placement: "pdp".into(),
                    confidence: 1.0,
                    pinned: true,
                },
            )
            .await
            .unwrap();
    }
    attribution_collector::Collector {
        analytics: MemoryAnalytics::default(),
        content,
        links: Default::default(),
        beacons: Default::default(),
        conversions: None,
        shop_orders: None,
        raw: Default::default(),
        catalog: MemoryCatalog::default(),
        config: attribution_collector::Config {
            cors: reelcart_lambda::http::Cors::parse("*"),
            windows: Windows::default(),
            model: Model::LastTouch,
            link_keys: std::sync::Arc::new(reelcart_lambda::keyring::KeyRing::fixed(vec![
                secrecy::SecretString::from(LINK_KEY.to_string()),
            ])),
        },
        clock: Arc::new(FixedClock::at(NOW)),
    }
}

const LINK_KEY: &str = "a-link-signing-key-of-enough-length!!";

/// 10,000 checked events: 50 signed sessions, 20 items, 2 placements (40 keys).
fn ten_thousand() -> Vec<reelcart_domain::attribution::Event> {
    let key = secrecy::SecretString::from(LINK_KEY.to_string());
    let sessions: Vec<String> = (0..50)
        .map(|s| reelcart_domain::creator::session_token(&key, &format!("{s:0>16}")).unwrap())
        .collect();
    let mut out = Vec::new();
    for m in 0..200 {
        let events: Vec<_> = (0..50)
            .map(|k| {
                let i = m * 50 + k;
                let kind = ["impression", "view", "product_click", "add_to_cart"][i % 4];
                json!({"event_id": format!("evt_{i:08}"), "type": kind, "session_id": sessions[i % 50],
                    "ugc_id": format!("ugc_{}", i % 20), "placement": if (i / 20) % 2 == 0 { "pdp" } else { "home" },
                    "sku": "SKU-1", "ts": NOW * 1000})
            })
            .collect();
        out.extend(
            parse_batch(
                &serde_json::to_vec(&json!({ "events": events })).unwrap(),
                NOW,
            )
            .unwrap(),
        );
    }
    out
}

fn ingest(c: &mut Criterion) {
    let events = ten_thousand();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let probe = rt.block_on(collector());
    let report = rt.block_on(probe.count(events.clone())).unwrap();
    println!(
        "beacon ingest: {} events → {} aggregate writes ({} keys) + per-content totals = {} counter writes, {:.1} per 1,000 beacons; {} sessions recorded",
        report.events,
        report.aggregate_writes,
        report.aggregate_writes,
        probe.analytics.writes(),
        probe.analytics.writes() as f64 * 1000.0 / report.events as f64,
        report.sessions
    );
    let mut g = c.benchmark_group("beacon ingest");
    g.throughput(Throughput::Elements(events.len() as u64));
    g.sample_size(20);
    g.bench_function("baseline: dedupe + aggregate (claims believed)", |b| {
        b.iter(|| black_box(aggregate(&dedupe(black_box(events.clone())))))
    });
    g.bench_function("collector count (resolved, sessions, products)", |b| {
        b.iter_batched(
            || rt.block_on(collector()),
            |c| black_box(rt.block_on(c.count(events.clone())).unwrap()),
            criterion::BatchSize::LargeInput,
        )
    });
    g.finish();
}

type Feed = FeedApi<MemoryContent, MemoryMediaRecords, MemoryCatalog, MemoryAnalytics>;

async fn seeded() -> Feed {
    let catalog = MemoryCatalog::default();
    let products: Vec<Product> = (0..20)
        .map(|i| reelcart_local::seed::catalog_product(i, "https://cdn.example"))
        .collect();
    catalog.put_products(&products).await.unwrap();
    let feed = FeedApi::new(
        MemoryContent::default(),
        MemoryMediaRecords::default(),
        catalog,
        MemoryAnalytics::default(),
        Config::default(),
        Arc::new(FixedClock::at(NOW)),
    );
    for n in 0..200 {
        let mut item = UgcItem::new(
            Source::Upload,
            &format!("u{n}"),
            MediaType::Video,
            "Wearing it every day, all summer long",
            NOW - 3600,
        );
        item.status = Status::Published;
        item.author.handle = Some(format!("creator{n}"));
        feed.content.create_item(&item).await.unwrap();
        feed.content
            .put_rights(&Rights {
                id: "r".into(),
                item_id: item.id.clone(),
                license: "l".into(),
                channels: [Channel::Site].into(),
                starts_at: 0,
                expires_at: None,
                revoked_at: None,
                consent: Consent::PortalTerms {
                    creator_id: "c".into(),
                    terms_version: "1".into(),
                    accepted_at: 0,
                },
                artifact_key: "k".into(),
            })
            .await
            .unwrap();
        for k in 0..2 {
            feed.content
                .put_mapping(
                    &item.id,
                    &ProductMapping {
                        sku: format!("TEE-{:05}", (n + k) % 20),
                        placement: "pdp".into(),
                        confidence: 1.0,
                        pinned: n % 50 == 0,
                    },
                )
                .await
                .unwrap();
        }
        let src = SourceRef {
            bucket: "b".into(),
            key: "k".into(),
            etag: "e".into(),
        };
        let mut rec = MediaRecord::attempt(&item.id, src, 1, NOW + 900, NOW);
        feed.media.begin(&rec, NOW).await.unwrap();
        rec.status = MediaStatus::Transcoded;
        let base = format!(
            "https://d111111abcdef8.cloudfront.net/media/{}/9f86d081884c7d65-v1",
            item.id
        );
        rec.manifest = Some(serde_json::from_value(json!({
            "item_id": item.id, "version": 1, "master": format!("{base}/master.m3u8"), "poster": format!("{base}/poster.jpg"),
            "preview": format!("{base}/preview.mp4"), "duration_secs": 14.2, "width": 1080, "height": 1920, "aspect_ratio": "9:16",
            "orientation": "vertical", "has_audio": true, "start_rendition": 2, "prefix": "p", "created_at": NOW,
            "renditions": [{"name": "v0", "width": 1080, "height": 1920, "bandwidth": 5000000, "average_bandwidth": 4000000,
                "codecs": "avc1.640028,mp4a.40.2", "frame_rate": 30.0, "playlist": "v0/index.m3u8"},
                {"name": "v3", "width": 360, "height": 640, "bandwidth": 700000, "average_bandwidth": 600000,
                "codecs": "avc1.64001e,mp4a.40.2", "frame_rate": 30.0, "playlist": "v3/index.m3u8"}]})).unwrap());
        feed.media.finish(&rec).await.unwrap();
    }
    feed
}

fn feed(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let feed = Arc::new(rt.block_on(seeded()));
    // As `main.rs` serves it: the router built once.
    let router = feed.clone().router();
    let serve = |req| reelcart_lambda::router::serve(router.clone(), req);
    let req = || reelcart_lambda_request("/v1/feed?placement=home&limit=10");
    let resp = rt.block_on(serve(req()));
    assert_eq!(resp.status(), 200);
    println!(
        "feed page (10 of 200 items): {} bytes",
        resp.body().as_ref().len()
    );
    let page = rt.block_on(feed.feed(&Placement::Home, None, 10)).unwrap();
    let mut g = c.benchmark_group("feed");
    g.bench_function("baseline: serialize the page", |b| {
        b.iter(|| black_box(serde_json::to_vec(black_box(&page)).unwrap()))
    });
    g.bench_function("GET /v1/feed (warm snapshot, 200 items)", |b| {
        b.iter(|| black_box(rt.block_on(serve(req()))))
    });
    g.finish();
}

fn reelcart_lambda_request(uri: &str) -> lambda_http::Request {
    use lambda_http::RequestExt;
    let query: std::collections::HashMap<String, Vec<String>> = uri
        .split_once('?')
        .map(|(_, q)| q)
        .unwrap_or_default()
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), vec![v.to_string()]))
        .collect();
    lambda_http::http::Request::builder()
        .method("GET")
        .uri(uri)
        .body(lambda_http::Body::Empty)
        .unwrap()
        .with_query_string_parameters(query)
}

criterion_group!(benches, beacons, ingest, feed);
criterion_main!(benches);
