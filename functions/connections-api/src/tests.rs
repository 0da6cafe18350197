//! The connect flow against the platform simulator over real HTTP (consent screens, code
//! exchanges, PKCE), with the in-memory stores.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::testing::*;
use lambda_http::Body;
use lambda_http::Request;

#[tokio::test]
async fn every_platform_connects_through_consent_and_code_exchange() {
    let s = setup(None).await;
    for (platform, account) in [
        ("tiktok-shop", "7494000000000000001"),
        ("tiktok", "act.sim-creator-0001"),
        ("meta", "1000000000000001"),
        ("instagram", "17841400000000001"),
        ("shopify", "reelcart-demo.myshopify.com"),
    ] {
        let start = s.start(platform).await;
        let url = reqwest::Url::parse(&start.authorize_url).unwrap();
        let q: HashMap<String, String> = url.query_pairs().into_owned().collect();
        assert!(q.contains_key("state"));
        // PKCE only where the platform takes it; the verifier never leaves the server.
        assert_eq!(q.contains_key("code_challenge"), platform == "tiktok");
        assert!(!start.authorize_url.contains("verifier"));
        let location = s.consent(&start.authorize_url).await;
        let r = s.callback(&location).await;
        assert_eq!(r.status(), 200, "{platform}: {:?}", r.body());
        let c = &body(&r)["connection"];
        assert_eq!(c["id"], format!("{platform}#{account}"));
        assert_eq!(c["status"], "active");
        assert_eq!(c["needs_attention"], false);
        // Stored sealed: nothing in the record is a token the simulator issued.
        let stored = s
            .store
            .get(&format!("{platform}#{account}"))
            .await
            .unwrap()
            .unwrap();
        let raw = serde_json::to_string(&stored).unwrap();
        for prefix in ["TTP.", "act.0", "EAA.", "IGQ.", "rft.", "shpat.", "shprt."] {
            assert!(!raw.contains(prefix), "{platform}: token at rest: {raw}");
        }
        assert!(stored.connection.expires_at.unwrap() > s.sim.now());
    }
    assert_eq!(s.events.published().len(), 5);
    assert!(
        s.events
            .published()
            .iter()
            .all(|(t, _)| t == CONNECTED_EVENT)
    );

    let r = s
        .api
        .handle(request("GET", &format!("{BASE}/v1/connections"), admin()))
        .await;
    assert_eq!(r.status(), 200);
    let list = body(&r);
    let ids: Vec<&str> = list["connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "instagram#17841400000000001",
            "meta#1000000000000001",
            "shopify#reelcart-demo.myshopify.com",
            "tiktok#act.sim-creator-0001",
            "tiktok-shop#7494000000000000001"
        ]
    );
    assert!(!list.to_string().contains("ciphertext"));
}

#[tokio::test]
async fn admin_routes_refuse_no_token_and_wrong_role() {
    let s = setup(None).await;
    let moderator = Some(serde_json::json!({"sub": "m-1", "cognito:groups": "[moderator]"}));
    for (method, path) in [
        ("GET", "/v1/connections"),
        ("POST", "/v1/connections/tiktok/authorize"),
    ] {
        let uri = format!("{BASE}{path}");
        assert_eq!(
            s.api.handle(request(method, &uri, None)).await.status(),
            401
        );
        assert_eq!(
            s.api
                .handle(request(method, &uri, moderator.clone()))
                .await
                .status(),
            403
        );
        assert_eq!(
            s.api.handle(request(method, &uri, admin())).await.status(),
            200
        );
    }
    let r = s
        .api
        .handle(request(
            "POST",
            &format!("{BASE}/v1/connections/myspace/authorize"),
            admin(),
        ))
        .await;
    assert_eq!(r.status(), 404);
    assert_eq!(body(&r)["error"]["code"], "unknown_platform");
}

#[tokio::test]
async fn callbacks_refuse_replay_forgery_expiry_other_platform_and_denial() {
    let s = setup(None).await;
    let code = |r: &Response<Body>| body(r)["error"]["code"].as_str().unwrap().to_string();

    // Replay: the same redirect twice connects once.
    let start = s.start("tiktok").await;
    let location = s.consent(&start.authorize_url).await;
    assert_eq!(s.callback(&location).await.status(), 200);
    let again = s.callback(&location).await;
    assert_eq!(
        (again.status().as_u16(), code(&again)),
        (400, "state_used".into())
    );

    // Forged: a state this API did not sign.
    let start = s.start("meta").await;
    let location = s.consent(&start.authorize_url).await;
    let forged = location.replace("state=", "state=x");
    let r = s.callback(&forged).await;
    assert_eq!(
        (r.status().as_u16(), code(&r)),
        (400, "invalid_state".into())
    );

    // A state issued for Meta presented at Instagram's callback.
    let elsewhere = location.replace("/meta/callback", "/instagram/callback");
    let r = s.callback(&elsewhere).await;
    assert_eq!(
        (r.status().as_u16(), code(&r)),
        (400, "invalid_state".into())
    );

    // Expired: 15 minutes at the consent screen.
    s.clock.advance(STATE_TTL_SECS + 1);
    let r = s.callback(&location).await;
    assert_eq!(
        (r.status().as_u16(), code(&r)),
        (400, "state_expired".into())
    );
    s.clock.set(s.sim.now());

    // Denied at the platform.
    s.sim.set_consent("instagram", "17841400000000001", false);
    let start = s.start("instagram").await;
    let location = s.consent(&start.authorize_url).await;
    assert!(location.contains("error=access_denied"));
    let r = s.callback(&location).await;
    assert_eq!(
        (r.status().as_u16(), code(&r)),
        (400, "authorization_denied".into())
    );

    // Missing code or state.
    let r = s
        .api
        .handle(request(
            "GET",
            &format!("{BASE}/v1/connections/tiktok/callback"),
            None,
        ))
        .await;
    assert_eq!(
        (r.status().as_u16(), code(&r)),
        (400, "invalid_request".into())
    );

    // Only the first (tiktok) authorization connected anything.
    assert_eq!(s.store.list().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_wrong_pkce_verifier_is_refused_by_the_platform() {
    let s = setup(None).await;
    let start = s.start("tiktok").await;
    let location = s.consent(&start.authorize_url).await;
    // Swap the stored verifier for another one: TikTok refuses the exchange.
    let nonce = {
        let state = reqwest::Url::parse(&location)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "state")
            .unwrap()
            .1
            .into_owned();
        oauth::verify_state(
            &state,
            &s.api.state_keys.keys(),
            OAuthPlatform::Tiktok,
            s.sim.now(),
        )
        .unwrap()
        .nonce
    };
    let mut pending = s
        .api
        .pending
        .take(&nonce, s.sim.now())
        .await
        .unwrap()
        .unwrap();
    pending.code_verifier = Some("w".repeat(64));
    s.api.pending.put(&pending).await.unwrap();
    let r = s.callback(&location).await;
    assert_eq!(r.status(), 502, "{:?}", r.body());
    assert_eq!(body(&r)["error"]["code"], "exchange_failed");
    assert!(s.store.list().await.unwrap().is_empty());
}

#[tokio::test]
async fn with_a_console_the_browser_is_sent_back_to_it() {
    let s = setup(Some("https://console.example.com/connections")).await;
    let start = s.start("tiktok-shop").await;
    let location = s.consent(&start.authorize_url).await;
    let r = s.callback(&location).await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        "https://console.example.com/connections?connection=tiktok-shop%237494000000000000001&status=connected"
    );
    let r = s.callback(&location).await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        "https://console.example.com/connections?error=state_used"
    );
}

#[test]
fn state_keys_come_from_the_generated_secret_or_a_rotation_list() {
    let secret = |s: &str| SecretString::from(s.to_string());
    let k = "k".repeat(40);
    assert_eq!(
        state_keys(&secret(&format!(r#"{{"oauth_state_key":"{k}"}}"#)))
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        state_keys(&secret(&format!(
            r#"{{"oauth_state_keys":["{k}","{k}x"],"oauth_state_key":"{k}y"}}"#
        )))
        .unwrap()
        .len(),
        3
    );
    assert!(state_keys(&secret("{}")).is_err());
    assert!(state_keys(&secret(r#"{"oauth_state_key":"short"}"#)).is_err());
    let err = state_keys(&secret(
        r#"{"oauth_state_key": 12345678901234567890123456789012345}"#,
    ))
    .unwrap_err()
    .to_string();
    assert!(!err.contains("12345678901234567890"), "{err}");
}

fn fixture(name: &str) -> Request {
    let json = match name {
        "list-connections" => include_str!("../../../events/connections-api/list-connections.json"),
        "authorize-tiktok" => include_str!("../../../events/connections-api/authorize-tiktok.json"),
        "authorize-as-moderator" => {
            include_str!("../../../events/connections-api/authorize-as-moderator.json")
        }
        "callback-denied" => include_str!("../../../events/connections-api/callback-denied.json"),
        other => panic!("no fixture {other}"),
    };
    lambda_http::request::from_str(json).unwrap()
}

#[tokio::test]
async fn the_sample_events_get_the_documented_answers() {
    let s = setup(None).await;
    let r = s.api.handle(fixture("list-connections")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(body(&r)["connections"], serde_json::json!([]));

    let r = s.api.handle(fixture("authorize-tiktok")).await;
    assert_eq!(r.status(), 200);
    let start: AuthorizeAnswer = serde_json::from_value(body(&r)).unwrap();
    // The redirect URI is where API Gateway received the request.
    assert!(start.authorize_url.contains(
        "redirect_uri=https%3A%2F%2Fabc123.execute-api.us-east-1.amazonaws.com%2Fv1%2Fconnections%2Ftiktok%2Fcallback"
    ), "{}", start.authorize_url);

    assert_eq!(
        s.api
            .handle(fixture("authorize-as-moderator"))
            .await
            .status(),
        403
    );

    let r = s.api.handle(fixture("callback-denied")).await;
    assert_eq!(r.status(), 400);
    assert_eq!(body(&r)["error"]["code"], "authorization_denied");
}

/// Every route is documented, every documented `/v1/connections` route served, and every answer
/// to every role (with and without a malformed body) a status the document lists.
#[tokio::test]
async fn the_routes_and_their_answers_are_documented() {
    let doc = reelcart_lambda::testing::openapi_document().unwrap();
    let documented = reelcart_lambda::routes::openapi_operations(&doc);
    let served: std::collections::BTreeSet<(String, String)> = crate::routes()
        .into_iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let ours: std::collections::BTreeSet<_> = documented
        .into_iter()
        .filter(|(_, p)| p.starts_with("/v1/connections"))
        .collect();
    assert_eq!(served, ours, "the router and docs/openapi.yaml");
    let problems = reelcart_lambda::testing::undocumented(&setup(None).await.api).await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Shopify's callback is checked before its state or code: a signature that does not hold, a
/// stale timestamp, or another store is refused, and nothing is connected.
#[tokio::test]
async fn shopify_callbacks_are_verified_and_pinned_to_the_brands_store() {
    let s = setup(None).await;
    let start = s.start("shopify").await;
    let location = s.consent(&start.authorize_url).await;
    let url = reqwest::Url::parse(&location).unwrap();
    let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    type Pairs = Vec<(String, String)>;
    let with = |change: &dyn Fn(&mut Pairs)| {
        let mut p = pairs.clone();
        change(&mut p);
        let mut u = url.clone();
        u.query_pairs_mut().clear().extend_pairs(p);
        u.to_string()
    };
    for (what, tampered, code) in [
        (
            "no hmac",
            with(&|p| p.retain(|(k, _)| k != "hmac")),
            "invalid_signature",
        ),
        (
            "a code swapped",
            with(&|p| {
                p.iter_mut()
                    .filter(|(k, _)| k == "code")
                    .for_each(|x| x.1 = "other".into())
            }),
            "invalid_signature",
        ),
        (
            "a parameter added",
            with(&|p| p.push(("extra".into(), "1".into()))),
            "invalid_signature",
        ),
    ] {
        let r = s.callback(&tampered).await;
        assert_eq!(
            (r.status().as_u16(), body(&r)["error"]["code"].as_str()),
            (400, Some(code)),
            "{what}"
        );
    }
    // Signed by the store, but arriving two minutes late.
    s.clock.advance(120);
    let r = s.callback(&location).await;
    assert_eq!(body(&r)["error"]["code"], "callback_expired");
    s.clock.advance(-120);
    // A store other than the brand's, signed correctly.
    s.sim
        .set_consent("shopify", "someone-else.myshopify.com", true);
    let other = s.start("shopify").await;
    let r = s.callback(&s.consent(&other.authorize_url).await).await;
    assert_eq!(body(&r)["error"]["code"], "wrong_shop");
    assert!(
        s.store
            .get("shopify#someone-else.myshopify.com")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        s.store
            .get("shopify#reelcart-demo.myshopify.com")
            .await
            .unwrap()
            .is_none()
    );
    // The untouched callback still completes (its state was not spent by the refusals).
    let r = s.callback(&location).await;
    assert_eq!(r.status(), 200, "{:?}", r.body());
}

/// A Dev Dashboard app connects without a consent screen; other grants are refused clearly.
#[tokio::test]
async fn shopify_connects_with_client_credentials() {
    let s = setup(None).await;
    let uri = format!("{BASE}/v1/connections/shopify/authorize?grant=client_credentials");
    let r = s.api.handle(request("POST", &uri, admin())).await;
    assert_eq!(r.status(), 201, "{:?}", r.body());
    let c = &body(&r)["connection"];
    assert_eq!(c["id"], "shopify#reelcart-demo.myshopify.com");
    assert_eq!(c["status"], "active");
    let stored = s
        .store
        .get("shopify#reelcart-demo.myshopify.com")
        .await
        .unwrap()
        .unwrap();
    assert!(stored.connection.expires_at.unwrap() <= s.sim.now() + 86_400);
    // The store now sends its events here: every topic once, however often the store connects.
    let want = format!("{BASE}/webhooks/shopify");
    let subs = s.sim.shopify_subscriptions();
    assert_eq!(subs.len(), 9, "{subs:?}");
    assert!(subs.iter().all(|(_, u)| *u == want), "{subs:?}");
    assert!(
        subs.iter().any(|(t, _)| t == "APP_UNINSTALLED")
            && subs.iter().any(|(t, _)| t == "BULK_OPERATIONS_FINISH")
    );
    let again = s.api.handle(request("POST", &uri, admin())).await;
    assert_eq!(again.status(), 201);
    assert_eq!(s.sim.shopify_subscriptions().len(), 9, "no duplicates");
    // The admin disconnects the store: this API's subscriptions leave the store, the
    // connection is revoked.
    let gone = format!("{BASE}/v1/connections/shopify/reelcart-demo.myshopify.com");
    let moderator = Some(serde_json::json!({"sub": "m-1", "cognito:groups": "[moderator]"}));
    assert_eq!(
        s.api
            .handle(request("DELETE", &gone, moderator))
            .await
            .status(),
        403
    );
    let r = s.api.handle(request("DELETE", &gone, admin())).await;
    assert_eq!(r.status(), 200, "{:?}", r.body());
    let out = body(&r);
    assert_eq!(
        (
            out["connection"]["status"].as_str(),
            out["webhooks_removed"].as_u64()
        ),
        (Some("revoked"), Some(9)),
        "{out}"
    );
    assert!(s.sim.shopify_subscriptions().is_empty());
    let r = s
        .api
        .handle(request(
            "DELETE",
            &format!("{BASE}/v1/connections/shopify/other.myshopify.com"),
            admin(),
        ))
        .await;
    assert_eq!(r.status(), 404);
    for (path, status) in [
        (
            "/v1/connections/tiktok/authorize?grant=client_credentials",
            422,
        ),
        ("/v1/connections/shopify/authorize?grant=password", 400),
    ] {
        let r = s
            .api
            .handle(request("POST", &format!("{BASE}{path}"), admin()))
            .await;
        assert_eq!(
            (r.status().as_u16(), body(&r)["error"]["code"].as_str()),
            (status, Some("invalid_request")),
            "{path}"
        );
    }
}
