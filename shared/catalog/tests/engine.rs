//! The sync engine over the in-memory catalog and a fake channel that keeps remote state and
//! fails on cue: only real changes are sent, quarantine holds and releases, throttling waits,
//! deadlines stop and resume without repeats, refusals hold until the content changes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reelcart_catalog::*;
use reelcart_domain::FixedClock;
use reelcart_domain::catalog::diff::Action;
use reelcart_domain::catalog::{Channel, Problem, Product, Projection};
use reelcart_ports::memory::MemoryCatalog;
use reelcart_ports::{CatalogStore, SyncedItem};
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Remote state, and a script of failures: `(after_ops, error)` makes the next push stop with
/// `error` after doing `after_ops` ops.
#[derive(Default)]
struct FakeChannel {
    remote: Mutex<BTreeMap<String, ChannelItem>>,
    sent: Mutex<Vec<(String, Action)>>,
    script: Mutex<VecDeque<(usize, PushError)>>,
    refuse: Mutex<Vec<String>>,
    pushes: AtomicUsize,
    batch: usize,
}

impl ChannelClient for FakeChannel {
    fn channel(&self) -> Channel {
        Channel::Meta
    }
    fn batch_size(&self) -> usize {
        self.batch
    }
    fn project(&self, p: &Product) -> Vec<(String, Projection<ChannelItem>)> {
        reelcart_domain::catalog::meta::project(p)
            .into_iter()
            .map(|(k, r)| (k, r.map(ChannelItem::Meta)))
            .collect()
    }
    async fn push(&self, ops: Vec<Op>) -> Pushed {
        // A platform call takes time: the run can be interrupted here.
        tokio::task::yield_now().await;
        self.pushes.fetch_add(1, Ordering::SeqCst);
        let scripted = self.script.lock().unwrap().pop_front();
        let limit = scripted.as_ref().map_or(ops.len(), |(n, _)| *n);
        let mut out = Pushed::default();
        for op in ops.into_iter().take(limit) {
            self.sent.lock().unwrap().push((op.key.clone(), op.action));
            if self.refuse.lock().unwrap().contains(&op.key) {
                out.outcomes.push(Outcome::Refused {
                    key: op.key,
                    problems: vec![Problem::new(
                        "image_link",
                        "platform_rejected",
                        "image could not be downloaded",
                    )],
                });
                continue;
            }
            match op.item {
                Some(item) => {
                    let hashes = item.hashes();
                    self.remote.lock().unwrap().insert(op.key.clone(), item);
                    out.outcomes.push(Outcome::Synced(SyncedItem {
                        key: op.key,
                        hashes,
                        remote_id: None,
                        remote_skus: BTreeMap::new(),
                        synced_at: 0,
                    }));
                }
                None => {
                    self.remote.lock().unwrap().remove(&op.key);
                    out.outcomes.push(Outcome::Removed(op.key));
                }
            }
        }
        out.error = scripted.map(|(_, e)| e);
        out
    }
}

#[derive(Default)]
struct Recorded(Mutex<Vec<Duration>>);
impl Sleeper for Recorded {
    async fn sleep(&self, d: Duration) {
        self.0.lock().unwrap().push(d);
    }
}

fn product(i: usize) -> Product {
    let mut p = reelcart_ports::contract::sample_product("c", i);
    p.images[0].width = 800;
    p.images[0].height = 800;
    p
}

struct T {
    store: MemoryCatalog,
    channel: Arc<FakeChannel>,
    slept: Arc<Recorded>,
}

impl T {
    fn new(batch: usize) -> Self {
        Self {
            store: MemoryCatalog::default(),
            channel: Arc::new(FakeChannel {
                batch,
                ..FakeChannel::default()
            }),
            slept: Arc::new(Recorded::default()),
        }
    }
    fn sync(&self) -> CatalogSync<MemoryCatalog, Arc<FakeChannel>, Arc<Recorded>> {
        self.sync_at(1_700_000_000)
    }
    fn sync_at(&self, now: i64) -> CatalogSync<MemoryCatalog, Arc<FakeChannel>, Arc<Recorded>> {
        CatalogSync {
            store: self.store.clone(),
            client: self.channel.clone(),
            sleeper: self.slept.clone(),
            clock: std::sync::Arc::new(FixedClock::at(now)),
            config: SyncConfig {
                backoff: Duration::from_millis(1),
                ..SyncConfig::default()
            },
        }
    }
    fn sent(&self) -> Vec<(String, Action)> {
        std::mem::take(&mut *self.channel.sent.lock().unwrap())
    }
    /// The remote holds exactly the valid items of the catalog.
    async fn assert_remote_matches(&self, expect: usize) {
        let remote = self.channel.remote.lock().unwrap().clone();
        assert_eq!(remote.len(), expect);
        for p in self.store.products().await.unwrap() {
            for (k, item) in self.channel.project(&p) {
                if let Ok(item) = item {
                    assert_eq!(remote.get(&k), Some(&item), "{k}");
                }
            }
        }
    }
}

#[tokio::test]
async fn only_real_changes_are_sent_and_broken_products_are_quarantined() {
    let t = T::new(10);
    let mut products: Vec<Product> = (0..30).map(product).collect();
    products[5].variants[0].mpn = None; // no GTIN, no MPN → identifier_missing
    t.store.put_products(&products).await.unwrap();
    let run = t.sync().run(None).await.unwrap();
    assert_eq!(
        (run.status.as_str(), run.planned, run.done),
        ("finished", 29, 29)
    );
    assert_eq!(t.sent().len(), 29);
    t.assert_remote_matches(29).await;
    let q = t.store.quarantined(Channel::Meta).await.unwrap();
    assert_eq!(q.len(), 1);
    assert_eq!(q[0].problems[0].code, "identifier_missing");
    assert_eq!(q[0].product_id, products[5].id);

    // Nothing changed: nothing sent.
    let run = t.sync().run(None).await.unwrap();
    assert_eq!((run.planned, t.sent().len()), (0, 0));

    // One price change, one deletion, the broken one fixed.
    let mut changed = products[7].clone();
    changed.variants[0].price.amount = "24.50".parse().unwrap();
    let mut fixed = products[5].clone();
    fixed.variants[0].mpn = Some("M5".into());
    t.store.put_products(&[changed, fixed]).await.unwrap();
    t.store
        .delete_products(&[products[9].id.clone()])
        .await
        .unwrap();
    t.sync().run(None).await.unwrap();
    let mut sent = t.sent();
    sent.sort();
    assert_eq!(
        sent,
        vec![
            ("c-SKU-00005".to_string(), Action::Create),
            ("c-SKU-00007".to_string(), Action::Update),
            ("c-SKU-00009".to_string(), Action::Delete),
        ]
    );
    assert!(
        t.store.quarantined(Channel::Meta).await.unwrap().is_empty(),
        "released once fixed"
    );
    t.assert_remote_matches(29).await;
}

#[tokio::test]
async fn throttling_and_transient_failures_wait_retry_and_lose_nothing() {
    let t = T::new(10);
    t.store
        .put_products(&(0..40).map(product).collect::<Vec<_>>())
        .await
        .unwrap();
    t.channel.script.lock().unwrap().extend([
        (3, PushError::Throttled { wait_secs: 120 }),
        (0, PushError::Transient("502 Bad Gateway".into())),
        (7, PushError::TooLarge),
    ]);
    let run = t.sync().run(None).await.unwrap();
    assert_eq!(run.status, "finished");
    assert_eq!(run.waited_secs, 120);
    assert!(
        t.slept
            .0
            .lock()
            .unwrap()
            .contains(&Duration::from_secs(120))
    );
    let sent = t.sent();
    assert_eq!(sent.len(), 40, "each item sent exactly once");
    t.assert_remote_matches(40).await;
}

#[tokio::test]
async fn a_run_stopped_at_its_deadline_is_resumed_without_repeats() {
    let t = T::new(5);
    t.store
        .put_products(&(0..23).map(product).collect::<Vec<_>>())
        .await
        .unwrap();
    // A deadline already inside the margin: stops before the first batch.
    let stopped = t.sync().run(Some(Instant::now())).await.unwrap();
    assert_eq!((stopped.status.as_str(), stopped.done), ("incomplete", 0));
    // Two batches in, the process dies (the future is dropped mid-run).
    {
        let sync = t.sync();
        let fut = sync.run(None);
        tokio::pin!(fut);
        // Poll until two pushes happened, then drop.
        loop {
            tokio::select! {
                _ = &mut fut => panic!("finished too early"),
                _ = tokio::task::yield_now() => {}
            }
            if t.channel.pushes.load(Ordering::SeqCst) >= 2 {
                break;
            }
        }
    }
    let before = t.sent().len();
    assert!((5..23).contains(&before), "{before}");
    // The killed run still holds the channel's lease: a run now does nothing ...
    let busy = t.sync().run(None).await.unwrap();
    assert_eq!(busy.status, "running");
    assert!(t.sent().is_empty());
    // ... until the lease expires; the next run resumes.
    let run = t.sync_at(1_700_000_000 + 901).run(None).await.unwrap();
    assert_eq!(run.status, "finished");
    assert_eq!(run.run_id, stopped.run_id, "the same run, resumed");
    let after = t.sent();
    assert_eq!(before + after.len(), 23, "nothing sent twice");
    assert!(after.iter().all(|(_, a)| *a == Action::Create));
    t.assert_remote_matches(23).await;
}

#[tokio::test]
async fn a_platform_refusal_is_held_until_the_content_changes() {
    let t = T::new(10);
    let products: Vec<Product> = (0..3).map(product).collect();
    t.store.put_products(&products).await.unwrap();
    t.channel.refuse.lock().unwrap().push("c-SKU-00001".into());
    t.sync().run(None).await.unwrap();
    assert_eq!(t.sent().len(), 3);
    let q = t.store.quarantined(Channel::Meta).await.unwrap();
    assert_eq!((q.len(), q[0].source.as_str()), (1, "platform"));
    // Unchanged: not sent again.
    t.sync().run(None).await.unwrap();
    assert!(t.sent().is_empty());
    // Changed: sent again (and accepted now).
    t.channel.refuse.lock().unwrap().clear();
    let mut p = products[1].clone();
    p.title = "New title".into();
    t.store.put_products(&[p]).await.unwrap();
    t.sync().run(None).await.unwrap();
    assert_eq!(t.sent(), vec![("c-SKU-00001".to_string(), Action::Create)]);
    assert!(t.store.quarantined(Channel::Meta).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_connection_needing_attention_fails_the_run_and_keeps_what_was_done() {
    let t = T::new(4);
    t.store
        .put_products(&(0..10).map(product).collect::<Vec<_>>())
        .await
        .unwrap();
    t.channel
        .script
        .lock()
        .unwrap()
        .extend([(0, PushError::Auth("needs_reauth".into()))]);
    // First batch fails at once.
    let err = t.sync().run(None).await.unwrap_err();
    assert!(err.to_string().contains("needs attention"), "{err}");
    let run = t.store.run(Channel::Meta).await.unwrap().unwrap();
    assert_eq!(run.status, "failed");
    // Later (reconnected), a new run does it all.
    let run = t.sync().run(None).await.unwrap();
    assert_eq!((run.status.as_str(), run.done), ("finished", 10));
}

#[tokio::test]
async fn two_runs_of_one_channel_never_overlap() {
    let t = T::new(5);
    t.store
        .put_products(&(0..20).map(product).collect::<Vec<_>>())
        .await
        .unwrap();
    let (first, second) = (t.sync(), t.sync());
    let (a, b) = tokio::join!(first.run(None), second.run(None));
    let (a, b) = (a.unwrap(), b.unwrap());
    // One did the work; the other saw it running and did nothing.
    assert_eq!(t.sent().len(), 20, "each item sent once");
    assert!(
        (a.status == "finished") ^ (b.status == "finished"),
        "{} / {}",
        a.status,
        b.status
    );
    // The lease is given back: the next run starts.
    let run = t.sync().run(None).await.unwrap();
    assert_eq!((run.status.as_str(), run.planned), ("finished", 0));
}

#[tokio::test]
async fn repeated_throttling_backs_off_exponentially() {
    let t = T::new(10);
    t.store
        .put_products(&(0..10).map(product).collect::<Vec<_>>())
        .await
        .unwrap();
    // Three throttled answers in a row with nothing done, each saying "2 s".
    t.channel.script.lock().unwrap().extend([
        (0, PushError::Throttled { wait_secs: 2 }),
        (0, PushError::Throttled { wait_secs: 2 }),
        (0, PushError::Throttled { wait_secs: 2 }),
    ]);
    let run = t.sync().run(None).await.unwrap();
    assert_eq!(run.status, "finished");
    let waits: Vec<u64> = t
        .slept
        .0
        .lock()
        .unwrap()
        .iter()
        .map(|d| d.as_secs())
        .collect();
    assert_eq!(waits[0], 2, "the platform's own figure first");
    assert!((4..=5).contains(&waits[1]), "{waits:?}");
    assert!((8..=10).contains(&waits[2]), "{waits:?}");
    assert_eq!(t.sent().len(), 10);
}
