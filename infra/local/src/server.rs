//! One HTTP port for every function route of the template (as API Gateway and function URLs would
//! serve them), plus `/healthz` and `/_local/schedules/{name}` to fire a schedule now.

use crate::functions::{HttpFn, ScheduleFn};
use crate::idp::Idp;
use axum::Router;
use axum::extract::{Path, Request, State};
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use lambda_http::Body;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Lambda's answer to a signed request whose body is not what was signed.
const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// What a viewer sends in `x-amz-content-sha256` for a POST or PUT through CloudFront's origin
/// access control to a function URL: the body's SHA-256, hex.
pub fn content_sha256(body: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(body))
}

/// API Gateway HTTP APIs accept bodies up to 10 MB; functions enforce their own, smaller limits.
const MAX_REQUEST_BYTES: usize = 10 * 1024 * 1024;

#[derive(Clone)]
pub struct Route {
    pub method: String,
    pub pattern: String,
    pub function: String,
    /// Behind API Gateway's JWT authorizer (emulated with the stack's [`Idp`]).
    pub authorizer: Option<String>,
    /// Behind CloudFront's origin access control (see [`crate::functions::HttpRoute`]).
    pub signed_body: bool,
    pub handler: HttpFn,
}

#[derive(Clone, Default)]
pub struct Routes {
    pub http: Vec<Route>,
    pub idp: Option<Idp>,
    /// The managed-login stand-in (`/_local/idp/oauth2/…`).
    pub login: Option<crate::oauth::Server>,
    pub schedules: BTreeMap<String, (ScheduleFn, Option<String>)>,
    /// The media distribution, served at `/_local/cdn/{key}` as CloudFront serves it.
    pub cdn: Option<crate::cdn::Cdn>,
    /// The repository's `web/` folder: the widget (`/web/dist/…`, built by `npm run build`) and
    /// the demo storefront (`/web/demo/…`, also at `/`), as a store's site would serve them.
    pub web: Option<std::path::PathBuf>,
    /// The catalog, read by the demo storefront's product pages (`/web/demo/products/{sku}`) as
    /// a store's site reads its own product data.
    pub catalog: Option<reelcart_aws::DynamoCatalog>,
    /// What the consoles' distribution adds to their files (CSP, HSTS, no framing): the
    /// template's response-headers policy, localized (`headers`).
    pub console_headers: Vec<(String, String)>,
    /// Lambda's concurrency: an invocation that finds its function's pool full is throttled.
    pub concurrency: Option<crate::concurrency::Concurrency>,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} → {}", self.method, self.pattern, self.function)?;
        match &self.authorizer {
            Some(a) => write!(f, " ({a})"),
            None => Ok(()),
        }
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
    let login = routes
        .login
        .clone()
        .map(crate::oauth::routes)
        .unwrap_or_default();
    Router::new()
        .route(
            "/healthz",
            get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }),
        )
        .route("/_local/idp/jwks.json", get(jwks))
        .route("/_local/idp/token", post(issue_token))
        .route("/_local/schedules", get(list_schedules))
        .route("/_local/schedules/{name}", post(fire_schedule))
        .route(
            "/_local/cdn/{*key}",
            get(crate::cdn::serve).head(crate::cdn::serve),
        )
        .route("/web/demo/products/{sku}", get(demo_product))
        .route(
            "/web/console/config.json",
            get(|s, h| console_config(s, crate::oauth::CONSOLE_CLIENT, h)),
        )
        .route(
            "/web/portal/config.json",
            get(|s, h| console_config(s, crate::oauth::PORTAL_CLIENT, h)),
        )
        .route("/web/{*path}", get(web))
        .route(
            "/",
            get(|| async { axum::response::Redirect::temporary("/web/demo/index.html") }),
        )
        .fallback(dispatch)
        .with_state(routes)
        .merge(login)
}

/// The demo store's product `sku` from the catalog: title, description, price and picture.
async fn demo_product(State(routes): State<Arc<Routes>>, Path(sku): Path<String>) -> Response {
    use reelcart_ports::CatalogStore;
    let Some(catalog) = &routes.catalog else {
        return error(StatusCode::NOT_FOUND, "not_found", "no catalog");
    };
    let products = match catalog.products().await {
        Ok(p) => p,
        Err(e) => {
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                &e.to_string(),
            );
        }
    };
    let found = products.iter().find_map(|p| {
        let v = p.variants.iter().find(|v| v.sku == sku)?;
        Some(serde_json::json!({
            "sku": v.sku,
            "title": p.title,
            "description": p.description,
            "price": v.price.amount.to_string(),
            "currency": v.price.currency,
            "image": v.image.as_ref().or(p.images.first()).map(|i| &i.url),
            "link": p.link,
        }))
    });
    match found {
        Some(product) => axum::Json(product).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such product in the catalog",
        ),
    }
}

/// A file of the `web/` folder: the widget's build (`dist`), the demo storefront (`demo`), the
/// moderation console (`console`) and the creator portal (`portal`).
async fn web(State(routes): State<Arc<Routes>>, Path(path): Path<String>) -> Response {
    let Some(root) = &routes.web else {
        return error(StatusCode::NOT_FOUND, "not_found", "no web folder");
    };
    let clean = path
        .split('/')
        .all(|p| !p.is_empty() && p != ".." && p != "." && !p.contains('\\'));
    let allowed = ["dist/", "demo/", "console/", "portal/", "auth/"]
        .iter()
        .any(|prefix| path.starts_with(prefix));
    if !clean || !allowed {
        return error(StatusCode::NOT_FOUND, "not_found", "no such file");
    }
    let Ok(bytes) = tokio::fs::read(root.join(&path)).await else {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such file (is the widget built? `make web`)",
        );
    };
    let content_type = match path.rsplit_once('.').map(|(_, e)| e) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("jpg") => "image/jpeg",
        _ => "application/octet-stream",
    };
    let mut r = (
        [
            (axum::http::header::CONTENT_TYPE, content_type),
            (axum::http::header::CACHE_CONTROL, "no-cache"),
        ],
        bytes,
    )
        .into_response();
    // The widget is loaded by storefronts on other origins (a Shopify theme's app embed): as a
    // CDN serves it, to any origin.
    if path.starts_with("dist/") {
        r.headers_mut().insert(
            axum::http::header::ACCESS_CONTROL_ALLOW_ORIGIN,
            axum::http::HeaderValue::from_static("*"),
        );
    }
    if ["console/", "portal/", "auth/"]
        .iter()
        .any(|p| path.starts_with(p))
    {
        for (name, value) in &routes.console_headers {
            if let (Ok(n), Ok(v)) = (
                axum::http::HeaderName::try_from(name.as_str()),
                axum::http::HeaderValue::try_from(value.as_str()),
            ) {
                r.headers_mut().insert(n, v);
            }
        }
    }
    r
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({"error": {"code": code, "message": message}})),
    )
        .into_response()
}

async fn jwks(State(routes): State<Arc<Routes>>) -> Response {
    match &routes.idp {
        Some(idp) => axum::Json(idp.jwks()).into_response(),
        None => error(StatusCode::NOT_FOUND, "not_found", "no identity provider"),
    }
}

#[derive(serde::Deserialize)]
struct TokenRequest {
    sub: String,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default = "hour")]
    ttl_secs: i64,
}

fn hour() -> i64 {
    3600
}

/// A token for anyone: the local stack has no login (its port is on loopback only).
async fn issue_token(
    State(routes): State<Arc<Routes>>,
    axum::Json(r): axum::Json<TokenRequest>,
) -> Response {
    let Some(idp) = &routes.idp else {
        return error(StatusCode::NOT_FOUND, "not_found", "no identity provider");
    };
    match idp.issue(&r.sub, &r.groups, r.ttl_secs) {
        Ok(token) => axum::Json(serde_json::json!({
            "token": token,
            "token_type": "Bearer",
            "expires_in": r.ttl_secs,
        }))
        .into_response(),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, "idp", &e.to_string()),
    }
}

/// A console's runtime configuration (`/web/console/config.json`, `/web/portal/config.json`), as
/// a deployment generates it for the hosted consoles: the API, the sign-in endpoints, its client.
async fn console_config(
    State(routes): State<Arc<Routes>>,
    client: &str,
    headers: axum::http::HeaderMap,
) -> Response {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    match routes
        .login
        .as_ref()
        .and_then(|l| l.console_config(&format!("http://{host}"), client))
    {
        Some(config) => {
            let mut r = axum::Json(config).into_response();
            r.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            r
        }
        None => error(StatusCode::NOT_FOUND, "not_found", "no sign-in configured"),
    }
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
    // API Gateway's route selection: the most specific path wins (a greedy `{proxy+}` least),
    // then a route of the request's method over an `ANY` route.
    let route = routes
        .http
        .iter()
        .filter(|r| {
            (r.method == "ANY"
                || Method::from_bytes(r.method.as_bytes()).is_ok_and(|m| m == parts.method))
                && crate::functions::path_matches(&r.pattern, &path)
        })
        .min_by_key(|r| {
            (
                r.pattern.ends_with("+}"),
                r.pattern.matches('{').count(),
                r.method == "ANY",
            )
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
    // CloudFront signs the request to an AWS_IAM function URL with the viewer's stated body
    // hash; Lambda refuses a body without one, or with one that is not the body's.
    if route.signed_body
        && matches!(parts.method, Method::POST | Method::PUT | Method::PATCH)
        && parts
            .headers
            .get("x-amz-content-sha256")
            .and_then(|v| v.to_str().ok())
            != Some(content_sha256(&bytes).as_str())
    {
        return (
            StatusCode::FORBIDDEN,
            axum::Json(serde_json::json!({"Message": SIGNATURE_MISMATCH})),
        )
            .into_response();
    }
    // What API Gateway adds: the request context (with the authorizer's claims) and the scheme.
    let claims = match &route.authorizer {
        None => None,
        Some(_) => {
            let header = parts
                .headers
                .get(http::header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok());
            match routes.idp.as_ref().and_then(|idp| idp.authorize(header)) {
                Some(claims) => Some(claims),
                // API Gateway's own answer, before any function runs.
                None => {
                    return (
                        StatusCode::UNAUTHORIZED,
                        [(http::header::WWW_AUTHENTICATE, "Bearer")],
                        axum::Json(serde_json::json!({"message": "Unauthorized"})),
                    )
                        .into_response();
                }
            }
        }
    };
    let context = match request_context(&parts.method, &path, claims) {
        Ok(c) => c,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, "local", &e),
    };
    let mut parts = parts;
    parts
        .headers
        .insert("x-forwarded-proto", http::HeaderValue::from_static("http"));
    let body = if bytes.is_empty() {
        Body::Empty
    } else {
        Body::Binary(bytes.to_vec())
    };
    // API Gateway and function URLs hand the query over parsed (percent-decoded).
    let mut query: std::collections::HashMap<String, Vec<String>> = Default::default();
    for (k, v) in form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes()) {
        query
            .entry(k.into_owned())
            .or_default()
            .push(v.into_owned());
    }
    let request = lambda_http::RequestExt::with_request_context(
        lambda_http::RequestExt::with_query_string_parameters(
            lambda_http::http::Request::from_parts(parts, body),
            query,
        ),
        lambda_http::request::RequestContext::ApiGatewayV2(context),
    );
    // Lambda throttles a synchronous invocation at once when the function's pool is full.
    let _execution = match &routes.concurrency {
        Some(c) => match c.try_start(&route.function) {
            Some(permit) => Some(permit),
            None => {
                return (
                    StatusCode::TOO_MANY_REQUESTS,
                    axum::Json(serde_json::json!({"Message": "Rate Exceeded."})),
                )
                    .into_response();
            }
        },
        None => None,
    };
    let response = (route.handler)(request).await;
    let (parts, body) = response.into_parts();
    let bytes = match body {
        Body::Empty => Vec::new(),
        Body::Text(t) => t.into_bytes(),
        Body::Binary(b) => b,
        _ => Vec::new(),
    };
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// An HTTP API (payload 2.0) request context, as API Gateway builds it.
fn request_context(
    method: &Method,
    path: &str,
    claims: Option<std::collections::HashMap<String, String>>,
) -> Result<aws_lambda_events::apigw::ApiGatewayV2httpRequestContext, String> {
    let mut ctx = serde_json::json!({
        "http": {"method": method.as_str(), "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
        "stage": "$default",
        "requestId": format!("local-{:016x}", rand::random::<u64>()),
        "timeEpoch": 0,
    });
    if let Some(claims) = claims {
        ctx["authorizer"] = serde_json::json!({"jwt": {"claims": claims, "scopes": null}});
    }
    serde_json::from_value(ctx).map_err(|e| e.to_string())
}
