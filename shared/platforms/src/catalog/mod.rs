//! Catalog channel clients: Meta's Catalog Batch API and TikTok Shop's products API (202309), with
//! their rate limits (Meta usage headers and throttling codes; TikTok Shop 429 / 36009002 with
//! `Retry-After`) and tokens from the connections vault (a 401 gets one refresh, then the run
//! stops and the connection shows why).

use reelcart_catalog::{PushError, Tokens};
use reelcart_connections::{RefreshError, Refresher, TokenClient};
use reelcart_ports::{ConnectionStore, EventBus, KeyService};
use secrecy::SecretString;
use std::sync::{Arc, Mutex};
use std::time::Duration;

mod meta_batch;
mod tiktok_shop;

pub(crate) use meta_batch::graph_call;
pub use meta_batch::{MetaCatalog, meta_pace_secs, meta_usage};
pub use tiktok_shop::TiktokShopCatalog;
pub(crate) use tiktok_shop::{TtsApp, signed_request};

/// A connection's tokens, through the refresher (one refresh however many callers are refused).
/// The token is kept for a minute: opening it means a store read and a KMS decrypt, and the
/// refresher keeps every token valid for 15 minutes past that.
pub struct RefresherTokens<S, K, T, E> {
    pub refresher: Arc<Refresher<S, K, T, E>>,
    pub connection_id: String,
    cached: Mutex<Option<(SecretString, std::time::Instant)>>,
}

/// How long a token opened from the vault is reused.
const TOKEN_REUSE: Duration = Duration::from_secs(60);

impl<S, K, T, E> RefresherTokens<S, K, T, E> {
    pub fn new(refresher: Arc<Refresher<S, K, T, E>>, connection_id: impl Into<String>) -> Self {
        Self {
            refresher,
            connection_id: connection_id.into(),
            cached: Mutex::new(None),
        }
    }

    fn remember(&self, token: &SecretString) {
        *self
            .cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((token.clone(), std::time::Instant::now()));
    }
}

impl<S, K, T, E> std::fmt::Debug for RefresherTokens<S, K, T, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefresherTokens")
            .field("connection_id", &self.connection_id)
            .finish_non_exhaustive()
    }
}

fn auth_error(e: RefreshError) -> PushError {
    match e {
        RefreshError::Busy(_) | RefreshError::Store(_) => PushError::Transient(e.to_string()),
        other => PushError::Auth(other.to_string()),
    }
}

impl<S, K, T, E> Tokens for RefresherTokens<S, K, T, E>
where
    S: ConnectionStore,
    K: KeyService,
    T: TokenClient,
    E: EventBus,
{
    async fn token(&self) -> Result<SecretString, PushError> {
        let cached = self
            .cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        if let Some((token, at)) = cached
            && at.elapsed() < TOKEN_REUSE
        {
            return Ok(token);
        }
        let token = self
            .refresher
            .fresh_access_token(&self.connection_id)
            .await
            .map_err(auth_error)?;
        self.remember(&token);
        Ok(token)
    }

    async fn after_rejection(&self, rejected: &SecretString) -> Result<SecretString, PushError> {
        let token = self
            .refresher
            .access_token_after_rejection(&self.connection_id, rejected)
            .await
            .map_err(auth_error)?;
        self.remember(&token);
        Ok(token)
    }
}

pub(crate) fn http_client() -> Result<reqwest::Client, reqwest::Error> {
    crate::api_client(Duration::from_secs(60))
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

pub(crate) fn transient(e: reqwest::Error) -> PushError {
    PushError::Transient(e.without_url().to_string())
}
