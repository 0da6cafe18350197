//! Meta's Conversions API and TikTok's Events API (spec §7), checking what a real endpoint
//! checks and what Reelcart promises: the pixel and its token; an event name, time (at most 7
//! days old), id and source; contact details sent only as SHA-256 (64 lowercase hex digits),
//! and the IP address, user agent and click ids never hashed. Every event accepted is kept, as
//! received, for tests: `GET /_sim/conversions`.

use crate::Sim;
use crate::meta::graph_error;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

/// The pixels and tokens the simulator accepts (the local stack's conversions secret).
pub const META_PIXEL_ID: &str = "990000000000001";
pub const META_CAPI_TOKEN: &str = "demo-meta-capi-token";
pub const TIKTOK_PIXEL_CODE: &str = "CSIMPIXEL00000000001";
pub const TIKTOK_EVENTS_TOKEN: &str = "demo-tiktok-events-token";

/// The conversions secret document for these pixels.
pub fn conversions_secret_json() -> String {
    json!({
        "meta_pixel_id": META_PIXEL_ID, "meta_access_token": META_CAPI_TOKEN,
        "tiktok_pixel_code": TIKTOK_PIXEL_CODE, "tiktok_access_token": TIKTOK_EVENTS_TOKEN,
    })
    .to_string()
}

#[derive(Debug, Default)]
pub(crate) struct ConversionsState {
    /// `{"platform": "meta"|"tiktok", "event": …}` in the order received.
    received: Vec<Value>,
}

pub(crate) fn routes() -> Router<Sim> {
    Router::new()
        .route("/{version}/{pixel_id}/events", post(meta_events))
        .route("/open_api/v1.3/event/track/", post(tiktok_track))
        .route("/_sim/conversions", get(received))
}

fn is_sha256(v: &Value) -> bool {
    v.as_str().is_some_and(|s| {
        s.len() == 64
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// Every value of `field` (a string or a list of them) hashed, if present.
fn all_hashed(user: &Value, field: &str) -> bool {
    match &user[field] {
        Value::Null => true,
        Value::Array(a) => !a.is_empty() && a.iter().all(is_sha256),
        other => is_sha256(other),
    }
}

/// What is wrong with the event's times and identifiers, if anything.
fn check_event(
    sim: &Sim,
    e: &Value,
    user: &Value,
    hashed: &[&str],
    plain: &[&str],
) -> Option<String> {
    let now = sim.now();
    let Some(t) = e["event_time"].as_i64() else {
        return Some("event_time must be a unix timestamp".into());
    };
    if now - t > 7 * 86_400 {
        return Some("event_time is more than 7 days in the past".into());
    }
    if t > now + 60 {
        return Some("event_time is in the future".into());
    }
    if e["event_id"].as_str().is_none_or(str::is_empty) {
        return Some("event_id is required for deduplication".into());
    }
    if let Some(f) = hashed.iter().find(|f| !all_hashed(user, f)) {
        return Some(format!("{f} must be hashed with SHA-256"));
    }
    if let Some(f) = plain.iter().find(|f| is_sha256(&user[**f])) {
        return Some(format!("{f} must not be hashed"));
    }
    None
}

async fn meta_events(
    State(sim): State<Sim>,
    Path((_version, pixel)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Response {
    if let Some(retry) = sim.count_and_throttle("meta-capi") {
        return crate::meta::graph_throttled((retry + 59) / 60);
    }
    if body["access_token"] != META_CAPI_TOKEN {
        return graph_error(
            190,
            None,
            "Invalid OAuth access token - Cannot parse access token",
        );
    }
    if pixel != META_PIXEL_ID {
        return graph_error(
            100,
            Some(33),
            "Unsupported post request. Object does not exist",
        );
    }
    let Some(events) = body["data"]
        .as_array()
        .filter(|d| !d.is_empty() && d.len() <= 1000)
    else {
        return graph_error(
            100,
            None,
            "Invalid parameter: data must hold 1 to 1000 events",
        );
    };
    for e in events {
        let user = &e["user_data"];
        let problem = check_event(
            &sim,
            e,
            user,
            &[
                "em",
                "ph",
                "fn",
                "ln",
                "ct",
                "st",
                "zp",
                "country",
                "external_id",
            ],
            &["client_ip_address", "client_user_agent", "fbc", "fbp"],
        )
        .or_else(|| {
            let source = e["action_source"].as_str().unwrap_or("");
            let known = [
                "website",
                "app",
                "email",
                "phone_call",
                "chat",
                "physical_store",
                "system_generated",
                "business_messaging",
                "other",
            ];
            if !known.contains(&source) {
                return Some("action_source is not one Meta knows".into());
            }
            (source == "website"
                && (user["client_user_agent"].as_str().is_none()
                    || e["event_source_url"].as_str().is_none()))
            .then(|| "website events need client_user_agent and event_source_url".into())
        })
        .or_else(|| {
            (e["event_name"] == "Purchase"
                && (e["custom_data"]["currency"]
                    .as_str()
                    .is_none_or(|c| c.len() != 3)
                    || !e["custom_data"]["value"].is_number()))
            .then(|| "a Purchase needs custom_data.currency and a numeric value".into())
        });
        if let Some(p) = problem {
            return graph_error(100, Some(2_804_019), &format!("Invalid parameter: {p}"));
        }
    }
    let mut s = sim.lock();
    for e in events {
        s.conversions
            .received
            .push(json!({"platform": "meta", "event": e}));
    }
    Json(
        json!({"events_received": events.len(), "messages": [], "fbtrace_id": crate::request_id()}),
    )
    .into_response()
}

fn tiktok_answer(code: i64, message: &str) -> Response {
    (
        StatusCode::OK,
        Json(json!({"code": code, "message": message, "request_id": crate::request_id(), "data": {}})),
    )
        .into_response()
}

async fn tiktok_track(
    State(sim): State<Sim>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Some(retry) = sim.count_and_throttle("tiktok-events") {
        let mut r = tiktok_answer(40100, "Too many requests. Please retry in some time.");
        *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        if let Ok(v) = axum::http::HeaderValue::from_str(&retry.to_string()) {
            r.headers_mut().insert("retry-after", v);
        }
        return r;
    }
    if headers.get("access-token").and_then(|v| v.to_str().ok()) != Some(TIKTOK_EVENTS_TOKEN) {
        return tiktok_answer(40001, "Access token is incorrect or has been revoked.");
    }
    if body["event_source"] != "web" || body["event_source_id"] != TIKTOK_PIXEL_CODE {
        return tiktok_answer(
            40002,
            "event_source must be web and event_source_id a pixel code of the advertiser",
        );
    }
    let Some(events) = body["data"]
        .as_array()
        .filter(|d| !d.is_empty() && d.len() <= 1000)
    else {
        return tiktok_answer(40002, "data must hold 1 to 1000 events");
    };
    for e in events {
        if e["event"].as_str().is_none_or(str::is_empty) {
            return tiktok_answer(40002, "event is required");
        }
        let user = &e["user"];
        if let Some(p) = check_event(
            &sim,
            e,
            user,
            &["email", "phone", "external_id"],
            &["ip", "user_agent", "ttp", "ttclid"],
        ) {
            return tiktok_answer(40002, &p);
        }
    }
    let mut s = sim.lock();
    for e in events {
        s.conversions
            .received
            .push(json!({"platform": "tiktok", "event": e}));
    }
    tiktok_answer(0, "OK")
}

async fn received(State(sim): State<Sim>) -> Json<Value> {
    Json(json!({ "events": sim.lock().conversions.received }))
}
