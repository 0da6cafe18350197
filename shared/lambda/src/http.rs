//! HTTP responses: JSON bodies, and errors as `{ "error": { "code", "message" } }`.

use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Response};
use serde::Serialize;

/// An error a client can act on (4xx), or an internal failure (opaque 500, detail logged once).
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{message}")]
    Client {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn client(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self::Client {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self::Internal(detail.to_string())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Client { status, .. } => *status,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The response for this error. Internal details are logged here and never sent.
    pub fn into_response(self) -> Response<Body> {
        match self {
            ApiError::Client {
                status,
                code,
                message,
            } => error_body(status, code, &message),
            ApiError::Internal(detail) => {
                tracing::error!(error = %detail, "request failed");
                error_body(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error",
                )
            }
        }
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: ErrorDetail<'a>,
}
#[derive(Serialize)]
struct ErrorDetail<'a> {
    code: &'a str,
    message: &'a str,
}

fn error_body(status: StatusCode, code: &str, message: &str) -> Response<Body> {
    json(
        status,
        &ErrorBody {
            error: ErrorDetail { code, message },
        },
    )
}

/// A JSON response.
pub fn json<T: Serialize>(status: StatusCode, value: &T) -> Response<Body> {
    match serde_json::to_vec(value) {
        Ok(bytes) => build(status, "application/json", Body::Binary(bytes)),
        Err(e) => {
            tracing::error!(error = %e, "response serialization failed");
            build(
                StatusCode::INTERNAL_SERVER_ERROR,
                "application/json",
                Body::Text(r#"{"error":{"code":"internal","message":"internal error"}}"#.into()),
            )
        }
    }
}

/// A plain-text response (e.g. Meta's handshake challenge).
pub fn text(status: StatusCode, body: impl Into<String>) -> Response<Body> {
    build(status, "text/plain; charset=utf-8", Body::Text(body.into()))
}

fn build(status: StatusCode, content_type: &str, body: Body) -> Response<Body> {
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    if let Ok(v) = header::HeaderValue::from_str(content_type) {
        resp.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(r: &Response<Body>) -> serde_json::Value {
        serde_json::from_slice(r.body().as_ref()).unwrap()
    }

    #[test]
    fn client_errors_carry_code_and_message() {
        let r = ApiError::client(
            StatusCode::UNAUTHORIZED,
            "invalid_signature",
            "no signature matched",
        )
        .into_response();
        assert_eq!(r.status(), 401);
        assert_eq!(r.headers()["content-type"], "application/json");
        assert_eq!(
            body(&r),
            serde_json::json!({"error":{"code":"invalid_signature","message":"no signature matched"}})
        );
    }

    #[test]
    fn internal_errors_are_opaque() {
        let r = ApiError::internal("dynamodb: table arn:aws:... not found").into_response();
        assert_eq!(r.status(), 500);
        assert!(!String::from_utf8_lossy(r.body().as_ref()).contains("dynamodb"));
    }
}
