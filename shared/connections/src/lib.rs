//! Refreshing platform tokens ahead of expiry, safely under concurrency.
//!
//! Every refresh happens under the connection's lease in the [`ConnectionStore`]: any number of
//! refreshers — the scheduled sweep, a sync that needs a token now — make exactly one platform call
//! and store one consistent token pair, which matters where refresh tokens rotate and the old one
//! dies on use (TikTok). Tokens are only ever handled through the [`Vault`].

use reelcart_domain::Clock;
use reelcart_domain::connection::{
    Connection, ConnectionStatus, ErrorClass, OAuthPlatform, PlatformError, RefreshPolicy,
};
use reelcart_ports::{ConnectionStore, EventBus, KeyService, PortError, StoredConnection};
use reelcart_vault::{TokenSet, Vault, VaultError};
use secrecy::{ExposeSecret, SecretString};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

#[cfg(feature = "testing")]
pub mod testing;

/// What a platform's token endpoint returned.
#[derive(Debug)]
pub struct TokenGrant {
    pub tokens: TokenSet,
    pub expires_at: Option<i64>,
    pub refresh_expires_at: Option<i64>,
    /// Scopes, when the platform reports them.
    pub scopes: Option<Vec<String>>,
}

/// A platform's token endpoint (refresh, or Meta's re-exchange of a long-lived token).
pub trait TokenClient: Send + Sync {
    fn refresh(
        &self,
        platform: OAuthPlatform,
        account_id: &str,
        tokens: &TokenSet,
        now: i64,
    ) -> impl Future<Output = Result<TokenGrant, PlatformError>> + Send;
}

#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error("no connection `{0}`")]
    NotFound(String),
    #[error("connection `{id}` needs re-authorization: {remediation}")]
    NeedsReauth { id: String, remediation: String },
    #[error("connection `{0}` has no usable token (refresh failed and the token expired)")]
    Unavailable(String),
    #[error("connection `{0}` is being refreshed by another worker for too long")]
    Busy(String),
    #[error("lease on `{0}` was lost while refreshing; the other holder's result stands")]
    LeaseLost(String),
    #[error(transparent)]
    Store(#[from] PortError),
    #[error(transparent)]
    Vault(#[from] VaultError),
}

/// The result of one refresh attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Refreshed,
    Failed(ErrorClass),
    /// Another refresher holds the lease.
    HeldElsewhere,
    /// Under the lease it turned out another refresher had just done it.
    NotDue,
    NotRefreshable,
}

/// What a sweep did; each connection it could not refresh is named with the reason.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SweepReport {
    pub examined: usize,
    pub refreshed: usize,
    pub skipped: usize,
    pub failures: Vec<SweepFailure>,
}

/// A connection a sweep could not refresh.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SweepFailure {
    pub connection: String,
    /// The platform's answer as classified (`Reauthorize`, `Throttled`, …), or the error.
    pub reason: String,
}

impl SweepReport {
    pub fn failed(&self) -> usize {
        self.failures.len()
    }
}

pub struct Refresher<S, K, T, E> {
    pub store: S,
    pub vault: Vault<K>,
    pub client: T,
    /// Where `Connection Needs Reauthorization` events go (EventBridge in AWS).
    pub events: E,
    pub clock: Arc<dyn Clock>,
    pub policy: RefreshPolicy,
    /// Unique per process (lease owner).
    pub owner: String,
    /// How long a lease protects a refresh in flight (longer than any platform call).
    pub lease_secs: i64,
    /// How long `fresh_access_token` waits for another holder's refresh.
    pub wait_for_other: Duration,
}

impl<S, K, T, E> std::fmt::Debug for Refresher<S, K, T, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Refresher")
            .field("owner", &self.owner)
            .finish_non_exhaustive()
    }
}

/// When a leased refresh goes ahead.
#[derive(Clone, Copy)]
enum When<'a> {
    /// Only if due (within the margin, or idle for a day).
    Due,
    Always,
    /// Only if the stored access token is still this rejected one.
    StillIs(&'a SecretString),
}

/// The error for a connection only a person can fix, if it is one.
fn needs_person(c: &Connection) -> Option<RefreshError> {
    matches!(
        c.status,
        ConnectionStatus::NeedsReauth
            | ConnectionStatus::Revoked
            | ConnectionStatus::RefreshExhausted
    )
    .then(|| RefreshError::NeedsReauth {
        id: c.id.clone(),
        remediation: c
            .last_error
            .as_ref()
            .map(|e| e.remediation.clone())
            .unwrap_or_else(|| "connect the account again".into()),
    })
}

/// The event published when a connection needs a person.
/// Sealing refreshed tokens (a KMS call) is retried twice: 50–100 ms, then 100–200 ms.
const SEAL_RETRY: reelcart_domain::retry::Backoff =
    reelcart_domain::retry::Backoff::new(Duration::from_millis(100), Duration::from_secs(1));

pub const NEEDS_REAUTH_EVENT: &str = "Connection Needs Reauthorization";

impl<S: ConnectionStore, K: KeyService, T: TokenClient, E: EventBus> Refresher<S, K, T, E> {
    /// Store a newly connected account (the connect flow's last step), sealed under the current key.
    pub async fn connect(
        &self,
        connection: Connection,
        grant: TokenGrant,
    ) -> Result<StoredConnection, RefreshError> {
        let tokens = self.vault.seal(&connection.id, &grant.tokens).await?;
        let mut connection = connection;
        connection.key_id = tokens.key_id.clone();
        let record = StoredConnection {
            connection,
            tokens,
            version: 1,
            lease_owner: None,
            lease_until: None,
        };
        self.store.put(&record).await?;
        Ok(record)
    }

    /// Refresh one connection under its lease. `force` refreshes even when not due.
    #[tracing::instrument(skip(self), fields(owner = %self.owner))]
    pub async fn refresh(&self, id: &str, force: bool) -> Result<Outcome, RefreshError> {
        self.refresh_when(id, if force { When::Always } else { When::Due })
            .await
    }

    async fn refresh_when(&self, id: &str, when: When<'_>) -> Result<Outcome, RefreshError> {
        let now = self.clock.now_unix();
        let Some(mut rec) = self
            .store
            .acquire_lease(id, &self.owner, now, self.lease_secs)
            .await?
        else {
            return match self.store.get(id).await? {
                Some(_) => Ok(Outcome::HeldElsewhere),
                None => Err(RefreshError::NotFound(id.to_string())),
            };
        };
        if !rec.connection.refreshable() {
            self.release(&rec).await?;
            return Ok(Outcome::NotRefreshable);
        }
        // Checked again under the lease: the previous holder may have just refreshed it.
        if matches!(when, When::Due) && !rec.connection.refresh_due(now, &self.policy) {
            self.release(&rec).await?;
            return Ok(Outcome::NotDue);
        }
        let tokens = match self.vault.open(id, &rec.tokens).await {
            Ok(t) => t,
            Err(e) => {
                self.release(&rec).await?;
                return Err(e.into());
            }
        };
        if let When::StillIs(rejected) = when
            && tokens.access_token.expose_secret() != rejected.expose_secret()
        {
            // Someone refreshed since the caller's token was rejected: theirs is the answer.
            self.release(&rec).await?;
            return Ok(Outcome::NotDue);
        }
        let platform = rec.connection.platform;
        match self
            .client
            .refresh(platform, &rec.connection.account_id, &tokens, now)
            .await
        {
            Ok(grant) => {
                // The platform has issued a new pair (and, where tokens rotate, killed the old
                // refresh token): persisting it is the one step that must not be skipped.
                let sealed = self.seal_with_retry(id, &grant.tokens).await?;
                rec.connection.refreshed(
                    now,
                    grant.expires_at,
                    grant.refresh_expires_at,
                    &sealed.key_id,
                );
                if let Some(scopes) = grant.scopes {
                    rec.connection.scopes = scopes;
                }
                rec.tokens = sealed;
                if !self.store.finish(&rec, &self.owner).await? {
                    tracing::error!(connection = id, %platform, "lease lost during refresh: the new token pair was not stored");
                    return Err(RefreshError::LeaseLost(id.to_string()));
                }
                tracing::info!(connection = id, %platform, expires_at = ?rec.connection.expires_at, "token refreshed");
                Ok(Outcome::Refreshed)
            }
            Err(error) => {
                rec.connection
                    .refresh_failed(now, &error, &self.policy, rand::random::<f64>());
                let status = rec.connection.status;
                if !self.store.finish(&rec, &self.owner).await? {
                    return Err(RefreshError::LeaseLost(id.to_string()));
                }
                let remediation = rec
                    .connection
                    .last_error
                    .as_ref()
                    .map(|e| e.remediation.as_str())
                    .unwrap_or_default();
                match status {
                    ConnectionStatus::NeedsReauth | ConnectionStatus::RefreshExhausted => {
                        tracing::warn!(
                            connection = id, %platform, account = %rec.connection.account_id, code = %error.code,
                            ?status, remediation, "connection needs attention"
                        );
                        let detail = serde_json::json!({
                            "connection_id": id,
                            "platform": platform.as_str(),
                            "account_id": rec.connection.account_id,
                            "status": status,
                            "code": error.code,
                            "remediation": remediation,
                        });
                        // The state is stored; a lost notification is logged, not retried here.
                        if let Err(e) = self.events.publish(NEEDS_REAUTH_EVENT, &detail).await {
                            tracing::error!(connection = id, error = %e, "could not publish the needs-reauthorization event");
                        }
                    }
                    _ => tracing::info!(
                        connection = id, %platform, code = %error.code, class = ?error.class,
                        retry_after = ?rec.connection.retry_after, "refresh failed; will retry"
                    ),
                }
                Ok(Outcome::Failed(error.class))
            }
        }
    }

    async fn seal_with_retry(
        &self,
        id: &str,
        tokens: &TokenSet,
    ) -> Result<reelcart_vault::Sealed, RefreshError> {
        let mut last = None;
        for attempt in 0..3u32 {
            match self.vault.seal(id, tokens).await {
                Ok(s) => return Ok(s),
                Err(e) => {
                    tracing::warn!(connection = id, attempt, error = %e, "sealing refreshed tokens failed; retrying");
                    last = Some(e);
                    tokio::time::sleep(SEAL_RETRY.delay(attempt + 1, rand::random())).await;
                }
            }
        }
        Err(last
            .map(RefreshError::from)
            .unwrap_or_else(|| RefreshError::Unavailable(id.to_string())))
    }

    /// Drop the lease without changing anything.
    async fn release(&self, rec: &StoredConnection) -> Result<(), RefreshError> {
        if !self.store.finish(rec, &self.owner).await? {
            tracing::warn!(connection = %rec.connection.id, "lease had already expired");
        }
        Ok(())
    }

    /// The connection's record, unless it is missing or only a person can fix it.
    async fn usable(&self, id: &str) -> Result<StoredConnection, RefreshError> {
        let rec = self
            .store
            .get(id)
            .await?
            .ok_or_else(|| RefreshError::NotFound(id.to_string()))?;
        match needs_person(&rec.connection) {
            Some(e) => Err(e),
            None => Ok(rec),
        }
    }

    /// The ids of `platform`'s usable connections (active, or being refreshed), sorted: callers
    /// that use one take the first.
    pub async fn active_connections(
        &self,
        platform: OAuthPlatform,
    ) -> Result<Vec<String>, PortError> {
        let mut ids: Vec<String> = self
            .store
            .list()
            .await?
            .into_iter()
            .filter(|r| {
                r.connection.platform == platform
                    && matches!(
                        r.connection.status,
                        ConnectionStatus::Active | ConnectionStatus::Refreshing
                    )
            })
            .map(|r| r.connection.id)
            .collect();
        ids.sort();
        Ok(ids)
    }

    /// The access token of a connection, refreshed first (under the lease) when it is about to
    /// expire. Every platform client gets its token here.
    pub async fn fresh_access_token(&self, id: &str) -> Result<SecretString, RefreshError> {
        let deadline = tokio::time::Instant::now() + self.wait_for_other;
        loop {
            let rec = self.usable(id).await?;
            let c = &rec.connection;
            let now = self.clock.now_unix();
            let expiring = c
                .expires_at
                .is_some_and(|e| e - now <= self.policy.margin_secs);
            let cooling = c.retry_after.is_some_and(|t| now < t);
            if !expiring || cooling {
                if c.expires_at.is_some_and(|e| e <= now) {
                    return Err(RefreshError::Unavailable(id.to_string()));
                }
                return Ok(self.vault.open(id, &rec.tokens).await?.access_token);
            }
            let held = rec.lease_until.is_some_and(|u| u >= now);
            if !held {
                match self.refresh(id, false).await? {
                    Outcome::Refreshed
                    | Outcome::NotDue
                    | Outcome::Failed(_)
                    | Outcome::NotRefreshable => continue,
                    Outcome::HeldElsewhere => {}
                }
            }
            if tokio::time::Instant::now() > deadline {
                return Err(RefreshError::Busy(id.to_string()));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The access token to use after the platform rejected `rejected` as expired or invalid (a 401
    /// to an API call): refreshed once under the lease however many callers report the same
    /// token, or the newer token when another caller already refreshed it.
    pub async fn access_token_after_rejection(
        &self,
        id: &str,
        rejected: &SecretString,
    ) -> Result<SecretString, RefreshError> {
        let deadline = tokio::time::Instant::now() + self.wait_for_other;
        loop {
            let rec = self.usable(id).await?;
            let current = self.vault.open(id, &rec.tokens).await?.access_token;
            if current.expose_secret() != rejected.expose_secret() {
                return Ok(current);
            }
            if !rec.connection.refreshable() {
                return Err(RefreshError::NeedsReauth {
                    id: id.to_string(),
                    remediation: "the platform rejected a token that cannot be refreshed: connect \
                                  the account again"
                        .into(),
                });
            }
            let now = self.clock.now_unix();
            if rec.lease_until.is_none_or(|u| u < now) {
                match self.refresh_when(id, When::StillIs(rejected)).await? {
                    Outcome::Refreshed | Outcome::NotDue | Outcome::NotRefreshable => continue,
                    // Stored as a failure (with its cooldown or needs_reauth); not retried inline.
                    Outcome::Failed(ErrorClass::Reauthorize) => continue,
                    Outcome::Failed(_) => return Err(RefreshError::Unavailable(id.to_string())),
                    Outcome::HeldElsewhere => {}
                }
            }
            if tokio::time::Instant::now() > deadline {
                return Err(RefreshError::Busy(id.to_string()));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The scheduled sweep: refresh everything due (expiring within the margin, or idle for a day).
    pub async fn sweep(&self) -> Result<SweepReport, RefreshError> {
        let now = self.clock.now_unix();
        let mut report = SweepReport::default();
        for rec in self.store.list().await? {
            report.examined += 1;
            if !rec.connection.refresh_due(now, &self.policy) {
                report.skipped += 1;
                continue;
            }
            let reason = match self.refresh(&rec.connection.id, false).await {
                Ok(Outcome::Refreshed) => {
                    report.refreshed += 1;
                    continue;
                }
                Ok(Outcome::Failed(class)) => format!("{class:?}"),
                Ok(_) => {
                    report.skipped += 1;
                    continue;
                }
                Err(e) => {
                    tracing::error!(connection = %rec.connection.id, error = %e, "refresh errored");
                    e.to_string()
                }
            };
            report.failures.push(SweepFailure {
                connection: rec.connection.id.clone(),
                reason,
            });
        }
        Ok(report)
    }

    /// Key rotation: re-encrypt every connection still sealed under an older key. Returns how many
    /// were moved. Safe to run at any time (each record is moved under its lease).
    pub async fn reseal_all(&self) -> Result<usize, RefreshError> {
        let mut moved = 0;
        for rec in self.store.list().await? {
            if self.vault.is_current(&rec.tokens) {
                continue;
            }
            let id = rec.connection.id.clone();
            let now = self.clock.now_unix();
            let Some(mut leased) = self
                .store
                .acquire_lease(&id, &self.owner, now, self.lease_secs)
                .await?
            else {
                continue; // being refreshed: the refresh re-seals under the current key anyway
            };
            match self.vault.reseal(&id, &leased.tokens).await {
                Ok(Some(sealed)) => {
                    leased.connection.key_id = sealed.key_id.clone();
                    leased.tokens = sealed;
                    if self.store.finish(&leased, &self.owner).await? {
                        moved += 1;
                    }
                }
                Ok(None) => self.release(&leased).await?,
                Err(e) => {
                    self.release(&leased).await?;
                    return Err(e.into());
                }
            }
        }
        Ok(moved)
    }
}

impl<T: TokenClient + ?Sized> TokenClient for Arc<T> {
    fn refresh(
        &self,
        platform: OAuthPlatform,
        account_id: &str,
        tokens: &TokenSet,
        now: i64,
    ) -> impl Future<Output = Result<TokenGrant, PlatformError>> + Send {
        (**self).refresh(platform, account_id, tokens, now)
    }
}
