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
