//! Shopify's token endpoint, `POST {store}/admin/oauth/access_token` (spec §8.2–8.3), JSON in
//! and out:
//!
//! - the install's code, exchanged with `expiring: "1"`: an expiring offline token (an hour) and
//!   a refresh token (90 days);
//! - `grant_type=refresh_token`: a new pair — the refresh token rotates, and the refresher stores
//!   both in one write under its lease, so concurrent refreshers make one call;
//! - `grant_type=client_credentials` (a Dev Dashboard app of the brand's own organization): a
//!   24-hour token and no refresh token; "refreshing" it is asking again.
//!
//! The account is the store's permanent domain. Lifetimes are read from each answer
//! (`expires_in`, `refresh_token_expires_in`), never assumed.

use super::*;
use reelcart_connections::TokenGrant;
use reelcart_domain::connection::{ErrorClass, OAuthPlatform, Operation, PlatformError, classify};
use reelcart_vault::TokenSet;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;

const PLATFORM: OAuthPlatform = OAuthPlatform::Shopify;

#[derive(Deserialize)]
struct ShopifyTokens {
    access_token: String,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    expires_in: Option<i64>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    refresh_token_expires_in: Option<i64>,
}

impl HttpTokenClient {
    /// Whether the store and the app are configured; the error says what is missing.
    pub(crate) fn shopify_configured(&self) -> Result<(), PlatformError> {
        let cfg = self.config();
        let missing = if cfg.shopify_admin_url.is_empty() || cfg.shopify_shop.is_empty() {
            "SHOPIFY_ADMIN_URL (a *.myshopify.com store)"
        } else if cfg.apps.shopify_client_id.is_empty() {
            "shopify_client_id"
        } else if cfg.apps.shopify_client_secret().is_empty() {
            "shopify_client_secrets"
        } else {
            return Ok(());
        };
        Err(PlatformError {
            class: ErrorClass::Unknown,
            code: "not_configured".into(),
            message: format!("Shopify is not configured: {missing} is empty"),
            http_status: 0,
            retry_after_secs: None,
        })
    }

    /// One call to the store's token endpoint.
    async fn shopify_grant(
        &self,
        body: serde_json::Value,
        now: i64,
    ) -> Result<TokenGrant, PlatformError> {
        self.shopify_configured()?;
        let req = self
            .http
            .post(format!(
                "{}/admin/oauth/access_token",
                self.config().shopify_admin_url
            ))
            .header(reqwest::header::ACCEPT, "application/json")
            .json(&body);
        let (status, headers, text) = self.send(PLATFORM, req).await?;
        let fail = || classify(PLATFORM, Operation::Refresh, status, &headers, &text);
        if status != 200 {
            return Err(fail());
        }
        let t: ShopifyTokens = serde_json::from_str(&text).map_err(|_| fail())?;
        Ok(TokenGrant {
            tokens: TokenSet {
                access_token: SecretString::from(t.access_token),
                refresh_token: t.refresh_token.map(SecretString::from),
            },
            // No `expires_in`: a non-expiring token (kept until it is refused).
            expires_at: t.expires_in.map(|e| now + e),
            refresh_expires_at: t.refresh_token_expires_in.map(|e| now + e),
            scopes: t.scope.map(|s| s.split(',').map(str::to_string).collect()),
        })
    }

    /// The install callback's code → an expiring offline token for the configured store.
    pub async fn shopify_exchange_code(
        &self,
        code: &str,
        now: i64,
    ) -> Result<Authorized, PlatformError> {
        let apps = &self.config().apps;
        let grant = self
            .shopify_grant(
                json!({
                    "client_id": apps.shopify_client_id,
                    "client_secret": apps.shopify_client_secret(),
                    "code": code,
                    "expiring": "1",
                }),
                now,
            )
            .await?;
        Ok(Authorized {
            account_id: self.config().shopify_shop.clone(),
            grant,
        })
    }

    /// The Dev Dashboard app's client-credentials grant: a connection without a consent screen.
    pub async fn shopify_client_credentials(&self, now: i64) -> Result<Authorized, PlatformError> {
        let apps = &self.config().apps;
        let grant = self
            .shopify_grant(
                json!({
                    "grant_type": "client_credentials",
                    "client_id": apps.shopify_client_id,
                    "client_secret": apps.shopify_client_secret(),
                }),
                now,
            )
            .await?;
        Ok(Authorized {
            account_id: self.config().shopify_shop.clone(),
            grant,
        })
    }

    /// A refresh: with a refresh token, the rotating refresh grant; without one (client
    /// credentials), the grant again.
    pub(crate) async fn shopify_refresh(
        &self,
        tokens: &TokenSet,
        now: i64,
    ) -> Result<TokenGrant, PlatformError> {
        let apps = &self.config().apps;
        let body = match &tokens.refresh_token {
            Some(r) => json!({
                "client_id": apps.shopify_client_id,
                "client_secret": apps.shopify_client_secret(),
                "grant_type": "refresh_token",
                "refresh_token": r.expose_secret(),
            }),
            None => json!({
                "grant_type": "client_credentials",
                "client_id": apps.shopify_client_id,
                "client_secret": apps.shopify_client_secret(),
            }),
        };
        self.shopify_grant(body, now).await
    }
}
