//! In-memory fakes of every port, with the same semantics as the AWS adapters (the contract suites
//! check both).

use crate::{
    BlobStore, CatalogStore, Claim, ConnectionStore, ContentStore, DataKey, EventBus, EventStore,
    IdempotencyStore, KeyService, MediaRecords, MessageQueue, Page, PendingAuthorization,
    PendingAuthorizations, PortError, PortResult, QuarantinedItem, SecretSource, StoredConnection,
    StoredEvent, SyncRun, SyncedItem, status_sort_key,
};
use bytes::Bytes;
use reelcart_domain::catalog::{Channel, Product};
use secrecy::{SecretSlice, SecretString};
use std::collections::BTreeMap;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock only happens in a failing test; keep the data usable.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
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
            None => Err(PortError::new("idempotency.complete", "no claim for key")),
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

/// A queue that keeps what was sent. `fail_sends` simulates an outage.
#[derive(Debug, Default)]
pub struct MemoryQueue {
    messages: Mutex<Vec<String>>,
    next_id: AtomicU64,
    pub fail_sends: AtomicBool,
}

impl MemoryQueue {
    pub fn messages(&self) -> Vec<String> {
        lock(&self.messages).clone()
    }
}

impl MessageQueue for MemoryQueue {
    async fn send(&self, body: &str) -> PortResult<String> {
        if self.fail_sends.load(Ordering::SeqCst) {
            return Err(PortError::new("queue.send", "simulated outage"));
        }
        lock(&self.messages).push(body.to_string());
        Ok(format!(
            "mem-{}",
            self.next_id.fetch_add(1, Ordering::SeqCst)
        ))
    }
}

#[derive(Debug, Default)]
pub struct MemoryEvents {
    items: Mutex<HashMap<String, StoredEvent>>,
    pub fail_inserts: AtomicBool,
}

impl MemoryEvents {
    pub fn all(&self) -> Vec<StoredEvent> {
        lock(&self.items).values().cloned().collect()
    }
}

impl EventStore for MemoryEvents {
    async fn get(&self, id: &str) -> PortResult<Option<StoredEvent>> {
        Ok(lock(&self.items).get(id).cloned())
    }

    async fn insert(&self, event: &StoredEvent) -> PortResult<bool> {
        if self.fail_inserts.load(Ordering::SeqCst) {
            return Err(PortError::new("events.insert", "simulated outage"));
        }
        let mut items = lock(&self.items);
        if items.contains_key(&event.event.id) {
            return Ok(false);
        }
        items.insert(event.event.id.clone(), event.clone());
        Ok(true)
    }

    async fn list_by_kind(&self, kind: &str, limit: usize) -> PortResult<Vec<StoredEvent>> {
        let mut out: Vec<StoredEvent> = lock(&self.items)
            .values()
            .filter(|e| e.event.kind.as_str() == kind)
            .cloned()
            .collect();
        out.sort_by(|a, b| {
            (b.event.received_at, &b.event.id).cmp(&(a.event.received_at, &a.event.id))
        });
        out.truncate(limit);
        Ok(out)
    }
}

#[derive(Debug, Default)]
pub struct MemoryBlobs {
    items: Mutex<HashMap<String, (Bytes, String)>>,
}

impl MemoryBlobs {
    pub fn content_type(&self, key: &str) -> Option<String> {
        lock(&self.items).get(key).map(|(_, ct)| ct.clone())
    }

    /// Every key stored, sorted.
    pub fn keys(&self) -> Vec<String> {
        let mut k: Vec<String> = lock(&self.items).keys().cloned().collect();
        k.sort();
        k
    }
}

impl BlobStore for MemoryBlobs {
    async fn put(&self, key: &str, bytes: Bytes, content_type: &str) -> PortResult<()> {
        lock(&self.items).insert(key.to_string(), (bytes, content_type.to_string()));
        Ok(())
    }

    async fn get(&self, key: &str) -> PortResult<Option<Bytes>> {
        Ok(lock(&self.items).get(key).map(|(b, _)| b.clone()))
    }
}

#[derive(Debug, Default)]
pub struct MemorySecrets {
    items: Mutex<HashMap<String, String>>,
}

impl MemorySecrets {
    pub fn set(&self, id: &str, value: &str) {
        lock(&self.items).insert(id.to_string(), value.to_string());
    }
}

impl SecretSource for MemorySecrets {
    async fn secret(&self, id: &str) -> PortResult<SecretString> {
        lock(&self.items)
            .get(id)
            .map(|v| SecretString::from(v.clone()))
            .ok_or_else(|| PortError::new("secrets.get", format!("no secret `{id}`")))
    }
}

type WrappedKey = (String, Vec<u8>);

/// A key service holding its master keys in memory. Wrapped keys are opaque random handles, as
/// KMS ciphertext blobs are to their holder.
#[derive(Debug, Default)]
pub struct MemoryKeys {
    key_ids: Mutex<Vec<String>>,
    /// wrapped handle → (key id, plaintext data key)
    wrapped: Mutex<HashMap<Vec<u8>, WrappedKey>>,
    pub calls: AtomicU64,
}

impl MemoryKeys {
    pub fn with_keys(ids: &[&str]) -> Self {
        let keys = Self::default();
        lock(&keys.key_ids).extend(ids.iter().map(|s| s.to_string()));
        keys
    }
}

impl KeyService for MemoryKeys {
    async fn generate_data_key(&self, key_id: &str) -> PortResult<DataKey> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if !lock(&self.key_ids).iter().any(|k| k == key_id) {
            return Err(PortError::new(
                "keys.generate",
                format!("no key `{key_id}`"),
            ));
        }
        let plaintext: [u8; 32] = rand::random();
        let handle: [u8; 48] = {
            let mut h = [0u8; 48];
            rand::fill(&mut h[..]);
            h
        };
        lock(&self.wrapped).insert(handle.to_vec(), (key_id.to_string(), plaintext.to_vec()));
        Ok(DataKey {
            key_id: key_id.to_string(),
            plaintext: SecretSlice::from(plaintext.to_vec()),
            wrapped: handle.to_vec(),
        })
    }

    async fn decrypt_data_key(&self, wrapped: &[u8]) -> PortResult<DataKey> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let (key_id, plaintext) = lock(&self.wrapped)
            .get(wrapped)
            .cloned()
            .ok_or_else(|| PortError::new("keys.decrypt", "invalid ciphertext"))?;
        Ok(DataKey {
            key_id,
            plaintext: SecretSlice::from(plaintext),
            wrapped: wrapped.to_vec(),
        })
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

/// An event bus that keeps what was published.
#[derive(Debug, Default)]
pub struct MemoryEventBus {
    events: Mutex<Vec<(String, serde_json::Value)>>,
}

impl MemoryEventBus {
    pub fn published(&self) -> Vec<(String, serde_json::Value)> {
        lock(&self.events).clone()
    }
}

impl EventBus for MemoryEventBus {
    async fn publish(&self, detail_type: &str, detail: &serde_json::Value) -> PortResult<()> {
        lock(&self.events).push((detail_type.to_string(), detail.clone()));
        Ok(())
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

#[derive(Debug, Default)]
struct CatalogState {
    products: BTreeMap<String, Product>,
    synced: BTreeMap<(Channel, String), SyncedItem>,
    quarantined: BTreeMap<(Channel, String), QuarantinedItem>,
    runs: BTreeMap<Channel, SyncRun>,
    leases: BTreeMap<Channel, (String, i64)>,
}

/// The catalog and its sync state in memory.
#[derive(Debug, Default, Clone)]
pub struct MemoryCatalog {
    state: Arc<Mutex<CatalogState>>,
}

impl CatalogStore for MemoryCatalog {
    async fn put_products(&self, products: &[Product]) -> PortResult<()> {
        let mut s = lock(&self.state);
        for p in products {
            s.products.insert(p.id.clone(), p.clone());
        }
        Ok(())
    }

    async fn delete_products(&self, ids: &[String]) -> PortResult<()> {
        let mut s = lock(&self.state);
        for id in ids {
            s.products.remove(id);
        }
        Ok(())
    }

    async fn products(&self) -> PortResult<Vec<Product>> {
        Ok(lock(&self.state).products.values().cloned().collect())
    }

    async fn synced(&self, channel: Channel) -> PortResult<Vec<SyncedItem>> {
        Ok(lock(&self.state)
            .synced
            .iter()
            .filter(|((c, _), _)| *c == channel)
            .map(|(_, v)| v.clone())
            .collect())
    }

    async fn record_synced(
        &self,
        channel: Channel,
        put: &[SyncedItem],
        remove: &[String],
    ) -> PortResult<()> {
        let mut s = lock(&self.state);
        for item in put {
            s.synced.insert((channel, item.key.clone()), item.clone());
        }
        for key in remove {
            s.synced.remove(&(channel, key.clone()));
        }
        Ok(())
    }

    async fn quarantined(&self, channel: Channel) -> PortResult<Vec<QuarantinedItem>> {
        Ok(lock(&self.state)
            .quarantined
            .iter()
            .filter(|((c, _), _)| *c == channel)
            .map(|(_, v)| v.clone())
            .collect())
    }

    async fn record_quarantine(
        &self,
        channel: Channel,
        put: &[QuarantinedItem],
        release: &[String],
    ) -> PortResult<()> {
        let mut s = lock(&self.state);
        for item in put {
            s.quarantined
                .insert((channel, item.key.clone()), item.clone());
        }
        for key in release {
            s.quarantined.remove(&(channel, key.clone()));
        }
        Ok(())
    }

    async fn run(&self, channel: Channel) -> PortResult<Option<SyncRun>> {
        Ok(lock(&self.state).runs.get(&channel).cloned())
    }

    async fn put_run(&self, channel: Channel, run: &SyncRun) -> PortResult<()> {
        lock(&self.state).runs.insert(channel, run.clone());
        Ok(())
    }

    async fn acquire_sync_lease(
        &self,
        channel: Channel,
        owner: &str,
        now: i64,
        lease_secs: i64,
    ) -> PortResult<bool> {
        let mut s = lock(&self.state);
        match s.leases.get(&channel) {
            Some((holder, until)) if holder != owner && *until >= now => Ok(false),
            _ => {
                s.leases
                    .insert(channel, (owner.to_string(), now + lease_secs));
                Ok(true)
            }
        }
    }

    async fn release_sync_lease(&self, channel: Channel, owner: &str) -> PortResult<()> {
        let mut s = lock(&self.state);
        if s.leases
            .get(&channel)
            .is_some_and(|(holder, _)| holder == owner)
        {
            s.leases.remove(&channel);
        }
        Ok(())
    }
}

/// Media records in memory, with the same conditions as the DynamoDB adapter.
#[derive(Debug, Default, Clone)]
pub struct MemoryMediaRecords {
    records: Arc<Mutex<BTreeMap<String, reelcart_domain::video::MediaRecord>>>,
}

impl MediaRecords for MemoryMediaRecords {
    async fn get(&self, item_id: &str) -> PortResult<Option<reelcart_domain::video::MediaRecord>> {
        Ok(lock(&self.records).get(item_id).cloned())
    }

    async fn begin(
        &self,
        record: &reelcart_domain::video::MediaRecord,
        now: i64,
    ) -> PortResult<bool> {
        let mut records = lock(&self.records);
        if records.get(&record.item_id).is_some_and(|r| r.busy_at(now)) {
            return Ok(false);
        }
        records.insert(record.item_id.clone(), record.clone());
        Ok(true)
    }

    async fn finish(&self, record: &reelcart_domain::video::MediaRecord) -> PortResult<bool> {
        let mut records = lock(&self.records);
        if records
            .get(&record.item_id)
            .is_some_and(|r| r.attempts != record.attempts)
        {
            return Ok(false);
        }
        records.insert(record.item_id.clone(), record.clone());
        Ok(true)
    }
}

#[derive(Debug, Default)]
struct ContentState {
    items: BTreeMap<String, reelcart_domain::content::UgcItem>,
    audit: BTreeMap<String, Vec<reelcart_domain::content::AuditEntry>>,
    rights: BTreeMap<(String, String), reelcart_domain::content::Rights>,
    mappings: BTreeMap<(String, String, String), reelcart_domain::content::ProductMapping>,
    blocklist: reelcart_domain::content::blocklist::Blocklist,
    requests: BTreeMap<(String, String), reelcart_domain::content::rights_request::RightsRequest>,
    hashtags: reelcart_domain::content::hashtag_budget::HashtagBudget,
}

/// Content in memory, with the same conditions and orders as the DynamoDB adapter.
#[derive(Debug, Default, Clone)]
pub struct MemoryContent {
    state: Arc<Mutex<ContentState>>,
}

impl ContentStore for MemoryContent {
    async fn create_item(&self, item: &reelcart_domain::content::UgcItem) -> PortResult<bool> {
        let mut s = lock(&self.state);
        if s.items.contains_key(&item.id) {
            return Ok(false);
        }
        s.items.insert(item.id.clone(), item.clone());
        Ok(true)
    }

    async fn item(&self, id: &str) -> PortResult<Option<reelcart_domain::content::UgcItem>> {
        Ok(lock(&self.state).items.get(id).cloned())
    }

    async fn items_by_status(
        &self,
        status: reelcart_domain::content::Status,
        limit: usize,
        cursor: Option<&str>,
    ) -> PortResult<Page<reelcart_domain::content::UgcItem>> {
        let s = lock(&self.state);
        let mut items: Vec<(String, reelcart_domain::content::UgcItem)> = s
            .items
            .values()
            .filter(|i| i.status == status)
            .map(|i| (status_sort_key(i), i.clone()))
            .filter(|(k, _)| cursor.is_none_or(|c| k.as_str() > c))
            .collect();
        items.sort_by(|a, b| a.0.cmp(&b.0));
        let more = items.len() > limit;
        items.truncate(limit);
        let cursor = if more {
            items.last().map(|(k, _)| k.clone())
        } else {
            None
        };
        Ok(Page {
            items: items.into_iter().map(|(_, i)| i).collect(),
            cursor,
        })
    }

    async fn items_by_creator(
        &self,
        creator_id: &str,
        limit: usize,
    ) -> PortResult<Vec<reelcart_domain::content::UgcItem>> {
        let mut v: Vec<_> = lock(&self.state)
            .items
            .values()
            .filter(|i| {
                i.source == reelcart_domain::content::Source::Upload
                    && i.author.creator_id.as_deref() == Some(creator_id)
            })
            .cloned()
            .collect();
        v.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
        v.truncate(limit);
        Ok(v)
    }

    async fn record_transition(
        &self,
        item: &reelcart_domain::content::UgcItem,
        entry: &reelcart_domain::content::AuditEntry,
    ) -> PortResult<bool> {
        let mut s = lock(&self.state);
        if s.items.get(&item.id).map(|i| i.status) != Some(entry.from) {
            return Ok(false);
        }
        s.items.insert(item.id.clone(), item.clone());
        s.audit
            .entry(item.id.clone())
            .or_default()
            .push(entry.clone());
        Ok(true)
    }

    async fn audit(&self, item_id: &str) -> PortResult<Vec<reelcart_domain::content::AuditEntry>> {
        let mut v = lock(&self.state)
            .audit
            .get(item_id)
            .cloned()
            .unwrap_or_default();
        v.sort_by_key(|e| e.at);
        Ok(v)
    }

    async fn put_rights(&self, rights: &reelcart_domain::content::Rights) -> PortResult<()> {
        lock(&self.state)
            .rights
            .insert((rights.item_id.clone(), rights.id.clone()), rights.clone());
        Ok(())
    }

    async fn rights(&self, item_id: &str) -> PortResult<Vec<reelcart_domain::content::Rights>> {
        Ok(lock(&self.state)
            .rights
            .iter()
            .filter(|((i, _), _)| i == item_id)
            .map(|(_, r)| r.clone())
            .collect())
    }

    async fn put_mapping(
        &self,
        item_id: &str,
        mapping: &reelcart_domain::content::ProductMapping,
    ) -> PortResult<()> {
        lock(&self.state).mappings.insert(
            (
                item_id.to_string(),
                mapping.placement.clone(),
                mapping.sku.clone(),
            ),
            mapping.clone(),
        );
        Ok(())
    }

    async fn delete_mapping(&self, item_id: &str, placement: &str, sku: &str) -> PortResult<bool> {
        Ok(lock(&self.state)
            .mappings
            .remove(&(item_id.to_string(), placement.to_string(), sku.to_string()))
            .is_some())
    }

    async fn mappings(
        &self,
        item_id: &str,
    ) -> PortResult<Vec<reelcart_domain::content::ProductMapping>> {
        Ok(lock(&self.state)
            .mappings
            .iter()
            .filter(|((i, _, _), _)| i == item_id)
            .map(|(_, m)| m.clone())
            .collect())
    }

    async fn blocklist(&self) -> PortResult<reelcart_domain::content::blocklist::Blocklist> {
        Ok(lock(&self.state).blocklist.clone())
    }

    async fn put_blocklist(
        &self,
        blocklist: &reelcart_domain::content::blocklist::Blocklist,
    ) -> PortResult<()> {
        lock(&self.state).blocklist = blocklist.clone();
        Ok(())
    }

    async fn put_rights_request(
        &self,
        request: &reelcart_domain::content::rights_request::RightsRequest,
    ) -> PortResult<()> {
        lock(&self.state).requests.insert(
            (request.item_id.clone(), request.id.clone()),
            request.clone(),
        );
        Ok(())
    }

    async fn rights_requests(
        &self,
        item_id: &str,
    ) -> PortResult<Vec<reelcart_domain::content::rights_request::RightsRequest>> {
        Ok(lock(&self.state)
            .requests
            .iter()
            .filter(|((i, _), _)| i == item_id)
            .map(|(_, r)| r.clone())
            .collect())
    }

    async fn hashtag_budget(
        &self,
    ) -> PortResult<reelcart_domain::content::hashtag_budget::HashtagBudget> {
        Ok(lock(&self.state).hashtags.clone())
    }

    async fn put_hashtag_budget(
        &self,
        budget: &reelcart_domain::content::hashtag_budget::HashtagBudget,
    ) -> PortResult<()> {
        lock(&self.state).hashtags = budget.clone();
        Ok(())
    }
}

/// Records invalidations instead of making them.
#[derive(Debug, Default, Clone)]
pub struct MemoryCdn {
    calls: Arc<Mutex<Vec<Vec<String>>>>,
}

impl MemoryCdn {
    /// Every call's paths, in order.
    pub fn calls(&self) -> Vec<Vec<String>> {
        lock(&self.calls).clone()
    }
}

impl crate::CdnInvalidator for MemoryCdn {
    async fn invalidate(&self, paths: &[String]) -> PortResult<String> {
        let mut calls = lock(&self.calls);
        calls.push(paths.to_vec());
        Ok(format!("memory-{}", calls.len()))
    }
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
    codes: BTreeMap<String, reelcart_domain::attribution::CreatorCode>,
    /// Aggregate and total writes made (what the DynamoDB adapter would send).
    pub writes: u64,
    /// Make `add` fail (an outage).
    fail_adds: bool,
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
            return Err(PortError::new("analytics.add", "simulated outage"));
        }
        for d in deltas {
            add_delta(&mut s, d);
        }
        s.writes += deltas.len() as u64 + distinct_contents(deltas);
        Ok(())
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
        deltas: &[reelcart_domain::attribution::AggDelta],
    ) -> PortResult<bool> {
        let mut s = lock(&self.state);
        let stored = s.ledgers.get(&ledger.order.id).map_or(0, |(_, v)| *v);
        if stored != version {
            return Ok(false);
        }
        s.ledgers
            .insert(ledger.order.id.clone(), (ledger.clone(), version + 1));
        for d in deltas {
            add_delta(&mut s, d);
        }
        s.writes += deltas.len() as u64 + distinct_contents(deltas);
        Ok(true)
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

type CreatorsState = (
    BTreeMap<String, reelcart_domain::creator::Creator>,
    BTreeMap<String, reelcart_domain::creator::Link>,
    BTreeMap<(String, String), reelcart_domain::creator::ProductRequest>,
);

/// Creators and links in memory.
#[derive(Debug, Default, Clone)]
pub struct MemoryCreators {
    state: Arc<Mutex<CreatorsState>>,
}

impl crate::CreatorStore for MemoryCreators {
    async fn creator(&self, id: &str) -> PortResult<Option<reelcart_domain::creator::Creator>> {
        Ok(lock(&self.state).0.get(id).cloned())
    }

    async fn put_creator(&self, creator: &reelcart_domain::creator::Creator) -> PortResult<()> {
        lock(&self.state)
            .0
            .insert(creator.id.clone(), creator.clone());
        Ok(())
    }

    async fn put_link(&self, link: &reelcart_domain::creator::Link) -> PortResult<()> {
        lock(&self.state).1.insert(link.id.clone(), link.clone());
        Ok(())
    }

    async fn link(&self, id: &str) -> PortResult<Option<reelcart_domain::creator::Link>> {
        Ok(lock(&self.state).1.get(id).cloned())
    }

    async fn links(&self, creator_id: &str) -> PortResult<Vec<reelcart_domain::creator::Link>> {
        let mut v: Vec<_> = lock(&self.state)
            .1
            .values()
            .filter(|l| l.creator_id == creator_id)
            .cloned()
            .collect();
        v.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(v)
    }

    async fn creators(&self) -> PortResult<Vec<reelcart_domain::creator::Creator>> {
        Ok(lock(&self.state).0.values().cloned().collect())
    }

    async fn put_product_request(
        &self,
        request: &reelcart_domain::creator::ProductRequest,
        expected: Option<reelcart_domain::creator::RequestStatus>,
    ) -> PortResult<bool> {
        let mut s = lock(&self.state);
        let key = (request.creator_id.clone(), request.id.clone());
        if s.2.get(&key).map(|r| r.status) != expected {
            return Ok(false);
        }
        s.2.insert(key, request.clone());
        Ok(true)
    }

    async fn product_request(
        &self,
        creator_id: &str,
        id: &str,
    ) -> PortResult<Option<reelcart_domain::creator::ProductRequest>> {
        Ok(lock(&self.state)
            .2
            .get(&(creator_id.to_string(), id.to_string()))
            .cloned())
    }

    async fn product_requests(
        &self,
        creator_id: Option<&str>,
    ) -> PortResult<Vec<reelcart_domain::creator::ProductRequest>> {
        let mut v: Vec<_> = lock(&self.state)
            .2
            .values()
            .filter(|r| creator_id.is_none_or(|c| r.creator_id == c))
            .cloned()
            .collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(v)
    }
}
