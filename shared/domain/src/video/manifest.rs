//! The media manifest the feed serves (`media_manifest.json`) and the transcoding state of an item.

use super::{Ladder, Orientation, Probe, Rejection};
use serde::{Deserialize, Serialize};

/// Everything a player needs to start a video without probing it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediaManifest {
    pub item_id: String,
    pub version: u32,
    /// Public URL of the master playlist.
    pub master: String,
    pub poster: String,
    /// A muted loop of the first seconds, MP4 (absent when the backend does not make one).
    pub preview: Option<String>,
    pub duration_secs: f64,
    pub width: u32,
    pub height: u32,
    /// `9:16`, `16:9`, `1:1`, or `w:h` reduced.
    pub aspect_ratio: String,
    pub orientation: Orientation,
    pub has_audio: bool,
    /// Highest first.
    pub renditions: Vec<Rendition>,
    /// The rendition the master playlist lists first (players start there).
    pub start_rendition: usize,
    /// The object prefix every file of this version lives under.
    pub prefix: String,
    pub created_at: i64,
}

impl MediaManifest {
    /// The object key of one of this manifest's URLs (`master`, `poster`, `preview`, a
    /// rendition's `playlist`): what follows the base URL, from [`Self::prefix`] on.
    pub fn key_of(&self, url: &str) -> Option<String> {
        if self.prefix.is_empty() {
            return None;
        }
        url.find(&self.prefix).map(|at| url[at..].to_string())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rendition {
    pub name: String,
    pub width: u32,
    pub height: u32,
    /// Peak segment bitrate, bits/s (the master playlist's `BANDWIDTH`).
    pub bandwidth: u64,
    pub average_bandwidth: u64,
    pub codecs: String,
    pub frame_rate: f64,
    pub playlist: String,
}

/// `w:h` reduced, with the usual names for near-misses of 9:16 and 16:9 (1080×1918 is 9:16).
pub fn aspect_label(width: u32, height: u32) -> String {
    let r = f64::from(width) / f64::from(height.max(1));
    for (label, v) in [
        ("9:16", 9.0 / 16.0),
        ("16:9", 16.0 / 9.0),
        ("1:1", 1.0),
        ("3:4", 0.75),
        ("4:3", 4.0 / 3.0),
        ("4:5", 0.8),
    ] {
        if (r - v).abs() / v < 0.01 {
            return label.to_string();
        }
    }
    let g = gcd(width, height).max(1);
    format!("{}:{}", width / g, height / g)
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// The object a transcode read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRef {
    pub bucket: String,
    pub key: String,
    /// The object's ETag when it was read: a new upload under the same key is a new source.
    pub etag: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaStatus {
    /// A worker holds the lease and is encoding.
    Transcoding,
    /// Handed to MediaConvert; its job-state event finishes it.
    Submitted,
    Transcoded,
    /// Refused or failed for good; `failure` says why.
    Failed,
}

/// The transcoding state of one item (DynamoDB: `pk = ITEM#{id}`, `sk = MEDIA`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediaRecord {
    pub item_id: String,
    pub status: MediaStatus,
    pub source: SourceRef,
    /// How many times a worker started on this source.
    pub attempts: u32,
    /// While `transcoding` or `submitted`: until when the current worker owns it (unix seconds).
    pub lease_until: Option<i64>,
    pub probe: Option<Probe>,
    pub ladder: Option<Ladder>,
    pub manifest: Option<MediaManifest>,
    /// Key of the item's current `media_manifest.json`.
    pub manifest_key: Option<String>,
    pub failure: Option<Rejection>,
    /// MediaConvert job id, when that backend encodes.
    pub job_id: Option<String>,
    /// Milliseconds per step of the last attempt (download, probe, encode, upload).
    #[serde(default)]
    pub timings_ms: std::collections::BTreeMap<String, u64>,
    pub updated_at: i64,
}

impl MediaRecord {
    /// A new attempt on `source`: transcoding, leased until `lease_until`, nothing known yet.
    pub fn attempt(
        item_id: impl Into<String>,
        source: SourceRef,
        attempts: u32,
        lease_until: i64,
        now: i64,
    ) -> Self {
        Self {
            item_id: item_id.into(),
            status: MediaStatus::Transcoding,
            source,
            attempts,
            lease_until: Some(lease_until),
            probe: None,
            ladder: None,
            manifest: None,
            manifest_key: None,
            failure: None,
            job_id: None,
            timings_ms: Default::default(),
            updated_at: now,
        }
    }

    /// Done with this very source (transcoded, or refused for good): a redelivery has nothing to do.
    pub fn settled_for(&self, source: &SourceRef) -> bool {
        self.source == *source
            && matches!(self.status, MediaStatus::Transcoded | MediaStatus::Failed)
    }

    /// Another worker (or MediaConvert) holds a live lease on this source.
    pub fn busy_at(&self, now: i64) -> bool {
        matches!(
            self.status,
            MediaStatus::Transcoding | MediaStatus::Submitted
        ) && self.lease_until.is_some_and(|t| t > now)
    }
}
