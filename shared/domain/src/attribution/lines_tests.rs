//! Line-item attribution, margins and refunds by line.
#![allow(clippy::unwrap_used)]

use super::*;
use proptest::prelude::*;

const NOW: i64 = 1_795_676_400;

fn touch(id: &str, at: i64, ugc: &str, creator: &str, skus: &[&str]) -> Touch {
    Touch {
        event_id: id.into(),
        at,
        kind: BeaconKind::ProductClick,
        ugc_id: ugc.into(),
        creator_id: Some(creator.into()),
        platform: Some("tiktok".into()),
        placement: "pdp".into(),
        campaign: None,
        sku: skus.first().map(|s| s.to_string()),
        skus: Some(skus.iter().map(|s| s.to_string()).collect()),
    }
}

fn line(
    id: &str,
    sku: &str,
    siblings: &[&str],
    qty: i64,
    net: i64,
    cost: Option<i64>,
) -> OrderLine {
    OrderLine {
        id: id.into(),
        product_id: Some(format!("p-{sku}")),
        variant_id: None,
        sku: Some(sku.into()),
        quantity: qty,
        net_cents: net,
        cost_cents: cost,
        product_skus: siblings.iter().map(|s| s.to_string()).collect(),
        whole_order: false,
    }
}

fn order(lines: Vec<OrderLine>, codes: &[&str]) -> Order {
    Order {
        id: "shopify:1".into(),
        placed_at: NOW,
        total_cents: lines.iter().map(|l| l.net_cents).sum(),
        currency: "EUR".into(),
        token: Some("t".into()),
        discount_codes: codes.iter().map(|c| c.to_string()).collect(),
        lines,
        channel: Some("web".into()),
    }
}

fn code(code: &str, creator: &str, skus: &[&str]) -> CreatorCode {
    CreatorCode {
        code: code.into(),
        creator_id: creator.into(),
        campaign: None,
        percent: 10,
        store_id: None,
        created_at: 0,
        skus: skus.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    }
}

fn by_creator(credits: &[Credit]) -> Vec<(String, String, i64)> {
    let mut v: Vec<_> = credits
        .iter()
        .map(|c| {
            (
                c.creator_id.clone().unwrap_or_default(),
                c.line_id.clone(),
                c.revenue_cents,
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn each_line_goes_to_the_content_that_showed_its_product() {
    // Maya's video shows the tee (medium); Jon's shows the mug. The basket also has socks.
    let o = order(
        vec![
            line("l1", "TEE-L", &["TEE-M", "TEE-L"], 1, 2500, Some(900)),
            line("l2", "MUG", &["MUG"], 2, 3000, None),
            line("l3", "SOCKS", &["SOCKS"], 1, 800, Some(200)),
        ],
        &[],
    );
    let touches = [
        touch("e1", NOW - 500, "u_maya", "cr_maya", &["TEE-M"]),
        touch("e2", NOW - 100, "u_jon", "cr_jon", &["MUG"]),
    ];
    let c = attribute(&o, &touches, &[], Windows::default(), Model::LastTouch);
    // The tee (another size of the product Maya showed) is Maya's, though Jon's touch is later;
    // the socks nobody showed are nobody's.
    assert_eq!(
        by_creator(&c),
        [
            ("cr_jon".into(), "l2".into(), 3000),
            ("cr_maya".into(), "l1".into(), 2500)
        ]
    );
    // Each credit's share of the order is its revenue's share of the order: 2500 / 6300, 3000 / 6300.
    assert_eq!(
        c.iter().map(|c| c.orders_milli).sum::<i64>(),
        prorate(1000, 5500, 6300)
    );
    // Margin where the cost is known; the mug has none.
    let maya = c.iter().find(|c| c.line_id == "l1").unwrap();
    assert_eq!(
        (maya.cost_cents, maya.counters().margin_cents()),
        (Some(900), 1600)
    );
    let jon = c.iter().find(|c| c.line_id == "l2").unwrap();
    assert_eq!(
        (jon.counters().uncosted_cents, jon.counters().margin_cents()),
        (3000, 0)
    );
    // The ledger's entries: one per creator and line, in the order's currency.
    let entries = credit_entries(&o, &c);
    assert_eq!(entries.len(), 2);
    assert!(entries.iter().all(|e| e.currency == "EUR"));
}

#[test]
fn content_with_no_product_mapped_credits_no_line_and_a_code_takes_only_its_scope() {
    let o = order(
        vec![
            line("l1", "TEE-M", &[], 1, 2500, None),
            line("l2", "MUG", &[], 1, 1500, None),
        ],
        &["JON10"],
    );
    let unmapped = [touch("e1", NOW - 10, "u_x", "cr_x", &[])];
    let codes = [code("JON10", "cr_jon", &["MUG"])];
    let c = attribute(&o, &unmapped, &codes, Windows::default(), Model::LastTouch);
    assert_eq!(by_creator(&c), [("cr_jon".into(), "l2".into(), 1500)]);
    // A code without a scope takes every line no touch is about.
    let codes = [code("JON10", "cr_jon", &[])];
    let maya = [touch("e1", NOW - 10, "u_maya", "cr_maya", &["TEE-M"])];
    let c = attribute(&o, &maya, &codes, Windows::default(), Model::LastTouch);
    assert_eq!(
        by_creator(&c),
        [
            ("cr_jon".into(), "l2".into(), 1500),
            ("cr_maya".into(), "l1".into(), 2500)
        ]
    );
}

#[test]
fn a_partial_refund_takes_back_exactly_its_lines() {
    let o = order(
        vec![
            line("l1", "TEE-M", &[], 2, 5000, Some(1800)),
            line("l2", "MUG", &[], 1, 1500, Some(500)),
        ],
        &[],
    );
    let touches = [
        touch("e1", NOW - 50, "u_maya", "cr_maya", &["TEE-M"]),
        touch("e2", NOW - 40, "u_jon", "cr_jon", &["MUG"]),
    ];
    let credits = attribute(&o, &touches, &[], Windows::default(), Model::LastTouch);
    let mut ledger = Ledger::new(o, credits);
    // One of the two tees comes back: half of Maya's line, none of Jon's.
    let back = ledger.refund("r1", &Refunded::Lines(vec![("l1".into(), 2500)]));
    assert_eq!(by_creator(&back), [("cr_maya".into(), "l1".into(), -2500)]);
    assert_eq!(back[0].cost_cents, Some(-900));
    assert_eq!(back[0].orders_milli, 0);
    // A line the order does not have, or a refund seen before: nothing.
    assert!(
        ledger
            .refund("r2", &Refunded::Lines(vec![("l9".into(), 100)]))
            .is_empty()
    );
    assert!(
        ledger
            .refund("r1", &Refunded::Lines(vec![("l1".into(), 2500)]))
            .is_empty()
    );
    // The other tee and the mug: everything is back, the order too.
    let rest = ledger.refund(
        "r3",
        &Refunded::Lines(vec![("l1".into(), 2500), ("l2".into(), 9999)]),
    );
    assert_eq!(
        by_creator(&rest),
        [
            ("cr_jon".into(), "l2".into(), -1500),
            ("cr_maya".into(), "l1".into(), -2500)
        ]
    );
    assert_eq!(
        rest.iter().map(|c| c.orders_milli).sum::<i64>(),
        -ledger.credits.iter().map(|c| c.orders_milli).sum::<i64>()
    );
    // A cancellation after everything came back takes back nothing more.
    assert!(ledger.refund("cancel", &Refunded::Everything).is_empty());
}

#[test]
fn ledgers_written_before_lines_still_refund() {
    // An order and credits stored before lines were kept, with 3.00 already refunded.
    let old = serde_json::json!({
        "order": {"id": "shopify:9", "placed_at": NOW, "total_cents": 1000, "currency": "USD",
                  "token": null, "discount_codes": []},
        "credits": [{"ugc_id": "u", "creator_id": "cr", "platform": null, "placement": "pdp",
                     "campaign": null, "orders_milli": 1000, "revenue_cents": 1000,
                     "via": "touch", "event_id": "e1"}],
        "refunded_cents": 300, "refunds": ["r1"]});
    let mut ledger: Ledger = serde_json::from_value(old).unwrap();
    let back = ledger.refund("r2", &Refunded::Lines(vec![("123".into(), 700)]));
    assert_eq!(
        back.iter()
            .map(|c| (c.revenue_cents, c.orders_milli))
            .collect::<Vec<_>>(),
        [(-700, -1000)]
    );
}

proptest! {
    /// Any order, any touches, any refunds by line: the credits of each line sum to at most the
    /// line, and whatever is refunded, cancelling takes back exactly what was credited.
    #[test]
    fn lines_credits_and_refunds_balance(
        nets in proptest::collection::vec(0i64..200_000, 1..6),
        touched in proptest::collection::vec((0usize..6, 0usize..3), 0..8),
        refunds in proptest::collection::vec((0usize..6, 0i64..300_000), 0..8),
        linear in any::<bool>(),
    ) {
        let lines: Vec<OrderLine> = nets.iter().enumerate()
            .map(|(i, n)| line(&format!("l{i}"), &format!("S{i}"), &[], 1, *n, Some(n / 3)))
            .collect();
        let o = order(lines, &[]);
        let touches: Vec<Touch> = touched.iter().enumerate()
            .map(|(k, (l, c))| touch(&format!("e{k}"), NOW - 100 + k as i64, &format!("u{c}"), &format!("cr{c}"), &[&format!("S{l}")]))
            .collect();
        let model = if linear { Model::Linear } else { Model::LastTouch };
        let credits = attribute(&o, &touches, &[], Windows::default(), model);
        for l in &o.lines {
            let sum: i64 = credits.iter().filter(|c| c.line_id == l.id).map(|c| c.revenue_cents).sum();
            prop_assert!(sum == 0 || sum == l.net_cents);
        }
        prop_assert!(credits.iter().map(|c| c.orders_milli).sum::<i64>() <= 1000);
        let credited: i64 = credits.iter().map(|c| c.revenue_cents).sum();
        let cost: i64 = credits.iter().filter_map(|c| c.cost_cents).sum();
        let orders: i64 = credits.iter().map(|c| c.orders_milli).sum();
        let mut ledger = Ledger::new(o, credits);
        let (mut back, mut back_cost, mut back_orders) = (0, 0, 0);
        for (i, (l, amount)) in refunds.iter().enumerate() {
            for c in ledger.refund(&format!("r{i}"), &Refunded::Lines(vec![(format!("l{l}"), *amount)])) {
                back += c.revenue_cents;
                back_cost += c.cost_cents.unwrap_or(0);
                back_orders += c.orders_milli;
            }
        }
        for c in ledger.refund("cancel", &Refunded::Everything) {
            back += c.revenue_cents;
            back_cost += c.cost_cents.unwrap_or(0);
            back_orders += c.orders_milli;
        }
        prop_assert_eq!(back, -credited);
        prop_assert_eq!(back_cost, -cost);
        prop_assert_eq!(back_orders, -orders);
    }
}
