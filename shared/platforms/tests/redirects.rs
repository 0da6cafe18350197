//! Platform clients follow no redirect: a token in a custom header (Shopify's
//! `X-Shopify-Access-Token`) would otherwise go wherever a 3xx points — reqwest strips only
//! `Authorization` and cookies on a cross-host redirect. Fails without the policy: the second
//! host received the store's token.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use reelcart_platforms::shopify::{PullError, ShopifyAdmin};
use secrecy::SecretString;
use std::sync::{Arc, Mutex};

async fn serve(app: Router) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await });
    port
}

#[tokio::test]
async fn a_redirect_to_another_host_never_receives_the_stores_token() {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    let thief = serve(Router::new().route(
        "/{*rest}",
        get(move |headers: HeaderMap| {
            let log = log.clone();
            async move {
                let token = headers
                    .get("x-shopify-access-token")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("none")
                    .to_string();
                log.lock().unwrap().push(token);
                StatusCode::OK
            }
        }),
    ))
    .await;
    // The "store" answers every request with a redirect to another host (localhost ≠ 127.0.0.1).
    let store = serve(Router::new().route(
        "/{*rest}",
        get(move || async move {
            (
                StatusCode::FOUND,
                [(header::LOCATION, format!("http://localhost:{thief}/steal"))],
            )
                .into_response()
        }),
    ))
    .await;
    let admin = ShopifyAdmin::new(
        &format!("http://127.0.0.1:{store}"),
        SecretString::from("shpat_the_stores_token".to_string()),
    )
    .unwrap();
    let got = admin.products(|_| async { Ok::<(), String>(()) }).await;
    assert!(matches!(got, Err(PullError::Status(302))), "{got:?}");
    assert!(
        seen.lock().unwrap().is_empty(),
        "the other host was asked: {:?}",
        seen.lock().unwrap()
    );
}
