//! Catalog sync end to end on the local stack: 10,000 products imported from a file dropped in
//! the import bucket, synced to the simulated Meta catalog and TikTok Shop by the scheduled
//! function, both remotes equal to the catalog; a 1 % change sends only those items; products
//! deleted in the store (Shopify webhooks) are deleted remotely; broken products are quarantined
//! with their reasons and never sent.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reelcart_aws::DynamoCatalog;
use reelcart_domain::catalog::{Channel, Image, Product, Weight};
use reelcart_domain::connection::OAuthPlatform;
use reelcart_e2e::*;
use reelcart_ports::CatalogStore;
use serde_json::Value;
use std::time::{Duration, Instant};

const N: usize = 10_000;
const BROKEN: usize = 10;

fn product(sim_url: &str, i: usize) -> Product {
    let mut p = reelcart_ports::contract::sample_product("e2e", i);
    p.id = format!("{}", 7_000_000 + i);
    // Products share their images, as variants of a line do: 50 distinct files.
    p.images = vec![Image {
        url: format!("{sim_url}/_sim/cdn/line-{}.jpg", i % 50),
        width: 1200,
        height: 1200,
    }];
    p.tiktok_category_id = Some("601226".into());
    p.variants[0].weight = Some(Weight {
        value: "0.35".parse().unwrap(),
        unit: "KILOGRAM".into(),
    });
    if i < BROKEN {
        // A GTIN with a wrong check digit: quarantined on both channels.
        p.variants[0].gtin = Some("6291041500214".into());
    }
    p
}

fn jsonl(products: &[Product]) -> String {
    products
        .iter()
        .map(|p| serde_json::to_string(p).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

/// A stack with a Meta account (and a TikTok Shop, with `tiktok_shop`) connected through the
/// admin consent flow, and its catalog table.
async fn connected_stack(tiktok_shop: bool) -> (reelcart_local::Stack, DynamoCatalog) {
    let stack = start_stack().await;
    stack.connect_as_admin(OAuthPlatform::Meta).await.unwrap();
    if tiktok_shop {
        stack
            .connect_as_admin(OAuthPlatform::TiktokShop)
            .await
            .unwrap();
    }
    let catalog = DynamoCatalog::new(
        aws_sdk_dynamodb::Client::new(&stack.emulator.sdk),
        stack.physical("CatalogTable").unwrap(),
    );
    (stack, catalog)
}

async fn drop_file(stack: &reelcart_local::Stack, key: &str, body: String) {
    let s3 = reelcart_aws::s3_client(&stack.emulator.sdk, true);
    s3.put_object()
        .bucket(stack.physical("ImportBucket").unwrap())
        .key(key)
        .content_type("application/x-ndjson")
        .body(body.into_bytes().into())
        .send()
        .await
        .unwrap();
}

async fn sync(stack: &reelcart_local::Stack) {
    stack
        .fire_schedule("CatalogSyncFunction.Sync")
        .await
        .expect("the schedule exists")
        .expect("the sync succeeds");
}

fn counts(stack: &reelcart_local::Stack) -> Value {
    stack.sim.catalog_json()["counts"].clone()
}

fn delta(before: &Value, after: &Value, k: &str) -> u64 {
    after[k].as_u64().unwrap_or(0) - before[k].as_u64().unwrap_or(0)
}

/// Both remotes hold exactly the valid products, with their current titles, prices and stock.
async fn assert_remotes_equal_catalog(stack: &reelcart_local::Stack, catalog: &DynamoCatalog) {
    let products = catalog.products().await.unwrap();
    let remote = stack.sim.catalog_json();
    let meta = remote["meta"][reelcart_local::LOCAL_META_CATALOG]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let tts: std::collections::HashMap<String, Value> = remote["tiktok_shop"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| {
            (
                p["skus"][0]["seller_sku"].as_str().unwrap().to_string(),
                p.clone(),
            )
        })
        .collect();
    let valid: Vec<&Product> = products
        .iter()
        .filter(|p| {
            p.variants[0]
                .gtin
                .as_deref()
                .is_none_or(|g| reelcart_domain::catalog::gtin::validate(g).is_ok())
        })
        .collect();
    assert_eq!(meta.len(), valid.len());
    assert_eq!(tts.len(), valid.len());
    for p in valid {
        let v = &p.variants[0];
        assert_eq!(meta[&v.sku]["price"], v.price.meta_format(), "{}", p.id);
        assert_eq!(meta[&v.sku]["title"], p.title);
        let t = &tts[&v.sku];
        assert_eq!(t["title"], p.title);
        assert_eq!(t["skus"][0]["price"]["amount"], v.price.amount_2dp());
        assert_eq!(t["skus"][0]["inventory"][0]["quantity"], v.inventory);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_thousand_products_sync_by_diff_to_both_channels() {
    let (stack, catalog) = connected_stack(true).await;

    // Import: a JSON-lines file dropped under imports/ reaches the catalog through S3 → SQS.
    let products: Vec<Product> = (0..N).map(|i| product(&stack.sim_url, i)).collect();
    let t = Instant::now();
    drop_file(&stack, "imports/catalog 2026-11-26.jsonl", jsonl(&products)).await;
    eventually(
        Duration::from_secs(300),
        "10,000 products imported",
        || async { (catalog.products().await.unwrap().len() == N).then_some(()) },
    )
    .await;
    eprintln!("import of {N} products: {:.1} s", t.elapsed().as_secs_f64());

    let t = Instant::now();
    sync(&stack).await;
    eprintln!(
        "first sync, both channels: {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let c = counts(&stack);
    assert_eq!(c["meta.create"], (N - BROKEN) as u64);
    assert_eq!(c["tts.create"], (N - BROKEN) as u64);
    assert_eq!(c["tts.images"], 50, "each distinct image uploaded once");
    assert_remotes_equal_catalog(&stack, &catalog).await;
    // The broken ones are quarantined on both channels, with their reason.
    for channel in Channel::ALL {
        let q = catalog.quarantined(channel).await.unwrap();
        assert_eq!(q.len(), BROKEN, "{channel}");
        assert!(
            q.iter()
                .all(|q| q.problems.iter().any(|p| p.code == "gtin_check_digit")),
            "{q:?}"
        );
    }

    // The report an operator reads: the same, through the API (role moderator or admin).
    let token = stack.token("ops-1", &["moderator"]).unwrap();
    let report: Value = reqwest::Client::new()
        .get(format!("{}/v1/catalog/quarantine", stack.url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for channel in ["meta", "tiktok-shop"] {
        let items = report["quarantine"][channel].as_array().unwrap();
        assert_eq!(items.len(), BROKEN, "{report}");
        assert_eq!(
            items[0]["problems"][0]["field"],
            if channel == "meta" {
                "gtin"
            } else {
                "skus[0].gtin"
            }
        );
        assert_eq!(items[0]["problems"][0]["code"], "gtin_check_digit");
    }

    // 1 %: 50 price changes and 50 title changes, re-imported.
    let mut changed = Vec::new();
    for i in (1000..1100).step_by(1) {
        let mut p = product(&stack.sim_url, i);
        if i % 2 == 0 {
            p.variants[0].price.amount = "21.40".parse().unwrap();
        } else {
            p.title = format!("Product {i} (new season)");
        }
        changed.push(p);
    }
    drop_file(&stack, "imports/changes.jsonl", jsonl(&changed)).await;
    eventually(Duration::from_secs(180), "changes imported", || async {
        let all = catalog.products().await.unwrap();
        all.iter()
            .any(|p| p.title == "Product 1099 (new season)")
            .then_some(())
    })
    .await;
    // Three products deleted in the store: Shopify's products/delete webhooks.
    let http = reqwest::Client::new();
    for i in [2000, 2001, 2002] {
        let id = 7_000_000 + i;
        let d = reelcart_local::simulator::shopify(
            reelcart_local::seed::DEMO_SHOPIFY_WEBHOOK_SECRET,
            "reelcart-demo.myshopify.com",
            "products/delete",
            &format!("del-{id}"),
            &format!(r#"{{"id":{id}}}"#),
        );
        assert_eq!(deliver(&http, &stack, &d).await.0, 200);
    }
    eventually(Duration::from_secs(30), "deletions applied", || async {
        (catalog.products().await.unwrap().len() == N - 3).then_some(())
    })
    .await;

    let before = counts(&stack);
    let t = Instant::now();
    sync(&stack).await;
    eprintln!(
        "1 % sync, both channels: {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let after = counts(&stack);
    assert_eq!(
        delta(&before, &after, "meta.update"),
        100,
        "only the changed items"
    );
    assert_eq!(delta(&before, &after, "meta.create"), 0);
    assert_eq!(delta(&before, &after, "meta.delete"), 3);
    assert_eq!(
        delta(&before, &after, "tts.prices"),
        50,
        "price-only → price endpoint"
    );
    assert_eq!(delta(&before, &after, "tts.edit"), 50);
    assert_eq!(delta(&before, &after, "tts.inventory"), 0);
    assert_eq!(delta(&before, &after, "tts.create"), 0);
    assert_eq!(delta(&before, &after, "tts.delete"), 3);
    assert_remotes_equal_catalog(&stack, &catalog).await;

    // Nothing changed: nothing sent.
    let before = counts(&stack);
    sync(&stack).await;
    assert_eq!(counts(&stack), before);
    let run = catalog.run(Channel::TiktokShop).await.unwrap().unwrap();
    assert_eq!((run.status.as_str(), run.planned), ("finished", 0));
    stack.stop().await;
}

/// A product as Shopify's Admin API lists it (a valid GTIN as the barcode).
fn shopify_product(sim_url: &str, i: usize) -> Value {
    let data = format!("{:012}", 400_000_000_000u64 + i as u64);
    let gtin = format!(
        "{data}{}",
        reelcart_domain::catalog::gtin::check_digit(&data).unwrap()
    );
    serde_json::json!({
        "id": 9_100_000 + i,
        "title": format!("Linen shirt {i}"),
        "body_html": "<p>Washed <strong>linen</strong>, relaxed fit.</p>",
        "vendor": "Reelcart Demo",
        "handle": format!("linen-shirt-{i}"),
        "status": "active",
        "tags": "summer, tiktok-category:601226",
        "options": [{"name": "Title"}],
        "images": [{"id": 1, "src": format!("{sim_url}/_sim/cdn/shirt-{}.jpg", i % 10), "width": 1600, "height": 1600}],
        "variants": [{"id": 7_100_000 + i, "sku": format!("SHIRT-{i:04}"), "price": "49.00",
            "inventory_quantity": 7, "inventory_policy": "deny", "barcode": gtin, "grams": 300,
            "option1": "Default Title", "unit_cost": "21.50"}],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_daily_pull_reads_the_store_through_its_admin_api_and_syncs_it() {
    let (stack, catalog) = connected_stack(false).await;
    let n = 600; // three pages of 250 through REST; one bulk operation through GraphQL
    stack
        .sim
        .set_shopify_products((0..n).map(|i| shopify_product(&stack.sim_url, i)).collect());
    // The first request is throttled (429, Retry-After: 1): the pull waits and goes on.
    stack.sim.throttle("shopify-admin", 1, 1);
    stack
        .fire_schedule("CatalogSyncFunction.Pull")
        .await
        .expect("the pull schedule exists")
        .expect("the pull succeeds");
    assert_eq!(
        stack.sim.calls("shopify-admin"),
        4,
        "a bulk operation started and polled twice, and one throttled request"
    );
    assert_eq!(
        stack.sim.calls("shopify-bulk"),
        1,
        "one download of the result"
    );
    let products = catalog.products().await.unwrap();
    assert_eq!(products.len(), n);
    let p = products.iter().find(|p| p.id == "9100007").unwrap();
    assert_eq!(p.description, "Washed linen, relaxed fit.");
    assert_eq!(p.variants[0].price.amount_2dp(), "49.00");
    assert!(p.link.ends_with("/products/linen-shirt-7"));
    assert_eq!(
        p.variants[0].unit_cost.as_ref().map(|c| c.amount_2dp()),
        Some("21.50".to_string()),
        "unit costs come with the bulk pull"
    );
    assert_eq!(
        p.variants[0].weight.as_ref().map(|w| w.value.to_string()),
        Some("0.300".to_string())
    );
    sync(&stack).await;
    let remote = stack.sim.catalog_json();
    assert_eq!(
        remote["meta"][reelcart_local::LOCAL_META_CATALOG]
            .as_object()
            .unwrap()
            .len(),
        n,
        "every pulled product is valid for Meta (GTIN barcodes)"
    );
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_sync_resumes_without_duplicates_and_throttling_is_waited_out() {
    let (stack, catalog) = connected_stack(true).await;
    let n = N;
    let products: Vec<Product> = (BROKEN..BROKEN + n)
        .map(|i| product(&stack.sim_url, i))
        .collect();
    catalog.put_products(&products).await.unwrap();
    // The function as deployed, with a short lease so that a killed run's lease expires quickly.
    let spec = stack
        .functions
        .iter()
        .find(|f| f.binary == "catalog-sync")
        .unwrap();
    let mut env = spec.env.clone();
    env.insert("SYNC_LEASE_SECS".into(), "2".into());
    let handler = std::sync::Arc::new(
        catalog_sync::from_aws(
            &reelcart_lambda::config::Vars(|k: &str| env.get(k).cloned()),
            &stack.emulator.sdk,
            std::sync::Arc::new(reelcart_domain::SystemClock),
        )
        .await
        .unwrap(),
    );

    // TikTok Shop answers 429 (Retry-After: 1) three times; the run is killed mid-way.
    stack.sim.throttle("tiktok-shop-products", 3, 1);
    let task = {
        let h = handler.clone();
        tokio::spawn(async move { h.run_channel(Channel::TiktokShop, None).await })
    };
    eventually(Duration::from_secs(180), "some creates", || async {
        (counts(&stack)["tts.create"].as_u64().unwrap_or(0) >= 1500).then_some(())
    })
    .await;
    task.abort();
    let killed_at = counts(&stack)["tts.create"].as_u64().unwrap();
    assert!(killed_at < n as u64, "killed before the end ({killed_at})");
    tokio::time::sleep(Duration::from_millis(2100)).await; // the killed run's lease expires
    let killed = catalog.run(Channel::TiktokShop).await.unwrap().unwrap();
    assert_eq!(killed.status, "running", "killed mid-run: {killed:?}");
    let run = handler
        .run_channel(Channel::TiktokShop, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(run.status, "finished");
    assert!(
        run.waited_secs >= 1,
        "the throttling was waited out: {run:?}"
    );
    let c = counts(&stack);
    assert_eq!(c["tts.create"], n as u64, "no duplicate creates");
    assert_eq!(
        stack.sim.catalog_json()["tiktok_shop"]
            .as_object()
            .unwrap()
            .len(),
        n
    );

    // Meta throttles a batch (80014, access regained "now"): the run pauses and completes.
    stack.sim.throttle("meta-catalog", 1, 0);
    let run = handler
        .run_channel(Channel::Meta, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((run.status.as_str(), run.done), ("finished", n));
    assert_eq!(run.waited_secs, 10);
    assert_eq!(counts(&stack)["meta.create"], n as u64);
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shopify_product_webhooks_update_the_catalog_and_the_channels() {
    let (stack, catalog) = connected_stack(true).await;
    let http = reqwest::Client::new();
    let send = |topic: &'static str, id: &str, body: Value| {
        reelcart_local::simulator::shopify(
            reelcart_local::seed::DEMO_SHOPIFY_WEBHOOK_SECRET,
            "reelcart-demo.myshopify.com",
            topic,
            id,
            &body.to_string(),
        )
    };
    // products/create → catalog → both channels.
    let mut p = shopify_product(&stack.sim_url, 1);
    assert_eq!(
        deliver(&http, &stack, &send("products/create", "e1", p.clone()))
            .await
            .0,
        200
    );
    eventually(Duration::from_secs(30), "product created", || async {
        (catalog.products().await.unwrap().len() == 1).then_some(())
    })
    .await;
    sync(&stack).await;
    // products/update with a new price → a Meta update and a TikTok Shop price-only call.
    p["variants"][0]["price"] = Value::String("39.00".into());
    assert_eq!(
        deliver(&http, &stack, &send("products/update", "e2", p))
            .await
            .0,
        200
    );
    eventually(Duration::from_secs(30), "price updated", || async {
        let ps = catalog.products().await.unwrap();
        (ps[0].variants[0].price.amount_2dp() == "39.00").then_some(())
    })
    .await;
    let before = counts(&stack);
    sync(&stack).await;
    let after = counts(&stack);
    assert_eq!(delta(&before, &after, "meta.update"), 1);
    assert_eq!(delta(&before, &after, "tts.prices"), 1);
    assert_eq!(delta(&before, &after, "tts.edit"), 0);
    assert_remotes_equal_catalog(&stack, &catalog).await;
    stack.stop().await;
}
