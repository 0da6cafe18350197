//! Meta (Facebook Login, Graph) and Instagram (Instagram Login) token endpoints, and Graph's
//! error answers.

use crate::{Sim, request_id};
use axum::Json;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::collections::HashMap;

pub(crate) fn graph_error(code: i64, subcode: Option<i64>, message: &str) -> Response {
    let mut err = json!({"message": message, "type": "OAuthException", "code": code, "fbtrace_id": request_id()});
    if let Some(sub) = subcode {
        err["error_subcode"] = json!(sub);
    }
    (StatusCode::BAD_REQUEST, Json(json!({ "error": err }))).into_response()
}

pub(crate) fn graph_throttled(retry_minutes: i64) -> Response {
    let mut r = graph_error(4, None, "(#4) Application request limit reached");
    let usage = json!({"call_count": 100, "total_cputime": 20, "total_time": 20});
    if let Ok(v) = HeaderValue::from_str(&usage.to_string()) {
        r.headers_mut().insert("x-app-usage", v);
    }
    let buc = json!({"0": [{"type": "instagram", "call_count": 100, "total_cputime": 20, "total_time": 20, "estimated_time_to_regain_access": retry_minutes}]});
    if let Ok(v) = HeaderValue::from_str(&buc.to_string()) {
        r.headers_mut().insert("x-business-use-case-usage", v);
    }
    r
}

pub(crate) async fn meta_exchange(
    State(sim): State<Sim>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(retry) = sim.count_and_throttle("meta") {
        return graph_throttled((retry + 59) / 60);
    }
    if q.get("client_id") != Some(&sim.apps.meta_app_id)
        || q.get("client_secret") != Some(&sim.apps.meta_app_secret)
    {
        return graph_error(1, None, "Error validating client secret.");
    }
    if q.contains_key("code") {
        // Facebook Login's code exchange gives a short-lived (1 h) user token.
        let Some(code) = sim.redeem("meta", q.get("code"), q.get("redirect_uri"), 10 * 60) else {
            return graph_error(
                100,
                None,
                "This authorization code has expired or been used.",
            );
        };
        let g = sim.seed("meta", &code.account_id, Some(3600));
        return Json(
            json!({"access_token": g.access_token, "token_type": "bearer", "expires_in": 3600}),
        )
        .into_response();
    }
    if q.get("grant_type").map(String::as_str) != Some("fb_exchange_token") {
        return graph_error(100, None, "Unsupported grant_type");
    }
    exchange(
        &sim,
        "meta",
        q.get("fb_exchange_token"),
        sim.lifetimes.meta_long_lived,
        false,
    )
}

pub(crate) async fn instagram_refresh(
    State(sim): State<Sim>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(retry) = sim.count_and_throttle("instagram") {
        return graph_throttled((retry + 59) / 60);
    }
    if q.get("grant_type").map(String::as_str) != Some("ig_refresh_token") {
        return graph_error(100, None, "Unsupported grant_type");
    }
    exchange(
        &sim,
        "instagram",
        q.get("access_token"),
        sim.lifetimes.instagram,
        true,
    )
}

/// Exchange a valid, unexpired token for a new long-lived one (an expired token cannot be
/// exchanged; Instagram also wants the token to be at least 24 hours old).
fn exchange(
    sim: &Sim,
    platform: &str,
    token: Option<&String>,
    lifetime: i64,
    min_age_24h: bool,
) -> Response {
    let now = sim.now();
    let mut s = sim.lock();
    let Some(i) = s
        .grants
        .iter()
        .position(|g| g.platform == platform && Some(&g.access_token) == token)
    else {
        return graph_error(
            190,
            None,
            "Invalid OAuth access token - Cannot parse access token",
        );
    };
    let g = s.grants[i].clone();
    if g.revoked {
        return graph_error(
            190,
            Some(458),
            "Error validating access token: The user has not authorized application.",
        );
    }
    if g.access_expires_at <= now {
        return graph_error(
            190,
            Some(463),
            "Error validating access token: Session has expired.",
        );
    }
    if min_age_24h && now - g.issued_at < 86_400 {
        // Simulator's choice of code for this case: the generic invalid-parameter error.
        return graph_error(
            100,
            None,
            "The access token must be at least 24 hours old to be refreshed.",
        );
    }
    let prefix = if platform == "instagram" {
        "IGQ"
    } else {
        "EAA"
    };
    let access = sim.token(&mut s, prefix);
    let g = &mut s.grants[i];
    g.access_token = access.clone();
    g.access_expires_at = now + lifetime;
    g.issued_at = now;
    Json(json!({"access_token": access, "token_type": "bearer", "expires_in": lifetime}))
        .into_response()
}

pub(crate) async fn meta_me(
    State(sim): State<Sim>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let now = sim.now();
    let s = sim.lock();
    match s.grants.iter().find(|g| {
        (g.platform == "meta" || g.platform == "instagram")
            && Some(&g.access_token) == q.get("access_token")
    }) {
        Some(g) if !g.revoked && g.access_expires_at > now => {
            Json(json!({"id": g.account_id, "name": "Reelcart Demo"})).into_response()
        }
        Some(_) => graph_error(
            190,
            Some(463),
            "Error validating access token: Session has expired.",
        ),
        None => graph_error(
            190,
            None,
            "Invalid OAuth access token - Cannot parse access token",
        ),
    }
}

pub(crate) async fn instagram_code(
    State(sim): State<Sim>,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    if f.get("client_id") != Some(&sim.apps.meta_app_id)
        || f.get("client_secret") != Some(&sim.apps.meta_app_secret)
    {
        return graph_error(1, None, "Error validating client secret.");
    }
    if f.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return graph_error(100, None, "Unsupported grant_type");
    }
    let Some(code) = sim.redeem("instagram", f.get("code"), f.get("redirect_uri"), 60 * 60) else {
        return graph_error(
            100,
            None,
            "This authorization code has expired or been used.",
        );
    };
    // A short-lived (1 h) Instagram User token.
    let g = sim.seed("instagram", &code.account_id, Some(3600));
    Json(json!({"access_token": g.access_token, "user_id": code.account_id, "permissions": ["instagram_business_basic"]})).into_response()
}

pub(crate) async fn instagram_long_lived(
    State(sim): State<Sim>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if q.get("grant_type").map(String::as_str) != Some("ig_exchange_token") {
        return graph_error(100, None, "Unsupported grant_type");
    }
    if q.get("client_secret") != Some(&sim.apps.meta_app_secret) {
        return graph_error(1, None, "Error validating client secret.");
    }
    // Exchange a valid short-lived token for a 60-day one (no minimum age for this exchange).
    exchange(
        &sim,
        "instagram",
        q.get("access_token"),
        sim.lifetimes.instagram,
        false,
    )
}
