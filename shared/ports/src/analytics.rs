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
pub mod contract {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    fn sorted(mut v: Vec<String>) -> Vec<String> {
        v.sort();
        v
    }

    /// The analytics store: sessions dedupe atomically, counters add up, order ledgers are versioned.
    pub async fn analytics_store<S: crate::AnalyticsStore>(store: &S, ns: &str) {
        use reelcart_domain::attribution::*;
        let now = 1_800_000_000;
        let session = format!("s-{ns}");
        let touch = |id: &str, at: i64| Touch {
            event_id: id.into(),
            at,
            kind: BeaconKind::ProductClick,
            ugc_id: format!("ugc-{ns}"),
            creator_id: Some("cr".into()),
            platform: Some("instagram".into()),
            placement: "pdp".into(),
            campaign: None,
            sku: Some("TEE".into()),
            skus: Some(vec!["TEE".into()]),
        };
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let fresh = store
            .record_session(
                &session,
                &ids(&["e1", "e2"]),
                &[touch("e1", now - 5)],
                now + 3600,
            )
            .await
            .unwrap();
        assert_eq!(sorted(fresh), ids(&["e1", "e2"]));
        let fresh = store
            .record_session(
                &session,
                &ids(&["e2", "e3"]),
                &[touch("e3", now - 1)],
                now + 3600,
            )
            .await
            .unwrap();
        assert_eq!(fresh, ids(&["e3"]));
        store.forget_events(&session, &ids(&["e3"])).await.unwrap();
        let fresh = store
            .record_session(&session, &ids(&["e3"]), &[], now + 3600)
            .await
            .unwrap();
        assert_eq!(fresh, ids(&["e3"]));
        let t = store.touches(&session, now).await.unwrap();
        assert_eq!(
            t.iter().map(|t| t.event_id.as_str()).collect::<Vec<_>>(),
            ["e1", "e3"]
        );
        assert!(
            store
                .touches(&session, now + 7200)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(
            store
                .touches(&format!("none-{ns}"), now)
                .await
                .unwrap()
                .is_empty()
        );
        // A session over its limits takes no more (and fails nothing).
        let busy = format!("busy-{ns}");
        for chunk in 0..=(crate::SESSION_MAX_EVENTS / 500) {
            let many: Vec<String> = (0..500).map(|i| format!("b{chunk}-{i}")).collect();
            store
                .record_session(&busy, &many, &[], now + 3600)
                .await
                .unwrap();
        }
        assert!(
            store
                .record_session(&busy, &ids(&["late"]), &[], now + 3600)
                .await
                .unwrap()
                .is_empty()
        );

        let day = format!("2099-01-{:02}", (ns.len() % 28) + 1);
        let key = |placement: &str| AggKey {
            day: day.clone(),
            ugc_id: format!("ugc-{ns}"),
            placement: placement.into(),
            campaign: String::new(),
            creator: String::new(),
            currency: String::new(),
        };
        let delta = |placement: &str, views: i64, revenue: i64| AggDelta {
            key: key(placement),
            creator_id: Some("cr".into()),
            platform: Some("instagram".into()),
            counters: Counters {
                views,
                revenue_cents: revenue,
                ..Counters::default()
            },
        };
        store
            .add(&[delta("pdp", 3, 0), delta("home", 1, 0)])
            .await
            .unwrap();
        store.add(&[delta("pdp", 2, 0)]).await.unwrap();
        let rows: Vec<crate::AggRow> = store
            .aggregates(std::slice::from_ref(&day))
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.key.ugc_id == format!("ugc-{ns}"))
            .collect();
        assert_eq!(rows.len(), 2);
        let pdp = rows.iter().find(|r| r.key.placement == "pdp").unwrap();
        assert_eq!(pdp.counters.views, 5);
        assert_eq!(pdp.creator_id.as_deref(), Some("cr"));
        // Creators who share a day, a placement and a campaign (codes, links) never share a row.
        let by_code = |creator: &str, revenue: i64| AggDelta {
            key: AggKey {
                ugc_id: String::new(),
                placement: format!("code-{ns}"),
                creator: creator.into(),
                ..key("code")
            },
            creator_id: Some(creator.into()),
            platform: None,
            counters: Counters {
                revenue_cents: revenue,
                ..Counters::default()
            },
        };
        store
            .add(&[by_code("cr_ana", 3000), by_code("cr_ben", 5000)])
            .await
            .unwrap();
        store.add(&[by_code("cr_ana", 2000)]).await.unwrap();
        let mut coded: Vec<(String, Option<String>, i64)> = store
            .aggregates(std::slice::from_ref(&day))
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.key.placement == format!("code-{ns}"))
            .map(|r| (r.key.creator, r.creator_id, r.counters.revenue_cents))
            .collect();
        coded.sort();
        assert_eq!(
            coded,
            [
                ("cr_ana".into(), Some("cr_ana".into()), 5000),
                ("cr_ben".into(), Some("cr_ben".into()), 5000)
            ]
        );
        let totals = store.totals(&[format!("ugc-{ns}")]).await.unwrap();
        assert_eq!(totals[&format!("ugc-{ns}")].views, 6);
        assert!(
            store
                .totals(&[format!("nope-{ns}")])
                .await
                .unwrap()
                .is_empty()
        );

        let order = Order {
            id: format!("shopify:{ns}"),
            // On the test's own day.
            placed_at: orders::rfc3339(&format!("{day}T12:00:00Z")).unwrap(),
            total_cents: 1000,
            currency: "USD".into(),
            token: Some(session.clone()),
            discount_codes: vec![],
            lines: vec![],
            channel: None,
        };
        let credit = |revenue: i64| Credit {
            ugc_id: Some(format!("ugc-{ns}")),
            creator_id: Some("cr".into()),
            platform: Some("instagram".into()),
            placement: "pdp".into(),
            campaign: None,
            line_id: String::new(),
            orders_milli: 0,
            revenue_cents: revenue,
            cost_cents: Some(revenue / 4),
            via: Via::Code { code: "X".into() },
        };
        let ledger = Ledger::new(order.clone(), vec![]);
        assert!(store.ledger(&order.id).await.unwrap().is_none());
        assert!(
            store
                .apply_order(&ledger, 0, &[credit(1000)])
                .await
                .unwrap()
        );
        // The same order again (a redelivery) changes nothing.
        assert!(
            !store
                .apply_order(&ledger, 0, &[credit(1000)])
                .await
                .unwrap()
        );
        let (stored, v) = store.ledger(&order.id).await.unwrap().unwrap();
        assert_eq!((stored, v), (ledger.clone(), 1));
        let mut refunded = ledger.clone();
        refunded.refunded_cents = 1000;
        assert!(
            store
                .apply_order(&refunded, 1, &[credit(-1000)])
                .await
                .unwrap()
        );
        let totals = store.totals(&[format!("ugc-{ns}")]).await.unwrap();
        assert_eq!(totals[&format!("ugc-{ns}")].revenue_cents, 0);
        // The ledger's entries: the order's credit, then its refund's reversal; the redelivery
        // wrote none.
        let entries: Vec<(i64, i64)> = store
            .credit_entries(std::slice::from_ref(&day))
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.order_id == order.id)
            .map(|e| {
                assert_eq!(
                    (e.creator_id.as_str(), e.day.as_str()),
                    ("cr", day.as_str())
                );
                assert_eq!(e.currency, "USD");
                (e.revenue_cents, e.cost_cents)
            })
            .collect();
        let mut sorted = entries.clone();
        sorted.sort();
        assert_eq!(sorted, [(-1000, -250), (1000, 250)]);
        // The order's row carries its currency and cost.
        let order_rows: Vec<(String, i64, i64)> = store
            .aggregates(std::slice::from_ref(&day))
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.key.ugc_id == format!("ugc-{ns}") && !r.key.currency.is_empty())
            .map(|r| {
                (
                    r.key.currency,
                    r.counters.revenue_cents,
                    r.counters.cost_cents,
                )
            })
            .collect();
        assert_eq!(order_rows, [("USD".into(), 0, 0)]);

        let code = CreatorCode {
            code: format!("CODE{}", ns.to_uppercase().replace('-', "")),
            creator_id: "cr".into(),
            campaign: None,
            percent: 10,
            store_id: None,
            created_at: 0,
            skus: vec!["TEE".into()],
            ..Default::default()
        };
        store.put_creator_code(&code).await.unwrap();
        assert!(store.creator_codes().await.unwrap().contains(&code));
        // Inserting never takes a code someone holds (any case); deleting frees it.
        let mut other = code.clone();
        other.code = other.code.to_lowercase();
        other.creator_id = "someone-else".into();
        assert!(!store.insert_creator_code(&other).await.unwrap());
        assert!(store.creator_codes().await.unwrap().contains(&code));
        store.delete_creator_code(&other.code).await.unwrap();
        assert!(!store.creator_codes().await.unwrap().contains(&code));
        assert!(store.insert_creator_code(&code).await.unwrap());
        assert!(store.creator_codes().await.unwrap().contains(&code));
    }
}
