//! Turning a source video into the ladder's HLS renditions, a poster, a preview loop and a media
//! manifest — with FFmpeg on the function's own cores ([`ffmpeg`]), or by MediaConvert
//! ([`mediaconvert`]) — behind one port, [`Encoder`].

pub mod ffmpeg;
pub mod package;
pub mod samples;

use reelcart_domain::video::{Ladder, MediaManifest, Probe, Rejection};
use std::future::Future;
use std::path::{Path, PathBuf};

/// Why encoding did not produce outputs.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The source is refused for good; the item records the reason.
    #[error(transparent)]
    Rejected(#[from] Rejection),
    /// Worth another try (a tool killed, a disk full, a service unavailable).
    #[error("{0}")]
    Transient(String),
}

/// One encode: where the source is, what to make of it, where the outputs go.
#[derive(Debug, Clone)]
pub struct EncodeJob<'a> {
    pub item_id: &'a str,
    /// The downloaded source.
    pub input: &'a Path,
    /// `s3://bucket/key` of the source (for backends that read it themselves).
    pub source_uri: &'a str,
    pub probe: &'a Probe,
    pub ladder: &'a Ladder,
    /// Object prefix of this version's outputs (ends with `/`).
    pub prefix: &'a str,
    /// Public URL the prefix is served under (CloudFront), without a trailing `/`.
    pub public_base: &'a str,
    /// A scratch directory of this job's own.
    pub work_dir: &'a Path,
    pub now: i64,
}

/// What an encoder hands back.
#[derive(Debug)]
pub enum Encoded {
    /// Every output is in `dir` (keys relative to the job's prefix), described by `manifest`.
    Ready {
        dir: PathBuf,
        files: Vec<OutputFile>,
        manifest: Box<MediaManifest>,
        /// Milliseconds per step.
        timings_ms: Vec<(&'static str, u64)>,
    },
    /// Handed to a service that writes the outputs itself and reports when done.
    Submitted { job_id: String },
}

/// A file to publish under the job's prefix.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputFile {
    /// Path relative to the output directory and the prefix (`v0/seg_001.m4s`).
    pub relative: String,
    pub content_type: &'static str,
    pub bytes: u64,
}

/// The port: FFmpeg here, MediaConvert in AWS if configured.
pub trait Encoder: Send + Sync {
    fn encode(
        &self,
        job: &EncodeJob<'_>,
    ) -> impl Future<Output = Result<Encoded, MediaError>> + Send;
}
