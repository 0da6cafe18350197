//! OAuth token calls of every platform (exchange, refresh, long-lived tokens, authorized shops).

use super::*;
use reelcart_connections::{TokenClient, TokenGrant};
use reelcart_domain::connection::{ErrorClass, OAuthPlatform, Operation, PlatformError, classify};
use reelcart_vault::TokenSet;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use std::time::Duration;

/// The platforms' token endpoints over HTTPS.
#[derive(Debug, Clone)]
pub struct HttpTokenClient {
    pub(crate) http: reqwest::Client,
    cfg: PlatformConfig,
}

impl HttpTokenClient {
    pub fn new(cfg: PlatformConfig) -> Result<Self, reqwest::Error> {
        // Client secrets and tokens travel in these requests: no redirects (see `api_client`).
        let http = crate::api_client(Duration::from_secs(10))?;
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
    pub(crate) async fn send(
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
            // The store's token endpoint takes JSON and says what is missing itself.
            OAuthPlatform::Shopify => return self.shopify_refresh(tokens, now).await,
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
            OAuthPlatform::Shopify => return self.shopify_refresh(tokens, now).await,
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
            // The store's own token endpoint, `expiring=1` (spec §8.3).
            OAuthPlatform::Shopify => self.shopify_exchange_code(code, now).await,
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
