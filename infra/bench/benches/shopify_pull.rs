//! The store's full catalog pull: a GraphQL bulk operation (the pull the stack makes) next to the
//! REST paging it replaced, against the platform simulator in the same run — wall time, Admin API
//! requests and bytes downloaded. 50,000 products (2,000 in the short mode). The bulk operation is
//! polled every 200 ms here (in a store it runs for a while; the stack polls every 2 s).
//! Figures, not assertions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reelcart_platform_sim::{SHOPIFY_ADMIN_TOKEN, Sim};
use reelcart_platforms::shopify::ShopifyAdmin;
use reelcart_platforms::shopify_graphql::BulkPolling;
use secrecy::SecretString;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn n() -> usize {
    if reelcart_bench::full_run() {
        50_000
    } else {
        2_000
    }
}

const SIZES: [&str; 3] = ["S", "M", "L"];

fn product(i: usize) -> Value {
    json!({
        "id": 9_000_000 + i, "title": format!("Linen shirt {i}"),
        "body_html": "<p>Washed <strong>linen</strong>, relaxed fit.</p>", "vendor": "Acme",
        "handle": format!("linen-shirt-{i}"), "status": "active", "tags": "summer",
        "options": [{"name": "Size"}],
        "images": [{"id": 80_000_000 + i, "src": format!("https://cdn.example/shirt-{i}.jpg"), "width": 1600, "height": 1600}],
        "variants": (0..3).map(|v| json!({"id": 7_000_000 + i * 3 + v, "sku": format!("SHIRT-{i}-{v}"),
            "price": "49.00", "inventory_quantity": 7, "inventory_policy": "deny", "barcode": null,
            "grams": 300, "option1": SIZES[v], "unit_cost": "21.50"})).collect::<Vec<_>>(),
    })
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let sim = Sim::default();
    let addr = sim.serve(([127, 0, 0, 1], 0).into()).await.unwrap();
    let base = format!("http://{addr}");
    sim.set_shopify_products((0..n()).map(product).collect());
    let admin =
        ShopifyAdmin::new(&base, SecretString::from(SHOPIFY_ADMIN_TOKEN.to_string())).unwrap();
    println!(
        "\n== Shopify full pull, {} products × 3 variants (same run, simulator on loopback) ==",
        n()
    );

    let (calls0, t) = (sim.calls("shopify-admin"), Instant::now());
    let mut rest = 0usize;
    admin
        .products(|page| {
            rest += page.len();
            async { Ok::<(), String>(()) }
        })
        .await
        .unwrap();
    let rest_time = t.elapsed();
    let rest_calls = sim.calls("shopify-admin") - calls0;

    let (calls0, t) = (sim.calls("shopify-admin"), Instant::now());
    let mut bulk = 0usize;
    let mut with_cost = 0usize;
    admin
        .bulk_products(
            BulkPolling {
                every: Duration::from_millis(200),
                at_most: Duration::from_secs(600),
            },
            |page| {
                bulk += page.len();
                with_cost += page
                    .iter()
                    .filter(|p| p["variants"][0]["unit_cost"].is_string())
                    .count();
                async { Ok::<(), String>(()) }
            },
        )
        .await
        .unwrap();
    let bulk_time = t.elapsed();
    let bulk_calls = sim.calls("shopify-admin") - calls0;
    assert_eq!((rest, bulk), (n(), n()), "both read every product");

    println!(
        "REST paging (250 a page)   {:>8.0} ms  {:>6} requests  unit costs: no",
        rest_time.as_secs_f64() * 1e3,
        rest_calls
    );
    println!(
        "GraphQL bulk operation     {:>8.0} ms  {:>6} requests + {} download  unit costs: {} of {}",
        bulk_time.as_secs_f64() * 1e3,
        bulk_calls,
        sim.calls("shopify-bulk"),
        with_cost,
        bulk
    );
    println!(
        "bulk / REST: {:.2}× the time, {:.3}× the requests (in a store, REST's requests are also rate-limited: 2 a second on a standard plan)",
        bulk_time.as_secs_f64() / rest_time.as_secs_f64(),
        bulk_calls as f64 / rest_calls as f64
    );
}
