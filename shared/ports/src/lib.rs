//! Ports: the traits Reelcart's handlers depend on, one module per aggregate or capability.
//!
//! Each module holds its trait(s), its in-memory fake and its contract suite (feature
//! `contract`); the real adapters are in `reelcart-aws`. The suites run against both, so the fake
//! cannot drift from the real thing. Traits are small: a handler's bounds name exactly what it
//! reads and writes (and so what its IAM role needs); [`ContentStore`] composes the content traits
//! for what implements them all.
//!
//! | module | traits | AWS |
//! |---|---|---|
//! | [`connections`] | [`ConnectionStore`], [`PendingAuthorizations`] | DynamoDB |
//! | [`catalog`] | [`CatalogStore`] | DynamoDB |
//! | [`content`] | [`ItemStore`], [`RightsStore`], [`MappingStore`], [`BlocklistStore`], [`HashtagBudgetStore`] | DynamoDB |
//! | [`creators`] | [`CreatorStore`] | DynamoDB |
//! | [`analytics`] | [`AnalyticsStore`] | DynamoDB |
//! | [`media`] | [`MediaRecords`], [`MediaVisibility`] | DynamoDB, S3 object tags |
//! | [`idempotency`] | [`IdempotencyStore`] | DynamoDB |
//! | [`events`] | [`EventStore`] | DynamoDB |
//! | [`queue`] | [`MessageQueue`] | SQS |
//! | [`blobs`] | [`BlobStore`], [`SignedReads`] | S3 |
//! | [`bus`] | [`EventBus`] | EventBridge |
//! | [`keys`] | [`KeyService`] | KMS |
//! | [`secrets`] | [`SecretSource`] | Secrets Manager |
//! | [`cdn`] | [`CdnInvalidator`] | CloudFront |

pub mod analytics;
pub mod blobs;
pub mod bus;
pub mod catalog;
pub mod cdn;
pub mod connections;
pub mod content;
pub mod creators;
mod error;
pub mod events;
pub mod idempotency;
pub mod keys;
pub mod media;
pub mod queue;
pub mod secrets;

pub use analytics::{AggRow, AnalyticsStore, SESSION_MAX_EVENTS, SESSION_MAX_TOUCHES};
pub use blobs::{BlobStore, SignedReads};
pub use bus::EventBus;
pub use catalog::{CatalogStore, QuarantinedItem, SyncRun, SyncedItem};
pub use cdn::CdnInvalidator;
pub use connections::{
    ConnectionStore, PendingAuthorization, PendingAuthorizations, StoredConnection,
};
pub use content::{
    BlocklistStore, ContentStore, HashtagBudgetStore, ItemStore, MappingStore, MediaGate,
    MoveError, Moved, Page, PublishInputs, RightsStore, all_by_status, move_item,
    move_item_and_media, open_published, publish_item, record_rights, record_rights_once,
    status_sort_key, valid_status_cursor,
};
pub use creators::CreatorStore;
pub use error::{PortError, PortResult};
pub use events::{EventStore, StoredEvent};
pub use idempotency::{Claim, IdempotencyStore};
pub use keys::{DataKey, KeyService};
pub use media::{MediaRecords, MediaVisibility};
pub use queue::MessageQueue;
pub use secrets::SecretSource;

/// Every port trait, for code that calls ports on concrete types (tests, the local stack).
pub mod prelude {
    pub use crate::{
        AnalyticsStore, BlobStore, BlocklistStore, CatalogStore, CdnInvalidator, ConnectionStore,
        ContentStore, CreatorStore, EventBus, EventStore, HashtagBudgetStore, IdempotencyStore,
        ItemStore, KeyService, MappingStore, MediaRecords, MediaVisibility, MessageQueue,
        PendingAuthorizations, RightsStore, SecretSource, SignedReads,
    };
}

/// The in-memory fakes, gathered (each lives in its port's module).
pub mod memory {
    pub use crate::analytics::MemoryAnalytics;
    pub use crate::blobs::MemoryBlobs;
    pub use crate::bus::MemoryEventBus;
    pub use crate::catalog::MemoryCatalog;
    pub use crate::cdn::MemoryCdn;
    pub use crate::connections::{MemoryConnections, MemoryPendingAuthorizations};
    pub use crate::content::MemoryContent;
    pub use crate::creators::MemoryCreators;
    pub use crate::events::MemoryEvents;
    pub use crate::idempotency::MemoryIdempotency;
    pub use crate::keys::MemoryKeys;
    pub use crate::media::MemoryMediaRecords;
    pub use crate::media::MemoryMediaVisibility;
    pub use crate::queue::MemoryQueue;
    pub use crate::secrets::MemorySecrets;
}

/// The contract suites, gathered (each lives in its port's module).
#[cfg(any(test, feature = "contract"))]
pub mod contract {
    pub use crate::analytics::contract::analytics_store;
    pub use crate::blobs::contract::blob_store;
    pub use crate::bus::contract::event_bus;
    pub use crate::catalog::contract::{catalog_store, sample_product};
    pub use crate::cdn::contract::cdn_invalidator;
    pub use crate::connections::contract::{connection_store, pending_authorizations};
    pub use crate::content::contract::content_store;
    pub use crate::creators::contract::creator_store;
    pub use crate::events::contract::event_store;
    pub use crate::idempotency::contract::idempotency_store;
    pub use crate::keys::contract::key_service;
    pub use crate::media::contract::media_records;
    pub use crate::queue::contract::message_queue;
    pub use crate::secrets::contract::secret_source;
}

/// A fake's state, usable after a panic elsewhere (only a failing test panics while holding it).
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
