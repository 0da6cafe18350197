//! HTTP responses: JSON bodies, and errors as `{ "error": { "code", "message" } }`.

use lambda_http::http::{StatusCode, header};
use lambda_http::{Body, Response};
use reelcart_ports::PortError;
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
    /// A backing service is down or throttling (a [`PortError`] that a retry can fix): `503` with
    /// `Retry-After`, the detail logged and never sent.
    #[error("unavailable: {detail}")]
    Unavailable {
        retry_after_secs: u32,
        detail: String,
    },
    #[error("internal error: {0}")]
    Internal(String),
}

/// A port's failure as an answer, by its kind: a service that is down or throttling is `503` with
/// `Retry-After` (the client may retry), a write that lost a race is `409 conflict` (read again,
/// then retry); a denied call, a missing resource or undecodable data is the deployment's fault
/// or a bug, so `500`. The detail is logged, never sent.
impl From<PortError> for ApiError {
    fn from(e: PortError) -> Self {
        match e {
            PortError::Unavailable { .. } => Self::Unavailable {
                retry_after_secs: 1,
                detail: e.to_string(),
            },
            PortError::Throttled { .. } => Self::Unavailable {
                retry_after_secs: 2,
                detail: e.to_string(),
            },
            PortError::Conflict { .. } => {
                tracing::warn!(error = %e, "write conflict");
                Self::client(
                    StatusCode::CONFLICT,
                    "conflict",
                    "the resource changed while this request was served: read it again and retry",
                )
            }
            PortError::Denied { .. } | PortError::NotFound { .. } | PortError::Invalid { .. } => {
                Self::Internal(e.to_string())
            }
        }
    }
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
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
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
            ApiError::Unavailable {
                retry_after_secs,
                detail,
            } => {
                tracing::warn!(error = %detail, "backing service unavailable");
                let mut r = error_body(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "a service behind this API is unavailable: retry shortly",
                );
                r.headers_mut()
                    .insert(header::RETRY_AFTER, retry_after_secs.into());
                r
            }
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

/// A CSV download (`200`, `text/csv`, saved as `filename`).
pub fn csv(body: impl Into<String>, filename: &str) -> Response<Body> {
    let mut r = build(
        StatusCode::OK,
        "text/csv; charset=utf-8",
        Body::Text(body.into()),
    );
    if let Ok(v) = header::HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

/// `405 method_not_allowed`, its `Allow` header listing the methods the route takes.
pub fn method_not_allowed(allow: &'static str) -> Response<Body> {
    let mut r = ApiError::client(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("this route takes {allow}"),
    )
    .into_response();
    r.headers_mut()
        .insert(header::ALLOW, header::HeaderValue::from_static(allow));
    r
}

/// A plain-text response (e.g. Meta's handshake challenge).
pub fn text(status: StatusCode, body: impl Into<String>) -> Response<Body> {
    build(status, "text/plain; charset=utf-8", Body::Text(body.into()))
}

/// A request's body, refused (`413`) over `max` bytes.
pub fn body_of(req: &lambda_http::Request, max: usize) -> Result<&[u8], ApiError> {
    let bytes: &[u8] = match req.body() {
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => &[],
    };
    if bytes.len() > max {
        return Err(ApiError::client(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the body is over {max} bytes"),
        ));
    }
    Ok(bytes)
}

/// A request's JSON body as `T` (`400 malformed` with serde's reason, which names fields, never
/// values).
pub fn json_body<T: serde::de::DeserializeOwned>(
    req: &lambda_http::Request,
    max: usize,
) -> Result<T, ApiError> {
    crate::router::from_json(body_of(req, max)?)
}

/// Storefront origins allowed to call a public endpoint from the browser (`*`: any).
#[derive(Debug, Clone, Default)]
pub struct Cors {
    pub origins: Vec<String>,
}

impl Cors {
    /// From a comma-separated list (`https://shop.example,https://www.shop.example`, or `*`).
    pub fn parse(list: &str) -> Self {
        Self {
            origins: list
                .split(',')
                .map(|o| o.trim().trim_end_matches('/').to_string())
                .filter(|o| !o.is_empty())
                .collect(),
        }
    }

    /// The `Access-Control-Allow-Origin` value for a request from `origin`, if it is allowed.
    pub fn allow(&self, origin: Option<&str>) -> Option<String> {
        let origin = origin?.trim_end_matches('/');
        if self.origins.iter().any(|o| o == "*") {
            return Some("*".into());
        }
        self.origins
            .iter()
            .any(|o| o.eq_ignore_ascii_case(origin))
            .then(|| origin.to_string())
    }

    /// Add the CORS headers for `origin` to `resp` (and `Vary: Origin`, as the answer depends on
    /// it).
    pub fn apply<B>(&self, origin: Option<&str>, methods: &str, resp: &mut Response<B>) {
        let h = resp.headers_mut();
        h.append(header::VARY, header::HeaderValue::from_static("Origin"));
        if let Some(allowed) = self.allow(origin)
            && let Ok(v) = header::HeaderValue::from_str(&allowed)
        {
            h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
            if let Ok(m) = header::HeaderValue::from_str(methods) {
                h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, m);
            }
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                header::HeaderValue::from_static(
                    "content-type, if-none-match, x-amz-content-sha256",
                ),
            );
            h.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                header::HeaderValue::from_static("etag"),
            );
            h.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                header::HeaderValue::from_static("86400"),
            );
        }
    }
}

/// For a function whose one handler also serves queues (the event's shape decides): an API
/// Gateway (payload 2.0) or function-URL event as a request…
pub fn request_from_apigw_v2(
    event: serde_json::Value,
) -> Result<lambda_http::Request, serde_json::Error> {
    let req: aws_lambda_events::apigw::ApiGatewayV2httpRequest = serde_json::from_value(event)?;
    Ok(lambda_http::request::LambdaRequest::ApiGatewayV2(req).into())
}

/// …and the response as they take it (binary bodies base64-encoded).
pub fn response_to_apigw_v2(
    resp: Response<Body>,
) -> aws_lambda_events::apigw::ApiGatewayV2httpResponse {
    let (parts, body) = resp.into_parts();
    let mut out = aws_lambda_events::apigw::ApiGatewayV2httpResponse::default();
    out.status_code = i64::from(parts.status.as_u16());
    out.is_base64_encoded = matches!(body, Body::Binary(_));
    out.body = match body {
        Body::Empty => None,
        b => Some(b),
    };
    out.cookies = parts
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect();
    let mut headers = parts.headers;
    headers.remove(header::SET_COOKIE);
    out.headers = headers;
    out
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
    fn cors_echoes_allowed_origins_only() {
        let cors = Cors::parse("https://shop.example, https://www.shop.example/");
        assert_eq!(
            cors.allow(Some("https://www.shop.example")).as_deref(),
            Some("https://www.shop.example")
        );
        assert_eq!(cors.allow(Some("https://evil.example")), None);
        assert_eq!(cors.allow(None), None);
        let mut r = text(StatusCode::OK, "x");
        cors.apply(Some("https://evil.example"), "GET", &mut r);
        assert!(r.headers().get("access-control-allow-origin").is_none());
        assert_eq!(r.headers()["vary"], "Origin");
        let any = Cors::parse("*");
        assert_eq!(any.allow(Some("https://a.example")).as_deref(), Some("*"));
    }

    #[test]
    fn responses_convert_for_function_urls() {
        let r = response_to_apigw_v2(json(StatusCode::ACCEPTED, &serde_json::json!({"a": 1})));
        assert_eq!(r.status_code, 202);
        assert!(r.is_base64_encoded);
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(v["body"], "eyJhIjoxfQ==");
        assert_eq!(v["headers"]["content-type"], "application/json");
        let t = response_to_apigw_v2(text(StatusCode::OK, "hi"));
        assert!(!t.is_base64_encoded);
        assert_eq!(serde_json::to_value(&t).unwrap()["body"], "hi");
    }

    #[test]
    fn internal_errors_are_opaque() {
        let r = ApiError::internal("dynamodb: table arn:aws:... not found").into_response();
        assert_eq!(r.status(), 500);
        assert!(!String::from_utf8_lossy(r.body().as_ref()).contains("dynamodb"));
    }
}
