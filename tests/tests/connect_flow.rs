//! The admin connect flow on the local stack, as a browser and an admin would drive it: a token
//! from the stack's identity provider, API Gateway's JWT check (emulated), the function's role
//! check, the simulator's consent screens and token endpoints, DynamoDB and KMS underneath.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reelcart_e2e::*;
use serde_json::Value;

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The admin starts connecting `platform` and the browser goes through its consent screen: the
/// consent screen's URL, and where the platform sends the browser back.
async fn through_consent(
    http: &reqwest::Client,
    stack: &reelcart_local::Stack,
    admin: &str,
    platform: &str,
) -> (String, String) {
    let r = http
        .post(format!(
            "{}/v1/connections/{platform}/authorize",
            stack.url()
        ))
        .bearer_auth(admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let start: Value = r.json().await.unwrap();
    let consent_url = start["authorize_url"].as_str().unwrap().to_string();
    let r = http.get(&consent_url).send().await.unwrap();
    assert_eq!(r.status(), 302);
    let back = r.headers()["location"].to_str().unwrap().to_string();
    (consent_url, back)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_connects_tiktok_shop_and_tiktok_and_sees_their_health() {
    let stack = start_stack().await;
    let http = browser();
    let admin = stack.token("admin-1", &["admin"]).unwrap();
    let base = stack.url();

    for (platform, account) in [
        ("tiktok-shop", "7494000000000000001"),
        ("tiktok", "act.sim-creator-0001"),
    ] {
        let (consent_url, back) = through_consent(&http, &stack, &admin, platform).await;
        assert!(consent_url.starts_with(&stack.sim_url), "{consent_url}");
        // The consent screen sends the browser back to this stack's callback.
        assert!(
            back.starts_with(&format!("{base}/v1/connections/{platform}/callback?")),
            "{back}"
        );
        let r = http.get(&back).send().await.unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["connection"]["id"], format!("{platform}#{account}"));

        // A second visit with the same code and state changes nothing.
        let r = http.get(&back).send().await.unwrap();
        assert_eq!(r.status(), 400);
    }

    let r = http
        .get(format!("{base}/v1/connections"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let list: Value = r.json().await.unwrap();
    let list = list["connections"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert!(list.iter().all(|c| c["status"] == "active"));

    // At rest: sealed under KMS, no token the simulator issued.
    let raw = format!("{:?}", scan(&stack, "ConnectionsTable").await);
    assert!(!raw.contains("TTP.") && !raw.contains("act.0") && !raw.contains("rft."));
    // Pending authorizations are gone once used.
    assert!(scan(&stack, "PendingAuthorizationsTable").await.is_empty());
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_routes_need_a_valid_token_and_the_admin_role() {
    let stack = start_stack().await;
    let http = browser();
    let base = stack.url();
    let moderator = stack.token("mod-1", &["moderator"]).unwrap();
    let admin = stack.token("admin-1", &["moderator", "admin"]).unwrap();
    // Signed by another issuer's key: API Gateway refuses it.
    let foreign = reelcart_local::idp::Idp::new(stack.idp.issuer.clone())
        .unwrap()
        .issue("admin-1", &["admin".into()], 600)
        .unwrap();
    for (method, path) in [
        ("GET", "/v1/connections"),
        ("POST", "/v1/connections/meta/authorize"),
    ] {
        let call = |token: Option<&str>| {
            let mut r = http.request(method.parse().unwrap(), format!("{base}{path}"));
            if let Some(t) = token {
                r = r.bearer_auth(t);
            }
            async move { r.send().await.unwrap().status().as_u16() }
        };
        assert_eq!(call(None).await, 401, "{path}: no token");
        assert_eq!(call(Some("not-a-jwt")).await, 401, "{path}: garbage");
        assert_eq!(call(Some(&foreign)).await, 401, "{path}: foreign key");
        assert_eq!(call(Some(&moderator)).await, 403, "{path}: moderator");
        assert_eq!(call(Some(&admin)).await, 200, "{path}: admin");
    }
    // The callback is public: the signed state protects it.
    let r = http
        .get(format!(
            "{base}/v1/connections/meta/callback?code=x&state=forged"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_state");
    stack.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meta_and_instagram_deauthorize_callbacks_revoke_their_connections() {
    let stack = start_stack().await;
    let meta = stack
        .connect_as_admin(reelcart_domain::connection::OAuthPlatform::Meta)
        .await
        .unwrap();
    let ig = stack
        .connect_as_admin(reelcart_domain::connection::OAuthPlatform::Instagram)
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let secret = reelcart_local::seed::DEMO_META_APP_SECRET;
    for (connection, user, instagram) in [
        (&meta.connection_id, "1000000000000001", false),
        (&ig.connection_id, "17841400000000001", true),
    ] {
        let d = reelcart_local::simulator::meta_deauthorize(secret, user, now(), instagram);
        let (status, body) = deliver(&http, &stack, &d).await;
        assert_eq!(status, 200, "{body}");
        let forged = reelcart_local::simulator::meta_deauthorize("wrong", user, now(), instagram);
        assert_eq!(post(&http, &stack, &forged).await.0, 401);
        eventually(
            std::time::Duration::from_secs(20),
            "connection revoked",
            || async {
                let items = scan(&stack, "ConnectionsTable").await;
                items
                    .iter()
                    .find(|i| i["id"].as_s().ok() == Some(connection))
                    .filter(|i| i["status"].as_s().ok().map(String::as_str) == Some("revoked"))
                    .map(|_| ())
            },
        )
        .await;
    }
    stack.stop().await;
}

/// Shopify as a first-class connection on the local stack: the admin installs the app through the
/// store's screen (its signed callback checked), the daily pull then reads the store with the
/// connection's expiring token; when the merchant uninstalls the app, the signed
/// `app/uninstalled` webhook revokes the connection and the pull stops (it never falls back to a
/// static token while a connection exists).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_installs_the_shopify_app_and_the_pull_uses_its_token_until_uninstalled() {
    let stack = start_stack().await;
    let http = browser();
    let admin = stack.token("admin-1", &["admin"]).unwrap();
    let base = stack.url();
    let (install, back) = through_consent(&http, &stack, &admin, "shopify").await;
    assert!(
        install.starts_with(&format!("{}/admin/oauth/authorize?", stack.sim_url)),
        "{install}"
    );
    assert!(
        back.contains("hmac=") && back.contains("shop=reelcart-demo.myshopify.com"),
        "{back}"
    );
    let r = http.get(&back).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["connection"]["id"],
        "shopify#reelcart-demo.myshopify.com"
    );
    let expires = body["connection"]["expires_at"].as_i64().unwrap();
    assert!(
        expires <= now() + 3600 + 5,
        "an expiring offline token: {body}"
    );

    // The pull reads the store with it.
    stack.sim.set_shopify_products(vec![serde_json::json!({
        "id": 9_100_001, "title": "Linen shirt", "handle": "linen-shirt", "status": "active",
        "body_html": "<p>Washed linen.</p>", "vendor": "Acme", "product_type": "Shirts",
        "images": [{"src": format!("{}/_sim/cdn/tee-1.jpg", stack.sim_url)}],
        "variants": [{"id": 1, "sku": "LIN-1", "price": "49.00", "inventory_quantity": 3, "barcode": null}]
    })]);
    stack
        .fire_schedule("CatalogSyncFunction.Pull")
        .await
        .expect("the pull schedule exists")
        .expect("the pull succeeds with the connection's token");

    // The merchant uninstalls the app: the store stops taking its tokens and says so.
    assert_eq!(
        http.post(format!("{}/_sim/shopify/uninstall", stack.sim_url))
            .send()
            .await
            .unwrap()
            .status(),
        204
    );
    let status = shopify_webhook(
        &http,
        &stack,
        "app/uninstalled",
        "uninstall-1",
        &serde_json::json!({"id": 548_380_009, "name": "Reelcart demo", "myshopify_domain": "reelcart-demo.myshopify.com"}),
    )
    .await;
    assert_eq!(status, 200);
    let connection = eventually(
        std::time::Duration::from_secs(20),
        "the connection revoked",
        || {
            let r = http
                .get(format!("{base}/v1/connections"))
                .bearer_auth(&admin);
            async move {
                let v: Value = r.send().await.ok()?.json().await.ok()?;
                let c = v["connections"]
                    .as_array()?
                    .iter()
                    .find(|c| c["id"] == "shopify#reelcart-demo.myshopify.com")?
                    .clone();
                (c["status"] == "revoked").then_some(c)
            }
        },
    )
    .await;
    assert_eq!(connection["needs_attention"], true, "{connection}");
    let pulled = stack
        .fire_schedule("CatalogSyncFunction.Pull")
        .await
        .expect("the pull schedule exists");
    assert!(
        pulled.is_err(),
        "no token after the uninstall, and no fallback: {pulled:?}"
    );
    stack.stop().await;
}
