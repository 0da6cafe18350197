//! The storefront loop on the local stack, in a real browser: transcoded videos in the demo
//! product page's feed (Debian's Chromium through playwright-core), a swipe, a product click and an
//! add to cart; the funnel API then shows the impressions, views and clicks; a signed Shopify
//! order carrying the cart's token credits that content and its creator; a refund takes it back.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reelcart_aws::DynamoCatalog;
use reelcart_e2e::*;
use reelcart_ports::CatalogStore;
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
    let now = now();
    let ids = publish_videos(&stack, sku, &["cr_ana", "cr_ben"], now).await;
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

/// The feed on a Shopify storefront (the simulator's store, a standard theme's product page with
/// the app embed and the app block): "Add" on a video's product puts that variant in the store's
/// own cart, with the attribution token as a cart attribute, and the theme's cart count changes —
/// through the theme's standard `updateCart` action, and on a page without it through
/// `/cart/add.js`; checkout sends the signed `orders/create` webhook whose `note_attributes`
/// carry the token, and the video's creator is credited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_shopify_product_page_add_goes_to_the_stores_cart_and_checkout_credits_the_creator() {
    let web = web_dir();
    let stack = start_stack().await;
    let http = reqwest::Client::new();
    // The store's product, and the catalog as the stack pulls it from the store.
    let product = json!({"id": 8_123_456_789u64, "title": "Organic cotton tee", "handle": "organic-tee",
        "status": "active", "body_html": "<p>Heavyweight.</p>", "vendor": "Reelcart Demo",
        "options": [{"name": "Size"}],
        "images": [{"id": 1, "src": format!("{}/_sim/cdn/tee-1.jpg", stack.sim_url), "width": 1200, "height": 1200}],
        "variants": [
            {"id": 44_100_000_001u64, "sku": "TEE-S", "price": "29.00", "inventory_quantity": 9, "option1": "S"},
            {"id": 44_100_000_002u64, "sku": "TEE-M", "price": "29.00", "inventory_quantity": 9, "option1": "M"}]});
    stack.sim.set_shopify_products(vec![product.clone()]);
    let settings = reelcart_domain::catalog::import::StoreSettings {
        store_url: stack.sim_url.clone(),
        currency: "USD".into(),
    };
    let dynamo = aws_sdk_dynamodb::Client::new(&stack.emulator.sdk);
    DynamoCatalog::new(dynamo, stack.physical("CatalogTable").unwrap())
        .put_products(&[reelcart_domain::catalog::import::from_shopify(
            &product.to_string(),
            &settings,
        )
        .unwrap()])
        .await
        .unwrap();
    let ids = publish_videos(&stack, "TEE-M", &["cr_mia"], now()).await;

    let shots = web.join("test-results/shopify");
    let browser = |args: Vec<String>| {
        let script = web.join("tests/shopify.mjs");
        async move {
            let run = tokio::process::Command::new("node")
                .arg(script)
                .args(&args)
                .output()
                .await
                .expect("node runs (make tools installs it)");
            let stderr = String::from_utf8_lossy(&run.stderr);
            let stdout = String::from_utf8_lossy(&run.stdout);
            assert!(
                run.status.success(),
                "shopify.mjs {args:?} failed: {stderr}\n{stdout}"
            );
            let out: Value =
                serde_json::from_str(stdout.lines().rfind(|l| l.starts_with('{')).unwrap())
                    .unwrap();
            println!("browser: {out}");
            out
        }
    };
    let args = |phase: &str| {
        vec![
            phase.to_string(),
            stack.sim_url.clone(),
            "organic-tee".to_string(),
            shots.to_str().unwrap().to_string(),
        ]
    };
    let out = browser(args("add")).await;
    assert_eq!(out["feed_items"], 1, "{out}");
    assert_eq!(
        out["cart_counts"],
        json!([0, 1, 2]),
        "the theme's cart count after each add: {out}"
    );
    assert_eq!(
        out["added_variants"],
        json!([44_100_000_002u64, 44_100_000_002u64]),
        "by variant id, through /cart/add.js: {out}"
    );
    assert_eq!(out["used_standard_action"], true, "{out}");
    let token = out["cart_token_attribute"]
        .as_str()
        .expect("the token is a cart attribute");
    assert!(token.starts_with("rc1."), "{token}");

    // The shopper's touches are counted (the beacons reached the collector from the store's
    // origin); then they check out.
    let admin = stack.token("admin-1", &["admin"]).unwrap();
    let base = stack.url();
    let today = reelcart_domain::attribution::day_of(now());
    eventually(
        Duration::from_secs(30),
        "the add-to-cart beacons counted",
        || {
            let r = http
                .get(format!(
                    "{base}/v1/analytics/funnel?from={today}&to={today}&by=content"
                ))
                .bearer_auth(&admin);
            let id = ids[0].clone();
            async move {
                let v: Value = r.send().await.ok()?.json().await.ok()?;
                v["rows"]
                    .as_array()?
                    .iter()
                    .find(|r| r["key"] == id.as_str() && r["add_to_carts"].as_i64() >= Some(2))
                    .cloned()
            }
        },
    )
    .await;
    let mut checkout = args("checkout");
    checkout.push(out["cart_token"].as_str().unwrap().to_string());
    let out = browser(checkout).await;
    assert!(
        out["webhook"].as_str().unwrap().contains("HTTP 200"),
        "{out}"
    );

    // The creator and the video are credited with the order (two of the variant at 29.00).
    let funnel = |by: &'static str| {
        let r = http
            .get(format!(
                "{base}/v1/analytics/funnel?from={today}&to={today}&by={by}"
            ))
            .bearer_auth(&admin);
        async move {
            let v: Value = r.send().await.ok()?.json().await.ok()?;
            v["rows"].as_array().cloned()
        }
    };
    let credited = eventually(
        Duration::from_secs(30),
        "the order credited to the creator",
        || {
            let f = funnel("creator");
            async move {
                f.await?
                    .into_iter()
                    .find(|r| r["key"] == "cr_mia" && r["orders"] == 1.0)
            }
        },
    )
    .await;
    assert_eq!(credited["revenue"], "58.00", "{credited}");
    let by_content = funnel("content").await.unwrap();
    let video = by_content
        .iter()
        .find(|r| r["key"] == ids[0].as_str())
        .unwrap();
    assert_eq!(video["revenue"], "58.00", "{video}");
}
