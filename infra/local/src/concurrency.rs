//! Lambda's concurrency as the template sets it, enforced on the local stack so a flood behaves as
//! in AWS: the account has a quota of concurrent executions (`account_limit`, 1,000 by default);
//! a function with `ReservedConcurrentExecutions` runs in its own pool of that size (guaranteed,
//! and its ceiling), every other function shares what is left. Lambda keeps at least 100 (or the
//! whole quota, under 100) unreserved: reserving more fails the deploy, and the stack refuses to
//! start.
//!
//! A synchronous invocation (a function URL, an API route) that finds its pool full is throttled
//! at once (`429`, the `Throttles` metric); an event source mapping's poller waits and tries
//! again, as Lambda's does. Each SQS source's `ScalingConfig.MaximumConcurrency` is checked
//! (2 to 1,000); the local poller runs one batch at a time per source, inside any such cap.

use anyhow::{Result, bail};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// An account's default concurrency quota per Region.
pub const DEFAULT_ACCOUNT_LIMIT: u32 = 1000;

/// What Lambda keeps unreserved: 100, or the whole quota when it is smaller.
pub fn min_unreserved(limit: u32) -> u32 {
    limit.min(100)
}

/// The account's concurrency: one pool per function with a reservation, one shared pool.
#[derive(Debug, Clone)]
pub struct Concurrency(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    limit: u32,
    unreserved: Arc<Semaphore>,
    reserved: HashMap<String, (u32, Arc<Semaphore>)>,
    throttles: Mutex<HashMap<String, u64>>,
}

impl Concurrency {
    /// `reserved`: each function's `ReservedConcurrentExecutions`.
    pub fn new(limit: u32, reserved: &HashMap<String, u32>) -> Result<Self> {
        let sum: u32 = reserved.values().sum();
        let left = limit.saturating_sub(sum);
        if sum > limit || left < min_unreserved(limit) {
            bail!(
                "the template reserves {sum} concurrent executions ({}) of an account quota of \
                 {limit}: that leaves {left} unreserved, under Lambda's minimum of {}, and the \
                 deploy would fail; lower the reservations (template parameters) or raise the \
                 quota",
                reserved
                    .iter()
                    .map(|(f, n)| format!("{f} {n}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                min_unreserved(limit)
            );
        }
        Ok(Self(Arc::new(Inner {
            limit,
            unreserved: Arc::new(Semaphore::new(left as usize)),
            reserved: reserved
                .iter()
                .map(|(f, n)| (f.clone(), (*n, Arc::new(Semaphore::new(*n as usize)))))
                .collect(),
            throttles: Mutex::new(HashMap::new()),
        })))
    }

    /// The account's quota.
    pub fn limit(&self) -> u32 {
        self.0.limit
    }

    /// `function`'s reservation, if it has one.
    pub fn reserved(&self, function: &str) -> Option<u32> {
        self.0.reserved.get(function).map(|(n, _)| *n)
    }

    fn pool(&self, function: &str) -> Arc<Semaphore> {
        self.0
            .reserved
            .get(function)
            .map_or_else(|| self.0.unreserved.clone(), |(_, s)| s.clone())
    }

    /// A synchronous invocation: an execution if one is free, else throttled (counted).
    pub fn try_start(&self, function: &str) -> Option<OwnedSemaphorePermit> {
        let permit = self.pool(function).try_acquire_owned().ok();
        if permit.is_none()
            && let Ok(mut t) = self.0.throttles.lock()
        {
            *t.entry(function.to_string()).or_default() += 1;
        }
        permit
    }

    /// A poller's invocation: throttled attempts are counted and tried again shortly.
    pub async fn start(&self, function: &str) -> OwnedSemaphorePermit {
        loop {
            if let Some(p) = self.try_start(function) {
                return p;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Throttled invocations of `function` so far (CloudWatch's `Throttles`).
    pub fn throttles(&self, function: &str) -> u64 {
        self.0
            .throttles
            .lock()
            .map(|t| t.get(function).copied().unwrap_or(0))
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn reservations_must_leave_lambdas_minimum_unreserved() {
        let r = |pairs: &[(&str, u32)]| {
            pairs
                .iter()
                .map(|(f, n)| (f.to_string(), *n))
                .collect::<HashMap<_, _>>()
        };
        assert!(Concurrency::new(1000, &r(&[("A", 900)])).is_ok());
        let err = Concurrency::new(1000, &r(&[("A", 850), ("B", 60)])).unwrap_err();
        assert!(
            err.to_string().contains("under Lambda's minimum of 100"),
            "{err}"
        );
        // A new account's quota of 10: nothing can be reserved.
        assert!(Concurrency::new(10, &r(&[("A", 1)])).is_err());
        assert!(Concurrency::new(10, &r(&[])).is_ok());
    }

    #[test]
    fn a_reserved_pool_is_both_guaranteed_and_a_ceiling() {
        let c = Concurrency::new(102, &[("Hooks".to_string(), 2)].into()).unwrap();
        let hooks: Vec<_> = (0..2).map(|_| c.try_start("Hooks").unwrap()).collect();
        assert!(c.try_start("Hooks").is_none());
        assert_eq!(c.throttles("Hooks"), 1);
        // Everyone else shares the other 100; using them all leaves the reserved pool alone.
        let others: Vec<_> = (0..100).map(|_| c.try_start("Beacons").unwrap()).collect();
        assert!(c.try_start("Beacons").is_none());
        drop(hooks);
        assert!(c.try_start("Hooks").is_some());
        drop(others);
        assert!(c.try_start("Beacons").is_some());
    }
}
