//! Captured logs of whole connect flows (every platform, a replay, a denial) contain no token,
//! code, state or PKCE verifier. Alone in its binary: tracing caches per-callsite interest
//! process-wide, so a scoped subscriber must not share the process.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use connections_api::testing::*;
use reelcart_ports::ConnectionStore;

#[tokio::test(flavor = "current_thread")]
async fn logs_of_connect_flows_hold_no_secret() {
    let (captured, _guard) = reelcart_lambda::testing::capture();

    let s = setup(None).await;
    let mut secrets: Vec<String> = Vec::new();
    for platform in ["tiktok-shop", "tiktok", "meta", "instagram"] {
        let start = s.start(platform).await;
        let location = s.consent(&start.authorize_url).await;
        let url = reqwest::Url::parse(location.split('#').next().unwrap()).unwrap();
        for (k, v) in url.query_pairs() {
            if k == "code" || k == "state" {
                secrets.push(v.into_owned());
            }
        }
        assert_eq!(s.callback(&location).await.status(), 200);
        // A replayed callback is logged too, still without its state or code.
        assert_eq!(s.callback(&location).await.status(), 400);
    }
    // The stored records' tokens, opened through the vault.
    for record in s.store.list().await.unwrap() {
        let tokens = s
            .api
            .refresher
            .vault
            .open(&record.connection.id, &record.tokens)
            .await
            .unwrap();
        use secrecy::ExposeSecret;
        secrets.push(tokens.access_token.expose_secret().to_string());
        if let Some(r) = tokens.refresh_token {
            secrets.push(r.expose_secret().to_string());
        }
    }
    let logs = captured.text();
    assert!(
        logs.contains("account connected") && logs.contains("authorization started"),
        "{logs}"
    );
    assert!(secrets.len() >= 12);
    for secret in &secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "{secret} leaked into logs:\n{logs}"
        );
    }
    assert!(!logs.contains("test-state-key"), "state key leaked");
}
