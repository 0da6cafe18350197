//! Video: what a source is (ffprobe's report), whether Reelcart takes it, the vertical-first
//! adaptive ladder it becomes, the HLS playlists that describe it to players, and the media manifest
//! the feed serves. Pure: the transcoder runs the processes and moves the bytes.

pub mod hls;
pub mod ladder;
pub mod manifest;
pub mod probe;

pub use ladder::{FrameRate, Ladder, Orientation, Rung, plan};
pub use manifest::{MediaManifest, MediaRecord, MediaStatus, Rendition, SourceRef};
pub use probe::{Limits, Probe};

use serde::{Deserialize, Serialize};

/// Bump when the ladder, encoder settings or output layout change: outputs live under a prefix
/// that names it, so a new version never overwrites what players are streaming.
pub const PIPELINE_VERSION: u32 = 1;

/// Why a source was refused, as the item's state records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Rejection {
    pub code: RejectCode,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectCode {
    /// No video stream, or a still image.
    NotAVideo,
    /// The container or stream cannot be read or decoded.
    Corrupt,
    TooLong,
    TooShort,
    TooSmall,
    TooLarge,
    /// Every attempt failed or never finished (out of time or memory): refused, not retried
    /// without end.
    Unprocessable,
}

impl std::fmt::Display for RejectCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::NotAVideo => "not_a_video",
            Self::Corrupt => "corrupt",
            Self::TooLong => "too_long",
            Self::TooShort => "too_short",
            Self::TooSmall => "too_small",
            Self::TooLarge => "too_large",
            Self::Unprocessable => "unprocessable",
        })
    }
}

impl Rejection {
    pub fn new(code: RejectCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// Content type of an output file, by extension.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "m3u8" => "application/vnd.apple.mpegurl",
        "m4s" => "video/iso.segment",
        "mp4" => "video/mp4",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}

/// `Cache-Control` of an output file: everything under a versioned prefix never changes; the
/// item's pointer to its current manifest does.
pub fn cache_control(immutable: bool) -> &'static str {
    if immutable {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=60, s-maxage=60, stale-while-revalidate=300"
    }
}

#[cfg(test)]
mod tests;

/// A message on the transcode queue: transcode the raw `bucket`/`key` for `item_id`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TranscodeRequest {
    pub item_id: String,
    pub bucket: String,
    pub key: String,
}
