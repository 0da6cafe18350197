//! `moderation-api`: the moderation console's API (JWT; role `moderator` or `admin`).
//!
//! - `GET /v1/moderation/items?status=queued&limit=20&cursor=…` — the queue of one status, oldest
//!   change first, with a cursor to the next page. Filters `source`, `rights`
//!   (`valid|requested|none`) and `flagged` (`true|false`) apply within the page read, so a
//!   filtered page can be short while a cursor remains. Each item comes with a `summary`: rights
//!   (and the channels valid now), the transcoder's status and poster, the number of mappings.
//! - `GET /v1/moderation/items/{id}` — the item, its rights (each with whether it is valid per
//!   channel now), product mappings, audit history, the transcoder's record and the automated
//!   checks' verdict now (blocklists; duration, resolution and audio once transcoded).
//! - `GET /v1/moderation/items/{id}/preview` — links signed for an hour to the item's media (HLS
//!   master, poster, preview loop), which the CDN serves only once the item is published. Each
//!   item's media opens to the CDN as it is published and closes (then is invalidated) as it
//!   leaves published.
//! - `POST /v1/moderation/items/{id}/transitions` `{"to": "approved", "reason": "…"}` — one step
//!   of the state machine; anything else is `409` with the reason (`illegal_transition`,
//!   `no_valid_rights`, `no_mapping`, `conflict` when someone else moved it first); a rejection
//!   without a reason is `422`. Each step is an audit entry (actor from the token).
//! - `GET /v1/moderation/items/{id}/audit`.
//! - `PUT /v1/moderation/items/{id}/mappings` `{"sku", "placement", "pinned"?, "confidence"?}` and
//!   `DELETE /v1/moderation/items/{id}/mappings/{placement}/{sku}`; `POST /v1/moderation/mappings`
//!   maps in bulk (JSON array, or CSV `item_id,sku,placement[,pinned]`): all or nothing, and a
//!   SKU the catalog does not know is refused (`422 unknown_sku`, every offending row listed).
//! - `GET /v1/moderation/blocklist`, `PUT /v1/moderation/blocklist` (admin).
//! - `POST /v1/moderation/items/{id}/rights` (admin) — record rights obtained elsewhere (a signed
//!   agreement, a creator's off-platform consent): the consent proof is written first as an
//!   immutable artifact in the consent bucket, then the rights record points at it.
//!   `POST /v1/moderation/items/{id}/rights/{rights_id}/revoke` (admin) ends them now; the rights
//!   enforcer takes the item down on its next run.
//! - `POST /v1/moderation/items/{id}/rights-requests` `{"license", "channels", "duration_days"?}` —
//!   ask the creator (Instagram items): the comment asks for a reply with the brand's approval
//!   hashtag and `@brand`. On mentioned or tagged media `ugc-ingest` posts it through the API; on
//!   media found by hashtag (where Instagram allows no API comment) the answer carries the text
//!   and permalink for a person to post it. The reply, when it comes, is the consent: `ugc-ingest`
//!   records the rights. `GET` lists an item's requests. `422 no_comment_channel` for TikTok,
//!   uploads and reviews; `409 request_pending` while one is open.
//! - `GET /v1/moderation/qa` — what needs fixing: published shoppable items without a product
//!   mapping, and approved or published items mapped to a SKU the catalog no longer has.
//!
//! The route table (method, path, roles — see [`routes()`]) and its dispatch are in `routes/`,
//! each resource's handlers beside it.

mod routes;

pub use routes::routes;

use reelcart_domain::Clock;
use reelcart_domain::content::rights_request::BrandRights;
use reelcart_lambda::config::{ConfigError, Vars};
use reelcart_ports::{
    BlobStore, BlocklistStore, CatalogStore, CdnInvalidator, ItemStore, MappingStore, MediaRecords,
    MediaVisibility, MessageQueue, RightsStore, SignedReads,
};
use std::sync::Arc;

// What the crate's tests (`tests.rs`, `use super::*`) name from here.
#[cfg(test)]
use {
    lambda_http::{Body, Request},
    reelcart_domain::content::{Channel, ProductMapping, Status, UgcItem},
    serde_json::{Value, json as j},
};

pub const MAX_PAGE: usize = 100;
/// Bulk mappings per request.
pub const MAX_BULK: usize = 5_000;
const MAX_BODY: usize = 1 << 20;

/// The ports the API stands on, named once: [`AwsPorts`] as deployed, [`MemoryPorts`] in tests.
pub trait Ports: 'static {
    type Content: ItemStore + RightsStore + MappingStore + BlocklistStore + 'static;
    type Catalog: CatalogStore + 'static;
    type Consent: BlobStore + 'static;
    type Commands: MessageQueue + 'static;
    type Media: MediaRecords + 'static;
    type Visibility: MediaVisibility + 'static;
    type Cdn: CdnInvalidator + 'static;
    type Files: BlobStore + SignedReads + 'static;
}

pub struct Api<P: Ports> {
    pub content: P::Content,
    /// The transcoder's records (probe, ladder, failure): what the media checks look at.
    pub media: P::Media,
    pub catalog: P::Catalog,
    /// Consent artifacts (private, versioned, object-locked in AWS).
    pub consent: P::Consent,
    /// The content queue: rights-request comments for `ugc-ingest` to post.
    pub commands: P::Commands,
    pub brand: BrandRights,
    /// Whether items' media may be read through the CDN: opened on publishing, closed on leaving
    /// published (with `cdn` forgetting what it cached).
    pub visibility: P::Visibility,
    pub cdn: P::Cdn,
    /// The media bucket: what moderators see of media not published, through links signed for
    /// an hour (the CDN serves only published media).
    pub files: P::Files,
    pub clock: Arc<dyn Clock>,
}

impl<P: Ports> std::fmt::Debug for Api<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api").finish_non_exhaustive()
    }
}

/// The ports as deployed.
#[derive(Debug)]
pub struct AwsPorts;

impl Ports for AwsPorts {
    type Content = reelcart_aws::DynamoContent;
    type Catalog = reelcart_aws::DynamoCatalog;
    type Consent = reelcart_aws::S3Blobs;
    type Commands = reelcart_aws::SqsQueue;
    type Media = reelcart_aws::DynamoMediaRecords;
    type Visibility = reelcart_aws::S3MediaVisibility;
    type Cdn = reelcart_aws::Cdn;
    type Files = reelcart_aws::S3Blobs;
}

/// The API as deployed.
pub type AwsApi = Api<AwsPorts>;

/// The ports in memory (tests, examples).
#[derive(Debug)]
pub struct MemoryPorts;

impl Ports for MemoryPorts {
    type Content = reelcart_ports::memory::MemoryContent;
    type Catalog = reelcart_ports::memory::MemoryCatalog;
    type Consent = reelcart_ports::memory::MemoryBlobs;
    type Commands = reelcart_ports::memory::MemoryQueue;
    type Media = reelcart_ports::memory::MemoryMediaRecords;
    type Visibility = reelcart_ports::memory::MemoryMediaVisibility;
    type Cdn = reelcart_ports::memory::MemoryCdn;
    type Files = reelcart_ports::memory::MemoryBlobs;
}

/// Build from settings (`CONTENT_TABLE`, `CATALOG_TABLE`, `CONSENT_BUCKET`, `CONTENT_QUEUE_URL`,
/// `BRAND_HANDLE`, `APPROVAL_HASHTAG`, `RIGHTS_TERMS_URL`, `MEDIA_BUCKET`, `CDN_DISTRIBUTION_ID`
/// or `CDN_INVALIDATIONS=record`, `S3_FORCE_PATH_STYLE`).
pub fn from_aws<F: Fn(&str) -> Option<String>>(
    v: &Vars<F>,
    sdk: &reelcart_aws::SdkConfig,
    clock: Arc<dyn Clock>,
) -> Result<AwsApi, ConfigError> {
    let dynamo = aws_sdk_dynamodb::Client::new(sdk);
    let s3 = reelcart_aws::s3_client(sdk, v.parse_or("S3_FORCE_PATH_STYLE", false)?);
    Ok(Api {
        content: reelcart_aws::DynamoContent::new(dynamo.clone(), v.required("CONTENT_TABLE")?),
        media: reelcart_aws::DynamoMediaRecords::new(dynamo.clone(), v.required("CONTENT_TABLE")?),
        catalog: reelcart_aws::DynamoCatalog::new(dynamo, v.required("CATALOG_TABLE")?),
        consent: reelcart_aws::S3Blobs::new(s3.clone(), v.required("CONSENT_BUCKET")?),
        visibility: reelcart_aws::S3MediaVisibility::new(s3.clone(), v.required("MEDIA_BUCKET")?),
        files: reelcart_aws::S3Blobs::new(s3, v.required("MEDIA_BUCKET")?),
        cdn: reelcart_aws::Cdn::from_settings(
            v.optional("CDN_INVALIDATIONS").as_deref(),
            v.optional("CDN_DISTRIBUTION_ID"),
            sdk,
            &v.required("CONTENT_TABLE")?,
        )
        .map_err(|(name, reason)| ConfigError::Invalid { name, reason })?,
        commands: reelcart_aws::SqsQueue::new(
            aws_sdk_sqs::Client::new(sdk),
            v.required("CONTENT_QUEUE_URL")?,
        ),
        brand: BrandRights::new(
            &v.required("BRAND_HANDLE")?,
            v.optional("APPROVAL_HASHTAG").as_deref(),
            &v.required("RIGHTS_TERMS_URL")?,
        )
        .map_err(|reason| ConfigError::Invalid {
            name: "BRAND_HANDLE",
            reason,
        })?,
        clock,
    })
}

#[cfg(test)]
mod tests;
