//! Shopify's app authentication at the store (spec §8), as the simulator's one store
//! ([`SHOP_DOMAIN`]) does it:
//!
//! - `GET /admin/oauth/authorize?client_id&scope&redirect_uri&state`: the install screen. It
//!   approves (or denies, as `/_sim/consent` for `shopify` says) and redirects to `redirect_uri`
//!   with `code`, `hmac`, `host`, `shop`, `state` and `timestamp`; `hmac` is the hex HMAC-SHA256,
//!   with the app's client secret, of the other parameters sorted and query-encoded.
//! - `POST /admin/oauth/access_token` (JSON or form):
//!   - `code` (single use, 10 minutes) with `expiring: "1"`: an expiring offline token
//!     (`expires_in` 3600) and a refresh token (`refresh_token_expires_in` 90 days); without
//!     `expiring`, a non-expiring token. One expiring token per app and store: a new one ends the
//!     one before.
//!   - `grant_type=refresh_token`: a new pair; the refresh token rotates. The one it replaced may
//!     be retried until the replacement is first used (changelog 2026-08-28; the 30-day cap of
//!     that window is not modelled).
//!   - `grant_type=client_credentials`: a 24-hour token (`expires_in` 86399), no refresh token.
//!   - errors: `400 {"error": "invalid_grant", "error_description"}`, `401 {"error":
//!     "invalid_client"}` for wrong client credentials.
//! - `POST /_sim/shopify/uninstall`: the merchant uninstalls the app; every token of the store
//!   stops working (the stack learns it from the `app/uninstalled` webhook).
//!
//! Token calls are counted in the `shopify` bucket.

use crate::{Consent, Grant, Sim, urlencode};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::HashMap;

/// The simulated store.
pub const SHOP_DOMAIN: &str = "reelcart-demo.myshopify.com";
pub const ACCESS_SECS: i64 = 3600;
pub const REFRESH_SECS: i64 = 90 * 86_400;
pub const CLIENT_CREDENTIALS_SECS: i64 = 86_399;
const CODE_MAX_AGE: i64 = 600;

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// Shopify's callback signature over `params` (without `hmac`).
pub fn sign_callback(secret: &str, params: &[(&str, String)]) -> String {
    let mut sorted: Vec<&(&str, String)> = params.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let message: Vec<String> = sorted
        .iter()
        .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
        .collect();
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(message.join("&").as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

pub(crate) async fn install(
    State(sim): State<Sim>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if q.get("client_id") != Some(&sim.apps.shopify_client_id) {
        return (
            StatusCode::BAD_REQUEST,
            "Oauth error invalid_request: The client_id is invalid",
        )
            .into_response();
    }
    let (Some(redirect), Some(state)) = (q.get("redirect_uri"), q.get("state")) else {
        return (
            StatusCode::BAD_REQUEST,
            "Oauth error invalid_request: redirect_uri and state are required",
        )
            .into_response();
    };
    let decision = sim
        .lock()
        .consent
        .get("shopify")
        .cloned()
        .unwrap_or(Consent {
            account_id: SHOP_DOMAIN.into(),
            approve: true,
        });
    let now = sim.now();
    let mut params: Vec<(&str, String)> = vec![
        ("host", base64_host()),
        ("shop", decision.account_id.clone()),
        ("state", state.clone()),
        ("timestamp", now.to_string()),
    ];
    if decision.approve {
        let code = sim.authorize("shopify", &decision.account_id, redirect, None);
        params.push(("code", code));
    } else {
        params.push(("error", "access_denied".into()));
    }
    let hmac = sign_callback(&sim.apps.shopify_client_secret, &params);
    params.push(("hmac", hmac));
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect();
    let sep = if redirect.contains('?') { '&' } else { '?' };
    match HeaderValue::from_str(&format!("{redirect}{sep}{}", query.join("&"))) {
        Ok(v) => (StatusCode::FOUND, [(header::LOCATION, v)]).into_response(),
        Err(_) => (StatusCode::BAD_REQUEST, "bad redirect_uri").into_response(),
    }
}

/// `host`: the base64 of the store's admin host, as Shopify sends it.
fn base64_host() -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(format!(
        "admin.shopify.com/store/{}",
        SHOP_DOMAIN.trim_end_matches(".myshopify.com")
    ))
}

pub(crate) async fn access_token(
    State(sim): State<Sim>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Some(retry) = sim.count_and_throttle("shopify") {
        let mut r = oauth_error(
            StatusCode::TOO_MANY_REQUESTS,
            "throttled",
            "Too many requests",
        );
        r.headers_mut()
            .insert("retry-after", HeaderValue::from(retry));
        return r;
    }
    let json_body = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    let f: HashMap<String, String> = if json_body {
        match serde_json::from_str::<HashMap<String, Value>>(&body) {
            Ok(m) => m
                .into_iter()
                .filter_map(|(k, v)| match v {
                    Value::String(s) => Some((k, s)),
                    Value::Number(n) => Some((k, n.to_string())),
                    _ => None,
                })
                .collect(),
            Err(_) => {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_request",
                    "The request body is not JSON",
                );
            }
        }
    } else {
        form_pairs(&body)
    };
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or_default();
    if get("client_id") != sim.apps.shopify_client_id
        || get("client_secret") != sim.apps.shopify_client_secret
    {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
        );
    }
    let now = sim.now();
    let mut s = sim.lock();
    let shop = SHOP_DOMAIN.to_string();
    match (get("grant_type"), f.contains_key("code")) {
        ("" | "authorization_code", true) => {
            drop(s);
            let Some(code) = sim.redeem("shopify", f.get("code"), None, CODE_MAX_AGE) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "The authorization code was not found or was already used",
                );
            };
            let expiring = get("expiring") == "1";
            let mut s = sim.lock();
            if expiring {
                // One expiring offline token per app and store.
                for g in s
                    .grants
                    .iter_mut()
                    .filter(|g| g.platform == "shopify" && g.refresh_token.is_some())
                {
                    g.revoked = true;
                }
            }
            let access = sim.token(&mut s, "shpat");
            let refresh = expiring.then(|| sim.token(&mut s, "shprt"));
            s.grants.push(Grant {
                platform: "shopify".into(),
                account_id: code.account_id,
                access_token: access.clone(),
                refresh_token: refresh.clone(),
                access_expires_at: if expiring {
                    now + ACCESS_SECS
                } else {
                    i64::MAX
                },
                refresh_expires_at: refresh.as_ref().map(|_| now + REFRESH_SECS),
                issued_at: now,
                scopes: SCOPES.iter().map(|s| s.to_string()).collect(),
                revoked: false,
            });
            let mut out = json!({"access_token": access, "scope": SCOPES.join(",")});
            if let Some(r) = refresh {
                out["expires_in"] = json!(ACCESS_SECS);
                out["refresh_token"] = json!(r);
                out["refresh_token_expires_in"] = json!(REFRESH_SECS);
            }
            Json(out).into_response()
        }
        ("refresh_token", _) => {
            let given = get("refresh_token").to_string();
            // The grant whose refresh token this is, or whose replacement has not been used yet.
            let current = s
                .shopify_retry
                .get(&given)
                .cloned()
                .unwrap_or_else(|| given.clone());
            let Some(i) = s.grants.iter().position(|g| {
                g.platform == "shopify" && g.refresh_token.as_deref() == Some(current.as_str())
            }) else {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Token has been expired or revoked.",
                );
            };
            if s.grants[i].revoked || s.grants[i].refresh_expires_at.is_some_and(|e| e <= now) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_grant",
                    "Token has been expired or revoked.",
                );
            }
            if given == current {
                // The replacement is in use: the token it replaced is retired.
                s.shopify_retry.retain(|_, v| v != &given);
            }
            let access = sim.token(&mut s, "shpat");
            let refresh = sim.token(&mut s, "shprt");
            s.shopify_retry.insert(given, refresh.clone());
            let g = &mut s.grants[i];
            g.access_token = access.clone();
            g.refresh_token = Some(refresh.clone());
            g.access_expires_at = now + ACCESS_SECS;
            g.refresh_expires_at = Some(now + REFRESH_SECS);
            g.issued_at = now;
            Json(json!({
                "access_token": access, "scope": g.scopes.join(","), "expires_in": ACCESS_SECS,
                "refresh_token": refresh, "refresh_token_expires_in": REFRESH_SECS,
            }))
            .into_response()
        }
        ("client_credentials", _) => {
            let access = sim.token(&mut s, "shpat");
            s.grants.push(Grant {
                platform: "shopify".into(),
                account_id: shop,
                access_token: access.clone(),
                refresh_token: None,
                access_expires_at: now + CLIENT_CREDENTIALS_SECS,
                refresh_expires_at: None,
                issued_at: now,
                scopes: SCOPES.iter().map(|s| s.to_string()).collect(),
                revoked: false,
            });
            Json(json!({"access_token": access, "scope": SCOPES.join(","), "expires_in": CLIENT_CREDENTIALS_SECS})).into_response()
        }
        _ => oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "The grant type is not supported",
        ),
    }
}

/// The scopes the simulated install grants.
const SCOPES: [&str; 4] = [
    "read_products",
    "read_inventory",
    "read_orders",
    "write_discounts",
];

fn form_pairs(body: &str) -> HashMap<String, String> {
    form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

/// The merchant uninstalls the app: every token of the store stops working.
pub(crate) async fn uninstall(State(sim): State<Sim>) -> Response {
    sim.revoke("shopify", SHOP_DOMAIN);
    StatusCode::NO_CONTENT.into_response()
}

impl Sim {
    /// Is `token` one the store accepts on its Admin API now?
    pub fn shopify_token_valid(&self, token: &str) -> bool {
        let now = self.now();
        self.lock().grants.iter().any(|g| {
            g.platform == "shopify"
                && g.access_token == token
                && !g.revoked
                && g.access_expires_at > now
        })
    }
}
