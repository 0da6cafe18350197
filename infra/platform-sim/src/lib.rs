//! Platform simulator. Nothing here can reach the real platforms, so the token endpoints of Meta
//! (Graph), Instagram (Instagram Login), TikTok Shop and TikTok (Login Kit) are simulated as
//! `spec/platforms.md` §3 describes them: lifetimes, absolute vs relative expiries, rotating refresh
//! tokens (TikTok), the documented error shapes and codes, and throttling with `Retry-After`.
//!
//! Routes (one server, one base URL per platform in configuration):
//! - TikTok Shop: `GET /api/v2/token/refresh`
//! - TikTok: `POST /v2/oauth/token/` (form)
//! - Meta: `GET /oauth/access_token?grant_type=fb_exchange_token`
//! - Instagram: `GET /refresh_access_token?grant_type=ig_refresh_token`
//! - TikTok Shop API: `GET /authorization/202309/shops` (signed request: `sign` verified, bad sign
//!   → 106001; `timestamp` outside −5 min / +30 s → 36009004; token in `x-tts-access-token`)
//! - consent screens, at the platforms' own paths and with their own parameters: TikTok Shop
//!   `GET /open/authorize?service_id&state` (to the redirect URI registered for the app), TikTok
//!   `GET /v2/auth/authorize/` (client_key, scope, redirect_uri, state, PKCE challenge), Meta
//!   `GET /{version}/dialog/oauth`, Instagram `GET /oauth/authorize`. Each answers at once as the
//!   account set with `POST /_sim/consent` (or a default one), redirecting with `code` and `state`,
//!   or with `error=access_denied` when set to deny; TikTok Shop `GET /api/v2/token/get` (single-use code,
//!   30 minutes), TikTok `POST /v2/oauth/token/` with `authorization_code` (PKCE S256 checked when a
//!   challenge was given), Meta `GET /oauth/access_token?code` (short-lived) and `GET /me`, Instagram
//!   `POST /oauth/access_token` (short-lived) and `GET /access_token?grant_type=ig_exchange_token`
//! - catalogs (`catalog.rs`): Meta Catalog Batch API, TikTok Shop products 202309; Shopify Admin
//!   products, price rules and discount codes (`shopify.rs`)
//! - UGC sources (`ugc.rs`, §6): Instagram `GET /ig_hashtag_search`,
//!   `GET /{hashtag_id}/recent_media|top_media`, `GET /{ig_user_id}?fields=mentioned_media…|
//!   mentioned_comment…`, `GET /{ig_user_id}/tags`, `POST /{ig_user_id}/mentions`; TikTok Display
//!   API `POST /v2/video/list/`; control `PUT /_sim/media-files/{name}`, `GET /_sim/ig-cdn/{name}`,
//!   `POST /_sim/instagram/brand`, `POST /_sim/subscriptions` (signed `mentions` webhooks),
//!   `POST /_sim/instagram/media`, `POST /_sim/instagram/comments`, `POST /_sim/tiktok/videos`,
//!   `GET /_sim/ugc`
//! - control (tests, demo): `POST /_sim/grants`, `POST /_sim/revoke`, `POST /_sim/throttle`,
//!   `POST /_sim/advance`, `GET /_sim/stats`
// Request checks return the platform's own error answer as `Err(Response)`: a test double,
// not a hot path.
#![allow(clippy::result_large_err)]

mod catalog;
mod shopify;
mod ugc;

pub use shopify::SHOPIFY_ADMIN_TOKEN;

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

/// App credentials the simulator accepts (the same demo values the local stack uses).
#[derive(Debug, Clone)]
pub struct Apps {
    pub tiktok_shop_app_key: String,
    pub tiktok_shop_app_secret: String,
    pub tiktok_client_key: String,
    pub tiktok_client_secret: String,
    pub meta_app_id: String,
    pub meta_app_secret: String,
}

impl Default for Apps {
    fn default() -> Self {
        Self {
            tiktok_shop_app_key: "demo-tts-app-key".into(),
            tiktok_shop_app_secret: "demo-tts-app-secret".into(),
            tiktok_client_key: "demo-client-key".into(),
            tiktok_client_secret: "demo-tiktok-client-secret".into(),
            meta_app_id: "1234567890".into(),
            meta_app_secret: "demo-meta-app-secret".into(),
        }
    }
}

impl Apps {
    /// The platform secrets document (the shape Secrets Manager holds in AWS) for these apps.
    pub fn secrets_json(&self) -> String {
        json!({
            "tiktok_shop_app_key": self.tiktok_shop_app_key,
            "tiktok_shop_service_id": "demo-tts-service-id",
            "tiktok_shop_app_secrets": [self.tiktok_shop_app_secret],
            "tiktok_client_key": self.tiktok_client_key,
            "tiktok_client_secrets": [self.tiktok_client_secret],
            "meta_app_id": self.meta_app_id,
            "meta_app_secrets": [self.meta_app_secret],
        })
        .to_string()
    }
}

/// The platform settings (`*_URL`, `*_AUTHORIZE_URL`) that point every client at a simulator
/// served at `base`: the one list the local stack and the tests use.
pub fn platform_vars(base: &str) -> Vec<(&'static str, String)> {
    vec![
        ("TIKTOK_SHOP_AUTH_URL", base.to_string()),
        ("TIKTOK_SHOP_API_URL", base.to_string()),
        ("TIKTOK_OPEN_URL", base.to_string()),
        ("META_GRAPH_URL", base.to_string()),
        ("INSTAGRAM_GRAPH_URL", base.to_string()),
        ("INSTAGRAM_API_URL", base.to_string()),
        (
            "TIKTOK_SHOP_AUTHORIZE_URL",
            format!("{base}/open/authorize"),
        ),
        ("TIKTOK_AUTHORIZE_URL", format!("{base}/v2/auth/authorize/")),
        ("META_AUTHORIZE_URL", format!("{base}/v21.0/dialog/oauth")),
        ("INSTAGRAM_AUTHORIZE_URL", format!("{base}/oauth/authorize")),
        ("SHOPIFY_ADMIN_URL", base.to_string()),
    ]
}

/// Token lifetimes. TikTok's sources disagree (24 h / 365 d vs 2 h / 180 d): configurable, and
/// clients must schedule from what the endpoint returns.
#[derive(Debug, Clone)]
pub struct Lifetimes {
    pub tiktok_shop_access: i64,
    pub tiktok_shop_refresh: i64,
    pub tiktok_access: i64,
    pub tiktok_refresh: i64,
    pub meta_long_lived: i64,
    pub instagram: i64,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            tiktok_shop_access: 7 * 86_400,
            tiktok_shop_refresh: 60 * 86_400,
            tiktok_access: 86_400,
            tiktok_refresh: 365 * 86_400,
            meta_long_lived: 5_183_944,
            instagram: 5_184_000,
        }
    }
}

#[derive(Debug, Clone)]
struct Grant {
    platform: String,
    account_id: String,
    access_token: String,
    refresh_token: Option<String>,
    access_expires_at: i64,
    refresh_expires_at: Option<i64>,
    issued_at: i64,
    scopes: Vec<String>,
    revoked: bool,
}

#[derive(Debug, Clone)]
struct AuthCode {
    code: String,
    platform: String,
    account_id: String,
    redirect_uri: String,
    code_challenge: Option<String>,
    issued_at: i64,
    used: bool,
}

#[derive(Debug, Default)]
struct State_ {
    grants: Vec<Grant>,
    codes: Vec<AuthCode>,
    /// Platform → remaining throttled answers and their Retry-After.
    throttle: HashMap<String, (u32, i64)>,
    calls: HashMap<String, u64>,
    counter: u64,
    /// Platform → what the next visitor of its consent screen does.
    consent: HashMap<String, Consent>,
    /// Platform → redirect URI registered for the app (TikTok Shop takes none in the URL).
    redirects: HashMap<String, String>,
    catalog: catalog::CatalogState,
    /// The store's products, as Shopify's Admin API lists them.
    shopify_products: Vec<Value>,
    /// Price rules and their discount codes, as created through the Admin API.
    shopify_price_rules: Vec<Value>,
    shopify_discount_codes: Vec<Value>,
    ugc: ugc::UgcState,
}

#[derive(Debug, Clone)]
struct Consent {
    account_id: String,
    approve: bool,
}

/// The account a consent screen approves as when none was set.
pub fn default_account(platform: &str) -> &'static str {
    match platform {
        "tiktok-shop" => "7494000000000000001",
        "tiktok" => "act.sim-creator-0001",
        "instagram" => "17841400000000001",
        _ => "1000000000000001",
    }
}

/// The simulator's state; cheap to clone (shared).
#[derive(Debug, Clone, Default)]
pub struct Sim {
    state: Arc<Mutex<State_>>,
    offset: Arc<AtomicI64>,
    pub apps: Arc<Apps>,
    pub lifetimes: Arc<Lifetimes>,
}

/// Tokens of a seeded grant, as a connect flow would have obtained them.
#[derive(Debug, Clone, serde::Serialize, Deserialize, PartialEq, Eq)]
pub struct SeededGrant {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_at: i64,
    pub refresh_expires_at: Option<i64>,
}

impl Sim {
    pub fn now(&self) -> i64 {
        let real = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        real + self.offset.load(Ordering::SeqCst)
    }

    /// Move the simulator's clock forward (tokens expire on the simulator's clock).
    pub fn advance(&self, secs: i64) {
        self.offset.fetch_add(secs, Ordering::SeqCst);
    }

    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, State_> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn token(&self, state: &mut State_, prefix: &str) -> String {
        state.counter += 1;
        let r: u64 = rand::random();
        format!("{prefix}.{:06}.{r:016x}", state.counter)
    }

    /// Create a grant (what a completed connect flow would hold). `access_ttl` overrides the
    /// platform's lifetime (e.g. a token about to expire).
    pub fn seed(&self, platform: &str, account_id: &str, access_ttl: Option<i64>) -> SeededGrant {
        let now = self.now();
        let l = &self.lifetimes;
        let (access, refresh) = match platform {
            "tiktok-shop" => (l.tiktok_shop_access, Some(l.tiktok_shop_refresh)),
            "tiktok" => (l.tiktok_access, Some(l.tiktok_refresh)),
            "instagram" => (l.instagram, None),
            _ => (l.meta_long_lived, None),
        };
        let mut s = self.lock();
        let prefix = match platform {
            "tiktok-shop" => "TTP",
            "tiktok" => "act",
            "instagram" => "IGQ",
            _ => "EAA",
        };
        let grant = Grant {
            platform: platform.to_string(),
            account_id: account_id.to_string(),
            access_token: self.token(&mut s, prefix),
            refresh_token: refresh.map(|_| self.token(&mut s, "rft")),
            access_expires_at: now + access_ttl.unwrap_or(access),
            refresh_expires_at: refresh.map(|r| now + r),
            issued_at: now,
            scopes: vec!["default".into()],
            revoked: false,
        };
        let seeded = SeededGrant {
            access_token: grant.access_token.clone(),
            refresh_token: grant.refresh_token.clone(),
            expires_at: grant.access_expires_at,
            refresh_expires_at: grant.refresh_expires_at,
        };
        s.grants.push(grant);
        seeded
    }

    /// The consent screen: `account_id` approves the app; returns the authorization code the
    /// platform would append to `redirect_uri`.
    pub fn authorize(
        &self,
        platform: &str,
        account_id: &str,
        redirect_uri: &str,
        code_challenge: Option<&str>,
    ) -> String {
        let now = self.now();
        let mut s = self.lock();
        let code = self.token(&mut s, "code");
        s.codes.push(AuthCode {
            code: code.clone(),
            platform: platform.to_string(),
            account_id: account_id.to_string(),
            redirect_uri: redirect_uri.to_string(),
            code_challenge: code_challenge.map(str::to_string),
            issued_at: now,
            used: false,
        });
        code
    }

    /// What the next visitors of `platform`'s consent screen do: approve as `account_id`, or deny.
    pub fn set_consent(&self, platform: &str, account_id: &str, approve: bool) {
        self.lock().consent.insert(
            platform.to_string(),
            Consent {
                account_id: account_id.to_string(),
                approve,
            },
        );
    }

    /// Register the app's redirect URI for `platform` (as in TikTok Shop Partner Center).
    pub fn register_redirect(&self, platform: &str, uri: &str) {
        self.lock()
            .redirects
            .insert(platform.to_string(), uri.to_string());
    }

    /// Redeem a code once, within `max_age` seconds, for the same redirect URI.
    fn redeem(
        &self,
        platform: &str,
        code: Option<&String>,
        redirect_uri: Option<&String>,
        max_age: i64,
    ) -> Option<AuthCode> {
        let now = self.now();
        let mut s = self.lock();
        let c = s
            .codes
            .iter_mut()
            .find(|c| c.platform == platform && Some(&c.code) == code)?;
        if c.used
            || now - c.issued_at > max_age
            || redirect_uri.is_some_and(|r| r != &c.redirect_uri)
        {
            return None;
        }
        c.used = true;
        Some(c.clone())
    }

    /// The user removes the app: every token of the account stops working.
    pub fn revoke(&self, platform: &str, account_id: &str) {
        for g in self.lock().grants.iter_mut() {
            if g.platform == platform && g.account_id == account_id {
                g.revoked = true;
            }
        }
    }

    /// The next `count` token calls to `platform` are throttled.
    pub fn throttle(&self, platform: &str, count: u32, retry_after: i64) {
        self.lock()
            .throttle
            .insert(platform.to_string(), (count, retry_after));
    }

    /// Calls received per throttling bucket (each platform's token endpoint, `tiktok-shop-api`,
    /// `meta-catalog`, `shopify-admin`), throttled answers included.
    pub fn calls(&self, platform: &str) -> u64 {
        self.lock().calls.get(platform).copied().unwrap_or(0)
    }

    /// Is `access_token` currently valid (what an API call with it would find)?
    pub fn access_valid(&self, access_token: &str) -> bool {
        let now = self.now();
        self.lock()
            .grants
            .iter()
            .any(|g| g.access_token == access_token && !g.revoked && g.access_expires_at > now)
    }

    pub(crate) fn count_and_throttle(&self, platform: &str) -> Option<i64> {
        let mut s = self.lock();
        *s.calls.entry(platform.to_string()).or_default() += 1;
        match s.throttle.get_mut(platform) {
            Some((n, retry)) if *n > 0 => {
                *n -= 1;
                Some(*retry)
            }
            _ => None,
        }
    }

    pub fn router(&self) -> Router {
        Router::new()
            .route("/api/v2/token/refresh", get(tiktok_shop_refresh))
            .route("/api/v2/token/get", get(tiktok_shop_token_get))
            .route("/v2/oauth/token/", post(tiktok_token))
            .route(
                "/oauth/access_token",
                get(meta_exchange).post(instagram_code),
            )
            .route("/access_token", get(instagram_long_lived))
            .route("/me", get(meta_me))
            .route("/refresh_access_token", get(instagram_refresh))
            .route("/open/authorize", get(consent_tiktok_shop))
            .route("/v2/auth/authorize/", get(consent_tiktok))
            .route("/{version}/dialog/oauth", get(consent_meta))
            .route("/oauth/authorize", get(consent_instagram))
            .route("/_sim/consent", post(set_consent))
            .route("/{catalog_id}/items_batch", post(catalog::meta_items_batch))
            .route(
                "/{catalog_id}/check_batch_request_status",
                get(catalog::meta_batch_status),
            )
            .route(
                "/product/202309/images/upload",
                post(catalog::tts_image_upload),
            )
            .route(
                "/product/202309/products",
                post(catalog::tts_create).delete(catalog::tts_delete),
            )
            .route(
                "/product/202309/products/{product_id}",
                axum::routing::put(catalog::tts_edit),
            )
            .route(
                "/product/202309/products/{product_id}/prices/update",
                post(catalog::tts_prices),
            )
            .route(
                "/product/202309/products/{product_id}/inventory/update",
                post(catalog::tts_inventory),
            )
            .route("/_sim/catalog", get(catalog::catalog_state))
            .route("/_sim/usage", post(catalog::set_usage))
            .route("/_sim/cdn/{name}", get(catalog::cdn))
            .route("/admin/api/{version}/products.json", get(shopify::products))
            .route("/_sim/shopify/products", post(shopify::seed))
            .route(
                "/admin/api/{version}/price_rules.json",
                post(shopify::create_price_rule),
            )
            .route(
                "/admin/api/{version}/price_rules/{id}/discount_codes.json",
                post(shopify::create_discount_code),
            )
            .route(
                "/admin/api/{version}/price_rules/{id}",
                axum::routing::delete(shopify::delete_price_rule),
            )
            .route("/_sim/shopify/discount_codes", get(shopify::discount_codes))
            .route(
                "/authorization/202309/shops",
                get(tiktok_shop_authorized_shops),
            )
            .route("/ig_hashtag_search", get(ugc::hashtag_search))
            .route("/{id}", get(ugc::node))
            .route("/{id}/{edge}", get(ugc::node_edge))
            .route("/{ig_user_id}/mentions", post(ugc::reply_mention))
            .route("/v2/video/list/", post(ugc::video_list))
            .route(
                "/_sim/media-files/{name}",
                axum::routing::put(ugc::put_media_file)
                    .layer(axum::extract::DefaultBodyLimit::max(512 * 1024 * 1024)),
            )
            .route("/_sim/ig-cdn/{name}", get(ugc::ig_cdn))
            .route("/_sim/instagram/brand", post(ugc::set_brand))
            .route("/_sim/subscriptions", post(ugc::subscribe))
            .route("/_sim/instagram/media", post(ugc::create_media))
            .route("/_sim/instagram/comments", post(ugc::create_comment))
            .route("/_sim/tiktok/videos", post(ugc::create_video))
            .route("/_sim/ugc", get(ugc::ugc_state))
            .route("/_sim/grants", post(seed_grant))
            .route("/_sim/revoke", post(revoke_grant))
            .route("/_sim/throttle", post(throttle))
            .route("/_sim/advance", post(advance))
            .route("/_sim/stats", get(stats))
            .with_state(self.clone())
    }

    /// Serve on `addr` (port 0 picks one); returns the bound address.
    pub async fn serve(&self, addr: SocketAddr) -> anyhow::Result<SocketAddr> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let bound = listener.local_addr()?;
        let app = self.router();
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "platform simulator stopped");
            }
        });
        Ok(bound)
    }
}

/// A throttled answer carries `Retry-After` (seconds).
pub(crate) fn with_retry_after(mut r: Response, retry: i64) -> Response {
    r.headers_mut()
        .insert("retry-after", HeaderValue::from(retry));
    r
}

pub(crate) fn request_id() -> String {
    format!("{:016X}", rand::random::<u64>())
}

// ---------------------------------------------------------------- TikTok Shop

pub(crate) fn tts_error(status: StatusCode, code: i64, message: &str) -> Response {
    let body = json!({"code": code, "message": message, "request_id": request_id(), "data": {}});
    (status, Json(body)).into_response()
}

/// Query of TikTok Shop's token endpoints (`token/get` and `token/refresh`).
#[derive(Deserialize)]
struct TtsTokenQuery {
    app_key: Option<String>,
    app_secret: Option<String>,
    grant_type: Option<String>,
    refresh_token: Option<String>,
    auth_code: Option<String>,
}

/// Throttling, app credentials and grant type, common to both token endpoints.
fn tts_token_checks(sim: &Sim, q: &TtsTokenQuery, grant_type: &str) -> Option<Response> {
    if let Some(retry) = sim.count_and_throttle("tiktok-shop") {
        return Some(with_retry_after(
            tts_error(StatusCode::TOO_MANY_REQUESTS, 36009002, "Too many requests"),
            retry,
        ));
    }
    let apps = &sim.apps;
    if q.app_key.as_deref() != Some(&apps.tiktok_shop_app_key)
        || q.app_secret.as_deref() != Some(&apps.tiktok_shop_app_secret)
    {
        return Some(tts_error(
            StatusCode::UNAUTHORIZED,
            36009004,
            "Invalid app credentials",
        ));
    }
    if q.grant_type.as_deref() != Some(grant_type) {
        return Some(tts_error(
            StatusCode::BAD_REQUEST,
            36009004,
            &format!("grant_type must be {grant_type}"),
        ));
    }
    None
}

/// A token pair answer; expiries are absolute unix timestamps.
fn tts_tokens(
    account_id: &str,
    access: &str,
    access_expires_at: i64,
    refresh: Option<&str>,
    refresh_expires_at: Option<i64>,
    scopes: &[String],
) -> Response {
    Json(json!({
        "code": 0,
        "message": "success",
        "request_id": request_id(),
        "data": {
            "access_token": access,
            "access_token_expire_in": access_expires_at,
            "refresh_token": refresh,
            "refresh_token_expire_in": refresh_expires_at,
            "open_id": format!("open-{account_id}"),
            "seller_name": "Reelcart Demo Shop",
            "seller_base_region": "US",
            "user_type": 0,
            "granted_scopes": scopes,
        }
    }))
    .into_response()
}

async fn tiktok_shop_refresh(State(sim): State<Sim>, Query(q): Query<TtsTokenQuery>) -> Response {
    if let Some(r) = tts_token_checks(&sim, &q, "refresh_token") {
        return r;
    }
    let now = sim.now();
    let lifetimes = sim.lifetimes.clone();
    let mut s = sim.lock();
    let Some(i) = s.grants.iter().position(|g| {
        g.platform == "tiktok-shop"
            && g.refresh_token.is_some()
            && g.refresh_token == q.refresh_token
    }) else {
        return tts_error(StatusCode::UNAUTHORIZED, 36009004, "Invalid refresh token");
    };
    let g = s.grants[i].clone();
    if g.revoked || g.refresh_expires_at.is_some_and(|e| e <= now) {
        return tts_error(StatusCode::OK, 105002, "Expired credentials");
    }
    // A new pair; the refresh token keeps its expiry.
    let access = sim.token(&mut s, "TTP");
    let refresh = sim.token(&mut s, "rft");
    let g = &mut s.grants[i];
    g.access_token = access.clone();
    g.refresh_token = Some(refresh.clone());
    g.access_expires_at = now + lifetimes.tiktok_shop_access;
    g.issued_at = now;
    tts_tokens(
        &g.account_id,
        &access,
        g.access_expires_at,
        Some(&refresh),
        g.refresh_expires_at,
        &g.scopes,
    )
}

/// The signature TikTok Shop expects (spec/platforms.md §2), computed here independently of the
/// client's implementation so that a signing bug on either side shows.
fn tts_expected_sign(
    secret: &str,
    path: &str,
    query: &HashMap<String, String>,
    body: &[u8],
) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let mut keys: Vec<&String> = query
        .keys()
        .filter(|k| *k != "sign" && *k != "access_token")
        .collect();
    keys.sort();
    let mut plain = Vec::new();
    plain.extend_from_slice(secret.as_bytes());
    plain.extend_from_slice(path.as_bytes());
    for k in keys {
        plain.extend_from_slice(k.as_bytes());
        plain.extend_from_slice(query[k].as_bytes());
    }
    plain.extend_from_slice(body);
    plain.extend_from_slice(secret.as_bytes());
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(&plain);
    hex::encode(mac.finalize().into_bytes())
}

/// The checks of every signed TikTok Shop API call: throttling (per `bucket`: TikTok Shop limits
/// each API apart), `app_key`, `timestamp` (−5 min /
/// +30 s), `sign` over path, sorted query and body (106001 when wrong), and the access token in
/// `x-tts-access-token`. The authorizing shop's id, or the error answer.
pub(crate) fn tts_api_auth(
    sim: &Sim,
    bucket: &str,
    headers: &HeaderMap,
    q: &HashMap<String, String>,
    path: &str,
    body: &[u8],
) -> Result<String, Response> {
    if let Some(retry) = sim.count_and_throttle(bucket) {
        return Err(with_retry_after(
            tts_error(StatusCode::TOO_MANY_REQUESTS, 36009002, "Too many requests"),
            retry,
        ));
    }
    if q.get("app_key") != Some(&sim.apps.tiktok_shop_app_key) {
        return Err(tts_error(
            StatusCode::UNAUTHORIZED,
            36009004,
            "Invalid app_key",
        ));
    }
    let now = sim.now();
    let ts = q.get("timestamp").and_then(|t| t.parse::<i64>().ok());
    if !ts.is_some_and(|t| t >= now - 300 && t <= now + 30) {
        return Err(tts_error(
            StatusCode::UNAUTHORIZED,
            36009004,
            "Invalid timestamp: must be within -5 min / +30 s of server time",
        ));
    }
    let expected = tts_expected_sign(&sim.apps.tiktok_shop_app_secret, path, q, body);
    if q.get("sign").map(String::as_str) != Some(expected.as_str()) {
        return Err(tts_error(
            StatusCode::UNAUTHORIZED,
            106001,
            "Invalid signature",
        ));
    }
    let token = headers
        .get("x-tts-access-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let s = sim.lock();
    let Some(g) = s
        .grants
        .iter()
        .find(|g| g.platform == "tiktok-shop" && g.access_token == token)
    else {
        return Err(tts_error(
            StatusCode::UNAUTHORIZED,
            36009004,
            "Invalid access token",
        ));
    };
    if g.revoked || g.access_expires_at <= now {
        return Err(tts_error(
            StatusCode::UNAUTHORIZED,
            105002,
            "Expired credentials",
        ));
    }
    Ok(g.account_id.clone())
}

/// The shop cipher the simulator issues for a shop.
pub(crate) fn shop_cipher(shop_id: &str) -> String {
    format!("GCP_{shop_id}")
}

async fn tiktok_shop_authorized_shops(
    State(sim): State<Sim>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    const PATH: &str = "/authorization/202309/shops";
    let shop = match tts_api_auth(&sim, "tiktok-shop-api", &headers, &q, PATH, b"") {
        Ok(shop) => shop,
        Err(r) => return r,
    };
    Json(json!({
        "code": 0,
        "message": "Success",
        "request_id": request_id(),
        "data": {"shops": [{
            "id": shop,
            "name": "Reelcart Demo Shop",
            "region": "US",
            "seller_type": "LOCAL",
            "cipher": shop_cipher(&shop),
            "code": "USLCDEMO01",
        }]}
    }))
    .into_response()
}

async fn tiktok_shop_token_get(State(sim): State<Sim>, Query(q): Query<TtsTokenQuery>) -> Response {
    if let Some(r) = tts_token_checks(&sim, &q, "authorized_code") {
        return r;
    }
    // Auth codes are single use and live 30 minutes. (The error code for a bad code is the
    // simulator's choice: the spec names none.)
    let Some(code) = sim.redeem("tiktok-shop", q.auth_code.as_ref(), None, 30 * 60) else {
        return tts_error(
            StatusCode::BAD_REQUEST,
            36009004,
            "Invalid or expired auth_code",
        );
    };
    let g = sim.seed("tiktok-shop", &code.account_id, None);
    tts_tokens(
        &code.account_id,
        &g.access_token,
        g.expires_at,
        g.refresh_token.as_deref(),
        g.refresh_expires_at,
        &["default".to_string()],
    )
}

// ---------------------------------------------------------------- TikTok Login Kit

#[derive(Deserialize)]
struct TiktokToken {
    client_key: Option<String>,
    client_secret: Option<String>,
    grant_type: Option<String>,
    refresh_token: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
}

/// RFC 7636 S256: base64url(sha256(verifier)) without padding.
fn s256(verifier: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()))
}

fn tiktok_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description, "log_id": request_id()})),
    )
        .into_response()
}

async fn tiktok_token(State(sim): State<Sim>, Form(f): Form<TiktokToken>) -> Response {
    if let Some(retry) = sim.count_and_throttle("tiktok") {
        return with_retry_after(
            tiktok_error(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_exceeded",
                "Too many requests",
            ),
            retry,
        );
    }
    let apps = &sim.apps;
    if f.client_key.as_deref() != Some(&apps.tiktok_client_key)
        || f.client_secret.as_deref() != Some(&apps.tiktok_client_secret)
    {
        return tiktok_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client key or secret is incorrect.",
        );
    }
    if f.grant_type.as_deref() == Some("authorization_code") {
        let Some(code) = sim.redeem("tiktok", f.code.as_ref(), f.redirect_uri.as_ref(), 10 * 60)
        else {
            return tiktok_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "Authorization code is invalid or expired.",
            );
        };
        if let Some(challenge) = &code.code_challenge
            && f.code_verifier.as_deref().map(s256).as_ref() != Some(challenge)
        {
            return tiktok_error(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                "Code verifier does not match the code challenge.",
            );
        }
        let g = sim.seed("tiktok", &code.account_id, None);
        let lifetimes = sim.lifetimes.clone();
        return Json(json!({
            "access_token": g.access_token,
            "expires_in": lifetimes.tiktok_access,
            "open_id": code.account_id,
            "refresh_expires_in": lifetimes.tiktok_refresh,
            "refresh_token": g.refresh_token,
            "scope": "default",
            "token_type": "Bearer",
        }))
        .into_response();
    }
    if f.grant_type.as_deref() != Some("refresh_token") {
        return tiktok_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Unsupported grant_type.",
        );
    }
    let now = sim.now();
    let lifetimes = sim.lifetimes.clone();
    let mut s = sim.lock();
    let Some(i) = s.grants.iter().position(|g| {
        g.platform == "tiktok" && g.refresh_token.is_some() && g.refresh_token == f.refresh_token
    }) else {
        return tiktok_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Refresh token is invalid or expired.",
        );
    };
    let g = s.grants[i].clone();
    if g.revoked || g.refresh_expires_at.is_some_and(|e| e <= now) {
        return tiktok_error(
            StatusCode::BAD_REQUEST,
            "invalid_grant",
            "Refresh token is invalid or expired.",
        );
    }
    // Refresh tokens rotate: the old one dies now.
    let access = sim.token(&mut s, "act");
    let refresh = sim.token(&mut s, "rft");
    let g = &mut s.grants[i];
    g.access_token = access.clone();
    g.refresh_token = Some(refresh.clone());
    g.access_expires_at = now + lifetimes.tiktok_access;
    g.refresh_expires_at = Some(now + lifetimes.tiktok_refresh);
    g.issued_at = now;
    Json(json!({
        "access_token": access,
        "expires_in": lifetimes.tiktok_access,
        "open_id": g.account_id,
        "refresh_expires_in": lifetimes.tiktok_refresh,
        "refresh_token": refresh,
        "scope": g.scopes.join(","),
        "token_type": "Bearer",
    }))
    .into_response()
}

// ---------------------------------------------------------------- Meta and Instagram

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

async fn meta_exchange(
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

async fn instagram_refresh(
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

async fn meta_me(State(sim): State<Sim>, Query(q): Query<HashMap<String, String>>) -> Response {
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

async fn instagram_code(
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

async fn instagram_long_lived(
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

async fn consent_tiktok_shop(State(sim): State<Sim>, Query(q): Query<Query_>) -> Response {
    if q.get("service_id").is_none_or(String::is_empty) {
        return bad_request("service_id is required");
    }
    let Some(redirect) = sim.lock().redirects.get("tiktok-shop").cloned() else {
        return bad_request("the app has no redirect URI registered");
    };
    consent(&sim, "tiktok-shop", &redirect, q.get("state"), None)
}

async fn consent_tiktok(State(sim): State<Sim>, Query(q): Query<Query_>) -> Response {
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

async fn consent_meta(
    State(sim): State<Sim>,
    Path(version): Path<String>,
    Query(q): Query<Query_>,
) -> Response {
    if !version.starts_with('v') {
        return bad_request("unknown path");
    }
    consent_meta_like(&sim, "meta", &q)
}

async fn consent_instagram(State(sim): State<Sim>, Query(q): Query<Query_>) -> Response {
    consent_meta_like(&sim, "instagram", &q)
}

#[derive(Deserialize)]
struct ConsentReq {
    platform: String,
    account_id: Option<String>,
    #[serde(default = "yes")]
    approve: bool,
}

fn yes() -> bool {
    true
}

async fn set_consent(State(sim): State<Sim>, Json(r): Json<ConsentReq>) -> StatusCode {
    let account = r
        .account_id
        .unwrap_or_else(|| default_account(&r.platform).to_string());
    sim.set_consent(&r.platform, &account, r.approve);
    StatusCode::NO_CONTENT
}

pub(crate) fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

// ---------------------------------------------------------------- control

#[derive(Deserialize)]
struct SeedReq {
    platform: String,
    account_id: String,
    access_ttl: Option<i64>,
}

async fn seed_grant(State(sim): State<Sim>, Json(r): Json<SeedReq>) -> Json<SeededGrant> {
    Json(sim.seed(&r.platform, &r.account_id, r.access_ttl))
}

#[derive(Deserialize)]
struct RevokeReq {
    platform: String,
    account_id: String,
}

async fn revoke_grant(State(sim): State<Sim>, Json(r): Json<RevokeReq>) -> StatusCode {
    sim.revoke(&r.platform, &r.account_id);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct ThrottleReq {
    platform: String,
    count: u32,
    retry_after: i64,
}

async fn throttle(State(sim): State<Sim>, Json(r): Json<ThrottleReq>) -> StatusCode {
    sim.throttle(&r.platform, r.count, r.retry_after);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
struct AdvanceReq {
    secs: i64,
}

async fn advance(State(sim): State<Sim>, Json(r): Json<AdvanceReq>) -> Json<Value> {
    sim.advance(r.secs);
    Json(json!({"now": sim.now()}))
}

async fn stats(State(sim): State<Sim>, _headers: HeaderMap) -> Json<Value> {
    let s = sim.lock();
    Json(json!({"token_calls": s.calls, "grants": s.grants.len()}))
}
