//! The transcoding state of items, one record per item.

use crate::{PortResult, lock};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

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

/// The object tag the media bucket's policy reads: CloudFront may read a file only while it
/// carries `reelcart-visibility=public`. Untagged files (every file a transcode writes) are
/// private: an item's media is on the CDN only while the item is published.
pub const VISIBILITY_TAG: &str = "reelcart-visibility";
/// The tag's one value that opens a file to the CDN.
pub const VISIBLE: &str = "public";

/// Whether an item's media may be read through the CDN (S3 object tags in AWS).
pub trait MediaVisibility: Send + Sync {
    /// Tag every file under `media/{item_id}/` (every version) [`VISIBLE`] when `public`, or
    /// remove the tag; the number of files changed.
    fn set(&self, item_id: &str, public: bool) -> impl Future<Output = PortResult<usize>> + Send;
}

/// Visibility in memory: the last setting per item, and every call.
#[derive(Debug, Default, Clone)]
pub struct MemoryMediaVisibility {
    calls: Arc<Mutex<Vec<(String, bool)>>>,
}

impl MemoryMediaVisibility {
    /// Every call, in order: `(item, public)`.
    pub fn calls(&self) -> Vec<(String, bool)> {
        lock(&self.calls).clone()
    }

    /// Whether `item_id`'s media was last made public.
    pub fn is_public(&self, item_id: &str) -> bool {
        lock(&self.calls)
            .iter()
            .rev()
            .find(|(id, _)| id == item_id)
            .is_some_and(|(_, public)| *public)
    }
}

impl MediaVisibility for MemoryMediaVisibility {
    async fn set(&self, item_id: &str, public: bool) -> PortResult<usize> {
        lock(&self.calls).push((item_id.to_string(), public));
        Ok(0)
    }
}

/// The contract suite every adapter of this port passes.
#[cfg(any(test, feature = "contract"))]
pub mod contract {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    pub async fn media_records<S: MediaRecords>(store: &S, ns: &str) {
        use reelcart_domain::video::{MediaRecord, MediaStatus, SourceRef};
        let now = 1_700_000_000;
        let item = format!("{ns}-media-1");
        let source = SourceRef {
            bucket: "raw".into(),
            key: format!("{ns}/a.mp4"),
            etag: "\"e1\"".into(),
        };
        let record = |attempts: u32, status: MediaStatus, lease: Option<i64>| MediaRecord {
            status,
            lease_until: lease,
            ..MediaRecord::attempt(&item, source.clone(), attempts, 0, now)
        };
        assert_eq!(store.get(&item).await.unwrap(), None);
        let first = record(1, MediaStatus::Transcoding, Some(now + 900));
        assert!(store.begin(&first, now).await.unwrap());
        assert_eq!(store.get(&item).await.unwrap(), Some(first.clone()));
        // A live lease keeps a second attempt out…
        assert!(
            !store
                .begin(
                    &record(2, MediaStatus::Transcoding, Some(now + 1000)),
                    now + 10
                )
                .await
                .unwrap()
        );
        // …until it expires.
        let second = record(2, MediaStatus::Transcoding, Some(now + 2000));
        assert!(store.begin(&second, now + 900).await.unwrap());
        // The first attempt finishing late does not overwrite the second.
        assert!(
            !store
                .finish(&record(1, MediaStatus::Transcoded, None))
                .await
                .unwrap()
        );
        let done = record(2, MediaStatus::Transcoded, None);
        assert!(store.finish(&done).await.unwrap());
        assert_eq!(store.get(&item).await.unwrap(), Some(done));
        // A settled record has no lease: a new source may begin at once.
        assert!(
            store
                .begin(
                    &record(3, MediaStatus::Transcoding, Some(now + 3000)),
                    now + 901
                )
                .await
                .unwrap()
        );
    }
}
