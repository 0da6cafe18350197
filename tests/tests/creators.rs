//! The creator API on the local stack: API Gateway's JWT check, onboarding, terms, a signed link,
//! and an upload through the presigned POST it hands out, arriving as the creator's item with the
//! accepted terms as its consent and moving through transcoding; a discount code created in the
//! store and matched on an order; creator B reading none of A's data through any route.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reelcart_aws::{DynamoCatalog, DynamoContent};
use reelcart_domain::content::{Consent, Source, UgcItem};
use reelcart_e2e::*;
use reelcart_media::samples::{Sample, generate};
use reelcart_ports::CatalogStore;
use reelcart_ports::{ItemStore, RightsStore};
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_creator_onboards_links_and_uploads_through_the_portal_api() {
    let stack = start_stack().await;
    let http = reqwest::Client::new();
    let base = stack.url();
    let dynamo = aws_sdk_dynamodb::Client::new(&stack.emulator.sdk);
    let content = DynamoContent::new(dynamo.clone(), stack.physical("ContentTable").unwrap());
    DynamoCatalog::new(dynamo, stack.physical("CatalogTable").unwrap())
        .put_products(&[reelcart_local::seed::catalog_product(1, &stack.sim_url)])
        .await
        .unwrap();
    let me = stack.token("cr_e2e", &["creator"]).unwrap();
    let call = |method: &str, path: &str, token: Option<&str>, body: Option<Value>| {
        let mut r = http.request(method.parse().unwrap(), format!("{base}{path}"));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        async move {
            let resp = r.send().await.unwrap();
            let s = resp.status().as_u16();
            (s, resp.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    assert_eq!(call("GET", "/v1/creators/me", None, None).await.0, 401);
    let moderator = stack.token("mod", &["moderator"]).unwrap();
    assert_eq!(
        call("GET", "/v1/creators/me", Some(&moderator), None)
            .await
            .0,
        403
    );
    let (s, out) = call(
        "PUT",
        "/v1/creators/me",
        Some(&me),
        Some(json!({"display_name": "E2E", "handles": {"tiktok": "e2e.wears"}})),
    )
    .await;
    assert_eq!(s, 201, "{out}");
    let version = out["terms"]["version"].as_str().unwrap().to_string();
    assert_eq!(
        call(
            "POST",
            "/v1/creators/me/terms",
            Some(&me),
            Some(json!({"version": version}))
        )
        .await
        .0,
        200
    );
    let (s, link) = call(
        "POST",
        "/v1/creators/me/links",
        Some(&me),
        Some(json!({"sku": "TEE-00001", "campaign": "fall"})),
    )
    .await;
    assert_eq!(s, 201, "{link}");
    assert!(
        link["url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{base}/r/"))
    );
    // The link: a redirect to the product with UTM and a token, whose order credits the creator.
    let no_follow = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = no_follow
        .get(link["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 302);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        location.contains("utm_source=reelcart") && location.contains("utm_campaign=fall"),
        "{location}"
    );
    let token = location.rsplit_once("rc_token=").unwrap().1.to_string();
    let tampered = link["url"].as_str().unwrap().replace("/r/", "/r/x");
    assert_eq!(
        no_follow
            .get(tampered)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        404
    );
    let order = json!({"id": 7_700_001u64, "created_at": reelcart_e2e::rfc3339(reelcart_e2e::now() + 1),
        "total_price": "42.00", "currency": "USD", "note_attributes": [{"name": "reelcart_token", "value": token}]});
    assert_eq!(
        shopify_webhook(&http, &stack, "orders/create", "evt-link-order", &order).await,
        200
    );
    let admin = stack.token("admin", &["admin"]).unwrap();
    let today = reelcart_domain::attribution::day_of(now());
    let credited = eventually(Duration::from_secs(30), "the link's order credited", || {
        let url = format!("{base}/v1/analytics/funnel?from={today}&to={today}&by=creator");
        let r = http.get(url).bearer_auth(&admin);
        async move {
            let v: Value = r.send().await.unwrap().json().await.unwrap();
            v["rows"]
                .as_array()?
                .iter()
                .find(|r| r["key"] == "cr_e2e" && r["orders"] == 1.0)
                .cloned()
        }
    })
    .await;
    assert_eq!(
        (
            credited["product_clicks"].as_i64(),
            credited["revenue"].as_str()
        ),
        (Some(1), Some("42.00"))
    );
    // The creator sees it on their dashboard, and what it earns them.
    let (s, dash) = call("GET", "/v1/creators/me/dashboard?days=7", Some(&me), None).await;
    assert_eq!(s, 200, "{dash}");
    assert_eq!(
        (
            dash["totals"]["product_clicks"].as_i64(),
            dash["totals"]["orders"].as_f64()
        ),
        (Some(1), Some(1.0))
    );
    let (_, pay) = call(
        "GET",
        &format!("/v1/creators/me/payouts?from={today}&to={today}"),
        Some(&me),
        None,
    )
    .await;
    assert_eq!(pay["attributed_revenue"], "42.00");
    assert_eq!(pay["payout"], "4.20");

    // The upload, as the portal's browser would send it.
    let (s, up) = call(
        "POST",
        "/v1/creators/me/uploads",
        Some(&me),
        Some(json!({"content_type": "video/mp4", "caption": "Fall fit"})),
    )
    .await;
    assert_eq!(s, 201, "{up}");
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("c.mp4");
    generate(Path::new("ffmpeg"), Sample::new(720, 1280, 2.0), &clip)
        .await
        .unwrap();
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in up["form"]["fields"].as_object().unwrap() {
        form = form.text(k.clone(), v.as_str().unwrap().to_string());
    }
    form = form.part(
        "file",
        reqwest::multipart::Part::bytes(std::fs::read(&clip).unwrap())
            .file_name("c.mp4")
            .mime_str("video/mp4")
            .unwrap(),
    );
    let r = http
        .post(up["form"]["url"].as_str().unwrap())
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "upload: {}", r.status());
    let upload_id = up["upload_id"].as_str().unwrap();
    let id = UgcItem::id_for(Source::Upload, &format!("cr_e2e/{upload_id}"));
    let item = eventually(Duration::from_secs(30), "the upload ingested", || {
        let content = content.clone();
        let id = id.clone();
        async move { content.item(&id).await.unwrap() }
    })
    .await;
    assert_eq!(item.caption, "Fall fit");
    assert_eq!(item.author.creator_id.as_deref(), Some("cr_e2e"));
    let rights = content.rights(&id).await.unwrap();
    assert!(
        matches!(&rights[0].consent, Consent::PortalTerms { creator_id, terms_version, .. }
        if creator_id == "cr_e2e" && *terms_version == version)
    );

    // The submission moves through transcoding where the creator sees it.
    let sub = eventually(Duration::from_secs(60), "the upload transcoded", || {
        let r = call("GET", "/v1/creators/me/submissions", Some(&me), None);
        let id = id.clone();
        async move {
            let (_, v) = r.await;
            v["submissions"]
                .as_array()?
                .iter()
                .find(|s| s["item_id"] == id.as_str() && s["media"] == "transcoded")
                .cloned()
        }
    })
    .await;
    assert_eq!(sub["status"], "queued");
    assert!(sub["master"].as_str().unwrap().ends_with(".m3u8"), "{sub}");

    // A discount code: asked for, approved by the brand, then made in the store (the Shopify
    // simulator's GraphQL Admin API) and matched on an order.
    let (s, code) = call(
        "POST",
        "/v1/creators/me/codes",
        Some(&me),
        Some(json!({"campaign": "fall"})),
    )
    .await;
    assert_eq!(s, 201, "{code}");
    assert_eq!(code["code"]["status"], "requested", "{code}");
    let code = code["code"]["code"].as_str().unwrap().to_string();
    let brand = stack.token("brand-admin", &["admin"]).unwrap();
    let (s, decided) = call(
        "POST",
        &format!("/v1/creators/codes/{code}"),
        Some(&brand),
        Some(json!({"decision": "approve"})),
    )
    .await;
    assert_eq!(
        (s, decided["code"]["status"].as_str()),
        (200, Some("active")),
        "{decided}"
    );
    let store = sim_get(&stack, "/_sim/shopify/discount_codes").await;
    let in_store = store["discount_codes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["discount_code"]["code"] == code.as_str())
        .unwrap_or_else(|| panic!("{code} not in the store: {store}"));
    assert_eq!(in_store["discount_code"]["percentage"], 0.1, "{in_store}");
    assert_eq!(in_store["discount_code"]["applies_once_per_customer"], true);
    let order = json!({"id": 7_700_002u64, "created_at": reelcart_e2e::rfc3339(reelcart_e2e::now() + 2),
        "total_price": "18.00", "currency": "USD",
        "discount_codes": [{"code": code, "amount": "2.00", "type": "percentage"}]});
    assert_eq!(
        shopify_webhook(&http, &stack, "orders/create", "evt-code-order", &order).await,
        200
    );
    eventually(Duration::from_secs(30), "the code's order credited", || {
        let r = call("GET", "/v1/creators/me/dashboard?days=7", Some(&me), None);
        async move {
            let (_, v) = r.await;
            (v["totals"]["orders"].as_f64() == Some(2.0)).then_some(())
        }
    })
    .await;

    // Creator B, through API Gateway's authorizer: every creator route answers with B's own
    // data only, and the brand's routes are closed to creators.
    let (s, _) = call(
        "POST",
        "/v1/creators/me/product-requests",
        Some(&me),
        Some(json!({"sku": "TEE-00001", "note": "size M"})),
    )
    .await;
    assert_eq!(s, 201);
    let ben = stack.token("cr_e2e_b", &["creator"]).unwrap();
    let (s, _) = call(
        "PUT",
        "/v1/creators/me",
        Some(&ben),
        Some(json!({"display_name": "B"})),
    )
    .await;
    assert_eq!(s, 201);
    let (_, mine) = call("GET", "/v1/creators/me/links", Some(&me), None).await;
    let a_link = mine["links"][0]["link"]["id"].as_str().unwrap().to_string();
    let month = &reelcart_domain::attribution::day_of(now())[..7];
    for path in [
        "/v1/creators/me".to_string(),
        "/v1/creators/me/links".into(),
        "/v1/creators/me/codes".into(),
        "/v1/creators/me/submissions".into(),
        format!("/v1/creators/me/calendar?month={month}"),
        "/v1/creators/me/product-requests".into(),
        "/v1/creators/me/dashboard?days=7".into(),
        format!("/v1/creators/me/payouts?from={today}&to={today}"),
    ] {
        let (s, v) = call("GET", &path, Some(&ben), None).await;
        assert_eq!(s, 200, "{path}: {v}");
        let text = v.to_string();
        for a in ["cr_e2e\"", &a_link, &code, &id, "42.00", "Fall fit"] {
            assert!(!text.contains(a), "B reads A's `{a}` at {path}: {text}");
        }
    }
    for (method, path) in [
        ("GET", "/v1/creators"),
        ("GET", "/v1/creators/payouts"),
        ("GET", "/v1/creators/product-requests"),
        ("POST", "/v1/creators/product-requests/cr_e2e/pr1"),
        ("GET", "/v1/creators/cr_e2e"),
        ("GET", "/v1/creators/cr_e2e/links"),
    ] {
        let s = call(
            method,
            path,
            Some(&ben),
            Some(json!({"status": "declined"})),
        )
        .await
        .0;
        assert!(s == 403 || s == 404, "{method} {path}: {s}");
    }
    // The brand's report has both, with A's payout.
    let (s, report) = call(
        "GET",
        &format!("/v1/creators/payouts?from={today}&to={today}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(s, 200, "{report}");
    let a_row = report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["creator_id"] == "cr_e2e")
        .unwrap();
    assert_eq!(a_row["attributed_revenue"], "60.00");
    assert_eq!(a_row["payout"], "6.00");
}
