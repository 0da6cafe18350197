#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use proptest::prelude::*;
use serde_json::json;

const NOW: i64 = 1_795_676_400; // 2026-11-26T07:00:00Z

fn beacon(id: &str, kind: &str, ugc: &str) -> serde_json::Value {
    let mut b = json!({"event_id": id, "type": kind, "session_id": "s_1", "ugc_id": ugc,
        "creator_id": "cr_1", "platform": "instagram", "placement": "pdp", "ts": NOW * 1000});
    if kind == "product_click" || kind == "add_to_cart" {
        b["sku"] = json!("TEE-1");
    }
    b
}

fn batch(events: Vec<serde_json::Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({ "events": events })).unwrap()
}

#[test]
fn batches_are_checked_field_by_field() {
    let ok = parse_batch(&batch(vec![beacon("evt_0001", "view", "ugc_a")]), NOW).unwrap();
    assert_eq!(ok[0].at, NOW);
    // A purchase is not something a browser can report.
    let forged = batch(vec![beacon("evt_0002", "purchase", "ugc_a")]);
    assert!(matches!(
        parse_batch(&forged, NOW),
        Err(BeaconError::Schema(_))
    ));
    let mut extra = beacon("evt_0003", "view", "ugc_a");
    extra["revenue"] = json!(100);
    assert!(matches!(
        parse_batch(&batch(vec![extra]), NOW),
        Err(BeaconError::Schema(_))
    ));
    let mut no_sku = beacon("evt_0004", "add_to_cart", "ugc_a");
    no_sku.as_object_mut().unwrap().remove("sku");
    assert!(matches!(
        parse_batch(&batch(vec![no_sku]), NOW),
        Err(BeaconError::Field { field: "sku", .. })
    ));
    for (field, value) in [
        ("event_id", json!("short")),
        ("event_id", json!("bad id with spaces")),
        ("ugc_id", json!("<script>")),
        ("session_id", json!("")),
        ("campaign", json!("x".repeat(65))),
        // Each placement is a row a day: only the widget's three.
        ("placement", json!("pdp-0001")),
        ("placement", json!("link")),
    ] {
        let mut b = beacon("evt_0005", "view", "ugc_a");
        b[field] = value;
        assert!(
            matches!(parse_batch(&batch(vec![b]), NOW), Err(BeaconError::Field { field: f, .. }) if f == field),
            "{field}"
        );
    }
    assert_eq!(parse_batch(&batch(vec![]), NOW), Err(BeaconError::Count));
    let many: Vec<_> = (0..51)
        .map(|i| beacon(&format!("evt_{i:05}"), "view", "ugc_a"))
        .collect();
    assert_eq!(parse_batch(&batch(many), NOW), Err(BeaconError::Count));
    assert_eq!(
        parse_batch(&vec![b' '; MAX_BODY_BYTES + 1], NOW),
        Err(BeaconError::TooLarge)
    );
    // A clock a week off, or a beacon dated tomorrow (to land on another day's row), is replaced
    // by the server's; one a couple of minutes off is kept.
    for (off, want) in [
        (-7 * 86_400, NOW),
        (86_400, NOW),
        (301, NOW),
        (-120, NOW - 120),
        (60, NOW + 60),
    ] {
        let mut skewed = beacon("evt_0006", "view", "ugc_a");
        skewed["ts"] = json!((NOW + off) * 1000);
        assert_eq!(
            parse_batch(&batch(vec![skewed]), NOW).unwrap()[0].at,
            want,
            "{off}"
        );
    }
    // JSON Schema's integers: `ts` written as `1.7e12` is read; a time no clock gives is refused.
    let mut float = beacon("evt_0007", "view", "ugc_a");
    float["ts"] = json!(((NOW - 60) * 1000) as f64);
    assert_eq!(
        parse_batch(&batch(vec![float]), NOW).unwrap()[0].at,
        NOW - 60
    );
    for ts in [json!(-1), json!(9_007_199_254_740_992_i64), json!(1.5)] {
        let mut bad = beacon("evt_0008", "view", "ugc_a");
        bad["ts"] = ts.clone();
        assert!(parse_batch(&batch(vec![bad]), NOW).is_err(), "{ts}");
    }
}

#[test]
fn ten_thousand_beacons_become_one_write_per_distinct_key() {
    // 10,000 events over 20 items × 2 placements × 2 days, 10 % of them sent twice.
    let mut events = Vec::new();
    for i in 0..10_000 {
        let kind = ["impression", "view", "product_click", "add_to_cart"][i % 4];
        let mut b = beacon(&format!("evt_{i:06}"), kind, &format!("ugc_{}", i % 20));
        b["placement"] = json!(if i % 3 == 0 { "home" } else { "pdp" });
        b["ts"] = json!((NOW - ((i as i64 / 20) % 2) * 86_400) * 1000);
        let e: Beacon = serde_json::from_value(b).unwrap();
        let at = e.ts.unwrap() / 1000;
        events.push(Event { beacon: e, at });
        if i % 10 == 0 {
            events.push(events.last().unwrap().clone());
        }
    }
    assert_eq!(events.len(), 11_000);
    let unique = dedupe(events);
    assert_eq!(unique.len(), 10_000);
    let deltas = aggregate(&unique);
    assert_eq!(deltas.len(), 20 * 2 * 2);
    let total: i64 = deltas
        .iter()
        .map(|d| {
            d.counters.impressions + d.counters.views + d.counters.clicks + d.counters.add_to_carts
        })
        .sum();
    assert_eq!(total, 10_000);
    assert!(
        deltas
            .iter()
            .all(|d| d.creator_id.as_deref() == Some("cr_1"))
    );
}

fn touch(id: &str, at: i64, kind: BeaconKind, ugc: &str) -> Touch {
    Touch {
        event_id: id.into(),
        at,
        kind,
        ugc_id: ugc.into(),
        creator_id: Some(format!("cr_{ugc}")),
        platform: Some("instagram".into()),
        placement: "pdp".into(),
        campaign: None,
        sku: Some("TEE-1".into()),
        skus: Some(vec!["TEE-1".into()]),
    }
}

fn order(total: i64, codes: &[&str]) -> Order {
    Order {
        id: "shopify:1001".into(),
        placed_at: NOW,
        total_cents: total,
        currency: "USD".into(),
        token: Some("s_1".into()),
        discount_codes: codes.iter().map(|c| c.to_string()).collect(),
        lines: Vec::new(),
        channel: None,
    }
}

const DAY: i64 = 86_400;

#[test]
fn the_last_touch_in_the_window_gets_the_order() {
    let touches = [
        touch("e1", NOW - 3600, BeaconKind::ProductClick, "a"),
        touch("e2", NOW - 600, BeaconKind::View, "b"),
        touch("e3", NOW - 2 * DAY, BeaconKind::AddToCart, "c"),
        // After the order: not a cause of it.
        touch("e4", NOW + 10, BeaconKind::AddToCart, "d"),
    ];
    let c = attribute(
        &order(5998, &[]),
        &touches,
        &[],
        Windows::both(DAY),
        Model::LastTouch,
    );
    assert_eq!(c.len(), 1);
    assert_eq!(
        (
            c[0].ugc_id.as_deref(),
            c[0].orders_milli,
            c[0].revenue_cents
        ),
        (Some("b"), 1000, 5998)
    );
    assert_eq!(c[0].creator_id.as_deref(), Some("cr_b"));
    // The window's edge: exactly 24 h before counts, a second more does not.
    let edge = [touch("e5", NOW - DAY, BeaconKind::View, "e")];
    assert_eq!(
        attribute(
            &order(100, &[]),
            &edge,
            &[],
            Windows::both(DAY),
            Model::LastTouch
        )
        .len(),
        1
    );
    let past = [touch("e6", NOW - DAY - 1, BeaconKind::View, "e")];
    assert!(
        attribute(
            &order(100, &[]),
            &past,
            &[],
            Windows::both(DAY),
            Model::LastTouch
        )
        .is_empty()
    );
    // A shorter window configured.
    assert!(
        attribute(
            &order(100, &[]),
            &touches[..1],
            &[],
            Windows::both(1800),
            Model::LastTouch
        )
        .is_empty()
    );
}

#[test]
fn ties_go_to_the_stronger_intent_then_the_event_id() {
    let touches = [
        touch("e2", NOW - 60, BeaconKind::View, "a"),
        touch("e1", NOW - 60, BeaconKind::AddToCart, "b"),
        touch("e3", NOW - 60, BeaconKind::ProductClick, "c"),
    ];
    let c = attribute(
        &order(100, &[]),
        &touches,
        &[],
        Windows::both(DAY),
        Model::LastTouch,
    );
    assert_eq!(c[0].ugc_id.as_deref(), Some("b"));
    let same = [
        touch("e9", NOW - 60, BeaconKind::View, "a"),
        touch("e8", NOW - 60, BeaconKind::View, "b"),
    ];
    let c = attribute(
        &order(100, &[]),
        &same,
        &[],
        Windows::both(DAY),
        Model::LastTouch,
    );
    assert_eq!(c[0].ugc_id.as_deref(), Some("a"), "e9 > e8");
}

#[test]
fn linear_splits_sum_exactly_and_duplicates_count_once() {
    let touches = [
        touch("e1", NOW - 300, BeaconKind::View, "a"),
        touch("e2", NOW - 200, BeaconKind::ProductClick, "b"),
        touch("e2", NOW - 200, BeaconKind::ProductClick, "b"),
        touch("e3", NOW - 100, BeaconKind::AddToCart, "c"),
    ];
    let c = attribute(
        &order(1000, &[]),
        &touches,
        &[],
        Windows::both(DAY),
        Model::Linear,
    );
    assert_eq!(c.len(), 3);
    assert_eq!(
        c.iter().map(|c| c.revenue_cents).collect::<Vec<_>>(),
        [333, 334, 333],
        "cumulative rounding: 333.3, 666.7 → 667, 1000"
    );
    assert_eq!(
        c.iter().map(|c| c.orders_milli).collect::<Vec<_>>(),
        [333, 334, 333]
    );
}

#[test]
fn a_creator_code_credits_the_creator_when_no_content_was_touched() {
    let codes = [CreatorCode {
        code: "MAYA10".into(),
        creator_id: "cr_maya".into(),
        campaign: Some("fall".into()),
        percent: 10,
        store_id: None,
        created_at: 0,
        skus: Vec::new(),
        ..Default::default()
    }];
    let c = attribute(
        &order(2500, &["maya10"]),
        &[],
        &codes,
        Windows::both(DAY),
        Model::LastTouch,
    );
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].creator_id.as_deref(), Some("cr_maya"));
    assert_eq!(c[0].ugc_id, None);
    assert_eq!(c[0].placement, "code");
    assert!(
        attribute(
            &order(2500, &["OTHER"]),
            &[],
            &codes,
            Windows::both(DAY),
            Model::LastTouch
        )
        .is_empty()
    );
    // A touch wins over a code.
    let t = [touch("e1", NOW - 10, BeaconKind::View, "a")];
    let c = attribute(
        &order(2500, &["MAYA10"]),
        &t,
        &codes,
        Windows::both(DAY),
        Model::LastTouch,
    );
    assert_eq!(c[0].ugc_id.as_deref(), Some("a"));
}

#[test]
fn refunds_take_back_what_was_credited_and_no_more() {
    let touches = [
        touch("e1", NOW - 300, BeaconKind::View, "a"),
        touch("e2", NOW - 100, BeaconKind::ProductClick, "b"),
        touch("e3", NOW - 50, BeaconKind::ProductClick, "c"),
    ];
    let credits = attribute(
        &order(1000, &[]),
        &touches,
        &[],
        Windows::both(DAY),
        Model::Linear,
    );
    let mut ledger = Ledger::new(order(1000, &[]), credits.clone());
    let first = ledger.refund("r1", &Refunded::Amount(250));
    assert!(first.iter().all(|c| c.orders_milli == 0));
    assert_eq!(first.iter().map(|c| c.revenue_cents).sum::<i64>(), -250);
    // The same refund again does nothing.
    assert!(ledger.refund("r1", &Refunded::Amount(250)).is_empty());
    // The rest (more than is left is capped) takes back everything, to the cent.
    let rest = ledger.refund("r2", &Refunded::Amount(5000));
    let back: i64 = first.iter().chain(&rest).map(|c| c.revenue_cents).sum();
    assert_eq!(back, -1000);
    for (i, c) in credits.iter().enumerate() {
        assert_eq!(
            first[i].revenue_cents + rest[i].revenue_cents,
            -c.revenue_cents
        );
        assert_eq!(rest[i].orders_milli, -c.orders_milli);
    }
    assert!(ledger.refund("r3", &Refunded::Amount(1)).is_empty());
}

#[test]
fn day_ranges() {
    assert_eq!(
        day_range("2026-02-27", "2026-03-01", 10).unwrap(),
        ["2026-02-27", "2026-02-28", "2026-03-01"]
    );
    assert!(day_range("2026-03-01", "2026-02-27", 10).is_err());
    assert!(day_range("2026-01-01", "2026-12-31", 92).is_err());
    assert!(day_range("yesterday", "2026-01-01", 10).is_err());
    for impossible in [
        "2026-02-29",
        "2026-02-30",
        "2026-04-31",
        "2026-13-01",
        "2026-00-10",
    ] {
        assert!(
            day_range(impossible, impossible, 1).is_err(),
            "{impossible} does not exist"
        );
    }
    assert!(
        day_range("2028-02-29", "2028-02-29", 1).is_ok(),
        "a leap day"
    );
}

#[test]
fn day_ranges_know_the_calendar() {
    // 31 February never exists; 29 February only in leap years (not 2023, not 2100, but 2000).
    for impossible in [
        "2026-02-31",
        "2024-02-30",
        "2023-02-29",
        "2100-02-29",
        "2026-06-31",
        "2026-01-32",
        "+2026-01-01",
        "2026-1-01",
        "2026-01-01T00:00:00Z",
    ] {
        assert!(
            day_range(impossible, "2030-01-01", 10_000).is_err(),
            "{impossible} is not a day"
        );
        assert!(
            day_range("2020-01-01", impossible, 10_000).is_err(),
            "{impossible} is not a day"
        );
    }
    assert_eq!(
        day_range("2024-02-28", "2024-03-01", 10).unwrap(),
        ["2024-02-28", "2024-02-29", "2024-03-01"]
    );
    assert_eq!(
        day_range("2023-02-28", "2023-03-01", 10).unwrap(),
        ["2023-02-28", "2023-03-01"]
    );
    assert_eq!(
        day_range("2000-02-29", "2000-02-29", 1).unwrap(),
        ["2000-02-29"]
    );
    assert_eq!(
        day_range("2026-12-31", "2027-01-01", 2).unwrap(),
        ["2026-12-31", "2027-01-01"]
    );
    // `max` counts both ends.
    assert!(day_range("2026-01-01", "2026-01-03", 3).is_ok());
    assert!(day_range("2026-01-01", "2026-01-04", 3).is_err());
    assert!(day_range("2026-01-01", "2025-12-31", 10).is_err());
}

#[test]
fn days_are_utc_calendar_days() {
    assert_eq!(day_of(0), "1970-01-01");
    assert_eq!(day_of(NOW), "2026-11-26");
    assert_eq!(day_of(951_782_400), "2000-02-29");
    assert_eq!(day_of(NOW - 7 * 3600 - 1), "2026-11-25");
    assert_eq!(day_of(1_709_208_000), "2024-02-29");
    assert_eq!(day_of(1_709_251_199), "2024-02-29");
    assert_eq!(day_of(1_709_251_200), "2024-03-01");
    assert_eq!(
        day_of(1_677_628_800),
        "2023-03-01",
        "the day after 2023-02-28"
    );
    assert_eq!(day_of(-1), "1969-12-31");
    // Beyond what a calendar date can say, the nearest representable day.
    assert_eq!(day_of(i64::MAX), "9999-12-31");
    assert_eq!(day_of(i64::MIN), "-9999-01-01");
}

proptest! {
    #[test]
    fn any_split_and_any_refunds_balance(
        total in 1i64..10_000_000,
        n in 1usize..12,
        refunds in proptest::collection::vec(1i64..5_000_000, 0..6),
    ) {
        let touches: Vec<Touch> = (0..n)
            .map(|i| touch(&format!("e{i}"), NOW - 100 + i as i64, BeaconKind::View, &format!("u{i}")))
            .collect();
        let credits = attribute(&order(total, &[]), &touches, &[], Windows::both(DAY), Model::Linear);
        prop_assert_eq!(credits.iter().map(|c| c.revenue_cents).sum::<i64>(), total);
        prop_assert_eq!(credits.iter().map(|c| c.orders_milli).sum::<i64>(), 1000);
        let mut ledger = Ledger::new(order(total, &[]), credits);
        let mut back = 0;
        for (i, r) in refunds.iter().enumerate() {
            back += ledger.refund(&format!("r{i}"), &Refunded::Amount(*r)).iter().map(|c| c.revenue_cents).sum::<i64>();
        }
        back += ledger.refund("cancel", &Refunded::Everything).iter().map(|c| c.revenue_cents).sum::<i64>();
        prop_assert_eq!(back, -total);
    }
}

#[test]
fn csv_fields_are_quoted_and_formulas_defused_and_money_is_exact() {
    use super::report::{CsvCell, csv_field, csv_table, money, num};
    assert_eq!(csv_field("cr_ana"), "cr_ana");
    let table = csv_table(
        &["key", "n"],
        [
            [CsvCell::from("a,b"), num(1)],
            [CsvCell::from("say \"hi\""), num("-1.50")],
            [CsvCell::from("-1"), num(-2)],
        ],
    );
    assert_eq!(
        table,
        "key,n\r\n\"a,b\",1\r\n\"say \"\"hi\"\"\",-1.50\r\n'-1,-2\r\n"
    );
    for formula in ["=HYPERLINK(1)", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
        assert!(csv_field(formula).starts_with('\''), "{formula}");
        let t = csv_table(&["k"], [[CsvCell::from(formula)]]);
        assert!(
            t["k\r\n".len()..].trim_start_matches('"').starts_with('\''),
            "{formula}"
        );
    }
    assert_eq!(money(0), "0.00");
    assert_eq!(money(1205), "12.05");
    assert_eq!(money(-1205), "-12.05");
    assert_eq!(money(-5), "-0.05");
}

#[test]
fn clicks_and_views_have_windows_of_their_own() {
    let w = Windows::default();
    assert_eq!((w.click_secs, w.view_secs), (7 * DAY, DAY));
    let placed = NOW;
    let view = touch("v", placed - 2 * DAY, BeaconKind::View, "a");
    let click = touch("c", placed - 6 * DAY, BeaconKind::ProductClick, "b");
    let old_click = touch("o", placed - 8 * DAY, BeaconKind::AddToCart, "c");
    // A view two days before is out of its window; a click six days before is in.
    let c = attribute(
        &order(100, &[]),
        &[view.clone(), click, old_click],
        &[],
        w,
        Model::Linear,
    );
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!(c[0].ugc_id.as_deref(), Some("b"));
    // With a view inside its day, it is the last touch.
    let recent = touch("r", placed - 3600, BeaconKind::View, "d");
    let c = attribute(&order(100, &[]), &[view, recent], &[], w, Model::LastTouch);
    assert_eq!(c[0].ugc_id.as_deref(), Some("d"));
}

#[test]
fn every_credit_explains_itself_and_old_ledgers_still_read() {
    let w = Windows::default();
    let click = touch("c", NOW - 3 * DAY, BeaconKind::ProductClick, "a");
    let view = touch("v", NOW - 3600, BeaconKind::View, "b");
    let last = attribute(
        &order(100, &[]),
        &[click.clone(), view.clone()],
        &[],
        w,
        Model::LastTouch,
    );
    assert_eq!(
        last[0].via,
        Via::Touch {
            event_id: "v".into(),
            kind: Some(BeaconKind::View),
            touched_at: Some(NOW - 3600),
            rule: Some(Rule {
                model: Model::LastTouch,
                window: WindowKind::View,
                window_secs: DAY,
                touches: 1
            }),
        }
    );
    let linear = attribute(&order(100, &[]), &[click, view], &[], w, Model::Linear);
    let rules: Vec<_> = linear
        .iter()
        .map(|c| match &c.via {
            Via::Touch { rule: Some(r), .. } => (r.window, r.window_secs, r.touches),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        rules,
        [(WindowKind::Click, 7 * DAY, 2), (WindowKind::View, DAY, 2)]
    );
    // A ledger's credit written before the explanation existed.
    let old: Credit = serde_json::from_value(json!({"ugc_id": "a", "creator_id": "cr_a",
        "platform": null, "placement": "pdp", "campaign": null, "orders_milli": 1000,
        "revenue_cents": 100, "via": "touch", "event_id": "e1"}))
    .unwrap();
    assert!(
        matches!(old.via, Via::Touch { ref event_id, kind: None, rule: None, .. } if event_id == "e1")
    );
}
