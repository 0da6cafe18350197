//! Storefront measurement: sessions, daily aggregates, per-content totals, order ledgers, creators' codes.

use crate::{PortError, PortResult, lock};
use std::collections::BTreeMap;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

pub use reelcart_domain::attribution::AggRow;

/// A session keeps at most this many event ids and touches: one over its limits (a script, not a
/// shopper) takes no more — its further events are not counted — so it can neither grow its row
/// past DynamoDB's item limit nor make the batches it is in fail.
pub const SESSION_MAX_EVENTS: usize = 2_000;
pub const SESSION_MAX_TOUCHES: usize = 200;

/// Storefront measurement: sessions (seen event ids and touches), daily aggregates, per-content
/// totals, order ledgers and creators' codes.
pub trait AnalyticsStore: Send + Sync {
    /// Mark `event_ids` of `session` seen and keep its `touches` until `expires_at`, atomically
    /// per session: the ids that had not been seen before.
    fn record_session(
        &self,
        session: &str,
        event_ids: &[String],
        touches: &[reelcart_domain::attribution::Touch],
        expires_at: i64,
    ) -> impl Future<Output = PortResult<Vec<String>>> + Send;
    /// Forget `event_ids` again (what they were for could not be counted: a retry counts them).
    fn forget_events(
        &self,
        session: &str,
        event_ids: &[String],
    ) -> impl Future<Output = PortResult<()>> + Send;
    /// A session's touches, oldest first (expired sessions have none).
    fn touches(
        &self,
        session: &str,
        now: i64,
    ) -> impl Future<Output = PortResult<Vec<reelcart_domain::attribution::Touch>>> + Send;
    /// Add to the daily aggregates and to each content's totals (atomic counters).
    fn add(
        &self,
        deltas: &[reelcart_domain::attribution::AggDelta],
    ) -> impl Future<Output = PortResult<()>> + Send;
    /// As [`add`](Self::add), each key added together with its content's total in one atomic
    /// write: the keys that were not added, with why (empty: all were). A key is added whole or
    /// not at all, so retrying only the failed ones counts nothing twice.
    fn add_each(
        &self,
        deltas: &[reelcart_domain::attribution::AggDelta],
    ) -> impl Future<Output = Vec<(reelcart_domain::attribution::AggKey, PortError)>> + Send;
    /// Every aggregate of the days `days` (`YYYY-MM-DD`).
    fn aggregates(&self, days: &[String]) -> impl Future<Output = PortResult<Vec<AggRow>>> + Send;
    /// Totals per content (what the feed ranks by); absent content has none.
    fn totals(
        &self,
        ugc_ids: &[String],
    ) -> impl Future<
        Output = PortResult<
            std::collections::HashMap<String, reelcart_domain::attribution::Counters>,
        >,
    > + Send;
    /// An order's ledger and its version.
    fn ledger(
        &self,
        order_id: &str,
    ) -> impl Future<Output = PortResult<Option<(reelcart_domain::attribution::Ledger, u64)>>> + Send;
    /// Write `ledger` as version `version + 1` (0: a new order) with `credits` (the order's, or
    /// a refund's reversal): their aggregate deltas added and the creators' ledger entries
    /// booked, all or nothing; `false` (nothing written) if the stored version is not `version`.
    fn apply_order(
        &self,
        ledger: &reelcart_domain::attribution::Ledger,
        version: u64,
        credits: &[reelcart_domain::attribution::Credit],
    ) -> impl Future<Output = PortResult<bool>> + Send;
    /// The creators' ledger entries of the orders placed on `days` (each order's credits and its
    /// refunds' reversals, written with the ledger by [`AnalyticsStore::apply_order`]).
    fn credit_entries(
        &self,
        days: &[String],
    ) -> impl Future<Output = PortResult<Vec<reelcart_domain::attribution::CreditEntry>>> + Send;
    fn creator_codes(
        &self,
    ) -> impl Future<Output = PortResult<Vec<reelcart_domain::attribution::CreatorCode>>> + Send;
    /// Write a code (replacing one of the same code).
    fn put_creator_code(
        &self,
        code: &reelcart_domain::attribution::CreatorCode,
    ) -> impl Future<Output = PortResult<()>> + Send;
    /// Write a code unless one of the same code (any case) exists: `false` then, nothing written.
    fn insert_creator_code(
        &self,
        code: &reelcart_domain::attribution::CreatorCode,
    ) -> impl Future<Output = PortResult<bool>> + Send;
    fn delete_creator_code(&self, code: &str) -> impl Future<Output = PortResult<()>> + Send;
}

#[derive(Debug, Default)]
struct AnalyticsState {
    /// session → (seen ids, touches, expires_at)
    sessions: HashMap<
        String,
        (
            std::collections::HashSet<String>,
            Vec<reelcart_domain::attribution::Touch>,
            i64,
        ),
    >,
    aggregates: BTreeMap<reelcart_domain::attribution::AggKey, crate::AggRow>,
    totals: HashMap<String, reelcart_domain::attribution::Counters>,
    ledgers: HashMap<String, (reelcart_domain::attribution::Ledger, u64)>,
    /// Creators' ledger entries, in the order written.
    entries: Vec<reelcart_domain::attribution::CreditEntry>,
    codes: BTreeMap<String, reelcart_domain::attribution::CreatorCode>,
    /// Aggregate and total writes made (what the DynamoDB adapter would send).
    pub writes: u64,
    /// Make `add` fail (an outage).
    fail_adds: bool,
    /// Make adding to this content's keys fail (a partial failure).
    fail_adds_for: Option<String>,
    /// Make `totals` fail (an outage of reads).
    fail_reads: bool,
}

/// Analytics in memory, with the DynamoDB adapter's atomicity per session and per order.
#[derive(Debug, Default, Clone)]
pub struct MemoryAnalytics {
    state: Arc<Mutex<AnalyticsState>>,
}

impl MemoryAnalytics {
    /// Aggregate and total rows written so far.
    pub fn writes(&self) -> u64 {
        lock(&self.state).writes
    }

    /// Simulate an outage of the counters (`add` fails) or end it.
    pub fn fail_adds(&self, fail: bool) {
        lock(&self.state).fail_adds = fail;
    }

    /// Make adding to `ugc_id`'s keys fail (others are added), or stop it.
    pub fn fail_adds_for(&self, ugc_id: Option<&str>) {
        lock(&self.state).fail_adds_for = ugc_id.map(str::to_string);
    }

    /// Simulate an outage of the counters' reads (`totals` fails) or end it.
    pub fn fail_reads(&self, fail: bool) {
        lock(&self.state).fail_reads = fail;
    }
}

fn add_delta(s: &mut AnalyticsState, d: &reelcart_domain::attribution::AggDelta) {
    let row = s
        .aggregates
        .entry(d.key.clone())
        .or_insert_with(|| crate::AggRow {
            key: d.key.clone(),
            creator_id: d.creator_id.clone(),
            platform: d.platform.clone(),
            counters: Default::default(),
        });
    row.counters.add(&d.counters);
    s.totals
        .entry(d.key.ugc_id.clone())
        .or_default()
        .add(&d.counters);
}

/// The distinct contents of `deltas` (one totals write each).
fn distinct_contents(deltas: &[reelcart_domain::attribution::AggDelta]) -> u64 {
    deltas
        .iter()
        .map(|d| d.key.ugc_id.as_str())
        .collect::<std::collections::HashSet<_>>()
        .len() as u64
}

impl crate::AnalyticsStore for MemoryAnalytics {
    async fn record_session(
        &self,
        session: &str,
        event_ids: &[String],
        touches: &[reelcart_domain::attribution::Touch],
        expires_at: i64,
    ) -> PortResult<Vec<String>> {
        let mut s = lock(&self.state);
        let entry = s.sessions.entry(session.to_string()).or_default();
        if entry.0.len() > crate::SESSION_MAX_EVENTS || entry.1.len() > crate::SESSION_MAX_TOUCHES {
            return Ok(Vec::new());
        }
        let fresh: Vec<String> = event_ids
            .iter()
            .filter(|id| entry.0.insert((*id).clone()))
            .cloned()
            .collect();
        entry.1.extend(touches.iter().cloned());
        entry.2 = entry.2.max(expires_at);
        Ok(fresh)
    }

    async fn forget_events(&self, session: &str, event_ids: &[String]) -> PortResult<()> {
        if let Some(entry) = lock(&self.state).sessions.get_mut(session) {
            for id in event_ids {
                entry.0.remove(id);
            }
        }
        Ok(())
    }

    async fn touches(
        &self,
        session: &str,
        now: i64,
    ) -> PortResult<Vec<reelcart_domain::attribution::Touch>> {
        let s = lock(&self.state);
        Ok(match s.sessions.get(session) {
            Some((_, touches, expires)) if *expires > now => {
                let mut t = touches.clone();
                t.sort_by_key(|t| t.at);
                t
            }
            _ => Vec::new(),
        })
    }

    async fn add(&self, deltas: &[reelcart_domain::attribution::AggDelta]) -> PortResult<()> {
        let mut s = lock(&self.state);
        if s.fail_adds {
            return Err(PortError::unavailable("analytics.add", "simulated outage"));
        }
        for d in deltas {
            add_delta(&mut s, d);
        }
        s.writes += deltas.len() as u64 + distinct_contents(deltas);
        Ok(())
    }

    async fn add_each(
        &self,
        deltas: &[reelcart_domain::attribution::AggDelta],
    ) -> Vec<(reelcart_domain::attribution::AggKey, PortError)> {
        let mut s = lock(&self.state);
        let mut failed = Vec::new();
        for d in deltas {
            if s.fail_adds || s.fail_adds_for.as_deref() == Some(d.key.ugc_id.as_str()) {
                failed.push((
                    d.key.clone(),
                    PortError::unavailable("analytics.add", "simulated outage"),
                ));
                continue;
            }
            add_delta(&mut s, d);
            s.writes += 2;
        }
        failed
    }

    async fn aggregates(&self, days: &[String]) -> PortResult<Vec<crate::AggRow>> {
        Ok(lock(&self.state)
            .aggregates
            .values()
            .filter(|r| days.contains(&r.key.day))
            .cloned()
            .collect())
    }

    async fn totals(
        &self,
        ugc_ids: &[String],
    ) -> PortResult<HashMap<String, reelcart_domain::attribution::Counters>> {
        let s = lock(&self.state);
        if s.fail_reads {
            return Err(PortError::unavailable(
                "analytics.totals",
                "simulated outage",
            ));
        }
        Ok(ugc_ids
            .iter()
            .filter_map(|id| s.totals.get(id).map(|c| (id.clone(), *c)))
            .collect())
    }

    async fn ledger(
        &self,
        order_id: &str,
    ) -> PortResult<Option<(reelcart_domain::attribution::Ledger, u64)>> {
        Ok(lock(&self.state).ledgers.get(order_id).cloned())
    }

    async fn apply_order(
        &self,
        ledger: &reelcart_domain::attribution::Ledger,
        version: u64,
        credits: &[reelcart_domain::attribution::Credit],
    ) -> PortResult<bool> {
        let deltas = &reelcart_domain::attribution::deltas_of(&ledger.order, credits);
        let mut s = lock(&self.state);
        let stored = s.ledgers.get(&ledger.order.id).map_or(0, |(_, v)| *v);
        if stored != version {
            return Ok(false);
        }
        s.ledgers
            .insert(ledger.order.id.clone(), (ledger.clone(), version + 1));
        s.entries
            .extend(reelcart_domain::attribution::credit_entries(
                &ledger.order,
                credits,
            ));
        for d in deltas {
            add_delta(&mut s, d);
        }
        s.writes += deltas.len() as u64 + distinct_contents(deltas);
        Ok(true)
    }

    async fn credit_entries(
        &self,
        days: &[String],
    ) -> PortResult<Vec<reelcart_domain::attribution::CreditEntry>> {
        Ok(lock(&self.state)
            .entries
            .iter()
            .filter(|e| days.contains(&e.day))
            .cloned()
            .collect())
    }

    async fn creator_codes(&self) -> PortResult<Vec<reelcart_domain::attribution::CreatorCode>> {
        Ok(lock(&self.state).codes.values().cloned().collect())
    }

    async fn put_creator_code(
        &self,
        code: &reelcart_domain::attribution::CreatorCode,
    ) -> PortResult<()> {
        lock(&self.state)
            .codes
            .insert(code.code.to_uppercase(), code.clone());
        Ok(())
    }

    async fn insert_creator_code(
        &self,
        code: &reelcart_domain::attribution::CreatorCode,
    ) -> PortResult<bool> {
        let mut s = lock(&self.state);
        let key = code.code.to_uppercase();
        if s.codes.contains_key(&key) {
            return Ok(false);
        }
        s.codes.insert(key, code.clone());
        Ok(true)
    }

    async fn delete_creator_code(&self, code: &str) -> PortResult<()> {
        lock(&self.state).codes.remove(&code.to_uppercase());
        Ok(())
    }
}

/// The contract suite every adapter of this port passes.
#[cfg(any(test, feature = "contract"))]
pub mod contract;
