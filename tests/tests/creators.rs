//! The creator API on the local stack: API Gateway's JWT check, onboarding, terms, a signed link,
//! and an upload through the presigned POST it hands out, arriving as the creator's item with the
//! accepted terms as its consent.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reelcart_aws::{DynamoCatalog, DynamoContent};
use reelcart_domain::content::{Consent, Source, UgcItem};
use reelcart_e2e::*;
use reelcart_media::samples::{Sample, generate};
use reelcart_ports::{CatalogStore, ContentStore};
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
        "total_price": "42.00", "currency": "USD", "note_attributes": [{"name": "reelcart_token", "value": token}]})
    .to_string();
    let d = reelcart_local::simulator::shopify(
        reelcart_local::seed::DEMO_SHOPIFY_WEBHOOK_SECRET,
        "reelcart-demo.myshopify.com",
        "orders/create",
        "evt-link-order",
        &order,
    );
    assert_eq!(post(&http, &stack, &d).await.0, 200);
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
}
