//! Consent screens, at the platforms' own paths and with their own parameters, and
//! `POST /_sim/consent` (what the next visitor does).

use crate::{Consent, Sim, default_account, urlencode};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use std::collections::HashMap;

type Query_ = HashMap<String, String>;

fn bad_request(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, message.to_string()).into_response()
}

/// A consent screen's answer: approve (a code for the redirect URI) or deny, as configured.
fn consent(
    sim: &Sim,
    platform: &str,
    redirect_uri: &str,
    state: Option<&String>,
    code_challenge: Option<&str>,
) -> Response {
    let decision = sim.lock().consent.get(platform).cloned();
    let decision = decision.unwrap_or_else(|| Consent {
        account_id: default_account(platform).to_string(),
        approve: true,
    });
    let mut params: Vec<(&str, String)> = Vec::new();
    if decision.approve {
        let code = sim.authorize(platform, &decision.account_id, redirect_uri, code_challenge);
        params.push(("code", code));
    } else {
        params.push(("error", "access_denied".into()));
        if matches!(platform, "meta" | "instagram") {
            params.push(("error_reason", "user_denied".into()));
        }
        params.push(("error_description", "The user denied your request.".into()));
    }
    if let Some(state) = state {
        params.push(("state", state.clone()));
    }
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect();
    let sep = if redirect_uri.contains('?') { '&' } else { '?' };
    // Instagram appends `#_` to the redirect.
    let tail = if platform == "instagram" { "#_" } else { "" };
    let location = format!("{redirect_uri}{sep}{}{tail}", query.join("&"));
    match HeaderValue::from_str(&location) {
        Ok(v) => (StatusCode::FOUND, [(axum::http::header::LOCATION, v)]).into_response(),
        Err(_) => bad_request("bad redirect_uri"),
    }
}

pub(crate) async fn consent_tiktok_shop(
    State(sim): State<Sim>,
    Query(q): Query<Query_>,
) -> Response {
    if q.get("service_id").is_none_or(String::is_empty) {
        return bad_request("service_id is required");
    }
    let Some(redirect) = sim.lock().redirects.get("tiktok-shop").cloned() else {
        return bad_request("the app has no redirect URI registered");
    };
    consent(&sim, "tiktok-shop", &redirect, q.get("state"), None)
}

pub(crate) async fn consent_tiktok(State(sim): State<Sim>, Query(q): Query<Query_>) -> Response {
    if q.get("client_key") != Some(&sim.apps.tiktok_client_key) {
        return bad_request("client_key is invalid");
    }
    if q.get("response_type").map(String::as_str) != Some("code")
        || q.get("scope").is_none_or(String::is_empty)
    {
        return bad_request("response_type=code and scope are required");
    }
    let Some(redirect) = q.get("redirect_uri") else {
        return bad_request("redirect_uri is required");
    };
    let challenge = match (q.get("code_challenge"), q.get("code_challenge_method")) {
        (Some(c), Some(m)) if m == "S256" => Some(c.as_str()),
        (None, None) => None,
        _ => return bad_request("code_challenge_method must be S256"),
    };
    consent(&sim, "tiktok", redirect, q.get("state"), challenge)
}

fn consent_meta_like(sim: &Sim, platform: &str, q: &Query_) -> Response {
    if q.get("client_id") != Some(&sim.apps.meta_app_id) {
        return bad_request("Invalid App ID");
    }
    let Some(redirect) = q.get("redirect_uri") else {
        return bad_request("redirect_uri is required");
    };
    if platform == "instagram" && q.get("response_type").map(String::as_str) != Some("code") {
        return bad_request("response_type must be code");
    }
    consent(sim, platform, redirect, q.get("state"), None)
}

pub(crate) async fn consent_meta(
    State(sim): State<Sim>,
    Path(version): Path<String>,
    Query(q): Query<Query_>,
) -> Response {
    if !version.starts_with('v') {
        return bad_request("unknown path");
    }
    consent_meta_like(&sim, "meta", &q)
}

pub(crate) async fn consent_instagram(State(sim): State<Sim>, Query(q): Query<Query_>) -> Response {
    consent_meta_like(&sim, "instagram", &q)
}

#[derive(Deserialize)]
pub(crate) struct ConsentReq {
    platform: String,
    account_id: Option<String>,
    #[serde(default = "yes")]
    approve: bool,
}

fn yes() -> bool {
    true
}

pub(crate) async fn set_consent(State(sim): State<Sim>, Json(r): Json<ConsentReq>) -> StatusCode {
    let account = r
        .account_id
        .unwrap_or_else(|| default_account(&r.platform).to_string());
    sim.set_consent(&r.platform, &account, r.approve);
    StatusCode::NO_CONTENT
}
