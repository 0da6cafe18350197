//! Orders credited line by line from the content's product mappings, with unit costs from the
//! catalog; refunds reversing exactly their lines.

use super::*;
use reelcart_domain::attribution::payout::{Basis, Commission, payouts};
use reelcart_domain::catalog::{Money, Product, Variant};
use reelcart_domain::content::ProductMapping;
use reelcart_ports::{CatalogStore, MappingStore};
use rust_decimal::Decimal;

fn variant(id: &str, sku: &str, cost: Option<&str>) -> Variant {
    Variant {
        id: id.into(),
        sku: sku.into(),
        options: vec![],
        price: Money {
            amount: Decimal::new(2500, 2),
            currency: "USD".into(),
        },
        compare_at_price: None,
        unit_cost: cost.map(|c| Money {
            amount: c.parse().unwrap(),
            currency: "USD".into(),
        }),
        inventory: 10,
        continue_selling: false,
        gtin: None,
        mpn: None,
        image: None,
        weight: None,
    }
}

fn product(id: &str, variants: Vec<Variant>) -> Product {
    Product {
        id: id.into(),
        title: id.into(),
        description: String::new(),
        brand: None,
        link: format!("https://shop.example/products/{id}"),
        images: vec![],
        variants,
        status: Default::default(),
        tiktok_category_id: None,
        updated_at: 0,
    }
}

async fn map(c: &Test, ugc: &str, sku: &str) {
    c.content
        .put_mapping(
            ugc,
            &ProductMapping {
                sku: sku.into(),
                placement: "pdp".into(),
                confidence: 1.0,
                pinned: true,
            },
        )
        .await
        .unwrap();
}

fn line(
    id: u64,
    product: u64,
    variant: u64,
    sku: &str,
    price: &str,
    qty: i64,
    discount: &str,
) -> Value {
    json!({"id": id, "product_id": product, "variant_id": variant, "sku": sku, "price": price,
        "quantity": qty, "discount_allocations": [{"amount": discount, "discount_application_index": 0}]})
}

#[tokio::test]
async fn each_creator_is_credited_exactly_the_lines_their_content_showed_and_a_refund_takes_back_its_line()
 {
    let c = collector(Model::LastTouch);
    c.catalog
        .put_products(&[
            product(
                "100",
                vec![
                    variant("1001", "TEE-M", Some("9.00")),
                    variant("1002", "TEE-L", Some("9.00")),
                ],
            ),
            product("200", vec![variant("2001", "MUG", Some("4.125"))]),
            product("300", vec![variant("3001", "SOCKS", None)]),
        ])
        .await
        .unwrap();
    // ugc_a shows the medium tee, ugc_b the mug; nobody's content shows the socks.
    map(&c, "ugc_a", "TEE-M").await;
    map(&c, "ugc_b", "MUG").await;
    let events = vec![
        beacon("evt_20001", "product_click", "s_buyer", "ugc_a", NOW - 900),
        beacon("evt_20002", "product_click", "s_buyer", "ugc_b", NOW - 600),
    ];
    c.count(
        parse_batch(
            &serde_json::to_vec(&json!({ "events": events })).unwrap(),
            NOW,
        )
        .unwrap(),
    )
    .await
    .unwrap();
    let mut order = shopify_order(7001, "s_buyer", "99.99", &[]);
    order["subtotal_price"] = json!("68.00");
    order["line_items"] = json!([
        // Two large tees (another size of what ugc_a showed), 5.00 off.
        line(11, 100, 1002, "TEE-L", "25.00", 2, "5.00"),
        line(12, 200, 2001, "MUG", "15.00", 1, "0.00"),
        line(13, 300, 3001, "SOCKS", "8.00", 1, "0.00"),
    ]);
    let out = c
        .handle_sqs(sqs(vec![order_event("orders/create", order)]))
        .await
        .unwrap();
    assert!(out.batch_item_failures.is_empty());
    let (ledger, _) = c.analytics.ledger("shopify:7001").await.unwrap().unwrap();
    let mut credited: Vec<(String, String, i64, Option<i64>)> = ledger
        .credits
        .iter()
        .map(|c| {
            (
                c.creator_id.clone().unwrap(),
                c.line_id.clone(),
                c.revenue_cents,
                c.cost_cents,
            )
        })
        .collect();
    credited.sort();
    assert_eq!(
        credited,
        [
            ("cr_ugc_a".into(), "11".into(), 4500, Some(1800)),
            // 4.125 × 1 = 412.5 hundredths → 413 (half away from zero).
            ("cr_ugc_b".into(), "12".into(), 1500, Some(413)),
        ]
    );
    // One tee comes back: half of ugc_a's line, nothing of ugc_b's.
    let refund = json!({"id": 900, "order_id": 7001, "refund_line_items": [
        {"line_item_id": 11, "quantity": 1, "subtotal": 22.5,
         "subtotal_set": {"shop_money": {"amount": "22.50", "currency_code": "USD"}}}]});
    let out = c
        .handle_sqs(sqs(vec![order_event("refunds/create", refund)]))
        .await
        .unwrap();
    assert!(out.batch_item_failures.is_empty());
    let entries = c
        .analytics
        .credit_entries(&["2026-11-26".into()])
        .await
        .unwrap();
    let margin = |_: Option<&str>| Commission {
        rate: Decimal::new(20, 2),
        basis: Basis::Margin,
    };
    let a = &payouts("cr_ugc_a", &entries, margin)[0];
    assert_eq!(
        (a.revenue_cents, a.cost_cents, a.margin_cents()),
        (2250, 900, 1350)
    );
    assert_eq!((a.currency.as_str(), a.payout_cents), ("USD", 270));
    let b = &payouts("cr_ugc_b", &entries, margin)[0];
    assert_eq!(
        (b.revenue_cents, b.margin_cents(), b.payout_cents),
        (1500, 1087, 217)
    );
    // The funnel reports the margin, in the order's currency.
    let rows = funnel(&rows_of(&c, "2026-11-26").await, By::Creator);
    let a = rows.iter().find(|r| r.key == "cr_ugc_a").unwrap();
    assert_eq!(
        (
            a.revenue.as_deref(),
            a.margin.as_deref(),
            a.currency.as_deref()
        ),
        (Some("22.50"), Some("13.50"), Some("USD"))
    );
}
