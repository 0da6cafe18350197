//! Idempotency: claims with a lease, then completion (at-least-once deliveries done once).

use crate::{PortError, PortResult, lock};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

/// Outcome of trying to claim an idempotency key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// This caller owns the key and must `complete` or `release` it.
    Acquired,
    /// Another caller claimed it moments ago and has not finished yet.
    InFlight,
    /// The work for this key was completed before.
    Done,
}

/// Dedupe of at-least-once deliveries: a claim with a lease, then completion.
///
/// A claim left `pending` (its owner crashed) can be taken over once `lease_secs` have passed; a
/// key whose TTL passed counts as absent even before the store deletes it.
pub trait IdempotencyStore: Send + Sync {
    fn claim(
        &self,
        key: &str,
        now: i64,
        lease_secs: i64,
        ttl_secs: i64,
    ) -> impl Future<Output = PortResult<Claim>> + Send;
    fn complete(&self, key: &str, now: i64) -> impl Future<Output = PortResult<()>> + Send;
    /// Give a claim up after a failure, so a retry can acquire it at once.
    fn release(&self, key: &str) -> impl Future<Output = PortResult<()>> + Send;
}

#[derive(Debug, Clone)]
struct ClaimRecord {
    done: bool,
    claimed_at: i64,
    expires_at: i64,
}

#[derive(Debug, Default)]
pub struct MemoryIdempotency {
    items: Mutex<HashMap<String, ClaimRecord>>,
}

impl MemoryIdempotency {
    pub fn len(&self) -> usize {
        lock(&self.items).len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl IdempotencyStore for MemoryIdempotency {
    async fn claim(
        &self,
        key: &str,
        now: i64,
        lease_secs: i64,
        ttl_secs: i64,
    ) -> PortResult<Claim> {
        let mut items = lock(&self.items);
        if let Some(r) = items.get(key) {
            let expired = r.expires_at < now;
            let stale = !r.done && r.claimed_at < now - lease_secs;
            if !expired && !stale {
                return Ok(if r.done { Claim::Done } else { Claim::InFlight });
            }
        }
        items.insert(
            key.to_string(),
            ClaimRecord {
                done: false,
                claimed_at: now,
                expires_at: now + ttl_secs,
            },
        );
        Ok(Claim::Acquired)
    }

    async fn complete(&self, key: &str, _now: i64) -> PortResult<()> {
        match lock(&self.items).get_mut(key) {
            Some(r) => {
                r.done = true;
                Ok(())
            }
            None => Err(PortError::conflict(
                "idempotency.complete",
                "no claim for key",
            )),
        }
    }

    async fn release(&self, key: &str) -> PortResult<()> {
        let mut items = lock(&self.items);
        if items.get(key).is_some_and(|r| !r.done) {
            items.remove(key);
        }
        Ok(())
    }
}

/// The contract suite every adapter of this port passes.
#[cfg(any(test, feature = "contract"))]
pub mod contract {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    pub async fn idempotency_store<S: IdempotencyStore>(store: &S, ns: &str) {
        let key = format!("{ns}#a");
        let now = 1_700_000_000;
        // Fresh key: acquired; again while pending: in flight.
        assert_eq!(
            store.claim(&key, now, 30, 3600).await.unwrap(),
            Claim::Acquired
        );
        assert_eq!(
            store.claim(&key, now + 1, 30, 3600).await.unwrap(),
            Claim::InFlight
        );
        // Completed: every later claim is a duplicate until the TTL passes.
        store.complete(&key, now + 2).await.unwrap();
        assert_eq!(
            store.claim(&key, now + 3, 30, 3600).await.unwrap(),
            Claim::Done
        );
        assert_eq!(
            store.claim(&key, now + 3000, 30, 3600).await.unwrap(),
            Claim::Done
        );
        // After the TTL the key counts as absent even if the store has not deleted it yet.
        assert_eq!(
            store.claim(&key, now + 3601, 30, 3600).await.unwrap(),
            Claim::Acquired
        );

        // A released claim can be acquired again at once.
        let key = format!("{ns}#b");
        assert_eq!(
            store.claim(&key, now, 30, 3600).await.unwrap(),
            Claim::Acquired
        );
        store.release(&key).await.unwrap();
        assert_eq!(
            store.claim(&key, now, 30, 3600).await.unwrap(),
            Claim::Acquired
        );

        // A pending claim whose lease ran out (owner crashed) is taken over.
        let key = format!("{ns}#c");
        assert_eq!(
            store.claim(&key, now, 30, 3600).await.unwrap(),
            Claim::Acquired
        );
        assert_eq!(
            store.claim(&key, now + 30, 30, 3600).await.unwrap(),
            Claim::InFlight
        );
        assert_eq!(
            store.claim(&key, now + 31, 30, 3600).await.unwrap(),
            Claim::Acquired
        );

        // Releasing a completed key does not undo the completion.
        let key = format!("{ns}#d");
        store.claim(&key, now, 30, 3600).await.unwrap();
        store.complete(&key, now).await.unwrap();
        store.release(&key).await.unwrap();
        assert_eq!(store.claim(&key, now, 30, 3600).await.unwrap(), Claim::Done);

        // Concurrent claims of one key: exactly one wins.
        let key = format!("{ns}#race");
        let results =
            futures::future::join_all((0..16).map(|_| store.claim(&key, now, 30, 3600))).await;
        let acquired = results
            .iter()
            .filter(|r| matches!(r, Ok(Claim::Acquired)))
            .count();
        assert_eq!(acquired, 1, "{results:?}");
    }
}
