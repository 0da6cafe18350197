//! Platform connections: the record of an OAuth grant, when it must be refreshed, how each
//! platform's errors are classified, and how a failed refresh changes the connection's state.
//! Facts: `spec/platforms.md` §2–3.

mod classify;
pub mod shopify;
mod signing;

pub use classify::{ErrorClass, Operation, PlatformError, classify};
pub use signing::tiktok_shop_sign;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// A platform Reelcart holds OAuth tokens for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OAuthPlatform {
    /// Facebook Login (user / system-user / page tokens): long-lived tokens are exchanged again.
    Meta,
    /// Instagram API with Instagram Login: `ig_refresh_token`.
    Instagram,
    /// TikTok Shop Partner API: access ~7 days, refresh with `refresh_token`; expiries are absolute.
    TiktokShop,
    /// TikTok Login Kit: refresh tokens rotate.
    Tiktok,
    /// Shopify Admin API, the brand's store (the account is its `*.myshopify.com` domain):
    /// expiring offline tokens (1 h, rotating 90-day refresh tokens) from an OAuth install, or a
    /// Dev Dashboard app's client credentials (24 h, no refresh token: granted again).
    Shopify,
}

impl OAuthPlatform {
    pub const ALL: [OAuthPlatform; 5] = [
        OAuthPlatform::Meta,
        OAuthPlatform::Instagram,
        OAuthPlatform::TiktokShop,
        OAuthPlatform::Tiktok,
        OAuthPlatform::Shopify,
    ];

    /// From its name in paths and records (`meta`, `instagram`, `tiktok-shop`, `tiktok`,
    /// `shopify`).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OAuthPlatform::Meta => "meta",
            OAuthPlatform::Instagram => "instagram",
            OAuthPlatform::TiktokShop => "tiktok-shop",
            OAuthPlatform::Tiktok => "tiktok",
            OAuthPlatform::Shopify => "shopify",
        }
    }

    /// Whether the old refresh token dies when a new one is issued: such refreshes must never run
    /// twice concurrently, and the new pair must be stored atomically.
    pub fn rotates_refresh_tokens(self) -> bool {
        matches!(self, OAuthPlatform::Tiktok | OAuthPlatform::Shopify)
    }
}

impl fmt::Display for OAuthPlatform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Lifecycle of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    Active,
    /// A refresher holds the lease and is talking to the platform.
    Refreshing,
    /// The grant is gone or lacks scopes: a person must connect again.
    NeedsReauth,
    /// Refresh kept failing for days; automatic refresh stopped.
    RefreshExhausted,
    /// The seller or user removed the app.
    Revoked,
}

/// The last failure, with what an operator should do about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastError {
    pub class: ErrorClass,
    /// The platform's own code (`190`, `105002`, `invalid_grant`, ...).
    pub code: String,
    pub message: String,
    pub remediation: String,
    pub at: i64,
}

/// A connection as stored (tokens are not here: they live sealed in the vault).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    /// `{platform}#{account_id}`.
    pub id: String,
    pub platform: OAuthPlatform,
    pub account_id: String,
    pub scopes: Vec<String>,
    /// Access token expiry (unix seconds); `None` = does not expire (Meta page tokens).
    pub expires_at: Option<i64>,
    /// Refresh token expiry, where the platform has one.
    pub refresh_expires_at: Option<i64>,
    pub status: ConnectionStatus,
    pub last_error: Option<LastError>,
    /// Failed refreshes since the last success.
    pub failures: u32,
    pub first_failure_at: Option<i64>,
    /// No automatic attempt before this (cooldown after a failure).
    pub retry_after: Option<i64>,
    pub last_refreshed_at: Option<i64>,
    /// KMS key that sealed the current tokens.
    pub key_id: String,
}

/// Tokens at rest, as sealed by the vault: nothing here is a token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    pub v: u8,
    /// The key that wrapped `wrapped_key` (as the key service names it: a KMS key ARN).
    pub key_id: String,
    pub wrapped_key: String,
    pub nonce: String,
    pub ciphertext: String,
}

/// When refreshes happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshPolicy {
    /// Refresh when the access token expires within this many seconds (default 15 minutes).
    pub margin_secs: i64,
    /// Refresh at least this often even when not expiring, so idle refresh tokens stay alive.
    pub touch_every_secs: i64,
    /// After failures spanning this long, stop (`refresh_exhausted`).
    pub give_up_after_secs: i64,
    /// Cooldown after the first failure; doubles per failure up to `max_cooldown_secs`.
    pub base_cooldown_secs: i64,
    pub max_cooldown_secs: i64,
}

impl Default for RefreshPolicy {
    fn default() -> Self {
        Self {
            margin_secs: 15 * 60,
            touch_every_secs: 24 * 3600,
            give_up_after_secs: 3 * 24 * 3600,
            base_cooldown_secs: 60,
            max_cooldown_secs: 3600,
        }
    }
}

impl Connection {
    /// A freshly connected account (the connect flow's result), active, refreshed `now`.
    pub fn new(
        platform: OAuthPlatform,
        account_id: &str,
        scopes: Vec<String>,
        expires_at: Option<i64>,
        refresh_expires_at: Option<i64>,
        now: i64,
    ) -> Self {
        Self {
            id: Self::id_for(platform, account_id),
            platform,
            account_id: account_id.to_string(),
            scopes,
            expires_at,
            refresh_expires_at,
            status: ConnectionStatus::Active,
            last_error: None,
            failures: 0,
            first_failure_at: None,
            retry_after: None,
            last_refreshed_at: Some(now),
            key_id: String::new(),
        }
    }

    pub fn id_for(platform: OAuthPlatform, account_id: &str) -> String {
        format!("{platform}#{account_id}")
    }

    /// Can this connection be refreshed at all without a person?
    pub fn refreshable(&self) -> bool {
        matches!(
            self.status,
            ConnectionStatus::Active | ConnectionStatus::Refreshing
        ) && self.expires_at.is_some()
    }

    /// Should a scheduled sweep refresh it now?
    pub fn refresh_due(&self, now: i64, policy: &RefreshPolicy) -> bool {
        if !self.refreshable() || self.retry_after.is_some_and(|t| now < t) {
            return false;
        }
        let expiring = self
            .expires_at
            .is_some_and(|e| e - now <= policy.margin_secs);
        let idle = self
            .last_refreshed_at
            .is_none_or(|t| now - t >= policy.touch_every_secs);
        expiring || idle
    }

    /// A refresh succeeded: new expiries, clean error state.
    pub fn refreshed(
        &mut self,
        now: i64,
        expires_at: Option<i64>,
        refresh_expires_at: Option<i64>,
        key_id: &str,
    ) {
        self.status = ConnectionStatus::Active;
        self.expires_at = expires_at;
        if refresh_expires_at.is_some() {
            self.refresh_expires_at = refresh_expires_at;
        }
        self.last_refreshed_at = Some(now);
        self.failures = 0;
        self.first_failure_at = None;
        self.retry_after = None;
        self.last_error = None;
        self.key_id = key_id.to_string();
    }

    /// The seller or user removed the app (a deauthorization webhook): nothing works until they
    /// connect again.
    pub fn revoked(&mut self, now: i64, what: &str) {
        self.status = ConnectionStatus::Revoked;
        self.retry_after = None;
        self.last_error = Some(LastError {
            class: ErrorClass::Reauthorize,
            code: "revoked".into(),
            message: what.chars().take(200).collect(),
            remediation: ErrorClass::Reauthorize
                .remediation(self.platform)
                .to_string(),
            at: now,
        });
    }

    /// The platform announced that the grant itself expires at `at` (TikTok Shop type 7): refreshing
    /// cannot extend it, so the refresh horizon is capped and an operator is told to re-authorize.
    pub fn authorization_expiring(&mut self, now: i64, at: i64) {
        self.refresh_expires_at = Some(self.refresh_expires_at.map_or(at, |r| r.min(at)));
        self.last_error = Some(LastError {
            class: ErrorClass::Reauthorize,
            code: "authorization_expiring".into(),
            message: format!("the platform authorization expires at {at}"),
            remediation: ErrorClass::Reauthorize
                .remediation(self.platform)
                .to_string(),
            at: now,
        });
    }

    /// A refresh failed. `jitter` in `0.0..1.0` spreads retries of many connections apart.
    pub fn refresh_failed(
        &mut self,
        now: i64,
        error: &PlatformError,
        policy: &RefreshPolicy,
        jitter: f64,
    ) {
        let first = *self.first_failure_at.get_or_insert(now);
        self.failures = self.failures.saturating_add(1);
        self.last_error = Some(LastError {
            class: error.class,
            code: error.code.clone(),
            message: error.message.clone(),
            remediation: error.class.remediation(self.platform).to_string(),
            at: now,
        });
        match error.class {
            ErrorClass::Reauthorize | ErrorClass::Permission => {
                self.status = ConnectionStatus::NeedsReauth;
                self.retry_after = None;
            }
            ErrorClass::TokenInvalid
            | ErrorClass::Throttled
            | ErrorClass::Transient
            | ErrorClass::Unknown => {
                if now - first >= policy.give_up_after_secs {
                    self.status = ConnectionStatus::RefreshExhausted;
                    self.retry_after = None;
                    return;
                }
                self.status = ConnectionStatus::Active;
                let curve = crate::retry::Backoff::new(
                    Duration::from_secs(policy.base_cooldown_secs.max(0).unsigned_abs()),
                    Duration::from_secs(policy.max_cooldown_secs.max(0).unsigned_abs()),
                );
                let retry_after = error
                    .retry_after_secs
                    .map(|s| Duration::from_secs(s.max(0).unsigned_abs()));
                let wait = curve.delay_at_least(self.failures, jitter, retry_after);
                self.retry_after = Some(now + i64::try_from(wait.as_secs()).unwrap_or(i64::MAX));
            }
        }
    }
}

#[cfg(test)]
mod tests;
