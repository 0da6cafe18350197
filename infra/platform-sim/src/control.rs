//! Control routes (tests, demo): grants, revocation, throttling, the clock, call counts.

use crate::{SeededGrant, Sim};
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Deserialize)]
pub(crate) struct SeedReq {
    platform: String,
    account_id: String,
    access_ttl: Option<i64>,
}

pub(crate) async fn seed_grant(
    State(sim): State<Sim>,
    Json(r): Json<SeedReq>,
) -> Json<SeededGrant> {
    Json(sim.seed(&r.platform, &r.account_id, r.access_ttl))
}

#[derive(Deserialize)]
pub(crate) struct RevokeReq {
    platform: String,
    account_id: String,
}

pub(crate) async fn revoke_grant(State(sim): State<Sim>, Json(r): Json<RevokeReq>) -> StatusCode {
    sim.revoke(&r.platform, &r.account_id);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
pub(crate) struct ThrottleReq {
    platform: String,
    count: u32,
    retry_after: i64,
}

pub(crate) async fn throttle(State(sim): State<Sim>, Json(r): Json<ThrottleReq>) -> StatusCode {
    sim.throttle(&r.platform, r.count, r.retry_after);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
pub(crate) struct AdvanceReq {
    secs: i64,
}

pub(crate) async fn advance(State(sim): State<Sim>, Json(r): Json<AdvanceReq>) -> Json<Value> {
    sim.advance(r.secs);
    Json(json!({"now": sim.now()}))
}

pub(crate) async fn stats(State(sim): State<Sim>, _headers: HeaderMap) -> Json<Value> {
    let s = sim.lock();
    Json(json!({"token_calls": s.calls, "grants": s.grants.len()}))
}
