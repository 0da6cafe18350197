//! HTTP functions on an [`axum::Router`] inside `lambda_http`: routes written once, with
//! extractors that answer in the API's error shape (`{"error": {"code", "message"}}`).
//!
//! - [`Caller<R>`]: the authenticated caller holding one of role set `R`'s roles ([`Admin`],
//!   [`Staff`], [`CreatorRole`]) — `401` without validated claims, `403` without the role;
//! - [`Json<T>`]: a JSON body as `T` — `413 too_large` over 16 KiB, `400 malformed` otherwise;
//! - [`Query<T>`]: the query string as `T` (first value of each name) — `400 malformed`;
//! - [`PathParams<T>`]: the route's `{name}` segments, percent-decoded;
//! - a handler answers `Result<Response, ApiError>` ([`Reply`]).
//!
//! [`serve`] runs one request through a router: a trailing `/` is ignored, an unknown path is
//! `404 not_found` (as is a path with an empty segment) and a known path with another method `405
//! method_not_allowed` with `Allow`, both before any token is looked at ([`Router`]'s fallbacks,
//! set by [`api`]).

use crate::auth::Principal;
use crate::http::ApiError;
use axum::extract::{FromRequest, FromRequestParts};
use axum::handler::Handler;
use axum::routing::MethodRouter;
use lambda_http::http::{HeaderValue, Method, StatusCode, Uri, header, request::Parts};
use lambda_http::{Body, Response};
use serde::de::DeserializeOwned;
use std::marker::PhantomData;
use std::sync::Arc;
use tower::ServiceExt;

pub use axum::Router;
pub use axum::extract::State;

/// What a handler answers.
pub type Reply = Result<Response<Body>, ApiError>;

/// The largest JSON body [`Json`] reads.
pub const MAX_BODY: usize = 16 * 1024;

impl axum::response::IntoResponse for ApiError {
    fn into_response(self) -> axum::response::Response {
        ApiError::into_response(self).map(axum::body::Body::new)
    }
}

/// An HTTP function's API: its routes, written once ([`HttpApi::routes`]); the router and the
/// one-request entry follow from them.
pub trait HttpApi: Sized + Send + Sync + 'static {
    /// Every route: method, path, and the handler with its extractors.
    fn routes() -> Routes<Arc<Self>>;

    /// The router (with the API's fallbacks), built once per process by `main.rs`.
    fn router(self: Arc<Self>) -> Router {
        Self::routes().build(self)
    }

    /// Serve one request through a router built for it (tests; `main.rs` and the local stack
    /// serve the router built once).
    fn handle(
        self: &Arc<Self>,
        req: lambda_http::Request,
    ) -> impl std::future::Future<Output = Response<Body>> + Send {
        serve(self.clone().router(), req)
    }
}

/// An API's routes, each written once: method, path as `docs/openapi.yaml` spells it
/// (`{name}` is one segment), handler. [`Routes::list`] says what is served (to hold the
/// document to it); [`Routes::build`] makes the router.
pub struct Routes<S> {
    router: Router<S>,
    list: Vec<(Method, &'static str)>,
}

impl<S> std::fmt::Debug for Routes<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Routes").field("list", &self.list).finish()
    }
}

impl<S: Clone + Send + Sync + 'static> Default for Routes<S> {
    fn default() -> Self {
        Self {
            router: Router::new(),
            list: Vec::new(),
        }
    }
}

macro_rules! method {
    ($($name:ident $method:ident),*) => {$(
        #[doc = concat!("Serve `", stringify!($method), " path` with `handler`.")]
        pub fn $name<H: Handler<T, S>, T: 'static>(self, path: &'static str, handler: H) -> Self {
            self.add(Method::$method, path, axum::routing::$name(handler))
        }
    )*};
}

impl<S: Clone + Send + Sync + 'static> Routes<S> {
    method!(get GET, post POST, put PUT, delete DELETE, options OPTIONS);

    fn add(mut self, method: Method, path: &'static str, route: MethodRouter<S>) -> Self {
        // axum merges the methods of one path; it panics if one is given twice.
        self.router = self.router.route(path, route);
        self.list.push((method, path));
        self
    }

    /// Every route served: method and path.
    pub fn list(&self) -> Vec<(Method, &'static str)> {
        self.list.clone()
    }

    /// The router, with the API's fallbacks ([`api`]) and its state.
    pub fn build(self, state: S) -> Router {
        api(self.router).with_state(state)
    }
}

/// Run the Lambda runtime loop with `router` (built once), each event through [`serve`].
pub async fn run(router: Router) -> Result<(), lambda_http::Error> {
    lambda_http::run(lambda_http::service_fn(move |req| {
        let router = router.clone();
        async move { Ok::<_, std::convert::Infallible>(serve(router, req).await) }
    }))
    .await
}

/// An API's router from its routes: `404 not_found` for an unknown path, `405
/// method_not_allowed` for a known path with another method (axum adds `Allow`). Call it once
/// every route is added (axum gives the `405` answer to the routes present).
pub fn api<S: Clone + Send + Sync + 'static>(routes: Router<S>) -> Router<S> {
    routes
        .fallback(|| async {
            ApiError::client(StatusCode::NOT_FOUND, "not_found", "no such route")
        })
        .method_not_allowed_fallback(|| async {
            ApiError::client(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this route does not take that method",
            )
        })
}

/// Serve one request with `router` (a trailing `/` of the path ignored); the response as
/// `lambda_http` hands it back (JSON and other binary types as bytes, `text/*` as text).
pub async fn serve(router: Router, req: lambda_http::Request) -> Response<Body> {
    let (mut parts, body) = req.into_parts();
    // An empty segment never fills a `{name}` (axum's matcher would let it).
    if parts.uri.path().contains("//") {
        return ApiError::client(StatusCode::NOT_FOUND, "not_found", "no such route")
            .into_response();
    }
    if let Some(uri) = trim_trailing_slash(&parts.uri) {
        parts.uri = uri;
    }
    let (method, path) = (parts.method.clone(), parts.uri.path().to_string());
    let req = lambda_http::http::Request::from_parts(parts, axum::body::Body::new(body));
    let resp = match router.oneshot(req).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    // The path only: queries may carry codes (OAuth callbacks) and tokens.
    tracing::info!(%method, path, status = resp.status().as_u16(), "answered");
    let (parts, body) = resp.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(e) => return ApiError::internal(format!("reading the response: {e}")).into_response(),
    };
    let textual = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/"));
    let body = if bytes.is_empty() {
        Body::Empty
    } else if textual {
        match String::from_utf8(bytes.to_vec()) {
            Ok(t) => Body::Text(t),
            Err(e) => Body::Binary(e.into_bytes()),
        }
    } else {
        Body::Binary(bytes.to_vec())
    };
    Response::from_parts(parts, body)
}

/// `/a/b/` → `/a/b` (the query kept); `None` when there is nothing to trim.
fn trim_trailing_slash(uri: &Uri) -> Option<Uri> {
    let path = uri.path();
    let trimmed = path.trim_end_matches('/');
    if trimmed.len() == path.len() || trimmed.is_empty() {
        return None;
    }
    let pq = match uri.query() {
        Some(q) => format!("{trimmed}?{q}"),
        None => trimmed.to_string(),
    };
    let mut p = uri.clone().into_parts();
    p.path_and_query = pq.parse().ok();
    Uri::from_parts(p).ok()
}

/// A set of roles a route accepts (any one of them).
pub trait Roles: Send + Sync + 'static {
    const ROLES: &'static [&'static str];
}

/// The brand's administrators.
#[derive(Debug)]
pub struct Admin;
impl Roles for Admin {
    const ROLES: &'static [&'static str] = &["admin"];
}

/// The brand's staff: administrators and moderators.
#[derive(Debug)]
pub struct Staff;
impl Roles for Staff {
    const ROLES: &'static [&'static str] = &["admin", "moderator"];
}

/// Creators (the token's subject is the creator).
#[derive(Debug)]
pub struct CreatorRole;
impl Roles for CreatorRole {
    const ROLES: &'static [&'static str] = &["creator"];
}

/// The caller, holding one of `R`'s roles.
#[derive(Debug)]
pub struct Caller<R>(pub Principal, PhantomData<R>);

impl<R> Caller<R> {
    /// The token's subject.
    pub fn subject(&self) -> &str {
        &self.0.subject
    }
}

impl<R: Roles, S: Send + Sync> FromRequestParts<S> for Caller<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Principal::require_in(&parts.extensions, R::ROLES).map(|p| Caller(p, PhantomData))
    }
}

/// A JSON body as `T`: `413 too_large` over `MAX` bytes ([`MAX_BODY`] unless named), `400
/// malformed` with serde's reason (which names fields, never values).
#[derive(Debug)]
pub struct Json<T, const MAX: usize = MAX_BODY>(pub T);

impl<T: DeserializeOwned, S: Send + Sync, const MAX: usize> FromRequest<S> for Json<T, MAX> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, _: &S) -> Result<Self, ApiError> {
        from_json(&body_bytes(req, MAX).await?).map(Json)
    }
}

/// A JSON body's bytes as `T`: `400 malformed` with serde's reason. A struct is read from a
/// JSON object only: serde would also fill one from an array of its fields in order (`[]` is
/// every field's default), which no schema of ours allows.
pub fn from_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice::<serde_json::Value>(bytes)
        .and_then(|v| T::deserialize(StructsAreObjects(v)))
        .map_err(|e| ApiError::client(StatusCode::BAD_REQUEST, "malformed", format!("body: {e}")))
}

/// A JSON value whose top level, read as a struct, must be an object ([`from_json`]).
struct StructsAreObjects(serde_json::Value);

impl<'de> serde::Deserializer<'de> for StructsAreObjects {
    type Error = serde_json::Error;

    fn deserialize_any<V: serde::de::Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_any(v)
    }

    fn deserialize_struct<V: serde::de::Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Self::Error> {
        if !self.0.is_object() {
            return Err(serde::de::Error::custom("expected a JSON object"));
        }
        self.0.deserialize_struct(name, fields, v)
    }

    fn deserialize_option<V: serde::de::Visitor<'de>>(self, v: V) -> Result<V::Value, Self::Error> {
        self.0.deserialize_option(v)
    }

    fn deserialize_enum<V: serde::de::Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_enum(name, variants, v)
    }

    fn deserialize_newtype_struct<V: serde::de::Visitor<'de>>(
        self,
        name: &'static str,
        v: V,
    ) -> Result<V::Value, Self::Error> {
        self.0.deserialize_newtype_struct(name, v)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map identifier ignored_any
    }
}

/// A body's bytes, refused (`413 too_large`) over `max`.
pub async fn body_bytes(
    req: axum::extract::Request,
    max: usize,
) -> Result<axum::body::Bytes, ApiError> {
    axum::body::to_bytes(req.into_body(), max)
        .await
        .map_err(|_| {
            ApiError::client(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("the body is over {max} bytes"),
            )
        })
}

/// A body's raw bytes (up to `MAX`), for handlers that read a body of several shapes.
#[derive(Debug)]
pub struct RawBody<const MAX: usize = MAX_BODY>(pub axum::body::Bytes);

impl<S: Send + Sync, const MAX: usize> FromRequest<S> for RawBody<MAX> {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, _: &S) -> Result<Self, ApiError> {
        body_bytes(req, MAX).await.map(RawBody)
    }
}

/// The query string as `T`, from the first value of each name (fields are strings, or
/// `Option`s of them): `400 malformed` when it does not fit.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let mut fields = serde_json::Map::new();
        for (k, v) in form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes()) {
            fields
                .entry(k.into_owned())
                .or_insert_with(|| serde_json::Value::String(v.into_owned()));
        }
        serde_json::from_value(serde_json::Value::Object(fields))
            .map(Query)
            .map_err(|e| {
                ApiError::client(StatusCode::BAD_REQUEST, "malformed", format!("query: {e}"))
            })
    }
}

/// The route's `{name}` segments as `T` (a tuple in the path's order, or a struct by name),
/// percent-decoded.
#[derive(Debug)]
pub struct PathParams<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for PathParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(t)| PathParams(t))
            .map_err(|e| ApiError::client(StatusCode::BAD_REQUEST, "malformed", e.body_text()))
    }
}

/// The methods a router serves on `path`, as its `405` answer's `Allow` header lists them
/// (empty: the path is unknown). For tests holding a router to a document.
pub async fn allowed_methods(router: &Router, path: &str) -> Vec<String> {
    let req = lambda_http::http::Request::builder()
        .method("TRACE")
        .uri(path)
        .body(axum::body::Body::empty());
    let Ok(req) = req else { return Vec::new() };
    let Ok(resp) = router.clone().oneshot(req).await;
    resp.headers()
        .get(header::ALLOW)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .map(|v| {
            v.split(',')
                .map(|m| m.trim().to_string())
                .filter(|m| !m.is_empty() && m != "HEAD")
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
