//! Property tests on every parser that takes outside input: whatever bytes arrive, each answers
//! with a value or an error — never a panic — and what it accepts keeps its promises.
//! Inputs are both arbitrary and shaped (JSON of the right outline, with wrong values), so the
//! checks past the first `{` are reached too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use reelcart_domain::attribution::{BEACON_PLACEMENTS, parse_batch};
use reelcart_domain::catalog::import::{StoreSettings, from_csv, from_json_lines, from_shopify};
use reelcart_domain::video::Probe;
use reelcart_domain::video::hls::{parse_media_playlist, rewrite_uris};
use reelcart_domain::webhook::{Platform, identify};
use serde_json::{Value, json};

const NOW: i64 = 1_764_115_200;

/// Any JSON value, a few levels deep.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z_]{1,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A beacon-shaped object with arbitrary values in its fields.
fn beacon_like() -> impl Strategy<Value = Value> {
    (
        any_json(),
        prop_oneof![
            Just(json!("impression")),
            Just(json!("view")),
            Just(json!("product_click")),
            Just(json!("add_to_cart")),
            any_json()
        ],
        any_json(),
        any_json(),
        any_json(),
        any_json(),
    )
        .prop_map(|(id, kind, session, ugc, placement, ts)| {
            json!({"event_id": id, "type": kind, "session_id": session, "ugc_id": ugc,
                "placement": placement, "ts": ts})
        })
}

fn settings() -> StoreSettings {
    StoreSettings {
        store_url: "https://shop.example.com".into(),
        currency: "USD".into(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Webhook identification, after verification: any body and headers of any platform.
    #[test]
    fn identification_never_panics(
        platform in 0usize..5,
        body in prop_oneof![any_json().prop_map(|v| v.to_string().into_bytes()), proptest::collection::vec(any::<u8>(), 0..200)],
        topic in prop_oneof![Just("products/update".to_string()), Just("products/delete".to_string()), Just("orders/cancelled".to_string()), Just("app/uninstalled".to_string()), ".{0,30}"],
        id in ".{0,250}",
    ) {
        let mut headers = http::HeaderMap::new();
        for name in ["x-shopify-topic", "x-shopify-event-id", "x-shopify-webhook-id", "x-shopify-shop-domain"] {
            let v = if name == "x-shopify-topic" { topic.clone() } else { id.clone() };
            if let Ok(v) = http::HeaderValue::from_str(&v) {
                headers.insert(name, v);
            }
        }
        if let Ok(d) = identify(Platform::ALL[platform], Some("src"), &headers, &body) {
            // What is accepted has an id of bounded length.
            prop_assert!(!d.delivery_id.is_empty());
            prop_assert!(d.dedupe_key().len() < 600);
        }
    }

    /// Beacons: any bytes, and batches of beacon-shaped events with wrong values.
    #[test]
    fn beacon_batches_never_panic_and_accepted_events_are_well_formed(
        raw in proptest::collection::vec(any::<u8>(), 0..400),
        events in proptest::collection::vec(beacon_like(), 0..60),
    ) {
        drop(parse_batch(&raw, NOW));
        let body = json!({"events": events}).to_string();
        if let Ok(accepted) = parse_batch(body.as_bytes(), NOW) {
            prop_assert!(!accepted.is_empty() && accepted.len() <= 50);
            for e in accepted {
                prop_assert!((8..=64).contains(&e.beacon.event_id.len()));
                prop_assert!(BEACON_PLACEMENTS.contains(&e.beacon.placement.as_str()));
                prop_assert!((e.at - NOW).abs() <= 300, "{}", e.at);
            }
        }
    }

    /// Catalog imports: CSV and JSON lines of any text, and Shopify products of any JSON. What
    /// is accepted links only to http(s) addresses.
    #[test]
    fn catalog_imports_never_panic_and_links_are_web_addresses(
        text in ".{0,400}",
        lines in proptest::collection::vec(any_json(), 0..5),
        product in any_json(),
        link in prop_oneof![Just("javascript:alert(1)".to_string()), Just("https://shop.example.com/p".to_string()), ".{0,30}"],
    ) {
        let csv = format!("product_id,title,link,variant_id,sku,price,currency,inventory\n1,T,{link},v1,S-1,1.00,USD,1\n{text}");
        let jsonl: String = lines.iter().map(|l| format!("{l}\n")).collect();
        let shaped = json!({"id": 1, "title": "T", "link": link, "variants": [{"id": "v1", "sku": "S-1", "price": "1.00"}]});
        for products in [from_csv(&csv), from_csv(&text), from_json_lines(&jsonl), from_json_lines(&format!("{shaped}\n"))].into_iter().flatten() {
            for p in products {
                prop_assert!(p.link.starts_with("https://") || p.link.starts_with("http://"), "{}", p.link);
            }
        }
        if let Ok(p) = from_shopify(&product.to_string(), &settings()) {
            prop_assert!(p.link.starts_with("https://") || p.link.starts_with("http://"));
        }
    }

    /// ffprobe reports, as a crafted file could make them: any JSON of the report's outline.
    #[test]
    fn probe_reports_never_panic_and_accepted_ones_are_sane(
        raw in proptest::collection::vec(any::<u8>(), 0..200),
        width in any_json(), height in any_json(), rate in any_json(), duration in any_json(),
        codec in any_json(), format in any_json(),
    ) {
        drop(Probe::parse(&raw));
        let report = json!({
            "format": {"format_name": format, "duration": duration},
            "streams": [{"codec_type": "video", "codec_name": codec, "width": width,
                "height": height, "avg_frame_rate": rate, "r_frame_rate": rate,
                "disposition": {"attached_pic": 0}}]
        });
        if let Ok(p) = Probe::parse(report.to_string().as_bytes()) {
            prop_assert!(p.width > 0 && p.height > 0);
            prop_assert!(p.duration_secs > 0.0 && p.duration_secs.is_finite());
            prop_assert!((1.0..=240.0).contains(&p.frame_rate));
        }
    }

    /// Media playlists (what the transcoder reads back of its own outputs, and of MediaConvert's).
    #[test]
    fn media_playlists_never_panic(
        text in ".{0,300}",
        durations in proptest::collection::vec(".{0,12}", 0..8),
    ) {
        drop(parse_media_playlist(&text));
        let shaped: String = std::iter::once("#EXTM3U\n#EXT-X-TARGETDURATION:4\n".to_string())
            .chain(durations.iter().map(|d| format!("#EXTINF:{d},\nseg.m4s\n")))
            .chain(std::iter::once("#EXT-X-ENDLIST\n".to_string()))
            .collect();
        drop(parse_media_playlist(&shaped));
    }

    /// Playlist rewriting (the moderation preview's): any text; every URI is visited once, and
    /// the identity keeps every line.
    #[test]
    fn playlist_rewriting_visits_every_uri_and_keeps_the_rest(
        text in ".{0,300}",
        segments in proptest::collection::vec("[a-z0-9_/]{1,12}\\.m4s", 0..8),
    ) {
        let same = rewrite_uris(&text, |u| Ok::<_, ()>(u.to_string())).unwrap();
        prop_assert_eq!(same.lines().count(), text.lines().count());
        let shaped: String = std::iter::once("#EXTM3U\n#EXT-X-MAP:URI=\"init.mp4\"\n".to_string())
            .chain(segments.iter().map(|s| format!("#EXTINF:2.0,\n{s}\n")))
            .collect();
        let mut seen = Vec::new();
        let out = rewrite_uris(&shaped, |u| {
            seen.push(u.to_string());
            Ok::<_, ()>(format!("https://signed.example/{u}?sig=1"))
        })
        .unwrap();
        prop_assert_eq!(seen.len(), segments.len() + 1);
        prop_assert_eq!(&seen[0], "init.mp4");
        prop_assert!(out.contains("URI=\"https://signed.example/init.mp4?sig=1\""));
        for s in &segments {
            let signed = format!("https://signed.example/{s}?sig=1");
            prop_assert!(out.lines().any(|l| l == signed));
        }
    }
}
