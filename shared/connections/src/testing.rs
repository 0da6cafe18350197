//! A platform token endpoint that rotates refresh tokens — the old one dies on use, as TikTok's
//! does — for tests of refresh under concurrency (feature `testing`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::{TokenClient, TokenGrant};
use reelcart_domain::connection::{OAuthPlatform, Operation, PlatformError, classify};
use reelcart_vault::TokenSet;
use secrecy::{ExposeSecret, SecretString};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Issues `act-secret-N` / `rft-secret-N`; a refresh token other than the latest gets
/// `invalid_grant`. `fail_with` makes every call fail with that error.
#[derive(Debug, Default)]
pub struct Rotating {
    pub current: Mutex<String>,
    pub issued: AtomicUsize,
    pub calls: AtomicUsize,
    pub fail_with: Mutex<Option<PlatformError>>,
}

impl Rotating {
    /// A platform whose current refresh token is `refresh_token`.
    pub fn new(refresh_token: &str) -> Self {
        Self {
            current: Mutex::new(refresh_token.to_string()),
            ..Self::default()
        }
    }
}

impl TokenClient for Rotating {
    async fn refresh(
        &self,
        platform: OAuthPlatform,
        _account: &str,
        tokens: &TokenSet,
        now: i64,
    ) -> Result<TokenGrant, PlatformError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(20)).await; // widen the race window
        if let Some(e) = self.fail_with.lock().unwrap().clone() {
            return Err(e);
        }
        let presented = tokens
            .refresh_token
            .as_ref()
            .map(|t| t.expose_secret().to_string())
            .unwrap_or_default();
        let mut current = self.current.lock().unwrap();
        if presented != *current {
            return Err(classify(
                platform,
                Operation::Refresh,
                400,
                &http::HeaderMap::new(),
                r#"{"error":"invalid_grant","error_description":"refresh token is invalid"}"#,
            ));
        }
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        *current = format!("rft-secret-{n}");
        Ok(TokenGrant {
            tokens: TokenSet {
                access_token: SecretString::from(format!("act-secret-{n}")),
                refresh_token: Some(SecretString::from(current.clone())),
            },
            expires_at: Some(now + 86_400),
            refresh_expires_at: Some(now + 365 * 86_400),
            scopes: Some(vec!["user.info.basic".into(), "video.list".into()]),
        })
    }
}
