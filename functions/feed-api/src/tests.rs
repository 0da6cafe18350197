//! The feed over in-memory ports: only showable, transcoded, mapped items; pinned first, then
//! measured conversion; pages; products; cache headers, ETag and 304; CORS; size.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use reelcart_domain::FixedClock;
use reelcart_domain::attribution::{AggDelta, AggKey};
use reelcart_domain::catalog::{Image, Money, Product, ProductStatus, Variant};
use reelcart_domain::content::{Consent, MediaType, Source};
use reelcart_domain::video::{MediaRecord, Orientation, Rendition, SourceRef};
use reelcart_lambda::testing::api_request;
use reelcart_ports::memory::{MemoryAnalytics, MemoryCatalog, MemoryContent, MemoryMediaRecords};
use reelcart_ports::{ItemStore, MappingStore, RightsStore};
use serde_json::Value;

const NOW: i64 = 1_795_676_400;

type Test = Arc<FeedApi<MemoryContent, MemoryMediaRecords, MemoryCatalog, MemoryAnalytics>>;

fn product(sku: &str, inventory: i64) -> Product {
    Product {
        id: format!("p-{sku}"),
        title: format!("Tee {sku}"),
        description: String::new(),
        brand: None,
        link: format!("https://shop.example/products/{sku}"),
        images: vec![Image {
            url: format!("https://cdn.shop.example/{sku}.jpg"),
            width: 800,
            height: 800,
        }],
        variants: vec![Variant {
            id: format!("v-{sku}"),
            sku: sku.into(),
            options: vec![],
            price: Money {
                amount: rust_decimal::Decimal::new(2999, 2),
                currency: "USD".into(),
            },
            unit_cost: None,
            compare_at_price: None,
            inventory,
            continue_selling: false,
            gtin: None,
            mpn: None,
            image: None,
            weight: None,
        }],
        status: ProductStatus::Active,
        tiktok_category_id: None,
        updated_at: 0,
    }
}

fn manifest(id: &str) -> MediaManifest {
    let base = format!("https://media.example/media/{id}/abc-v1");
    MediaManifest {
        item_id: id.into(),
        version: 1,
        master: format!("{base}/master.m3u8"),
        poster: format!("{base}/poster.jpg"),
        preview: Some(format!("{base}/preview.mp4")),
        duration_secs: 12.04,
        width: 1080,
        height: 1920,
        aspect_ratio: "9:16".into(),
        orientation: Orientation::Vertical,
        has_audio: true,
        renditions: ["1080", "540"]
            .iter()
            .map(|h| Rendition {
                name: format!("{h}p"),
                width: 0,
                height: 0,
                bandwidth: 1,
                average_bandwidth: 1,
                codecs: "avc1".into(),
                frame_rate: 30.0,
                playlist: format!("v{h}/index.m3u8"),
            })
            .collect(),
        start_rendition: 1,
        prefix: format!("media/{id}/abc-v1/"),
        created_at: NOW,
    }
}

struct Seed<'a> {
    n: usize,
    rights: Option<(i64, Option<i64>)>,
    transcoded: bool,
    maps: &'a [(&'a str, &'a str, bool)],
}

async fn seed(api: &Test, s: Seed<'_>) -> String {
    let mut item = UgcItem::new(
        Source::InstagramHashtag,
        &format!("m{}", s.n),
        MediaType::Video,
        &format!("look {}", s.n),
        NOW - 1000,
    );
    item.status = Status::Published;
    item.author.handle = Some(format!("creator{}", s.n));
    item.author.creator_id = Some(format!("cr_internal_{}", s.n));
    item.updated_at = NOW - 1000 + s.n as i64;
    api.content.create_item(&item).await.unwrap();
    if let Some((start, end)) = s.rights {
        api.content
            .put_rights(&Rights {
                id: format!("r{}", s.n),
                item_id: item.id.clone(),
                license: "site".into(),
                channels: [Channel::Site].into(),
                starts_at: start,
                expires_at: end,
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
    }
    let source = SourceRef {
        bucket: "raw".into(),
        key: "k".into(),
        etag: "e".into(),
    };
    let mut record = MediaRecord::attempt(&item.id, source, 1, NOW + 900, NOW);
    assert!(api.media.begin(&record, NOW).await.unwrap());
    if s.transcoded {
        record.status = MediaStatus::Transcoded;
        record.manifest = Some(manifest(&item.id));
        assert!(api.media.finish(&record).await.unwrap());
    }
    for (sku, placement, pinned) in s.maps {
        api.content
            .put_mapping(
                &item.id,
                &ProductMapping {
                    sku: (*sku).into(),
                    placement: (*placement).into(),
                    confidence: 1.0,
                    pinned: *pinned,
                },
            )
            .await
            .unwrap();
    }
    item.id
}

async fn api() -> (Test, Arc<FixedClock>) {
    let clock = Arc::new(FixedClock::at(NOW));
    let catalog = MemoryCatalog::default();
    catalog
        .put_products(&[
            product("TEE-1", 5),
            product("TEE-2", 0),
            product("CAP-1", 3),
        ])
        .await
        .unwrap();
    let api = FeedApi::new(
        MemoryContent::default(),
        MemoryMediaRecords::default(),
        catalog,
        MemoryAnalytics::default(),
        Config {
            cors: Cors::parse("https://shop.example"),
            ..Config::default()
        },
        clock.clone(),
    );
    (Arc::new(api), clock)
}

async fn get(api: &Test, uri: &str, headers: &[(&str, &str)]) -> (u16, Value, Response<Body>) {
    let resp = api
        .handle(api_request("GET", uri, None, headers, None))
        .await;
    let status = resp.status().as_u16();
    let body = serde_json::from_slice(resp.body().as_ref()).unwrap_or(Value::Null);
    (status, body, resp)
}

fn ids(v: &Value) -> Vec<String> {
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn only_showable_transcoded_mapped_items_pinned_first_then_by_conversion() {
    let (api, clock) = api().await;
    let ok = |n, maps| Seed {
        n,
        rights: Some((NOW - 10, None)),
        transcoded: true,
        maps,
    };
    let a = seed(
        &api,
        ok(1, &[("TEE-1", "pdp", false), ("CAP-1", "pdp", false)]),
    )
    .await;
    let b = seed(&api, ok(2, &[("TEE-1", "pdp", false)])).await;
    let pinned = seed(&api, ok(3, &[("TEE-1", "pdp", true)])).await;
    let summer = seed(&api, ok(4, &[("TEE-2", "collection:summer", false)])).await;
    // Not shown: no rights, rights not yet started, not transcoded, rights about to expire.
    seed(
        &api,
        Seed {
            n: 5,
            rights: None,
            transcoded: true,
            maps: &[("TEE-1", "pdp", false)],
        },
    )
    .await;
    seed(
        &api,
        Seed {
            n: 6,
            rights: Some((NOW + 3600, None)),
            transcoded: true,
            maps: &[("TEE-1", "pdp", false)],
        },
    )
    .await;
    seed(
        &api,
        Seed {
            n: 7,
            rights: Some((NOW - 10, None)),
            transcoded: false,
            maps: &[("TEE-1", "pdp", false)],
        },
    )
    .await;
    let expiring = seed(
        &api,
        Seed {
            n: 8,
            rights: Some((NOW - 10, Some(NOW + 5))),
            transcoded: true,
            maps: &[("TEE-1", "pdp", false)],
        },
    )
    .await;
    // b converts: 5 orders in 20 views.
    api.analytics
        .add(&[AggDelta {
            key: AggKey {
                day: "2026-11-26".into(),
                ugc_id: b.clone(),
                placement: "pdp".into(),
                campaign: String::new(),
                creator: String::new(),
                currency: String::new(),
            },
            creator_id: None,
            platform: None,
            counters: Counters {
                views: 20,
                orders_milli: 5000,
                ..Counters::default()
            },
        }])
        .await
        .unwrap();

    let (s, out, _) = get(&api, "/v1/feed?placement=pdp&sku=TEE-1", &[]).await;
    assert_eq!(s, 200, "{out}");
    assert_eq!(
        ids(&out),
        [pinned.clone(), b.clone(), expiring.clone(), a.clone()]
    );
    assert_eq!(out["items"][0]["pinned"], true);
    // Products: the page's first, then the rest of the look; prices from the catalog.
    let first_a = &out["items"][3];
    let skus: Vec<&str> = first_a["products"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["sku"].as_str().unwrap())
        .collect();
    assert_eq!(skus, ["TEE-1", "CAP-1"]);
    assert_eq!(first_a["products"][0]["price"], "29.99");
    assert_eq!(
        first_a["products"][0]["image"],
        "https://cdn.shop.example/TEE-1.jpg"
    );
    assert_eq!(first_a["author"], "@creator1");
    let media = &first_a["media"];
    assert_eq!(media["aspect_ratio"], "9:16");
    assert_eq!(media["duration"], 12.0);
    assert_eq!(
        media["low"],
        format!("https://media.example/media/{a}/abc-v1/v540/index.m3u8")
    );

    // The rights run out between two requests: gone without waiting for a new snapshot.
    clock.advance(10);
    let (_, out, _) = get(&api, "/v1/feed?placement=pdp&sku=TEE-1", &[]).await;
    assert!(!ids(&out).contains(&expiring));

    let (_, out, _) = get(&api, "/v1/feed?placement=collection&collection=summer", &[]).await;
    assert_eq!(ids(&out), [summer]);
    assert_eq!(out["items"][0]["products"][0]["in_stock"], false);
    let (_, out, _) = get(&api, "/v1/feed?placement=home", &[]).await;
    assert_eq!(ids(&out).len(), 4);
}

/// The public feed names a creator by handle only: their internal id (what the portal, payouts
/// and attribution key on) stays inside; the collector credits beacons from the item itself.
#[tokio::test]
async fn the_public_feed_does_not_expose_creators_internal_ids() {
    let (api, _) = api().await;
    seed(
        &api,
        Seed {
            n: 1,
            rights: Some((NOW - 10, None)),
            transcoded: true,
            maps: &[("TEE-1", "pdp", false)],
        },
    )
    .await;
    let (status, body, _) = get(&api, "/v1/feed?placement=pdp&sku=TEE-1", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(body["items"][0]["author"], "@creator1");
    let text = body.to_string();
    assert!(!text.contains("creator_id"), "{text}");
    assert!(!text.contains("cr_internal_1"), "{text}");
}

/// A failed read of what the feed is built from serves the last good snapshot (and tries again
/// later) rather than a 500; with no good snapshot, or one too old, the error stands.
#[tokio::test]
async fn a_failed_read_serves_the_last_good_snapshot() {
    let clock = Arc::new(FixedClock::at(NOW));
    let catalog = MemoryCatalog::default();
    catalog.put_products(&[product("TEE-1", 5)]).await.unwrap();
    let analytics = MemoryAnalytics::default();
    let api: Test = Arc::new(FeedApi::new(
        MemoryContent::default(),
        MemoryMediaRecords::default(),
        catalog,
        analytics.clone(),
        Config {
            snapshot_ttl: std::time::Duration::ZERO,
            stale_for: std::time::Duration::from_secs(3600),
            ..Config::default()
        },
        clock,
    ));
    let ok = Seed {
        n: 1,
        rights: Some((NOW - 10, None)),
        transcoded: true,
        maps: &[("TEE-1", "pdp", false)],
    };
    let uri = "/v1/feed?placement=pdp&sku=TEE-1";

    // No good snapshot yet: the outage is an error.
    analytics.fail_reads(true);
    assert_eq!(get(&api, uri, &[]).await.0, 503);
    analytics.fail_reads(false);
    let id = seed(&api, ok).await;
    let (status, good, _) = get(&api, uri, &[]).await;
    assert_eq!((status, ids(&good)), (200, vec![id.clone()]));

    analytics.fail_reads(true);
    let (status, stale, _) = get(&api, uri, &[]).await;
    assert_eq!(status, 200, "{stale}");
    assert_eq!(ids(&stale), vec![id]);
    analytics.fail_reads(false);

    // Too old to serve: the error stands.
    let strict: Test = Arc::new(FeedApi::new(
        MemoryContent::default(),
        MemoryMediaRecords::default(),
        MemoryCatalog::default(),
        analytics.clone(),
        Config {
            snapshot_ttl: std::time::Duration::ZERO,
            stale_for: std::time::Duration::ZERO,
            ..Config::default()
        },
        Arc::new(FixedClock::at(NOW)),
    ));
    assert_eq!(get(&strict, uri, &[]).await.0, 200);
    analytics.fail_reads(true);
    assert_eq!(get(&strict, uri, &[]).await.0, 503);
}

#[tokio::test]
async fn pages_headers_and_conditional_requests() {
    let (api, _) = api().await;
    for n in 0..25 {
        seed(
            &api,
            Seed {
                n,
                rights: Some((NOW - 10, None)),
                transcoded: true,
                maps: &[("TEE-1", "pdp", false)],
            },
        )
        .await;
    }
    let (s, first, resp) = get(
        &api,
        "/v1/feed?placement=home&limit=10",
        &[("origin", "https://shop.example")],
    )
    .await;
    assert_eq!(s, 200);
    let size = resp.body().as_ref().len();
    assert!(size < 20 * 1024, "10 items in {size} bytes");
    println!("feed page of 10 items: {size} bytes");
    assert_eq!(
        resp.headers()["cache-control"],
        "public, max-age=30, s-maxage=60, stale-while-revalidate=300"
    );
    assert_eq!(
        resp.headers()["access-control-allow-origin"],
        "https://shop.example"
    );
    let etag = resp.headers()["etag"].to_str().unwrap().to_string();
    assert!(etag.starts_with('"') && etag.len() == 34);
    // Unchanged: 304 with no body; changed or other tag: 200.
    let (s, _, resp) = get(
        &api,
        "/v1/feed?placement=home&limit=10",
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(s, 304);
    assert!(resp.body().as_ref().is_empty());
    assert_eq!(resp.headers()["etag"].to_str().unwrap(), etag);
    let weak = format!("W/{etag}, \"other\"");
    assert_eq!(
        get(
            &api,
            "/v1/feed?placement=home&limit=10",
            &[("if-none-match", &weak)]
        )
        .await
        .0,
        304
    );
    assert_eq!(
        get(
            &api,
            "/v1/feed?placement=home&limit=10",
            &[("if-none-match", "\"nope\"")]
        )
        .await
        .0,
        200
    );

    let mut seen = ids(&first);
    let mut cursor = first["cursor"].as_str().map(str::to_string);
    while let Some(c) = cursor {
        let (_, page, _) = get(
            &api,
            &format!("/v1/feed?placement=home&limit=10&cursor={c}"),
            &[],
        )
        .await;
        seen.extend(ids(&page));
        cursor = page["cursor"].as_str().map(str::to_string);
    }
    let unique: std::collections::HashSet<_> = seen.iter().collect();
    assert_eq!((seen.len(), unique.len()), (25, 25));

    // 400 breaks the schema; 422 is what only the feed can refuse.
    for (bad, status) in [
        ("/v1/feed", 400),
        ("/v1/feed?placement=pdp&sku=", 400),
        ("/v1/feed?placement=home&limit=50", 400),
        ("/v1/feed?placement=home&collection=a%20b", 400),
        ("/v1/feed?placement=pdp", 422),
        ("/v1/feed?placement=collection&sku=a", 422),
        ("/v1/feed?placement=home&cursor=garbage", 422),
    ] {
        let (s, out, _) = get(&api, bad, &[]).await;
        assert_eq!(
            (s, out["error"]["code"].as_str()),
            (status, Some("invalid_query")),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn the_sample_function_url_requests_are_answered() {
    let (api, _) = api().await;
    seed(
        &api,
        Seed {
            n: 1,
            rights: Some((NOW - 10, None)),
            transcoded: true,
            maps: &[("TEE-1", "pdp", false)],
        },
    )
    .await;
    for (file, status) in [
        (include_str!("../../../events/feed-api/pdp.json"), 200),
        (
            include_str!("../../../events/feed-api/home-if-none-match.json"),
            200,
        ),
    ] {
        let event: Value = serde_json::from_str(file).unwrap();
        let req = reelcart_lambda::http::request_from_apigw_v2(event).unwrap();
        let resp = api.handle(req).await;
        assert_eq!(resp.status().as_u16(), status);
        assert_eq!(
            resp.headers()["access-control-allow-origin"],
            "https://shop.example"
        );
        let out = reelcart_lambda::http::response_to_apigw_v2(resp);
        assert!(out.headers.contains_key("etag"));
    }
}

/// The feed's one path: documented, `GET` (and `HEAD`) and its preflight served, any other method
/// `405` with `Allow`, every answer a status the document lists, CORS headers on each.
#[tokio::test]
async fn the_route_and_its_answers_are_documented() {
    let (api, _) = api().await;
    let problems = reelcart_lambda::testing::undocumented(&api).await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let origin = [("origin", "https://shop.example")];
    for (method, want) in [("POST", 405), ("OPTIONS", 204), ("HEAD", 400)] {
        let resp = api
            .handle(api_request(method, "/v1/feed", None, &origin, None))
            .await;
        assert_eq!(resp.status().as_u16(), want, "{method}");
        assert_eq!(
            resp.headers()["access-control-allow-origin"],
            "https://shop.example"
        );
    }
    let resp = api
        .handle(api_request("DELETE", "/v1/feed", None, &[], None))
        .await;
    assert!(resp.headers()["allow"].to_str().unwrap().contains("GET"));
}
