//! Catalog sync: every run projects the store's catalog onto a channel, quarantines what the
//! channel's rules refuse (with reasons), plans only real changes against what was last synced,
//! and pushes them in batches — recording each batch as it completes, so a run killed or stopped
//! at its deadline is resumed by the next one without repeating what was done; waiting when the
//! platform throttles or its usage nears the limit; stopping (not retrying) when the connection
//! needs a person.

use reelcart_domain::Clock;
use reelcart_domain::catalog::diff::{self, Action, Hashes, Now};
use reelcart_domain::catalog::meta::MetaItem;
use reelcart_domain::catalog::tiktok::TiktokProduct;
use reelcart_domain::catalog::{Channel, Problem, Product, Projection};
use reelcart_ports::{CatalogStore, PortError, QuarantinedItem, SyncRun, SyncedItem};
use secrecy::SecretString;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// An item in a channel's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelItem {
    Meta(MetaItem),
    Tiktok(TiktokProduct),
}

impl ChannelItem {
    pub fn hashes(&self) -> Hashes {
        match self {
            ChannelItem::Meta(i) => reelcart_domain::catalog::meta::hashes(i),
            ChannelItem::Tiktok(p) => reelcart_domain::catalog::tiktok::hashes(p),
        }
    }
}

/// One item's change, as a channel client receives it.
#[derive(Debug, Clone)]
pub struct Op {
    pub key: String,
    pub action: Action,
    /// The item now (absent for a delete).
    pub item: Option<ChannelItem>,
    /// What was last synced (absent for a create): the platform's ids.
    pub synced: Option<SyncedItem>,
}

/// What became of one op.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Sent: record this as synced.
    Synced(SyncedItem),
    /// Deleted on the platform (or already gone).
    Removed(String),
    /// The platform refused the item: quarantine it until its content changes.
    Refused { key: String, problems: Vec<Problem> },
}

/// Why a push stopped before every op was done.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PushError {
    #[error("throttled: wait {wait_secs} s")]
    Throttled { wait_secs: u64 },
    #[error("the request was too large for the platform")]
    TooLarge,
    #[error("transient platform failure: {0}")]
    Transient(String),
    /// The token was refused even after a refresh, or the connection needs re-authorization.
    #[error("the connection needs attention: {0}")]
    Auth(String),
    #[error("{0}")]
    Fatal(String),
}

/// The outcome of a push: what was done (in any case), and why it stopped early (if it did).
#[derive(Debug, Default)]
pub struct Pushed {
    pub outcomes: Vec<Outcome>,
    pub error: Option<PushError>,
    /// Wait this long before the next call (usage near the platform's limit).
    pub pace_secs: u64,
}

/// A channel's platform client.
pub trait ChannelClient: Send + Sync {
    fn channel(&self) -> Channel;
    /// Ops per push.
    fn batch_size(&self) -> usize;
    /// The product's items in this channel's shape, keyed, each valid or with its problems.
    fn project(&self, product: &Product) -> Vec<(String, Projection<ChannelItem>)>;
    fn push(&self, ops: Vec<Op>) -> impl Future<Output = Pushed> + Send;
}

impl<C: ChannelClient + ?Sized> ChannelClient for Arc<C> {
    fn channel(&self) -> Channel {
        (**self).channel()
    }
    fn batch_size(&self) -> usize {
        (**self).batch_size()
    }
    fn project(&self, product: &Product) -> Vec<(String, Projection<ChannelItem>)> {
        (**self).project(product)
    }
    fn push(&self, ops: Vec<Op>) -> impl Future<Output = Pushed> + Send {
        (**self).push(ops)
    }
}

/// A channel's access token (through the connections vault).
pub trait Tokens: Send + Sync {
    fn token(&self) -> impl Future<Output = Result<SecretString, PushError>> + Send;
    /// The platform answered 401 to `rejected`: a refreshed token (one refresh however many ask).
    fn after_rejection(
        &self,
        rejected: &SecretString,
    ) -> impl Future<Output = Result<SecretString, PushError>> + Send;
}

/// Waiting (for rate limits): real in production, recorded in tests.
pub trait Sleeper: Send + Sync {
    fn sleep(&self, d: Duration) -> impl Future<Output = ()> + Send;
}

impl<Z: Sleeper + ?Sized> Sleeper for Arc<Z> {
    fn sleep(&self, d: Duration) -> impl Future<Output = ()> + Send {
        (**self).sleep(d)
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct TokioSleeper;

impl Sleeper for TokioSleeper {
    async fn sleep(&self, d: Duration) {
        tokio::time::sleep(d).await;
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error(transparent)]
    Store(#[from] PortError),
    #[error("{channel} sync stopped: {error}")]
    Push { channel: Channel, error: PushError },
}

/// Tuning of the sync.
#[derive(Debug, Clone)]
pub struct SyncConfig {
    /// Attempts of one batch on transient failures.
    pub max_attempts: u32,
    /// First backoff on a transient failure (doubled each time, with jitter).
    pub backoff: Duration,
    /// The longest single rate-limit wait; longer waits stop the run (`incomplete`) instead.
    pub max_wait: Duration,
    /// Stop (`incomplete`) when less than this remains before the deadline.
    pub deadline_margin: Duration,
    /// How long a run holds its channel's lease (longer than any run; a crashed run's lease
    /// expires after it).
    pub lease: Duration,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(300),
            deadline_margin: Duration::from_secs(30),
            lease: Duration::from_secs(900),
        }
    }
}

/// One channel's sync.
pub struct CatalogSync<S, C, Z> {
    pub store: S,
    pub client: C,
    pub sleeper: Z,
    pub clock: Arc<dyn Clock>,
    pub config: SyncConfig,
}

impl<S, C, Z> std::fmt::Debug for CatalogSync<S, C, Z> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CatalogSync")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The state the plan starts from.
struct Snapshot {
    now: BTreeMap<String, Now>,
    items: HashMap<String, ChannelItem>,
    synced: BTreeMap<String, SyncedItem>,
    quarantined: usize,
}

impl<S: CatalogStore, C: ChannelClient, Z: Sleeper> CatalogSync<S, C, Z> {
    /// Project, quarantine, and remember what each key is now.
    async fn snapshot(&self, channel: Channel, now_ts: i64) -> Result<Snapshot, SyncError> {
        let t = Instant::now();
        let products = self.store.products().await?;
        tracing::info!(%channel, products = products.len(), ms = t.elapsed().as_millis() as u64, "catalog read");
        let mut now = BTreeMap::new();
        let mut items = HashMap::new();
        let mut invalid: BTreeMap<String, QuarantinedItem> = BTreeMap::new();
        for p in products.iter().filter(|p| p.for_sale()) {
            for (key, projection) in self.client.project(p) {
                let problems = match (projection, now.contains_key(&key)) {
                    (_, true) => vec![Problem::new(
                        "id",
                        "duplicate_id",
                        format!("another product already uses the id `{key}` on {channel}"),
                    )],
                    (Ok(item), false) => {
                        now.insert(key.clone(), Now::Valid(item.hashes()));
                        items.insert(key, item);
                        continue;
                    }
                    (Err(problems), false) => problems,
                };
                now.entry(key.clone()).or_insert(Now::Quarantined);
                invalid.insert(
                    key.clone(),
                    QuarantinedItem {
                        key,
                        product_id: p.id.clone(),
                        problems,
                        source: "validation".into(),
                        since: now_ts,
                        hash: None,
                    },
                );
            }
        }
        // A platform's refusal holds the item until its content changes.
        let prior = self.store.quarantined(channel).await?;
        let mut release = Vec::new();
        let mut put: Vec<QuarantinedItem> = Vec::new();
        for q in &prior {
            let held = match (q.source.as_str(), now.get(&q.key)) {
                ("platform", Some(Now::Valid(h))) => q.hash.as_ref() == Some(&h.content),
                ("validation", _) => invalid.contains_key(&q.key),
                _ => false,
            };
            if q.source == "platform" && held {
                now.insert(q.key.clone(), Now::Quarantined);
                items.remove(&q.key);
            } else if !held {
                release.push(q.key.clone());
            }
        }
        let prior_by_key: HashMap<&str, &QuarantinedItem> =
            prior.iter().map(|q| (q.key.as_str(), q)).collect();
        for (key, q) in &invalid {
            match prior_by_key.get(key.as_str()) {
                // Same reasons as before: keep the original `since`.
                Some(old) if old.source == "validation" && old.problems == q.problems => {}
                _ => put.push(q.clone()),
            }
        }
        if !put.is_empty() || !release.is_empty() {
            for q in &put {
                tracing::warn!(
                    %channel, item = %q.key, product = %q.product_id,
                    reasons = ?q.problems.iter().map(|p| format!("{}: {}", p.field, p.code)).collect::<Vec<_>>(),
                    "item quarantined"
                );
            }
            self.store
                .record_quarantine(channel, &put, &release)
                .await?;
        }
        tracing::info!(%channel, ms = t.elapsed().as_millis() as u64, "projected and quarantined");
        let quarantined = now.values().filter(|n| **n == Now::Quarantined).count();
        let synced = self
            .store
            .synced(channel)
            .await?
            .into_iter()
            .map(|s| (s.key.clone(), s))
            .collect();
        Ok(Snapshot {
            now,
            items,
            synced,
            quarantined,
        })
    }

    /// One run: plan, then push batch after batch until done, or until `deadline` (then the run
    /// is `incomplete` and the next invocation resumes it). One run per channel at a time: while
    /// another holds the channel's lease, this answers its run record (`running`) and does nothing.
    pub async fn run(&self, deadline: Option<Instant>) -> Result<SyncRun, SyncError> {
        let channel = self.client.channel();
        let owner = format!("run-{:016x}", rand::random::<u64>());
        let now = self.clock.now_unix();
        let lease = self.config.lease.as_secs() as i64;
        if !self
            .store
            .acquire_sync_lease(channel, &owner, now, lease)
            .await?
        {
            tracing::info!(%channel, "another run of this channel is in progress; not starting");
            return Ok(self.store.run(channel).await?.unwrap_or_else(|| SyncRun {
                status: "running".into(),
                ..SyncRun::default()
            }));
        }
        let result = self.run_leased(channel, deadline).await;
        if let Err(e) = self.store.release_sync_lease(channel, &owner).await {
            // It expires on its own; the next run waits for that.
            tracing::warn!(%channel, error = %e, "could not release the sync lease");
        }
        result
    }

    async fn run_leased(
        &self,
        channel: Channel,
        deadline: Option<Instant>,
    ) -> Result<SyncRun, SyncError> {
        let started = self.clock.now_unix();
        let snap = self.snapshot(channel, started).await?;
        let synced_hashes: BTreeMap<String, Hashes> = snap
            .synced
            .iter()
            .map(|(k, s)| (k.clone(), s.hashes.clone()))
            .collect();
        let plan = diff::plan(&snap.now, &synced_hashes);
        let mut run = match self.store.run(channel).await? {
            Some(r) if r.status == "running" || r.status == "incomplete" => {
                tracing::info!(%channel, run = %r.run_id, done = r.done, "resuming the sync run");
                SyncRun {
                    planned: r.done + plan.len(),
                    status: "running".into(),
                    last_error: None,
                    ..r
                }
            }
            _ => SyncRun {
                run_id: format!("{channel}-{started}-{:08x}", rand::random::<u32>()),
                started_at: started,
                planned: plan.len(),
                status: "running".into(),
                ..SyncRun::default()
            },
        };
        let mut counts: BTreeMap<Action, usize> = BTreeMap::new();
        for (_, a) in &plan {
            *counts.entry(*a).or_default() += 1;
        }
        tracing::info!(%channel, run = %run.run_id, items = snap.now.len(), quarantined = snap.quarantined, plan = ?counts, "sync planned");
        self.store.put_run(channel, &run).await?;

        let size = self.client.batch_size().max(1);
        for batch in plan.chunks(size) {
            if deadline.is_some_and(|d| {
                d.saturating_duration_since(Instant::now()) < self.config.deadline_margin
            }) {
                run.status = "incomplete".into();
                self.store.put_run(channel, &run).await?;
                tracing::info!(%channel, run = %run.run_id, done = run.done, planned = run.planned, "deadline near: run continues next time");
                return Ok(run);
            }
            let ops: Vec<Op> = batch
                .iter()
                .map(|(key, action)| Op {
                    key: key.clone(),
                    action: *action,
                    item: snap.items.get(key).cloned(),
                    synced: snap.synced.get(key).cloned(),
                })
                .collect();
            if let Err(e) = self.push_all(channel, ops, &mut run).await {
                run.status = match &e {
                    SyncError::Push {
                        error: PushError::Throttled { .. },
                        ..
                    } => "incomplete".into(),
                    _ => "failed".into(),
                };
                run.last_error = Some(e.to_string());
                self.store.put_run(channel, &run).await?;
                tracing::error!(%channel, run = %run.run_id, error = %e, "sync run stopped");
                return Err(e);
            }
            run.batches += 1;
            self.store.put_run(channel, &run).await?;
        }
        run.status = "finished".into();
        run.finished_at = Some(self.clock.now_unix());
        self.store.put_run(channel, &run).await?;
        tracing::info!(%channel, run = %run.run_id, done = run.done, batches = run.batches, waited_secs = run.waited_secs, "sync run finished");
        Ok(run)
    }

    /// Push `ops` until every one is done: waiting when throttled, backing off on transient
    /// failures, halving what the platform finds too large.
    async fn push_all(
        &self,
        channel: Channel,
        ops: Vec<Op>,
        run: &mut SyncRun,
    ) -> Result<(), SyncError> {
        let mut work = vec![ops];
        let mut attempts = 0u32;
        // Throttled again and again on the same ops: back off exponentially, with jitter.
        let mut throttles = 0u32;
        while let Some(ops) = work.pop() {
            if ops.is_empty() {
                continue;
            }
            let pushed = self.client.push(ops.clone()).await;
            let done = self.record(channel, &pushed.outcomes, &ops).await?;
            run.done += done.len();
            let remaining: Vec<Op> = ops.into_iter().filter(|o| !done.contains(&o.key)).collect();
            if pushed.pace_secs > 0 {
                self.wait(
                    channel,
                    pushed.pace_secs,
                    run,
                    "usage near the platform's limit",
                )
                .await?;
            }
            if let Some(PushError::Throttled { wait_secs }) = pushed.error {
                throttles += 1;
                let wait = if throttles == 1 {
                    wait_secs
                } else {
                    let base = wait_secs.max(1).saturating_mul(1 << (throttles - 1).min(6));
                    base + rand::random::<u64>() % (base / 4 + 1)
                };
                self.wait(channel, wait, run, "throttled").await?;
            } else if !done.is_empty() {
                throttles = 0;
            }
            if remaining.is_empty() {
                attempts = 0;
                continue;
            }
            match pushed.error {
                None => {
                    return Err(SyncError::Push {
                        channel,
                        error: PushError::Fatal(format!("{} ops had no outcome", remaining.len())),
                    });
                }
                Some(PushError::Throttled { .. }) => work.push(remaining),
                Some(PushError::Transient(e)) => {
                    attempts += 1;
                    if attempts >= self.config.max_attempts {
                        return Err(SyncError::Push {
                            channel,
                            error: PushError::Transient(e),
                        });
                    }
                    let curve = reelcart_domain::retry::Backoff::new(
                        self.config.backoff,
                        self.config.backoff * 64,
                    );
                    tracing::warn!(%channel, attempt = attempts, error = %e, "transient failure; retrying");
                    self.sleeper
                        .sleep(curve.delay(attempts + 1, rand::random()))
                        .await;
                    work.push(remaining);
                }
                Some(PushError::TooLarge) if remaining.len() > 1 => {
                    let mut first = remaining;
                    let second = first.split_off(first.len() / 2);
                    work.push(second);
                    work.push(first);
                }
                Some(PushError::TooLarge) => {
                    // One item alone is too large: it is the item, not the batch.
                    let refused: Vec<Outcome> = remaining
                        .iter()
                        .map(|o| Outcome::Refused {
                            key: o.key.clone(),
                            problems: vec![Problem::new(
                                "item",
                                "too_large",
                                "the platform refused the item as too large",
                            )],
                        })
                        .collect();
                    let done = self.record(channel, &refused, &remaining).await?;
                    run.done += done.len();
                }
                Some(error) => return Err(SyncError::Push { channel, error }),
            }
        }
        Ok(())
    }

    async fn wait(
        &self,
        channel: Channel,
        secs: u64,
        run: &mut SyncRun,
        why: &str,
    ) -> Result<(), SyncError> {
        if Duration::from_secs(secs) > self.config.max_wait {
            return Err(SyncError::Push {
                channel,
                error: PushError::Throttled { wait_secs: secs },
            });
        }
        tracing::info!(%channel, wait_secs = secs, why, "waiting for the platform's rate limit");
        run.waited_secs += secs;
        self.sleeper.sleep(Duration::from_secs(secs)).await;
        Ok(())
    }

    /// Store outcomes; the keys they cover.
    async fn record(
        &self,
        channel: Channel,
        outcomes: &[Outcome],
        ops: &[Op],
    ) -> Result<Vec<String>, SyncError> {
        let now = self.clock.now_unix();
        let mut put = Vec::new();
        let mut remove = Vec::new();
        let mut refused = Vec::new();
        let mut keys = Vec::new();
        for o in outcomes {
            match o {
                Outcome::Synced(s) => {
                    keys.push(s.key.clone());
                    put.push(s.clone());
                }
                Outcome::Removed(k) => {
                    keys.push(k.clone());
                    remove.push(k.clone());
                }
                Outcome::Refused { key, problems } => {
                    keys.push(key.clone());
                    tracing::warn!(%channel, item = %key, ?problems, "the platform refused an item");
                    refused.push((key.clone(), problems.clone()));
                }
            }
        }
        if !put.is_empty() || !remove.is_empty() {
            self.store.record_synced(channel, &put, &remove).await?;
        }
        if !refused.is_empty() {
            let items: Vec<QuarantinedItem> = refused
                .into_iter()
                .map(|(key, problems)| {
                    let item = ops
                        .iter()
                        .find(|o| o.key == key)
                        .and_then(|o| o.item.as_ref());
                    QuarantinedItem {
                        hash: item.map(|i| i.hashes().content),
                        product_id: match item {
                            Some(ChannelItem::Meta(m)) => m.item_group_id.clone(),
                            _ => key.clone(),
                        },
                        key,
                        problems,
                        source: "platform".into(),
                        since: now,
                    }
                })
                .collect();
            self.store.record_quarantine(channel, &items, &[]).await?;
        }
        Ok(keys)
    }
}
