//! Platform API clients. Each platform's base URL is configuration (`*_URL` settings), so these
//! clients talk to the platform simulator locally and to the real hosts in AWS — no `if local`.

pub mod aws;
pub mod catalog;
pub mod shopify;
pub mod ugc;

use reelcart_connections::{TokenClient, TokenGrant};
use reelcart_domain::connection::{ErrorClass, OAuthPlatform, Operation, PlatformError, classify};
use reelcart_lambda::config::{ConfigError, Vars};
use reelcart_vault::TokenSet;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::time::Duration;

/// Where the platforms are, and the app's credentials with each.
#[derive(Debug, Clone)]
pub struct PlatformConfig {
    /// `TIKTOK_SHOP_AUTH_URL` (default `https://auth.tiktok-shops.com`)
    pub tiktok_shop_auth_url: String,
    /// `TIKTOK_SHOP_API_URL` (default `https://open-api.tiktokglobalshop.com`)
    pub tiktok_shop_api_url: String,
    /// `TIKTOK_OPEN_URL` (default `https://open.tiktokapis.com`)
    pub tiktok_open_url: String,
    /// `META_GRAPH_URL` (default `https://graph.facebook.com`)
    pub meta_graph_url: String,
    /// `INSTAGRAM_GRAPH_URL` (default `https://graph.instagram.com`)
    pub instagram_graph_url: String,
    /// `INSTAGRAM_API_URL` (default `https://api.instagram.com`): Instagram Login's code exchange.
    pub instagram_api_url: String,
    /// Consent screens, where an admin's browser is sent to authorize the app.
    pub authorize: AuthorizeUrls,
    pub apps: AppCredentials,
}

/// The platforms' consent screens and the scopes asked for.
#[derive(Debug, Clone)]
pub struct AuthorizeUrls {
    /// `TIKTOK_SHOP_AUTHORIZE_URL` (default `https://services.tiktokshop.com/open/authorize`):
    /// takes the app's `service_id`; the redirect URI is the one registered in Partner Center.
    pub tiktok_shop: String,
    /// `TIKTOK_AUTHORIZE_URL` (default `https://www.tiktok.com/v2/auth/authorize/`).
    pub tiktok: String,
    /// `META_AUTHORIZE_URL` (default `https://www.facebook.com/v21.0/dialog/oauth`).
    pub meta: String,
    /// `INSTAGRAM_AUTHORIZE_URL` (default `https://www.instagram.com/oauth/authorize`).
    pub instagram: String,
    /// `TIKTOK_SCOPES` (comma-separated; default `user.info.basic,video.list`).
    pub tiktok_scopes: String,
    /// `META_SCOPES` (default: catalog management and the Instagram content permissions).
    pub meta_scopes: String,
    /// `INSTAGRAM_SCOPES` (default `instagram_business_basic,instagram_business_manage_comments`).
    pub instagram_scopes: String,
}

/// A platform answered the start of an authorization with nothing to build a URL from.
#[derive(Debug, thiserror::Error)]
#[error("{platform} is not configured: {missing} is empty in the platform secrets")]
pub struct NotConfigured {
    pub platform: OAuthPlatform,
    pub missing: &'static str,
}

impl PlatformConfig {
    /// The consent-screen URL an admin's browser opens to connect an account of `platform`.
    /// `code_challenge` is the PKCE S256 challenge (sent where the platform takes one: TikTok).
    pub fn authorize_url(
        &self,
        platform: OAuthPlatform,
        state: &str,
        redirect_uri: &str,
        code_challenge: Option<&str>,
    ) -> Result<String, NotConfigured> {
        let a = &self.authorize;
        let apps = &self.apps;
        let need = |value: &str, missing: &'static str| {
            if value.is_empty() {
                Err(NotConfigured { platform, missing })
            } else {
                Ok(())
            }
        };
        let (base, params): (&str, Vec<(&str, &str)>) = match platform {
            OAuthPlatform::TiktokShop => {
                need(&apps.tiktok_shop_service_id, "tiktok_shop_service_id")?;
                (
                    &a.tiktok_shop,
                    vec![
                        ("service_id", apps.tiktok_shop_service_id.as_str()),
                        ("state", state),
                    ],
                )
            }
            OAuthPlatform::Tiktok => {
                need(&apps.tiktok_client_key, "tiktok_client_key")?;
                let mut p = vec![
                    ("client_key", apps.tiktok_client_key.as_str()),
                    ("response_type", "code"),
                    ("scope", a.tiktok_scopes.as_str()),
                    ("redirect_uri", redirect_uri),
                    ("state", state),
                ];
                if let Some(c) = code_challenge {
                    p.extend([("code_challenge", c), ("code_challenge_method", "S256")]);
                }
                (&a.tiktok, p)
            }
            OAuthPlatform::Meta | OAuthPlatform::Instagram => {
                need(&apps.meta_app_id, "meta_app_id")?;
                let (base, scopes) = if platform == OAuthPlatform::Meta {
                    (&a.meta, &a.meta_scopes)
                } else {
                    (&a.instagram, &a.instagram_scopes)
                };
                (
                    base,
                    vec![
                        ("client_id", apps.meta_app_id.as_str()),
                        ("redirect_uri", redirect_uri),
                        ("response_type", "code"),
                        ("scope", scopes.as_str()),
                        ("state", state),
                    ],
                )
            }
        };
        let query: String = reqwest::Url::parse_with_params("http://q", &params)
            .ok()
            .and_then(|u| u.query().map(str::to_string))
            .unwrap_or_default();
        let sep = if base.contains('?') { '&' } else { '?' };
        Ok(format!("{base}{sep}{query}"))
    }

    /// Whether the platform's consent screen takes a PKCE challenge.
    pub fn uses_pkce(platform: OAuthPlatform) -> bool {
        matches!(platform, OAuthPlatform::Tiktok)
    }
}

impl PlatformConfig {
    /// URLs from settings; app credentials from the secrets document (`app` holds them).
    pub fn from_vars<F: Fn(&str) -> Option<String>>(
        v: &Vars<F>,
        app: AppCredentials,
    ) -> Result<Self, ConfigError> {
        // A page (consent screen) is kept exactly as configured; an API base loses its final `/`.
        let page = |name: &'static str, default: &str| -> Result<String, ConfigError> {
            let u = v.optional(name).unwrap_or_else(|| default.to_string());
            let loopback = u
                .strip_prefix("http://")
                .map(|rest| rest.split(['/', ':']).next().unwrap_or_default())
                .is_some_and(|host| host == "127.0.0.1" || host == "localhost");
            if !(u.starts_with("https://") || loopback) {
                return Err(ConfigError::Invalid {
                    name,
                    reason: "must be https (or loopback http for the simulator)".into(),
                });
            }
            Ok(u)
        };
        let url = |name: &'static str, default: &str| -> Result<String, ConfigError> {
            Ok(page(name, default)?.trim_end_matches('/').to_string())
        };
        Ok(Self {
            tiktok_shop_auth_url: url("TIKTOK_SHOP_AUTH_URL", "https://auth.tiktok-shops.com")?,
            tiktok_shop_api_url: url(
                "TIKTOK_SHOP_API_URL",
                "https://open-api.tiktokglobalshop.com",
            )?,
            tiktok_open_url: url("TIKTOK_OPEN_URL", "https://open.tiktokapis.com")?,
            meta_graph_url: url("META_GRAPH_URL", "https://graph.facebook.com")?,
            instagram_graph_url: url("INSTAGRAM_GRAPH_URL", "https://graph.instagram.com")?,
            instagram_api_url: url("INSTAGRAM_API_URL", "https://api.instagram.com")?,
            authorize: AuthorizeUrls {
                tiktok_shop: page(
                    "TIKTOK_SHOP_AUTHORIZE_URL",
                    "https://services.tiktokshop.com/open/authorize",
                )?,
                tiktok: page(
                    "TIKTOK_AUTHORIZE_URL",
                    "https://www.tiktok.com/v2/auth/authorize/",
                )?,
                meta: page(
                    "META_AUTHORIZE_URL",
                    "https://www.facebook.com/v21.0/dialog/oauth",
                )?,
                instagram: page(
                    "INSTAGRAM_AUTHORIZE_URL",
                    "https://www.instagram.com/oauth/authorize",
                )?,
                tiktok_scopes: v
                    .optional("TIKTOK_SCOPES")
                    .unwrap_or_else(|| "user.info.basic,video.list".into()),
                meta_scopes: v.optional("META_SCOPES").unwrap_or_else(|| {
                    "catalog_management,business_management,instagram_basic,\
                     instagram_manage_comments,pages_show_list,pages_read_engagement"
                        .into()
                }),
                instagram_scopes: v.optional("INSTAGRAM_SCOPES").unwrap_or_else(|| {
                    "instagram_business_basic,instagram_business_manage_comments".into()
                }),
            },
            apps: app,
        })
    }
}

/// The app's OAuth client credentials with each platform.
#[derive(Debug, Clone)]
pub struct AppCredentials {
    pub tiktok_shop_app_key: String,
    /// The app's service id in TikTok Shop Partner Center (its authorization link takes it).
    pub tiktok_shop_service_id: String,
    pub tiktok_shop_app_secret: SecretString,
    pub tiktok_client_key: String,
    pub tiktok_client_secret: SecretString,
    pub meta_app_id: String,
    pub meta_app_secret: SecretString,
    /// The store's Shopify Admin API token (a custom app's), for the catalog pull; empty: none.
    pub shopify_admin_token: SecretString,
}

#[derive(Deserialize)]
struct SecretsDoc {
    #[serde(default)]
    tiktok_shop_app_key: String,
    #[serde(default)]
    tiktok_shop_service_id: String,
    #[serde(default)]
    tiktok_shop_app_secrets: Vec<SecretString>,
    #[serde(default)]
    tiktok_client_key: String,
    #[serde(default)]
    tiktok_client_secrets: Vec<SecretString>,
    #[serde(default)]
    meta_app_id: String,
    #[serde(default)]
    meta_app_secrets: Vec<SecretString>,
    #[serde(default)]
    shopify_admin_token: Option<SecretString>,
}

impl AppCredentials {
    /// From the platform secrets document (the first secret of each list is the current one).
    /// A platform left out stays empty, and its refreshes fail as `not_configured`.
    pub fn from_json(json: &str) -> Result<Self, ConfigError> {
        let doc: SecretsDoc = serde_json::from_str(json).map_err(|e| ConfigError::Invalid {
            name: "PLATFORM_SECRETS_ID",
            reason: reelcart_domain::webhook::redacted_json_error(&e),
        })?;
        let first = |v: Vec<SecretString>| {
            v.into_iter()
                .next()
                .unwrap_or_else(|| SecretString::from(String::new()))
        };
        Ok(Self {
            tiktok_shop_app_key: doc.tiktok_shop_app_key,
            tiktok_shop_service_id: doc.tiktok_shop_service_id,
            tiktok_shop_app_secret: first(doc.tiktok_shop_app_secrets),
            tiktok_client_key: doc.tiktok_client_key,
            tiktok_client_secret: first(doc.tiktok_client_secrets),
            meta_app_id: doc.meta_app_id,
            meta_app_secret: first(doc.meta_app_secrets),
            shopify_admin_token: doc
                .shopify_admin_token
                .unwrap_or_else(|| SecretString::from(String::new())),
        })
    }
}

/// The platforms' token endpoints over HTTPS.
#[derive(Debug, Clone)]
pub struct HttpTokenClient {
    http: reqwest::Client,
    cfg: PlatformConfig,
}

impl HttpTokenClient {
    pub fn new(cfg: PlatformConfig) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(3))
            .user_agent("reelcart/0.1")
            .build()?;
        Ok(Self { http, cfg })
    }

    /// The configuration this client was built with (URLs, consent screens, app ids).
    pub fn config(&self) -> &PlatformConfig {
        &self.cfg
    }
}

fn transport(platform: OAuthPlatform, e: reqwest::Error) -> PlatformError {
    // `without_url`: request URLs carry client secrets and tokens in their query strings.
    let e = e.without_url();
    tracing::debug!(%platform, error = %e, "token endpoint unreachable");
    PlatformError {
        class: ErrorClass::Transient,
        code: if e.is_timeout() {
            "timeout".into()
        } else {
            "network".into()
        },
        message: e.to_string(),
        http_status: 0,
        retry_after_secs: None,
    }
}

fn malformed(platform: OAuthPlatform, status: u16, what: &str) -> PlatformError {
    tracing::warn!(%platform, status, what, "unexpected token endpoint response");
    PlatformError {
        class: ErrorClass::Unknown,
        code: "malformed_response".into(),
        message: format!("token endpoint answered without {what}"),
        http_status: status,
        retry_after_secs: None,
    }
}

#[derive(Deserialize)]
struct TtsEnvelope {
    code: i64,
    data: Option<TtsTokens>,
}
#[derive(Deserialize)]
struct TtsTokens {
    access_token: String,
    access_token_expire_in: i64,
    refresh_token: String,
    refresh_token_expire_in: i64,
    #[serde(default)]
    granted_scopes: Option<Vec<String>>,
}
#[derive(Deserialize)]
struct OAuthTokens {
    access_token: String,
    expires_in: i64,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    refresh_expires_in: Option<i64>,
    #[serde(default)]
    scope: Option<String>,
}

impl HttpTokenClient {
    async fn send(
        &self,
        platform: OAuthPlatform,
        req: reqwest::RequestBuilder,
    ) -> Result<(u16, http::HeaderMap, String), PlatformError> {
        let resp = req.send().await.map_err(|e| transport(platform, e))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.text().await.map_err(|e| transport(platform, e))?;
        Ok((status, headers, body))
    }
}

impl TokenClient for HttpTokenClient {
    async fn refresh(
        &self,
        platform: OAuthPlatform,
        _account_id: &str,
        tokens: &TokenSet,
        now: i64,
    ) -> Result<TokenGrant, PlatformError> {
        let cfg = &self.cfg;
        let configured = match platform {
            OAuthPlatform::TiktokShop => {
                !cfg.apps.tiktok_shop_app_key.is_empty()
                    && !cfg.apps.tiktok_shop_app_secret.expose_secret().is_empty()
            }
            OAuthPlatform::Tiktok => {
                !cfg.apps.tiktok_client_key.is_empty()
                    && !cfg.apps.tiktok_client_secret.expose_secret().is_empty()
            }
            OAuthPlatform::Meta => {
                !cfg.apps.meta_app_id.is_empty()
                    && !cfg.apps.meta_app_secret.expose_secret().is_empty()
            }
            OAuthPlatform::Instagram => true,
        };
        if !configured {
            return Err(PlatformError {
                class: ErrorClass::Unknown,
                code: "not_configured".into(),
                message: format!("no app credentials for {platform} in the platform secrets"),
                http_status: 0,
                retry_after_secs: None,
            });
        }
        let refresh_token = tokens
            .refresh_token
            .as_ref()
            .map(|t| t.expose_secret())
            .unwrap_or_default();
        let req = match platform {
            OAuthPlatform::TiktokShop => self
                .http
                .get(format!("{}/api/v2/token/refresh", cfg.tiktok_shop_auth_url))
                .query(&[
                    ("app_key", cfg.apps.tiktok_shop_app_key.as_str()),
                    (
                        "app_secret",
                        cfg.apps.tiktok_shop_app_secret.expose_secret(),
                    ),
                    ("refresh_token", refresh_token),
                    ("grant_type", "refresh_token"),
                ]),
            OAuthPlatform::Tiktok => self
                .http
                .post(format!("{}/v2/oauth/token/", cfg.tiktok_open_url))
                .form(&[
                    ("client_key", cfg.apps.tiktok_client_key.as_str()),
                    (
                        "client_secret",
                        cfg.apps.tiktok_client_secret.expose_secret(),
                    ),
                    ("grant_type", "refresh_token"),
                    ("refresh_token", refresh_token),
                ]),
            // Meta has no refresh token: a valid long-lived token is exchanged again before expiry.
            OAuthPlatform::Meta => self
                .http
                .get(format!("{}/oauth/access_token", cfg.meta_graph_url))
                .query(&[
                    ("grant_type", "fb_exchange_token"),
                    ("client_id", cfg.apps.meta_app_id.as_str()),
                    ("client_secret", cfg.apps.meta_app_secret.expose_secret()),
                    ("fb_exchange_token", tokens.access_token.expose_secret()),
                ]),
            OAuthPlatform::Instagram => self
                .http
                .get(format!("{}/refresh_access_token", cfg.instagram_graph_url))
                .query(&[
                    ("grant_type", "ig_refresh_token"),
                    ("access_token", tokens.access_token.expose_secret()),
                ]),
        };
        if platform == OAuthPlatform::TiktokShop {
            return self.tiktok_shop_grant(req).await;
        }
        let (status, headers, body) = self.send(platform, req).await?;
        let fail = || classify(platform, Operation::Refresh, status, &headers, &body);
        if status != 200 {
            return Err(fail());
        }
        // Meta and Instagram have no refresh token; TikTok's rotates.
        oauth_grant(&body, now).ok_or_else(fail)
    }
}

/// What a completed authorization yields: the account and its (long-lived) tokens.
#[derive(Debug)]
pub struct Authorized {
    pub account_id: String,
    pub grant: TokenGrant,
}

#[derive(Deserialize)]
struct ShortLived {
    access_token: String,
    #[serde(default)]
    user_id: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Me {
    id: String,
}

impl HttpTokenClient {
    /// Exchange an authorization code (the OAuth callback's `code`) for the account's tokens:
    /// TikTok Shop `token/get` (then its authorized shop), TikTok `authorization_code` (with the
    /// PKCE verifier), Meta code → short-lived → long-lived (`fb_exchange_token`) + `/me`, Instagram
    /// code → short-lived → long-lived (`ig_exchange_token`).
    pub async fn exchange_code(
        &self,
        platform: OAuthPlatform,
        code: &str,
        redirect_uri: &str,
        code_verifier: Option<&str>,
        now: i64,
    ) -> Result<Authorized, PlatformError> {
        let cfg = &self.cfg;
        let apps = &cfg.apps;
        match platform {
            OAuthPlatform::TiktokShop => {
                let req = self
                    .http
                    .get(format!("{}/api/v2/token/get", cfg.tiktok_shop_auth_url))
                    .query(&[
                        ("app_key", apps.tiktok_shop_app_key.as_str()),
                        ("app_secret", apps.tiktok_shop_app_secret.expose_secret()),
                        ("auth_code", code),
                        ("grant_type", "authorized_code"),
                    ]);
                let grant = self.tiktok_shop_grant(req).await?;
                let shops = self
                    .tiktok_shop_authorized_shops(&grant.tokens.access_token, now)
                    .await?;
                let shop = shops
                    .into_iter()
                    .next()
                    .ok_or_else(|| malformed(platform, 200, "an authorized shop"))?;
                Ok(Authorized {
                    account_id: shop.id,
                    grant,
                })
            }
            OAuthPlatform::Tiktok => {
                let mut form = vec![
                    ("client_key", apps.tiktok_client_key.as_str()),
                    ("client_secret", apps.tiktok_client_secret.expose_secret()),
                    ("grant_type", "authorization_code"),
                    ("code", code),
                    ("redirect_uri", redirect_uri),
                ];
                if let Some(v) = code_verifier {
                    form.push(("code_verifier", v));
                }
                let req = self
                    .http
                    .post(format!("{}/v2/oauth/token/", cfg.tiktok_open_url))
                    .form(&form);
                let (status, headers, body) = self.send(platform, req).await?;
                let fail = || classify(platform, Operation::Refresh, status, &headers, &body);
                #[derive(Deserialize)]
                struct WithOpenId {
                    open_id: String,
                }
                if status != 200 {
                    return Err(fail());
                }
                let who: WithOpenId = serde_json::from_str(&body).map_err(|_| fail())?;
                let grant = oauth_grant(&body, now).ok_or_else(fail)?;
                Ok(Authorized {
                    account_id: who.open_id,
                    grant,
                })
            }
            OAuthPlatform::Meta => {
                let req = self
                    .http
                    .get(format!("{}/oauth/access_token", cfg.meta_graph_url))
                    .query(&[
                        ("client_id", apps.meta_app_id.as_str()),
                        ("client_secret", apps.meta_app_secret.expose_secret()),
                        ("redirect_uri", redirect_uri),
                        ("code", code),
                    ]);
                let short = self.short_lived(platform, req).await?;
                let me_req = self
                    .http
                    .get(format!("{}/me", cfg.meta_graph_url))
                    .query(&[("access_token", short.access_token.as_str())]);
                let (status, headers, body) = self.send(platform, me_req).await?;
                let me: Me = serde_json::from_str(&body)
                    .ok()
                    .filter(|_| status == 200)
                    .ok_or_else(|| classify(platform, Operation::Api, status, &headers, &body))?;
                let tokens = TokenSet {
                    access_token: SecretString::from(short.access_token),
                    refresh_token: None,
                };
                let grant = self.refresh(platform, &me.id, &tokens, now).await?;
                Ok(Authorized {
                    account_id: me.id,
                    grant,
                })
            }
            OAuthPlatform::Instagram => {
                let req = self
                    .http
                    .post(format!("{}/oauth/access_token", cfg.instagram_api_url))
                    .form(&[
                        ("client_id", apps.meta_app_id.as_str()),
                        ("client_secret", apps.meta_app_secret.expose_secret()),
                        ("grant_type", "authorization_code"),
                        ("redirect_uri", redirect_uri),
                        ("code", code),
                    ]);
                let short = self.short_lived(platform, req).await?;
                let account_id = match short.user_id {
                    Some(serde_json::Value::String(s)) => s,
                    Some(serde_json::Value::Number(n)) => n.to_string(),
                    _ => return Err(malformed(platform, 200, "user_id")),
                };
                let long_req = self
                    .http
                    .get(format!("{}/access_token", cfg.instagram_graph_url))
                    .query(&[
                        ("grant_type", "ig_exchange_token"),
                        ("client_secret", apps.meta_app_secret.expose_secret()),
                        ("access_token", short.access_token.as_str()),
                    ]);
                let (status, headers, body) = self.send(platform, long_req).await?;
                let grant = oauth_grant(&body, now)
                    .filter(|_| status == 200)
                    .ok_or_else(|| {
                        classify(platform, Operation::Refresh, status, &headers, &body)
                    })?;
                Ok(Authorized { account_id, grant })
            }
        }
    }

    async fn short_lived(
        &self,
        platform: OAuthPlatform,
        req: reqwest::RequestBuilder,
    ) -> Result<ShortLived, PlatformError> {
        let (status, headers, body) = self.send(platform, req).await?;
        serde_json::from_str::<ShortLived>(&body)
            .ok()
            .filter(|_| status == 200)
            .ok_or_else(|| classify(platform, Operation::Refresh, status, &headers, &body))
    }

    async fn tiktok_shop_grant(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<TokenGrant, PlatformError> {
        let platform = OAuthPlatform::TiktokShop;
        let (status, headers, body) = self.send(platform, req).await?;
        let fail = || classify(platform, Operation::Refresh, status, &headers, &body);
        let env: TtsEnvelope = serde_json::from_str(&body).map_err(|_| fail())?;
        if status != 200 || env.code != 0 {
            return Err(fail());
        }
        let d = env
            .data
            .ok_or_else(|| malformed(platform, status, "data"))?;
        // TikTok Shop's `*_expire_in` are absolute unix timestamps, not durations.
        Ok(TokenGrant {
            tokens: TokenSet {
                access_token: SecretString::from(d.access_token),
                refresh_token: Some(SecretString::from(d.refresh_token)),
            },
            expires_at: Some(d.access_token_expire_in),
            refresh_expires_at: Some(d.refresh_token_expire_in),
            scopes: d.granted_scopes,
        })
    }
}

/// A standard OAuth token answer (`expires_in` relative) as a grant with absolute expiries.
fn oauth_grant(body: &str, now: i64) -> Option<TokenGrant> {
    let t: OAuthTokens = serde_json::from_str(body).ok()?;
    Some(TokenGrant {
        tokens: TokenSet {
            access_token: SecretString::from(t.access_token),
            refresh_token: t.refresh_token.map(SecretString::from),
        },
        expires_at: Some(now + t.expires_in),
        refresh_expires_at: t.refresh_expires_in.map(|r| now + r),
        scopes: t.scope.map(|s| s.split(',').map(str::to_string).collect()),
    })
}

/// A shop the seller authorized the app for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AuthorizedShop {
    pub id: String,
    pub name: String,
    pub region: String,
    /// Required on every shop-scoped API call (`shop_cipher`).
    pub cipher: String,
}

#[derive(Deserialize)]
struct ShopsEnvelope {
    code: i64,
    data: Option<ShopsData>,
}
#[derive(Deserialize)]
struct ShopsData {
    shops: Vec<AuthorizedShop>,
}

impl HttpTokenClient {
    /// TikTok Shop `GET /authorization/202309/shops`: a signed API request (query `app_key`,
    /// `timestamp`, `sign`; token in `x-tts-access-token`).
    pub async fn tiktok_shop_authorized_shops(
        &self,
        access_token: &SecretString,
        now: i64,
    ) -> Result<Vec<AuthorizedShop>, PlatformError> {
        const PATH: &str = "/authorization/202309/shops";
        let platform = OAuthPlatform::TiktokShop;
        let cfg = &self.cfg;
        let timestamp = now.to_string();
        let params = [
            ("app_key", cfg.apps.tiktok_shop_app_key.as_str()),
            ("timestamp", timestamp.as_str()),
        ];
        let sign = reelcart_domain::connection::tiktok_shop_sign(
            cfg.apps.tiktok_shop_app_secret.expose_secret(),
            PATH,
            &params,
            Some(b""),
        );
        let req = self
            .http
            .get(format!("{}{PATH}", cfg.tiktok_shop_api_url))
            .query(&params)
            .query(&[("sign", sign.as_str())])
            .header("x-tts-access-token", access_token.expose_secret())
            .header("content-type", "application/json");
        let (status, headers, body) = self.send(platform, req).await?;
        let fail = || classify(platform, Operation::Api, status, &headers, &body);
        let env: ShopsEnvelope = serde_json::from_str(&body).map_err(|_| fail())?;
        if status != 200 || env.code != 0 {
            return Err(fail());
        }
        Ok(env
            .data
            .ok_or_else(|| malformed(platform, status, "data"))?
            .shops)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apps() -> AppCredentials {
        AppCredentials::from_json(
            r#"{"tiktok_shop_app_key":"k","tiktok_shop_app_secrets":["s1","s0"]}"#,
        )
        .unwrap()
    }

    #[test]
    fn base_urls_must_be_https_or_loopback() {
        let with = |url: &str| {
            let url = url.to_string();
            let v = Vars(move |k: &str| (k == "TIKTOK_OPEN_URL").then(|| url.clone()));
            PlatformConfig::from_vars(&v, apps())
        };
        assert!(with("https://open.tiktokapis.com").is_ok());
        assert!(with("http://127.0.0.1:8080").is_ok());
        assert!(with("http://localhost:9/").is_ok());
        assert!(with("http://open.tiktokapis.com").is_err());
        assert!(with("http://127.0.0.1.evil.example").is_err());
        assert_eq!(
            with("https://x.example/").unwrap().tiktok_open_url,
            "https://x.example"
        );
    }

    #[test]
    fn a_wrongly_typed_secret_is_not_echoed_in_the_error() {
        let err =
            AppCredentials::from_json(r#"{"meta_app_secrets":"very-secret-value"}"#).unwrap_err();
        assert!(!err.to_string().contains("very-secret-value"), "{err}");
    }

    #[test]
    fn outbound_calls_use_the_first_secret_of_each_list() {
        let a = apps();
        assert_eq!(a.tiktok_shop_app_secret.expose_secret(), "s1");
        assert_eq!(
            a.meta_app_secret.expose_secret(),
            "",
            "absent platforms stay unconfigured"
        );
        assert!(!format!("{a:?}").contains("s1"));
    }
}
