//! TikTok Display API: `POST /v2/video/list/`.

use super::{VIDEO_FIELDS, Video, video_json};
use crate::catalog::bearer;
use crate::{Sim, request_id};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;

fn display_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"data": {}, "error": {"code": code, "message": message, "log_id": request_id()}})),
    )
        .into_response()
}

pub(crate) async fn video_list(
    State(sim): State<Sim>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let now = sim.now();
    let open_id = {
        let mut s = sim.lock();
        s.ugc.display_calls += 1;
        let token = bearer(&headers);
        s.grants
            .iter()
            .find(|g| {
                g.platform == "tiktok"
                    && Some(g.access_token.as_str()) == token
                    && !g.revoked
                    && g.access_expires_at > now
            })
            .map(|g| g.account_id.clone())
    };
    let Some(open_id) = open_id else {
        return display_error(
            StatusCode::UNAUTHORIZED,
            "access_token_invalid",
            "The access token is invalid or not found in the request.",
        );
    };
    let fields: Vec<&str> = q
        .get("fields")
        .map(|f| {
            f.split(',')
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if fields.is_empty() {
        return display_error(
            StatusCode::BAD_REQUEST,
            "invalid_params",
            "fields is required",
        );
    }
    if let Some(bad) = fields.iter().find(|f| !VIDEO_FIELDS.contains(f)) {
        return display_error(
            StatusCode::BAD_REQUEST,
            "invalid_params",
            &format!("Invalid field: {bad}"),
        );
    }
    let req: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(v @ Value::Object(_)) => v,
            _ => {
                return display_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_params",
                    "The request body must be a JSON object",
                );
            }
        }
    };
    let cursor = match &req["cursor"] {
        Value::Null => None,
        c => match c.as_i64() {
            Some(c) => Some(c),
            None => {
                return display_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_params",
                    "cursor must be an integer",
                );
            }
        },
    };
    let max_count = match &req["max_count"] {
        Value::Null => 10,
        m => match m.as_i64().filter(|m| (1..=20).contains(m)) {
            Some(m) => m as usize,
            None => {
                return display_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_params",
                    "max_count must be between 1 and 20",
                );
            }
        },
    };
    let s = sim.lock();
    let mut videos: Vec<&Video> = s
        .ugc
        .videos
        .iter()
        .filter(|v| v.open_id == open_id && cursor.is_none_or(|c| v.created_ms < c))
        .collect();
    videos.sort_by_key(|v| std::cmp::Reverse(v.created_ms));
    let has_more = videos.len() > max_count;
    videos.truncate(max_count);
    let next_cursor = videos
        .last()
        .map_or_else(|| cursor.unwrap_or(now * 1000), |v| v.created_ms);
    let list: Vec<Value> = videos.iter().map(|v| video_json(v, &fields)).collect();
    Json(json!({
        "data": {"videos": list, "cursor": next_cursor, "has_more": has_more},
        "error": {"code": "ok", "message": "", "log_id": request_id()},
    }))
    .into_response()
}
