//! One HTTP port for every function route of the template (as API Gateway and function URLs would
//! serve them), plus `/healthz` and `/_local/schedules/{name}` to fire a schedule now.

use crate::functions::{HttpFn, ScheduleFn};
use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use lambda_http::Body;
use std::collections::BTreeMap;
use std::sync::Arc;

/// API Gateway HTTP APIs accept bodies up to 10 MB; functions enforce their own, smaller limits.
const MAX_REQUEST_BYTES: usize = 10 * 1024 * 1024;

#[derive(Clone)]
pub struct Route {
    pub method: String,
    pub pattern: String,
    pub function: String,
    pub handler: HttpFn,
}

#[derive(Clone, Default)]
pub struct Routes {
    pub http: Vec<Route>,
    pub schedules: BTreeMap<String, (ScheduleFn, Option<String>)>,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} → {}", self.method, self.pattern, self.function)
    }
}

impl std::fmt::Debug for Routes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Routes")
            .field("http", &self.http)
            .field("schedules", &self.schedules.keys().collect::<Vec<_>>())
            .finish()
    }
}

pub fn router(routes: Arc<Routes>) -> Router {
    Router::new()
        .route(
            "/healthz",
            get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }),
        )
        .route("/_local/schedules", get(list_schedules))
        .route("/_local/schedules/{name}", post(fire_schedule))
        .fallback(dispatch)
        .with_state(routes)
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

async fn list_schedules(State(routes): State<Arc<Routes>>) -> Response {
    let names: Vec<&String> = routes.schedules.keys().collect();
    axum::Json(serde_json::json!({ "schedules": names })).into_response()
}

async fn fire_schedule(State(routes): State<Arc<Routes>>, Path(name): Path<String>) -> Response {
    match fire(&routes, &name).await {
        Some(Ok(())) => axum::Json(serde_json::json!({"fired": name})).into_response(),
        Some(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, "schedule_failed", &e),
        None => error(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("no schedule `{name}`"),
        ),
    }
}

/// Fire one schedule now with an EventBridge "Scheduled Event" (or the schedule's own input).
pub async fn fire(routes: &Routes, name: &str) -> Option<Result<(), String>> {
    let (handler, input) = routes.schedules.get(name)?;
    let payload = match input {
        Some(json) => serde_json::from_str(json).unwrap_or(serde_json::Value::Null),
        None => serde_json::json!({
            "version": "0",
            "id": format!("local-{name}"),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": crate::provision::ACCOUNT_ID,
            "time": "1970-01-01T00:00:00Z",
            "region": "us-east-1",
            "resources": [format!("local-schedule/{name}")],
            "detail": {}
        }),
    };
    Some(handler(payload).await)
}

async fn dispatch(State(routes): State<Arc<Routes>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    let route = routes.http.iter().find(|r| {
        (r.method == "ANY"
            || Method::from_bytes(r.method.as_bytes()).is_ok_and(|m| m == parts.method))
            && crate::functions::path_matches(&r.pattern, &path)
    });
    let Some(route) = route else {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            &format!("no route for {} {path}", parts.method),
        );
    };
    let bytes = match axum::body::to_bytes(body, MAX_REQUEST_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            return error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "request body over 10 MB",
            );
        }
    };
    let body = if bytes.is_empty() {
        Body::Empty
    } else {
        Body::Binary(bytes.to_vec())
    };
    let response = (route.handler)(lambda_http::http::Request::from_parts(parts, body)).await;
    let (parts, body) = response.into_parts();
    let bytes = match body {
        Body::Empty => Vec::new(),
        Body::Text(t) => t.into_bytes(),
        Body::Binary(b) => b,
        _ => Vec::new(),
    };
    Response::from_parts(parts, axum::body::Body::from(bytes))
}
