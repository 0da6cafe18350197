//! Ports: the traits Reelcart's handlers depend on.
//!
//! Each port has a real adapter (`reelcart-aws`) and an in-memory fake ([`memory`]). The
//! [`contract`] suites (feature `contract`) run against both, so the fake cannot drift from the
//! real thing.

use bytes::Bytes;
use reelcart_domain::connection::{Connection, Sealed};
use reelcart_domain::event::DomainEvent;
use secrecy::{SecretSlice, SecretString};
use std::future::Future;

#[cfg(any(test, feature = "contract"))]
pub mod contract;
pub mod memory;

/// A failure of the backing service. Handlers log it and answer 500 / fail the record.
#[derive(Debug, thiserror::Error)]
#[error("{operation}: {message}")]
pub struct PortError {
    pub operation: &'static str,
    pub message: String,
}

impl PortError {
    pub fn new(operation: &'static str, message: impl std::fmt::Display) -> Self {
        Self {
            operation,
            message: message.to_string(),
        }
    }
}

pub type PortResult<T> = Result<T, PortError>;

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

/// A queue to send messages to.
pub trait MessageQueue: Send + Sync {
    /// Send one message; returns the queue's message id.
    fn send(&self, body: &str) -> impl Future<Output = PortResult<String>> + Send;
}

/// Normalized platform events, one record per event id.
pub trait EventStore: Send + Sync {
    fn get(&self, id: &str) -> impl Future<Output = PortResult<Option<StoredEvent>>> + Send;
    /// Insert unless an event with that id exists; `false` when it did.
    fn insert(&self, event: &StoredEvent) -> impl Future<Output = PortResult<bool>> + Send;
    /// Newest first, events of one kind (`unknown` ones are what an operator looks at).
    fn list_by_kind(
        &self,
        kind: &str,
        limit: usize,
    ) -> impl Future<Output = PortResult<Vec<StoredEvent>>> + Send;
}

/// An event as recorded, with where it was routed.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StoredEvent {
    #[serde(flatten)]
    pub event: DomainEvent,
    /// `orders`, `catalog`, ... or `unrouted`.
    pub routed_to: String,
    pub processed_at: i64,
}

/// Object storage.
pub trait BlobStore: Send + Sync {
    fn put(
        &self,
        key: &str,
        bytes: Bytes,
        content_type: &str,
    ) -> impl Future<Output = PortResult<()>> + Send;
    fn get(&self, key: &str) -> impl Future<Output = PortResult<Option<Bytes>>> + Send;
}

/// Secret values by id (Secrets Manager in AWS).
pub trait SecretSource: Send + Sync {
    fn secret(&self, id: &str) -> impl Future<Output = PortResult<SecretString>> + Send;
}

/// Business events for other systems to react to (EventBridge in AWS).
pub trait EventBus: Send + Sync {
    /// Publish one event; `detail_type` names it (e.g. `Connection Needs Reauthorization`).
    fn publish(
        &self,
        detail_type: &str,
        detail: &serde_json::Value,
    ) -> impl Future<Output = PortResult<()>> + Send;
}

/// A data key from the key service: the plaintext (used once, never stored) and its wrapped form
/// (stored next to the ciphertext), with the id of the key that wrapped it.
#[derive(Debug)]
pub struct DataKey {
    pub key_id: String,
    pub plaintext: SecretSlice<u8>,
    pub wrapped: Vec<u8>,
}

/// Envelope-encryption keys (KMS in AWS).
pub trait KeyService: Send + Sync {
    /// A fresh 256-bit data key wrapped under `key_id`.
    fn generate_data_key(&self, key_id: &str) -> impl Future<Output = PortResult<DataKey>> + Send;
    /// Unwrap a data key; the answer names the key that wrapped it.
    fn decrypt_data_key(&self, wrapped: &[u8]) -> impl Future<Output = PortResult<DataKey>> + Send;
}

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

/// An item as last synced to a channel: the hashes that were sent and the platform's ids.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SyncedItem {
    /// The item's key on the channel (Meta: the SKU / retailer id; TikTok Shop: the product id).
    pub key: String,
    pub hashes: reelcart_domain::catalog::diff::Hashes,
    /// The platform's id (TikTok Shop `product_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote_id: Option<String>,
    /// seller_sku → the platform's SKU id (TikTok Shop price and stock updates name SKUs by id).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub remote_skus: std::collections::BTreeMap<String, String>,
    pub synced_at: i64,
}

/// An item held back from a channel, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QuarantinedItem {
    pub key: String,
    pub product_id: String,
    pub problems: Vec<reelcart_domain::catalog::Problem>,
    /// `validation` (our rules) or `platform` (the platform refused it).
    pub source: String,
    pub since: i64,
    /// For `platform`: the content hash that was refused (held until the content changes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
}

/// The state of a channel's current or last sync run.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SyncRun {
    pub run_id: String,
    pub started_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<i64>,
    /// Items the plan held when the run (re)started.
    pub planned: usize,
    /// Items done (sent and recorded, or refused by the platform).
    pub done: usize,
    pub batches: usize,
    /// Seconds spent waiting for rate limits.
    pub waited_secs: u64,
    /// `running`, `incomplete` (stopped at its deadline; the next invocation resumes), `finished`,
    /// `failed`.
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// The store's catalog and, per channel, what was synced, what is quarantined, and the run.
pub trait CatalogStore: Send + Sync {
    /// Create or replace products.
    fn put_products(
        &self,
        products: &[reelcart_domain::catalog::Product],
    ) -> impl Future<Output = PortResult<()>> + Send;
    fn delete_products(&self, ids: &[String]) -> impl Future<Output = PortResult<()>> + Send;
    fn products(
        &self,
    ) -> impl Future<Output = PortResult<Vec<reelcart_domain::catalog::Product>>> + Send;
    fn synced(
        &self,
        channel: reelcart_domain::catalog::Channel,
    ) -> impl Future<Output = PortResult<Vec<SyncedItem>>> + Send;
    /// Record items as synced (`put`) and forget deleted ones (`remove`).
    fn record_synced(
        &self,
        channel: reelcart_domain::catalog::Channel,
        put: &[SyncedItem],
        remove: &[String],
    ) -> impl Future<Output = PortResult<()>> + Send;
    fn quarantined(
        &self,
        channel: reelcart_domain::catalog::Channel,
    ) -> impl Future<Output = PortResult<Vec<QuarantinedItem>>> + Send;
    /// Quarantine `put`, release `release`.
    fn record_quarantine(
        &self,
        channel: reelcart_domain::catalog::Channel,
        put: &[QuarantinedItem],
        release: &[String],
    ) -> impl Future<Output = PortResult<()>> + Send;
    fn run(
        &self,
        channel: reelcart_domain::catalog::Channel,
    ) -> impl Future<Output = PortResult<Option<SyncRun>>> + Send;
    fn put_run(
        &self,
        channel: reelcart_domain::catalog::Channel,
        run: &SyncRun,
    ) -> impl Future<Output = PortResult<()>> + Send;
    /// Take the channel's sync lease (one run at a time) unless another owner holds an unexpired
    /// one; `true` when taken (or already held by `owner`).
    fn acquire_sync_lease(
        &self,
        channel: reelcart_domain::catalog::Channel,
        owner: &str,
        now: i64,
        lease_secs: i64,
    ) -> impl Future<Output = PortResult<bool>> + Send;
    /// Give the lease back (only if `owner` holds it).
    fn release_sync_lease(
        &self,
        channel: reelcart_domain::catalog::Channel,
        owner: &str,
    ) -> impl Future<Output = PortResult<()>> + Send;
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

impl<T: KeyService + ?Sized> KeyService for std::sync::Arc<T> {
    fn generate_data_key(&self, key_id: &str) -> impl Future<Output = PortResult<DataKey>> + Send {
        (**self).generate_data_key(key_id)
    }
    fn decrypt_data_key(&self, wrapped: &[u8]) -> impl Future<Output = PortResult<DataKey>> + Send {
        (**self).decrypt_data_key(wrapped)
    }
}

impl<T: EventBus + ?Sized> EventBus for std::sync::Arc<T> {
    fn publish(
        &self,
        detail_type: &str,
        detail: &serde_json::Value,
    ) -> impl Future<Output = PortResult<()>> + Send {
        (**self).publish(detail_type, detail)
    }
}

/// The transcoding state of items, one record per item (`reelcart_domain::video::MediaRecord`).
pub trait MediaRecords: Send + Sync {
    fn get(
        &self,
        item_id: &str,
    ) -> impl Future<Output = PortResult<Option<reelcart_domain::video::MediaRecord>>> + Send;
    /// Start an attempt: write `record` (transcoding or submitted, with its lease) unless another
    /// attempt holds a live lease at `now` — then `false` and nothing is written.
    fn begin(
        &self,
        record: &reelcart_domain::video::MediaRecord,
        now: i64,
    ) -> impl Future<Output = PortResult<bool>> + Send;
    /// Record the outcome of attempt `record.attempts`; `false` (nothing written) if a later
    /// attempt has taken the item over since.
    fn finish(
        &self,
        record: &reelcart_domain::video::MediaRecord,
    ) -> impl Future<Output = PortResult<bool>> + Send;
}

/// One page of a listing and the cursor of the next (`None`: the last page).
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub cursor: Option<String>,
}

/// The listing order of items of one status — oldest change first, a review queue — as
/// `{updated_at:020}#{id}`; also the cursor format.
pub fn status_sort_key(item: &reelcart_domain::content::UgcItem) -> String {
    format!("{:020}#{}", item.updated_at.max(0), item.id)
}

/// Is `cursor` a sort key this listing made?
pub fn valid_status_cursor(cursor: &str) -> bool {
    cursor.split_once('#').is_some_and(|(t, id)| {
        t.len() == 20
            && t.bytes().all(|b| b.is_ascii_digit())
            && !id.is_empty()
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    })
}

/// UGC items and what is kept about them: rights, product mappings, the audit trail, blocklists.
pub trait ContentStore: Send + Sync {
    /// Insert a new item; `false` if its id (the same source and external id) is taken.
    fn create_item(
        &self,
        item: &reelcart_domain::content::UgcItem,
    ) -> impl Future<Output = PortResult<bool>> + Send;
    fn item(
        &self,
        id: &str,
    ) -> impl Future<Output = PortResult<Option<reelcart_domain::content::UgcItem>>> + Send;
    /// Items in `status`, oldest change first, at most `limit`, after `cursor` (a
    /// [`status_sort_key`]).
    fn items_by_status(
        &self,
        status: reelcart_domain::content::Status,
        limit: usize,
        cursor: Option<&str>,
    ) -> impl Future<Output = PortResult<Page<reelcart_domain::content::UgcItem>>> + Send;
    /// A creator's uploads (`author.creator_id` of `Source::Upload` items), newest first, at most
    /// `limit`.
    fn items_by_creator(
        &self,
        creator_id: &str,
        limit: usize,
    ) -> impl Future<Output = PortResult<Vec<reelcart_domain::content::UgcItem>>> + Send;
    /// Write `item` (in its new state) and `entry` together if the stored status is still
    /// `entry.from`; `false` (nothing written) if it changed meanwhile.
    fn record_transition(
        &self,
        item: &reelcart_domain::content::UgcItem,
        entry: &reelcart_domain::content::AuditEntry,
    ) -> impl Future<Output = PortResult<bool>> + Send;
    /// Oldest first.
    fn audit(
        &self,
        item_id: &str,
    ) -> impl Future<Output = PortResult<Vec<reelcart_domain::content::AuditEntry>>> + Send;
    fn put_rights(
        &self,
        rights: &reelcart_domain::content::Rights,
    ) -> impl Future<Output = PortResult<()>> + Send;
    fn rights(
        &self,
        item_id: &str,
    ) -> impl Future<Output = PortResult<Vec<reelcart_domain::content::Rights>>> + Send;
    fn put_mapping(
        &self,
        item_id: &str,
        mapping: &reelcart_domain::content::ProductMapping,
    ) -> impl Future<Output = PortResult<()>> + Send;
    /// `false` if there was no such mapping.
    fn delete_mapping(
        &self,
        item_id: &str,
        placement: &str,
        sku: &str,
    ) -> impl Future<Output = PortResult<bool>> + Send;
    fn mappings(
        &self,
        item_id: &str,
    ) -> impl Future<Output = PortResult<Vec<reelcart_domain::content::ProductMapping>>> + Send;
    fn blocklist(
        &self,
    ) -> impl Future<Output = PortResult<reelcart_domain::content::blocklist::Blocklist>> + Send;
    fn put_blocklist(
        &self,
        blocklist: &reelcart_domain::content::blocklist::Blocklist,
    ) -> impl Future<Output = PortResult<()>> + Send;
    /// Insert or replace a rights request.
    fn put_rights_request(
        &self,
        request: &reelcart_domain::content::rights_request::RightsRequest,
    ) -> impl Future<Output = PortResult<()>> + Send;
    /// An item's rights requests, by id.
    fn rights_requests(
        &self,
        item_id: &str,
    ) -> impl Future<
        Output = PortResult<Vec<reelcart_domain::content::rights_request::RightsRequest>>,
    > + Send;
    /// The hashtag budget (one scheduled ingest at a time reads and writes it).
    fn hashtag_budget(
        &self,
    ) -> impl Future<Output = PortResult<reelcart_domain::content::hashtag_budget::HashtagBudget>> + Send;
    fn put_hashtag_budget(
        &self,
        budget: &reelcart_domain::content::hashtag_budget::HashtagBudget,
    ) -> impl Future<Output = PortResult<()>> + Send;
}

/// Record rights unless the item already has rights resting on the same consent (a redelivered
/// reply, upload or review): the rights, new or existing. What consumers of at-least-once queues
/// call.
pub async fn record_rights_once<S: ContentStore, B: BlobStore>(
    store: &S,
    artifacts: &B,
    grant: reelcart_domain::content::RightsGrant,
    recorded_by: &str,
    now: i64,
) -> PortResult<reelcart_domain::content::Rights> {
    if let Some(existing) = store
        .rights(&grant.item_id)
        .await?
        .into_iter()
        .find(|r| r.consent == grant.consent)
    {
        return Ok(existing);
    }
    record_rights(store, artifacts, grant, recorded_by, now).await
}

/// Record rights: the consent artifact first (to `artifacts`, object-locked in AWS), then the
/// rights record pointing at it — rights never point at a proof that was not written.
pub async fn record_rights<S: ContentStore, B: BlobStore>(
    store: &S,
    artifacts: &B,
    grant: reelcart_domain::content::RightsGrant,
    recorded_by: &str,
    now: i64,
) -> PortResult<reelcart_domain::content::Rights> {
    let rights_id = format!("r{}", uuid::Uuid::new_v4().simple());
    let artifact = grant.artifact(&rights_id, recorded_by, now);
    let bytes = serde_json::to_vec(&artifact).map_err(|e| PortError::new("rights.encode", e))?;
    artifacts
        .put(
            &grant.artifact_key(&rights_id),
            bytes.into(),
            "application/json",
        )
        .await?;
    let rights = grant.into_rights(rights_id);
    store.put_rights(&rights).await?;
    Ok(rights)
}

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
    /// Write `ledger` as version `version + 1` (0: a new order) and add `deltas`, all or
    /// nothing; `false` (nothing written) if the stored version is not `version`.
    fn apply_order(
        &self,
        ledger: &reelcart_domain::attribution::Ledger,
        version: u64,
        deltas: &[reelcart_domain::attribution::AggDelta],
    ) -> impl Future<Output = PortResult<bool>> + Send;
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

/// Creators and their links.
pub trait CreatorStore: Send + Sync {
    fn creator(
        &self,
        id: &str,
    ) -> impl Future<Output = PortResult<Option<reelcart_domain::creator::Creator>>> + Send;
    fn put_creator(
        &self,
        creator: &reelcart_domain::creator::Creator,
    ) -> impl Future<Output = PortResult<()>> + Send;
    fn put_link(
        &self,
        link: &reelcart_domain::creator::Link,
    ) -> impl Future<Output = PortResult<()>> + Send;
    /// A link by its id (what a short code names).
    fn link(
        &self,
        id: &str,
    ) -> impl Future<Output = PortResult<Option<reelcart_domain::creator::Link>>> + Send;
    /// A creator's links, oldest first.
    fn links(
        &self,
        creator_id: &str,
    ) -> impl Future<Output = PortResult<Vec<reelcart_domain::creator::Link>>> + Send;
    /// Every creator's profile (the brand's reports), by id.
    fn creators(
        &self,
    ) -> impl Future<Output = PortResult<Vec<reelcart_domain::creator::Creator>>> + Send;
    /// Write a product request if the stored one is in `expected` status (`None`: if there is
    /// none yet); `false` (nothing written) otherwise.
    fn put_product_request(
        &self,
        request: &reelcart_domain::creator::ProductRequest,
        expected: Option<reelcart_domain::creator::RequestStatus>,
    ) -> impl Future<Output = PortResult<bool>> + Send;
    fn product_request(
        &self,
        creator_id: &str,
        id: &str,
    ) -> impl Future<Output = PortResult<Option<reelcart_domain::creator::ProductRequest>>> + Send;
    /// One creator's requests (`Some`), or every creator's (`None`), oldest first.
    fn product_requests(
        &self,
        creator_id: Option<&str>,
    ) -> impl Future<Output = PortResult<Vec<reelcart_domain::creator::ProductRequest>>> + Send;
}

/// Tells the CDN to forget cached paths (CloudFront invalidations).
pub trait CdnInvalidator: Send + Sync {
    /// Invalidate `paths` (`/media/{item}/*`); the invalidation's id.
    fn invalidate(&self, paths: &[String]) -> impl Future<Output = PortResult<String>> + Send;
}

/// Every item in `status`, oldest change first, read a page at a time.
pub async fn all_by_status<S: ContentStore>(
    store: &S,
    status: reelcart_domain::content::Status,
) -> PortResult<Vec<reelcart_domain::content::UgcItem>> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = store
            .items_by_status(status, 100, cursor.as_deref())
            .await?;
        out.extend(page.items);
        match page.cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

/// What publishing an item is checked against (its rights and product mappings), read once.
#[derive(Debug, Clone, Default)]
pub struct PublishInputs {
    pub rights: Vec<reelcart_domain::content::Rights>,
    pub mappings: Vec<reelcart_domain::content::ProductMapping>,
}

impl PublishInputs {
    pub async fn load<S: ContentStore>(store: &S, item_id: &str) -> PortResult<Self> {
        Ok(Self {
            rights: store.rights(item_id).await?,
            mappings: store.mappings(item_id).await?,
        })
    }

    /// The check for publishing `item` on the site at `now`.
    pub fn check(
        &self,
        item: &reelcart_domain::content::UgcItem,
        now: i64,
    ) -> reelcart_domain::content::PublishCheck<'_> {
        reelcart_domain::content::PublishCheck {
            rights: &self.rights,
            mappings: &self.mappings,
            channel: reelcart_domain::content::Channel::Site,
            shoppable: item.shoppable,
            now,
        }
    }
}
