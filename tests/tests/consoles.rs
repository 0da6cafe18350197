//! Both consoles on the local stack, in a real browser (Debian's Chromium via playwright-core):
//! a creator signs up in the portal, gets a link and a discount code (created in the Shopify
//! simulator), uploads a video and watches it move through transcoding; a moderator approves it in
//! the console, maps it to a SKU found by catalog search and publishes it, and it appears in the
//! storefront's feed; the brand approves the creator's product request; shoppers follow the link
//! and order, with the link and with the code; the creator's dashboard shows the clicks and orders
//! and the request shows the brand's answer. Screenshots land in
//! `web/test-results/consoles/`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reelcart_aws::DynamoCatalog;
use reelcart_e2e::*;
use reelcart_media::samples::{Sample, generate};
use reelcart_ports::CatalogStore;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::Duration;

fn web_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../web")
}

/// Run a browser script; its last JSON line.
async fn node(script: &str, args: &[&str]) -> Value {
    let run = tokio::process::Command::new("node")
        .arg(web_dir().join("tests").join(script))
        .args(args)
        .output()
        .await
        .expect("node runs (make tools installs it)");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "{script} {args:?} failed:\n{stderr}\n{stdout}"
    );
    let line = stdout
        .lines()
        .rfind(|l| l.starts_with('{'))
        .unwrap_or_else(|| panic!("{script} printed no JSON: {stdout}"));
    let out: Value = serde_json::from_str(line).unwrap();
    println!("{script}: {out}");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_creator_and_a_moderator_take_a_video_from_upload_to_orders() {
    let web = web_dir();
    assert!(
        web.join("node_modules/playwright-core").exists(),
        "the web tools are not installed: run `make web`"
    );
    let stack = start_stack().await;
    let http = reqwest::Client::new();
    let base = stack.url();
    let dynamo = aws_sdk_dynamodb::Client::new(&stack.emulator.sdk);
    DynamoCatalog::new(dynamo, stack.physical("CatalogTable").unwrap())
        .put_products(&[
            reelcart_local::seed::catalog_product(1, &stack.sim_url),
            reelcart_local::seed::catalog_product(2, &stack.sim_url),
        ])
        .await
        .unwrap();
    let sku = "TEE-00001";
    // A new address each run: the creator signs themselves up with it.
    let email = format!("creator-{}@example.com", now());
    let shots = web.join("test-results/consoles");
    let shots_arg = shots.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let clip = dir.path().join("clip.mp4");
    generate(Path::new("ffmpeg"), Sample::new(720, 1280, 4.0), &clip)
        .await
        .unwrap();

    // The creator's side: sign-up, terms, a link, a code, an upload moving through transcoding.
    let signup = node(
        "portal.mjs",
        &[
            "signup",
            &base,
            &email,
            sku,
            clip.to_str().unwrap(),
            shots_arg,
        ],
    )
    .await;
    let creator = signup["creator"].as_str().unwrap().to_string();
    let item_id = signup["item_id"].as_str().unwrap().to_string();
    let link_url = signup["link_url"].as_str().unwrap().to_string();
    let code = signup["code"]
        .as_str()
        .expect("a discount code (the stack has a store)")
        .to_string();
    assert_eq!(signup["request_status"], "requested", "{signup}");
    let seen = signup["seen"].as_array().unwrap();
    assert_eq!(
        seen.last().unwrap(),
        &json!(["queued", "transcoded"]),
        "the portal showed the upload transcoded: {seen:?}"
    );
    // Asked for, not yet in the store: the brand approves it in the console.
    let store = sim_get(&stack, "/_sim/shopify/discount_codes").await;
    assert!(
        !store.to_string().contains(&code),
        "{code} waits for the brand: {store}"
    );
    // Two shoppers follow the link (the redirect records each click).
    let no_follow = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut token = String::new();
    for _ in 0..2 {
        let r = no_follow.get(&link_url).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 302);
        let location = r.headers()["location"].to_str().unwrap();
        token = location.rsplit_once("rc_token=").unwrap().1.to_string();
    }

    // The moderator's side: preview, approve, map, publish; then it is on the product page.
    let console = node("console.mjs", &[&base, &item_id, sku, shots_arg]).await;
    assert_eq!(
        (&console["approved"], &console["published"]),
        (&json!(true), &json!(true))
    );
    // The queued upload is not on the CDN: the preview played from signed links, with hls.js
    // too (cross-origin to the bucket) where the browser also plays HLS natively.
    assert!(
        console["preview_hls"] == "hls.js" || console["preview_hlsjs"] == true,
        "{console}"
    );
    assert!(
        console["audit"]
            .as_array()
            .unwrap()
            .contains(&json!("published")),
        "{console}"
    );
    assert_eq!(
        console["codes_approved"],
        json!([code.as_str()]),
        "{console}"
    );
    // Approved: the code is in the store, ending and limited as the brand set.
    let store = sim_get(&stack, "/_sim/shopify/discount_codes").await;
    assert!(
        store["discount_codes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["discount_code"]["code"] == code.as_str()),
        "{code} in the store: {store}"
    );

    let made = store["discount_codes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["discount_code"]["code"] == code.as_str())
        .unwrap();
    let made = &made["discount_code"];
    assert_eq!(made["applies_once_per_customer"], true, "{made}");
    assert_eq!(made["usage_limit"], 1000, "{made}");
    assert!(made["ends_at"].is_string(), "{made}");
    assert_eq!(console["product_request"], "approved", "{console}");
    assert_eq!(
        console["connections"],
        json!(["shopify#reelcart-demo.myshopify.com:active"]),
        "the admin connected the store from the console"
    );
    assert!(
        console["storefront_items"]
            .as_array()
            .unwrap()
            .contains(&json!(item_id)),
        "{console}"
    );

    // Orders: one through the link's token, one with the code.
    for (n, order) in [
        json!({"note_attributes": [{"name": "reelcart_token", "value": token}], "total_price": "42.00"}),
        json!({"discount_codes": [{"code": code, "amount": "1.80", "type": "percentage"}], "total_price": "16.20"}),
    ]
    .into_iter()
    .enumerate()
    {
        let mut order = order;
        order["id"] = json!(8_800_000 + n);
        order["created_at"] = json!(rfc3339(now() + n as i64));
        order["currency"] = json!("USD");
        let event = format!("evt-console-order-{n}");
        let status = shopify_webhook(&http, &stack, "orders/create", &event, &order).await;
        assert_eq!(status, 200);
    }
    let me = stack.token(&creator, &["creator"]).unwrap();
    eventually(Duration::from_secs(30), "both orders credited", || {
        let r = http
            .get(format!("{base}/v1/creators/me/dashboard?days=7"))
            .bearer_auth(&me);
        async move {
            let v: Value = r.send().await.ok()?.json().await.ok()?;
            (v["totals"]["orders"].as_f64() == Some(2.0)).then_some(())
        }
    })
    .await;

    // The creator's dashboard, in the browser.
    let dash = node("portal.mjs", &["dashboard", &base, &email, shots_arg]).await;
    assert_eq!(dash["submission_status"], "published");
    assert_eq!(dash["request_status"], "approved", "{dash}");
    assert!(
        dash["request_text"]
            .as_str()
            .unwrap()
            .contains("Shipping Monday"),
        "{dash}"
    );
    assert_eq!(dash["clicks"], 2, "{dash}");
    assert_eq!(dash["orders"], 2, "{dash}");
    assert_eq!(dash["revenue"], "58.20", "{dash}");
    for out in [&signup, &console, &dash] {
        assert_eq!(out["csp_violations"], json!([]), "{out}");
    }
    let shots_taken = [&signup, &console, &dash]
        .iter()
        .map(|o| o["screenshots"].as_array().map_or(0, Vec::len))
        .sum::<usize>();
    assert!(shots_taken >= 8, "screenshots: {shots_taken}");
}

/// Sessions in the console, in the browser: an invited moderator follows a link to an item, signs
/// in and approves it; their 12-second token is refreshed in the background (the API refuses the
/// old one by then); sign-out revokes the refresh token; a refresh token revoked elsewhere ends
/// the session with a message; a creator gets a page that says the console is not for them, and
/// the moderation API refuses their token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_sessions_refresh_silently_end_clearly_and_keep_creators_out() {
    use reelcart_aws::DynamoContent;
    use reelcart_domain::content::{MediaType, Source, UgcItem};
    use reelcart_ports::ItemStore;
    let web = web_dir();
    let stack = start_stack().await;
    let dynamo = aws_sdk_dynamodb::Client::new(&stack.emulator.sdk);
    let content = DynamoContent::new(dynamo, stack.physical("ContentTable").unwrap());
    let item = UgcItem::new(
        Source::InstagramHashtag,
        "session-e2e",
        MediaType::Video,
        "wearing it every day #acme",
        now() - 60,
    );
    assert!(content.create_item(&item).await.unwrap());
    let shots = web.join("test-results/sessions");
    let out = node(
        "session.mjs",
        &[&stack.url(), &item.id, shots.to_str().unwrap()],
    )
    .await;
    // The console is served with the distribution's headers, and runs under them.
    let csp = out["csp"].as_str().expect("a content security policy");
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(out["frame_options"], "DENY");
    assert_eq!(out["csp_violations"], json!([]), "{out}");
    assert_eq!(out["landed_on_item"], true, "{out}");
    assert_eq!(out["approved"], true, "{out}");
    assert_eq!(
        out["admin_tabs_visible"], 0,
        "a moderator sees no admin tabs"
    );
    assert_eq!(
        out["address_has_code"], false,
        "the code left the address bar"
    );
    assert!(
        out["whoami"].as_str().unwrap().contains("moderator"),
        "{out}"
    );
    // Silent refresh: the first token had expired (the API said 401), the console had a new one
    // from a refresh grant and never showed the sign-in.
    assert_eq!(out["first_token_after_expiry"], 401, "{out}");
    assert_eq!(out["refreshed"], true, "{out}");
    assert!(out["refresh_grants"].as_u64().unwrap() >= 1, "{out}");
    assert_eq!(out["signin_shown_after_refresh"], 0, "{out}");
    assert_eq!(out["second_token_status"], 200, "{out}");
    // Sign-out: nothing kept, the refresh token refused.
    assert_eq!(out["tokens_after_signout"], Value::Null, "{out}");
    assert_eq!(
        out["refresh_after_signout"],
        json!({"status": 400, "error": "invalid_grant"})
    );
    // A refresh token revoked elsewhere: a message, and the sign-in.
    assert!(
        out["ended_message"]
            .as_str()
            .unwrap()
            .contains("session has ended"),
        "{out}"
    );
    // A creator: a clear page in the console, 403 from the API.
    assert!(
        out["refused_text"]
            .as_str()
            .unwrap()
            .contains("cannot use the moderation console"),
        "{out}"
    );
    assert_eq!(out["tabs_visible_to_creator"], 0, "{out}");
    assert_eq!(out["creator_on_moderation"]["status"], 403, "{out}");
    assert!(
        out["portal_refused_text"]
            .as_str()
            .unwrap()
            .contains("not a creator account"),
        "{out}"
    );
    assert_eq!(out["portal_nav_visible"], 0, "{out}");
}
