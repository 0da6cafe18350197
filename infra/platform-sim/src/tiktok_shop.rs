//! TikTok Shop: the token endpoints (`GET /api/v2/token/get`, `GET /api/v2/token/refresh`) and
//! the checks of a signed API call, with `GET /authorization/202309/shops`.

use crate::{Sim, request_id, with_retry_after};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

pub(crate) fn tts_error(status: StatusCode, code: i64, message: &str) -> Response {
    let body = json!({"code": code, "message": message, "request_id": request_id(), "data": {}});
    (status, Json(body)).into_response()
}

/// Query of TikTok Shop's token endpoints (`token/get` and `token/refresh`).
#[derive(Deserialize)]
pub(crate) struct TtsTokenQuery {
    app_key: Option<String>,
    app_secret: Option<String>,
    grant_type: Option<String>,
    refresh_token: Option<String>,
    auth_code: Option<String>,
}

/// Throttling, app credentials and grant type, common to both token endpoints.
fn tts_token_checks(sim: &Sim, q: &TtsTokenQuery, grant_type: &str) -> Option<Response> {
    if let Some(retry) = sim.count_and_throttle("tiktok-shop") {
        return Some(with_retry_after(
            tts_error(StatusCode::TOO_MANY_REQUESTS, 36009002, "Too many requests"),
            retry,
        ));
    }
    let apps = &sim.apps;
    if q.app_key.as_deref() != Some(&apps.tiktok_shop_app_key)
        || q.app_secret.as_deref() != Some(&apps.tiktok_shop_app_secret)
    {
        return Some(tts_error(
            StatusCode::UNAUTHORIZED,
            36009004,
            "Invalid app credentials",
        ));
    }
    if q.grant_type.as_deref() != Some(grant_type) {
        return Some(tts_error(
            StatusCode::BAD_REQUEST,
            36009004,
            &format!("grant_type must be {grant_type}"),
        ));
    }
    None
}

/// A token pair answer; expiries are absolute unix timestamps.
fn tts_tokens(
    account_id: &str,
    access: &str,
    access_expires_at: i64,
    refresh: Option<&str>,
    refresh_expires_at: Option<i64>,
    scopes: &[String],
) -> Response {
    Json(json!({
        "code": 0,
        "message": "success",
        "request_id": request_id(),
        "data": {
            "access_token": access,
            "access_token_expire_in": access_expires_at,
            "refresh_token": refresh,
            "refresh_token_expire_in": refresh_expires_at,
            "open_id": format!("open-{account_id}"),
            "seller_name": "Reelcart Demo Shop",
            "seller_base_region": "US",
            "user_type": 0,
            "granted_scopes": scopes,
        }
    }))
    .into_response()
}

pub(crate) async fn tiktok_shop_refresh(
    State(sim): State<Sim>,
    Query(q): Query<TtsTokenQuery>,
) -> Response {
    if let Some(r) = tts_token_checks(&sim, &q, "refresh_token") {
        return r;
    }
    let now = sim.now();
    let lifetimes = sim.lifetimes.clone();
    let mut s = sim.lock();
    let Some(i) = s.grants.iter().position(|g| {
        g.platform == "tiktok-shop"
            && g.refresh_token.is_some()
            && g.refresh_token == q.refresh_token
    }) else {
        return tts_error(StatusCode::UNAUTHORIZED, 36009004, "Invalid refresh token");
    };
    let g = s.grants[i].clone();
    if g.revoked || g.refresh_expires_at.is_some_and(|e| e <= now) {
        return tts_error(StatusCode::OK, 105002, "Expired credentials");
    }
    // A new pair; the refresh token keeps its expiry.
    let access = sim.token(&mut s, "TTP");
    let refresh = sim.token(&mut s, "rft");
    let g = &mut s.grants[i];
    g.access_token = access.clone();
    g.refresh_token = Some(refresh.clone());
    g.access_expires_at = now + lifetimes.tiktok_shop_access;
    g.issued_at = now;
    tts_tokens(
        &g.account_id,
        &access,
        g.access_expires_at,
        Some(&refresh),
        g.refresh_expires_at,
        &g.scopes,
    )
}

/// The signature TikTok Shop expects (spec/platforms.md §2), computed here independently of the
/// client's implementation so that a signing bug on either side shows.
fn tts_expected_sign(
    secret: &str,
    path: &str,
    query: &HashMap<String, String>,
    body: &[u8],
) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let mut keys: Vec<&String> = query
        .keys()
        .filter(|k| *k != "sign" && *k != "access_token")
        .collect();
    keys.sort();
    let mut plain = Vec::new();
    plain.extend_from_slice(secret.as_bytes());
    plain.extend_from_slice(path.as_bytes());
    for k in keys {
        plain.extend_from_slice(k.as_bytes());
        plain.extend_from_slice(query[k].as_bytes());
    }
    plain.extend_from_slice(body);
    plain.extend_from_slice(secret.as_bytes());
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(&plain);
    hex::encode(mac.finalize().into_bytes())
}

/// The checks of every signed TikTok Shop API call: throttling (per `bucket`: TikTok Shop limits
/// each API apart), `app_key`, `timestamp` (−5 min /
/// +30 s), `sign` over path, sorted query and body (106001 when wrong), and the access token in
/// `x-tts-access-token`. The authorizing shop's id, or the error answer.
pub(crate) fn tts_api_auth(
    sim: &Sim,
    bucket: &str,
    headers: &HeaderMap,
    q: &HashMap<String, String>,
    path: &str,
    body: &[u8],
) -> Result<String, Response> {
    if let Some(retry) = sim.count_and_throttle(bucket) {
        return Err(with_retry_after(
            tts_error(StatusCode::TOO_MANY_REQUESTS, 36009002, "Too many requests"),
            retry,
        ));
    }
    if q.get("app_key") != Some(&sim.apps.tiktok_shop_app_key) {
        return Err(tts_error(
            StatusCode::UNAUTHORIZED,
            36009004,
            "Invalid app_key",
        ));
    }
    let now = sim.now();
    let ts = q.get("timestamp").and_then(|t| t.parse::<i64>().ok());
    if !ts.is_some_and(|t| t >= now - 300 && t <= now + 30) {
        return Err(tts_error(
            StatusCode::UNAUTHORIZED,
            36009004,
            "Invalid timestamp: must be within -5 min / +30 s of server time",
        ));
    }
    let expected = tts_expected_sign(&sim.apps.tiktok_shop_app_secret, path, q, body);
    if q.get("sign").map(String::as_str) != Some(expected.as_str()) {
        return Err(tts_error(
            StatusCode::UNAUTHORIZED,
            106001,
            "Invalid signature",
        ));
    }
    let token = headers
        .get("x-tts-access-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let s = sim.lock();
    let Some(g) = s
        .grants
        .iter()
        .find(|g| g.platform == "tiktok-shop" && g.access_token == token)
    else {
        return Err(tts_error(
            StatusCode::UNAUTHORIZED,
            36009004,
            "Invalid access token",
        ));
    };
    if g.revoked || g.access_expires_at <= now {
        return Err(tts_error(
            StatusCode::UNAUTHORIZED,
            105002,
            "Expired credentials",
        ));
    }
    Ok(g.account_id.clone())
}

/// The shop cipher the simulator issues for a shop.
pub(crate) fn shop_cipher(shop_id: &str) -> String {
    format!("GCP_{shop_id}")
}

pub(crate) async fn tiktok_shop_authorized_shops(
    State(sim): State<Sim>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    const PATH: &str = "/authorization/202309/shops";
    let shop = match tts_api_auth(&sim, "tiktok-shop-api", &headers, &q, PATH, b"") {
        Ok(shop) => shop,
        Err(r) => return r,
    };
    Json(json!({
        "code": 0,
        "message": "Success",
        "request_id": request_id(),
        "data": {"shops": [{
            "id": shop,
            "name": "Reelcart Demo Shop",
            "region": "US",
            "seller_type": "LOCAL",
            "cipher": shop_cipher(&shop),
            "code": "USLCDEMO01",
        }]}
    }))
    .into_response()
}

pub(crate) async fn tiktok_shop_token_get(
    State(sim): State<Sim>,
    Query(q): Query<TtsTokenQuery>,
) -> Response {
    if let Some(r) = tts_token_checks(&sim, &q, "authorized_code") {
        return r;
    }
    // Auth codes are single use and live 30 minutes. (The error code for a bad code is the
    // simulator's choice: the spec names none.)
    let Some(code) = sim.redeem("tiktok-shop", q.auth_code.as_ref(), None, 30 * 60) else {
        return tts_error(
            StatusCode::BAD_REQUEST,
            36009004,
            "Invalid or expired auth_code",
        );
    };
    let g = sim.seed("tiktok-shop", &code.account_id, None);
    tts_tokens(
        &code.account_id,
        &g.access_token,
        g.expires_at,
        g.refresh_token.as_deref(),
        g.refresh_expires_at,
        &["default".to_string()],
    )
}
