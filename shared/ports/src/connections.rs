//! Platform connections (with their refresh lease) and started OAuth authorizations.

use crate::{PortResult, lock};
use reelcart_domain::connection::{Connection, Sealed};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

/// A connection as stored: its state, its sealed tokens, and the refresh lease.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StoredConnection {
    #[serde(flatten)]
    pub connection: Connection,
    pub tokens: Sealed,
    /// Incremented by every write: a token pair is replaced as a whole, never half.
    pub version: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_until: Option<i64>,
}

/// Connections with a per-connection lease, so that any number of concurrent refreshers make
/// exactly one platform call (a distributed lock with an expiry, not a single-node one).
pub trait ConnectionStore: Send + Sync {
    fn get(&self, id: &str) -> impl Future<Output = PortResult<Option<StoredConnection>>> + Send;
    /// Create or replace (connect, reconnect). Clears any lease.
    fn put(&self, record: &StoredConnection) -> impl Future<Output = PortResult<()>> + Send;
    /// Take the lease unless another owner holds an unexpired one; the record as leased, or
    /// `None` when it is held elsewhere (or the connection does not exist).
    fn acquire_lease(
        &self,
        id: &str,
        owner: &str,
        now: i64,
        lease_secs: i64,
    ) -> impl Future<Output = PortResult<Option<StoredConnection>>> + Send;
    /// Write the outcome of a leased refresh and drop the lease — only if `owner` still holds it.
    /// `false` when the lease was lost (expired and taken): nothing was written.
    fn finish(
        &self,
        record: &StoredConnection,
        owner: &str,
    ) -> impl Future<Output = PortResult<bool>> + Send;
    /// Every connection (a brand has tens, not millions; the sweep reads them all).
    fn list(&self) -> impl Future<Output = PortResult<Vec<StoredConnection>>> + Send;
}

/// An OAuth authorization that was started and not yet completed: what the callback needs besides
/// the code (the PKCE verifier never leaves the server; the redirect URI must match exactly).
#[derive(Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PendingAuthorization {
    /// The state's nonce (random, single use).
    pub nonce: String,
    pub platform: reelcart_domain::connection::OAuthPlatform,
    /// The admin who started it.
    pub subject: String,
    pub redirect_uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_verifier: Option<String>,
    /// Unix seconds; the record's TTL attribute as well.
    pub expires_at: i64,
}

impl std::fmt::Debug for PendingAuthorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingAuthorization")
            .field("nonce", &self.nonce)
            .field("platform", &self.platform)
            .field("subject", &self.subject)
            .field("redirect_uri", &self.redirect_uri)
            .field(
                "code_verifier",
                &self.code_verifier.as_ref().map(|_| "[REDACTED]"),
            )
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Started OAuth authorizations, each redeemable once (DynamoDB with TTL in AWS).
pub trait PendingAuthorizations: Send + Sync {
    fn put(&self, pending: &PendingAuthorization) -> impl Future<Output = PortResult<()>> + Send;
    /// Remove and return the authorization of `nonce`: exactly one caller gets it, however many
    /// replay the callback; an expired one (not yet deleted by TTL) is `None`.
    fn take(
        &self,
        nonce: &str,
        now: i64,
    ) -> impl Future<Output = PortResult<Option<PendingAuthorization>>> + Send;
}

// Shared handles: several workers (or a worker and a test) can hold one store or key service.
impl<T: ConnectionStore + ?Sized> ConnectionStore for std::sync::Arc<T> {
    fn get(&self, id: &str) -> impl Future<Output = PortResult<Option<StoredConnection>>> + Send {
        (**self).get(id)
    }
    fn put(&self, record: &StoredConnection) -> impl Future<Output = PortResult<()>> + Send {
        (**self).put(record)
    }
    fn acquire_lease(
        &self,
        id: &str,
        owner: &str,
        now: i64,
        lease_secs: i64,
    ) -> impl Future<Output = PortResult<Option<StoredConnection>>> + Send {
        (**self).acquire_lease(id, owner, now, lease_secs)
    }
    fn finish(
        &self,
        record: &StoredConnection,
        owner: &str,
    ) -> impl Future<Output = PortResult<bool>> + Send {
        (**self).finish(record, owner)
    }
    fn list(&self) -> impl Future<Output = PortResult<Vec<StoredConnection>>> + Send {
        (**self).list()
    }
}

#[derive(Debug, Default)]
pub struct MemoryConnections {
    items: Mutex<HashMap<String, StoredConnection>>,
}

impl ConnectionStore for MemoryConnections {
    async fn get(&self, id: &str) -> PortResult<Option<StoredConnection>> {
        Ok(lock(&self.items).get(id).cloned())
    }

    async fn put(&self, record: &StoredConnection) -> PortResult<()> {
        let mut r = record.clone();
        r.lease_owner = None;
        r.lease_until = None;
        lock(&self.items).insert(r.connection.id.clone(), r);
        Ok(())
    }

    async fn acquire_lease(
        &self,
        id: &str,
        owner: &str,
        now: i64,
        lease_secs: i64,
    ) -> PortResult<Option<StoredConnection>> {
        let mut items = lock(&self.items);
        let Some(r) = items.get_mut(id) else {
            return Ok(None);
        };
        if r.lease_until.is_some_and(|until| until >= now) {
            return Ok(None);
        }
        r.lease_owner = Some(owner.to_string());
        r.lease_until = Some(now + lease_secs);
        r.version += 1;
        Ok(Some(r.clone()))
    }

    async fn finish(&self, record: &StoredConnection, owner: &str) -> PortResult<bool> {
        let mut items = lock(&self.items);
        let Some(current) = items.get_mut(&record.connection.id) else {
            return Ok(false);
        };
        if current.lease_owner.as_deref() != Some(owner) {
            return Ok(false);
        }
        let mut r = record.clone();
        r.version = current.version + 1;
        r.lease_owner = None;
        r.lease_until = None;
        *current = r;
        Ok(true)
    }

    async fn list(&self) -> PortResult<Vec<StoredConnection>> {
        Ok(lock(&self.items).values().cloned().collect())
    }
}

/// Pending OAuth authorizations in memory.
#[derive(Debug, Default, Clone)]
pub struct MemoryPendingAuthorizations {
    items: Arc<Mutex<HashMap<String, PendingAuthorization>>>,
}

impl PendingAuthorizations for MemoryPendingAuthorizations {
    async fn put(&self, pending: &PendingAuthorization) -> PortResult<()> {
        lock(&self.items).insert(pending.nonce.clone(), pending.clone());
        Ok(())
    }

    async fn take(&self, nonce: &str, now: i64) -> PortResult<Option<PendingAuthorization>> {
        Ok(lock(&self.items)
            .remove(nonce)
            .filter(|p| p.expires_at >= now))
    }
}

/// The contract suite every adapter of this port passes.
#[cfg(any(test, feature = "contract"))]
pub mod contract {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    fn connection(ns: &str) -> StoredConnection {
        use reelcart_domain::connection::{Connection, ConnectionStatus, OAuthPlatform, Sealed};
        StoredConnection {
            connection: Connection {
                id: format!("{ns}#tiktok-shop#7494049642642441621"),
                platform: OAuthPlatform::TiktokShop,
                account_id: "7494049642642441621".into(),
                scopes: vec!["seller.order.info".into(), "seller.product.basic".into()],
                expires_at: Some(1_795_651_200),
                refresh_expires_at: Some(1_800_000_000),
                status: ConnectionStatus::Active,
                last_error: None,
                failures: 0,
                first_failure_at: None,
                retry_after: None,
                last_refreshed_at: Some(1_795_000_000),
                key_id: "arn:aws:kms:us-east-1:123456789012:key/k1".into(),
            },
            tokens: Sealed {
                v: 1,
                key_id: "arn:aws:kms:us-east-1:123456789012:key/k1".into(),
                wrapped_key: "d3JhcHBlZA==".into(),
                nonce: "bm9uY2Vub25jZTEy".into(),
                ciphertext: "Y2lwaGVydGV4dA==".into(),
            },
            version: 1,
            lease_owner: None,
            lease_until: None,
        }
    }

    pub async fn connection_store<S: ConnectionStore>(store: &S, ns: &str) {
        let rec = connection(ns);
        let id = rec.connection.id.clone();
        let now = 1_795_651_000;
        assert_eq!(store.get(&id).await.unwrap(), None);
        assert_eq!(
            store.acquire_lease(&id, "a", now, 30).await.unwrap(),
            None,
            "no lease on a missing connection"
        );
        store.put(&rec).await.unwrap();
        assert_eq!(store.get(&id).await.unwrap(), Some(rec.clone()));
        assert!(
            store
                .list()
                .await
                .unwrap()
                .iter()
                .any(|r| r.connection.id == id)
        );

        // One holder at a time, until the lease expires.
        let leased = store
            .acquire_lease(&id, "a", now, 30)
            .await
            .unwrap()
            .expect("a takes the lease");
        assert_eq!(leased.lease_owner.as_deref(), Some("a"));
        assert_eq!(leased.tokens, rec.tokens);
        assert_eq!(
            store.acquire_lease(&id, "b", now + 30, 30).await.unwrap(),
            None,
            "held through its last second"
        );
        let taken = store
            .acquire_lease(&id, "b", now + 31, 30)
            .await
            .unwrap()
            .expect("expired lease is taken over");

        // The old holder's late write is refused; the new holder's lands and drops the lease.
        let mut late = leased.clone();
        late.connection.failures = 99;
        assert!(!store.finish(&late, "a").await.unwrap());
        let mut done = taken.clone();
        done.connection.expires_at = Some(now + 7 * 86_400);
        done.tokens.ciphertext = "bmV3Y2lwaGVydGV4dA==".into();
        assert!(store.finish(&done, "b").await.unwrap());
        let after = store.get(&id).await.unwrap().unwrap();
        assert_eq!(after.connection.expires_at, Some(now + 7 * 86_400));
        assert_eq!(after.tokens.ciphertext, "bmV3Y2lwaGVydGV4dA==");
        assert_eq!((after.lease_owner, after.lease_until), (None, None));
        assert!(after.version > rec.version);
        assert!(
            !store.finish(&done, "b").await.unwrap(),
            "a finished lease cannot be finished twice"
        );

        // Many concurrent refreshers: exactly one gets the lease.
        let owners: Vec<String> = (0..10).map(|i| format!("w{i}")).collect();
        let results = futures::future::join_all(
            owners
                .iter()
                .map(|o| store.acquire_lease(&id, o, now + 100, 30)),
        )
        .await;
        let winners = results.iter().filter(|r| matches!(r, Ok(Some(_)))).count();
        assert_eq!(winners, 1, "{results:?}");
    }

    pub async fn pending_authorizations<S: PendingAuthorizations>(store: &S, ns: &str) {
        use reelcart_domain::connection::OAuthPlatform;
        let now = 1_700_000_000;
        let pending = |nonce: &str, expires_at: i64| PendingAuthorization {
            nonce: format!("{ns}-{nonce}"),
            platform: OAuthPlatform::Tiktok,
            subject: "admin-1".into(),
            redirect_uri: "https://example.com/cb".into(),
            code_verifier: Some("v".repeat(43)),
            expires_at,
        };
        let a = pending("a", now + 600);
        store.put(&a).await.unwrap();
        // Taken once; a replay finds nothing.
        assert_eq!(store.take(&a.nonce, now).await.unwrap(), Some(a.clone()));
        assert_eq!(store.take(&a.nonce, now).await.unwrap(), None);
        // Expired but not yet deleted: refused.
        let b = pending("b", now - 1);
        store.put(&b).await.unwrap();
        assert_eq!(store.take(&b.nonce, now).await.unwrap(), None);
        // Unknown nonce.
        assert_eq!(store.take(&format!("{ns}-zzz"), now).await.unwrap(), None);
        // Concurrent callbacks with the same state: exactly one wins.
        let c = pending("c", now + 600);
        store.put(&c).await.unwrap();
        let results = futures::future::join_all((0..8).map(|_| store.take(&c.nonce, now))).await;
        let won = results
            .into_iter()
            .map(Result::unwrap)
            .filter(Option::is_some)
            .count();
        assert_eq!(won, 1);
        // No secret in Debug output.
        assert!(!format!("{c:?}").contains(&"v".repeat(43)));
    }
}
