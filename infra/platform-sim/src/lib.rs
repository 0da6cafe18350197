//! Platform simulator. Nothing here can reach the real platforms, so the token endpoints of Meta
//! (Graph), Instagram (Instagram Login), TikTok Shop and TikTok (Login Kit) are simulated as
//! `spec/platforms.md` §3 describes them: lifetimes, absolute vs relative expiries, rotating refresh
//! tokens (TikTok), the documented error shapes and codes, and throttling with `Retry-After`.
//!
//! Here: the shared state, [`Sim`] and its router. TikTok Shop is in `tiktok_shop.rs`, TikTok Login
//! Kit in `tiktok.rs`, the Meta and Instagram token endpoints in `meta.rs`, the consent screens in
//! `consent.rs` and the control routes in `control.rs`; catalogs and UGC as listed below.
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
//! - UGC sources (`ugc/`, §6): Instagram `GET /ig_hashtag_search`,
//!   `GET /{hashtag_id}/recent_media|top_media`, `GET /{ig_user_id}?fields=mentioned_media…|
//!   mentioned_comment…`, `GET /{ig_user_id}/tags`, `POST /{ig_user_id}/mentions`; TikTok Display
//!   API `POST /v2/video/list/`; control `PUT /_sim/media-files/{name}`, `GET /_sim/ig-cdn/{name}`,
//!   `POST /_sim/instagram/brand`, `POST /_sim/subscriptions` (signed `mentions` webhooks),
//!   `POST /_sim/instagram/media`, `POST /_sim/instagram/comments`, `POST /_sim/tiktok/videos`,
//!   `GET /_sim/ugc`
//! - TikTok Shop orders (`tts_orders.rs`, §12): `GET /order/202309/orders`,
//!   `POST /affiliate_seller/202410/orders/search`; seeded with `POST /_sim/tiktok-shop/orders`
//! - conversions (`conversions.rs`, §7): Meta `POST /{version}/{pixel_id}/events`, TikTok
//!   `POST /open_api/v1.3/event/track/`; what they accepted: `GET /_sim/conversions`
//! - control (tests, demo): `POST /_sim/grants`, `POST /_sim/revoke`, `POST /_sim/throttle`,
//!   `POST /_sim/advance`, `GET /_sim/stats`
// Request checks return the platform's own error answer as `Err(Response)`: a test double,
// not a hot path.
#![allow(clippy::result_large_err)]

mod catalog;
mod consent;
mod control;
mod conversions;
mod meta;
mod shopify;
pub mod shopify_auth;
mod shopify_graphql;
mod shopify_storefront;
mod tiktok;
mod tiktok_shop;
mod tts_orders;
mod ugc;

pub use conversions::{
    META_CAPI_TOKEN, META_PIXEL_ID, TIKTOK_EVENTS_TOKEN, TIKTOK_PIXEL_CODE, conversions_secret_json,
};
pub use shopify::SHOPIFY_ADMIN_TOKEN;

use axum::Router;
use axum::http::HeaderValue;
use axum::response::Response;
use axum::routing::{get, post};
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
    pub shopify_client_id: String,
    pub shopify_client_secret: String,
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
            shopify_client_id: "demo-shopify-client-id".into(),
            shopify_client_secret: "demo-shopify-client-secret".into(),
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
            "shopify_client_id": self.shopify_client_id,
            "shopify_client_secrets": [self.shopify_client_secret],
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
        ("SHOPIFY_SHOP_DOMAIN", shopify_auth::SHOP_DOMAIN.to_string()),
        ("TIKTOK_BUSINESS_API_URL", base.to_string()),
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
    conversions: conversions::ConversionsState,
    tts_orders: tts_orders::OrdersState,
    /// Shopify: a refresh token → its replacement, while the replacement is unused (retry).
    shopify_retry: HashMap<String, String>,
    graphql: shopify_graphql::GraphqlState,
    storefront: shopify_storefront::StorefrontState,
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
            .route(
                "/api/v2/token/refresh",
                get(tiktok_shop::tiktok_shop_refresh),
            )
            .route("/api/v2/token/get", get(tiktok_shop::tiktok_shop_token_get))
            .route("/v2/oauth/token/", post(tiktok::tiktok_token))
            .route(
                "/oauth/access_token",
                get(meta::meta_exchange).post(meta::instagram_code),
            )
            .route("/access_token", get(meta::instagram_long_lived))
            .route("/me", get(meta::meta_me))
            .route("/refresh_access_token", get(meta::instagram_refresh))
            .route("/open/authorize", get(consent::consent_tiktok_shop))
            .route("/v2/auth/authorize/", get(consent::consent_tiktok))
            .route("/{version}/dialog/oauth", get(consent::consent_meta))
            .route("/oauth/authorize", get(consent::consent_instagram))
            .route("/_sim/consent", post(consent::set_consent))
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
                "/admin/api/{version}/graphql.json",
                post(shopify_graphql::graphql),
            )
            .route(
                "/_sim/shopify/bulk/{name}",
                get(shopify_graphql::bulk_result),
            )
            .route("/products/{handle}", get(shopify_storefront::product_page))
            .route("/cart/add.js", post(shopify_storefront::add))
            .route("/cart/update.js", post(shopify_storefront::update))
            .route("/cart.js", get(shopify_storefront::get_cart))
            .route("/cart/checkout", post(shopify_storefront::checkout))
            .route("/_sim/shopify/theme", post(shopify_storefront::set_theme))
            .route(
                "/_sim/shopify/webhooks",
                post(shopify_storefront::set_webhooks),
            )
            .route("/_sim/shopify/orders", get(shopify_storefront::orders))
            .route("/admin/oauth/authorize", get(shopify_auth::install))
            .route(
                "/admin/oauth/access_token",
                post(shopify_auth::access_token),
            )
            .route("/_sim/shopify/uninstall", post(shopify_auth::uninstall))
            .route(
                "/authorization/202309/shops",
                get(tiktok_shop::tiktok_shop_authorized_shops),
            )
            .merge(ugc::routes())
            .merge(conversions::routes())
            .merge(tts_orders::routes())
            .route("/_sim/grants", post(control::seed_grant))
            .route("/_sim/revoke", post(control::revoke_grant))
            .route("/_sim/throttle", post(control::throttle))
            .route("/_sim/advance", post(control::advance))
            .route("/_sim/stats", get(control::stats))
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

/// A JSON scalar as text (`1` and `"1"` alike).
pub(crate) fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

pub(crate) fn request_id() -> String {
    format!("{:016X}", rand::random::<u64>())
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
