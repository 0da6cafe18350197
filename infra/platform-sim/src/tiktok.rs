//! TikTok Login Kit: `POST /v2/oauth/token/` (authorization code with PKCE, rotating refresh).

use crate::{Sim, request_id, with_retry_after};
use axum::Json;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
pub(crate) struct TiktokToken {
    client_key: Option<String>,
    client_secret: Option<String>,
    grant_type: Option<String>,
    refresh_token: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
}

/// RFC 7636 S256: base64url(sha256(verifier)) without padding.
fn s256(verifier: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()))
}

fn tiktok_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description, "log_id": request_id()})),
    )
        .into_response()
}

pub(crate) async fn tiktok_token(State(sim): State<Sim>, Form(f): Form<TiktokToken>) -> Response {
    if let Some(retry) = sim.count_and_throttle("tiktok") {
        return with_retry_after(
            tiktok_error(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_exceeded",
                "Too many requests",
            ),
            retry,
        );
    }
    let apps = &sim.apps;
    if f.client_key.as_deref() != Some(&apps.tiktok_client_key)
        || f.client_secret.as_deref() != Some(&apps.tiktok_client_secret)
    {
        return tiktok_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client key or secret is incorrect.",
        );
    }
    if f.grant_type.as_deref() == Some("authorization_code") {
        let Some(code) = sim.redeem("tiktok", f.code.as_ref(), f.redirect_uri.as_ref(), 10 * 60)
        else {
            return tiktok_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "Authorization code is invalid or expired.",
            );
        };
        if let Some(challenge) = &code.code_challenge
            && f.code_verifier.as_deref().map(s256).as_ref() != Some(challenge)
        {
            return tiktok_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "Code verifier does not match the code challenge.",
            );
        }
        let g = sim.seed("tiktok", &code.account_id, None);
        let lifetimes = sim.lifetimes.clone();
        return Json(json!({
            "access_token": g.access_token,
            "expires_in": lifetimes.tiktok_access,
            "open_id": code.account_id,
            "refresh_expires_in": lifetimes.tiktok_refresh,
            "refresh_token": g.refresh_token,
            "scope": "default",
            "token_type": "Bearer",
        }))
        .into_response();
    }
    if f.grant_type.as_deref() != Some("refresh_token") {
        return tiktok_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Unsupported grant_type.",
        );
    }
    let now = sim.now();
    let lifetimes = sim.lifetimes.clone();
    let mut s = sim.lock();
    let Some(i) = s.grants.iter().position(|g| {
        g.platform == "tiktok" && g.refresh_token.is_some() && g.refresh_token == f.refresh_token
    }) else {
        return tiktok_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Refresh token is invalid or expired.",
        );
    };
    let g = s.grants[i].clone();
    if g.revoked || g.refresh_expires_at.is_some_and(|e| e <= now) {
        return tiktok_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Refresh token is invalid or expired.",
        );
    }
    // Refresh tokens rotate: the old one dies now.
    let access = sim.token(&mut s, "act");
    let refresh = sim.token(&mut s, "rft");
    let g = &mut s.grants[i];
    g.access_token = access.clone();
    g.refresh_token = Some(refresh.clone());
    g.access_expires_at = now + lifetimes.tiktok_access;
    g.refresh_expires_at = Some(now + lifetimes.tiktok_refresh);
    g.issued_at = now;
    Json(json!({
        "access_token": access,
        "expires_in": lifetimes.tiktok_access,
        "open_id": g.account_id,
        "refresh_expires_in": lifetimes.tiktok_refresh,
        "refresh_token": refresh,
        "scope": g.scopes.join(","),
        "token_type": "Bearer",
    }))
    .into_response()
}
