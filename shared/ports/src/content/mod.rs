//! UGC content: items, their rights, product mappings, the blocklist and the hashtag budget.
//!
//! Small traits, one per aggregate, so a handler's bounds say what it touches; [`ContentStore`]
//! is all of them (what one table holds, and what the fake and the DynamoDB adapter implement).

use crate::{BlobStore, PortError, PortResult};
use std::future::Future;

mod memory;
mod moves;
pub use memory::MemoryContent;
pub use moves::{
    MediaGate, MoveError, Moved, move_item, move_item_and_media, open_published, publish_item,
};
#[cfg(any(test, feature = "contract"))]
pub mod contract;

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

/// UGC items and their audit trail: every status change is written with its audit entry.
pub trait ItemStore: Send + Sync {
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
}

/// Usage rights of items and the requests that ask for them.
pub trait RightsStore: Send + Sync {
    fn put_rights(
        &self,
        rights: &reelcart_domain::content::Rights,
    ) -> impl Future<Output = PortResult<()>> + Send;
    fn rights(
        &self,
        item_id: &str,
    ) -> impl Future<Output = PortResult<Vec<reelcart_domain::content::Rights>>> + Send;
    /// Insert or replace a rights request.
    fn put_rights_request(
        &self,
        request: &reelcart_domain::content::rights_request::RightsRequest,
    ) -> impl Future<Output = PortResult<()>> + Send;
    /// Claim the posting of a rights request's comment, atomically and once: `true` for the one
    /// caller that may post; `false` when another has claimed it (posting now, or done). Writing
    /// the request again (`put_rights_request`) gives the claim back.
    fn claim_rights_request_post(
        &self,
        item_id: &str,
        request_id: &str,
        now: i64,
    ) -> impl Future<Output = PortResult<bool>> + Send;
    /// An item's rights requests, by id.
    fn rights_requests(
        &self,
        item_id: &str,
    ) -> impl Future<
        Output = PortResult<Vec<reelcart_domain::content::rights_request::RightsRequest>>,
    > + Send;
}

/// Which products an item shows, per placement.
pub trait MappingStore: Send + Sync {
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
}

/// The moderation blocklist (one per brand).
pub trait BlocklistStore: Send + Sync {
    fn blocklist(
        &self,
    ) -> impl Future<Output = PortResult<reelcart_domain::content::blocklist::Blocklist>> + Send;
    fn put_blocklist(
        &self,
        blocklist: &reelcart_domain::content::blocklist::Blocklist,
    ) -> impl Future<Output = PortResult<()>> + Send;
}

/// The hashtag budget (one scheduled ingest at a time reads and writes it).
pub trait HashtagBudgetStore: Send + Sync {
    /// The hashtag budget (one scheduled ingest at a time reads and writes it).
    fn hashtag_budget(
        &self,
    ) -> impl Future<Output = PortResult<reelcart_domain::content::hashtag_budget::HashtagBudget>> + Send;
    fn put_hashtag_budget(
        &self,
        budget: &reelcart_domain::content::hashtag_budget::HashtagBudget,
    ) -> impl Future<Output = PortResult<()>> + Send;
}

/// Everything the content table holds: what the fake and the DynamoDB adapter implement.
pub trait ContentStore:
    ItemStore + RightsStore + MappingStore + BlocklistStore + HashtagBudgetStore
{
}

impl<T> ContentStore for T where
    T: ItemStore + RightsStore + MappingStore + BlocklistStore + HashtagBudgetStore
{
}

/// Record rights unless the item already has rights resting on the same consent (a redelivered
/// reply, upload or review): the rights, new or existing. What consumers of at-least-once queues
/// call.
pub async fn record_rights_once<S: RightsStore, B: BlobStore>(
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
pub async fn record_rights<S: RightsStore, B: BlobStore>(
    store: &S,
    artifacts: &B,
    grant: reelcart_domain::content::RightsGrant,
    recorded_by: &str,
    now: i64,
) -> PortResult<reelcart_domain::content::Rights> {
    let rights_id = format!("r{}", uuid::Uuid::new_v4().simple());
    let artifact = grant.artifact(&rights_id, recorded_by, now);
    let bytes =
        serde_json::to_vec(&artifact).map_err(|e| PortError::invalid("rights.encode", e))?;
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

/// Every item in `status`, oldest change first, read a page at a time.
pub async fn all_by_status<S: ItemStore>(
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
    pub async fn load<S: RightsStore + MappingStore>(store: &S, item_id: &str) -> PortResult<Self> {
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
