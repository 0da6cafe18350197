//! `transcoder`: every video that reaches the transcode queue becomes a fast-starting adaptive
//! stream — a vertical-first HLS ladder (fMP4), a poster, a muted preview loop and
//! `media_manifest.json` — published to the media bucket behind CloudFront.
//!
//! A message is `{"item_id": "…", "bucket": "…", "key": "…"}` (the raw object ingestion stored).
//! Per message: the item's media record says whether this very source (bucket, key, ETag) is done
//! already (redelivery: nothing to do) or taken by a live attempt (left for retry); otherwise the
//! attempt takes a lease, downloads and hashes the source, probes it, refuses it with a reason
//! (`failed`) or plans the ladder and encodes it, publishes everything under a prefix of its own,
//! `media/{item}/{random 128 bits}{sha256[..8]}-v{version}/` (unguessable: item ids derive from
//! public platform ids), with `media_manifest.json` beside the files, then records `transcoded` with
//! the manifest — the only place the address is kept.

pub mod mediaconvert;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use aws_sdk_s3::primitives::ByteStream;
use futures::StreamExt;
use reelcart_domain::Clock;
use reelcart_domain::video::{
    Limits, MediaRecord, MediaStatus, PIPELINE_VERSION, RejectCode, Rejection, SourceRef,
    cache_control, plan,
};
use reelcart_lambda::config::{ConfigError, Vars};
use reelcart_media::ffmpeg::Ffmpeg;
use reelcart_media::package::MANIFEST;
use reelcart_media::{EncodeJob, Encoded, Encoder, MediaError, OutputFile};
use reelcart_ports::{ItemStore, MediaRecords, MediaVisibility};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use tokio::io::AsyncWriteExt;

pub use reelcart_domain::video::TranscodeRequest;

/// Item ids become object keys and directory names: letters, digits, `-` and `_` only.
pub fn valid_item_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("malformed message: {0}")]
    Malformed(String),
    #[error("source s3://{0}/{1} does not exist")]
    SourceMissing(String, String),
    #[error("item {0} is being transcoded by another attempt")]
    Busy(String),
    #[error("{0}")]
    Transient(String),
    #[error("store: {0}")]
    Store(#[from] reelcart_ports::PortError),
}

#[derive(Debug, Clone)]
pub struct Config {
    /// The only bucket sources are read from (`RAW_MEDIA_BUCKET`); unset: any the role may read.
    pub raw_bucket: Option<String>,
    pub media_bucket: String,
    /// Public base URL of the media bucket (CloudFront), no trailing `/`.
    pub media_base_url: String,
    pub work_dir: PathBuf,
    pub limits: Limits,
    pub max_source_bytes: u64,
    /// How long an attempt owns an item (the function's timeout).
    pub lease_secs: i64,
    /// How long MediaConvert may take before a redelivery may submit again.
    pub submitted_lease_secs: i64,
    pub upload_concurrency: usize,
    /// Attempts after which a source that never transcoded is refused (`MAX_ATTEMPTS`, 2: the
    /// queue's third delivery refuses it with a reason instead of dead-lettering it).
    pub max_attempts: u32,
}

impl Config {
    pub fn from_vars<F: Fn(&str) -> Option<String>>(v: &Vars<F>) -> Result<Self, ConfigError> {
        let d = Limits::default();
        Ok(Self {
            raw_bucket: v.optional("RAW_MEDIA_BUCKET").filter(|b| !b.is_empty()),
            media_bucket: v.required("MEDIA_BUCKET")?,
            media_base_url: v
                .required("MEDIA_BASE_URL")?
                .trim_end_matches('/')
                .to_string(),
            work_dir: PathBuf::from(v.optional("WORK_DIR").unwrap_or_else(|| "/tmp".into())),
            limits: Limits {
                max_duration_secs: v.parse_or("MAX_DURATION_SECONDS", d.max_duration_secs)?,
                min_duration_secs: v.parse_or("MIN_DURATION_SECONDS", d.min_duration_secs)?,
                min_short_side: v.parse_or("MIN_SHORT_SIDE", d.min_short_side)?,
                max_long_side: v.parse_or("MAX_LONG_SIDE", d.max_long_side)?,
            },
            max_source_bytes: v.parse_or("MAX_SOURCE_BYTES", 2u64 << 30)?,
            lease_secs: v.parse_or("LEASE_SECONDS", 900)?,
            submitted_lease_secs: v.parse_or("MEDIACONVERT_LEASE_SECONDS", 4 * 3600)?,
            upload_concurrency: v.parse_or("UPLOAD_CONCURRENCY", 16)?,
            max_attempts: v.parse_or("MAX_ATTEMPTS", 2)?,
        })
    }
}

/// The outputs' prefix for a transcode of `item_id` from a source of SHA-256 `digest`:
/// `media/{item}/{random 128 bits}{digest[..8]}-v{version}/`.
pub fn media_prefix(item_id: &str, digest: &str) -> String {
    format!(
        "media/{item_id}/{}{}-v{PIPELINE_VERSION}/",
        uuid::Uuid::new_v4().simple(),
        &digest[..8.min(digest.len())]
    )
}

/// The encoding backend the deployment chose (`ENCODER=ffmpeg|mediaconvert`).
#[derive(Debug)]
pub enum Backend {
    Ffmpeg(Ffmpeg),
    MediaConvert(mediaconvert::MediaConvert),
}

impl Encoder for Backend {
    async fn encode(&self, job: &EncodeJob<'_>) -> Result<Encoded, MediaError> {
        match self {
            Self::Ffmpeg(f) => f.encode(job).await,
            Self::MediaConvert(m) => m.encode(job).await,
        }
    }
}

pub struct Handler<R, I, V> {
    pub config: Config,
    pub s3: aws_sdk_s3::Client,
    pub records: R,
    /// The items: media finished for one already published is opened to the CDN at once.
    pub items: I,
    pub visibility: V,
    pub backend: Backend,
    /// Probing is FFmpeg's whatever the backend.
    pub ffmpeg: Ffmpeg,
    pub clock: Arc<dyn Clock>,
}

impl<R, I, V> std::fmt::Debug for Handler<R, I, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handler")
            .field("config", &self.config)
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

pub type AwsHandler = Handler<
    reelcart_aws::DynamoMediaRecords,
    reelcart_aws::DynamoContent,
    reelcart_aws::S3MediaVisibility,
>;

/// Wire the handler from the environment: `MEDIA_BUCKET`, `MEDIA_BASE_URL`, `CONTENT_TABLE`,
/// `ENCODER` (`ffmpeg`, the default, or `mediaconvert` with `MEDIACONVERT_ROLE_ARN`),
/// `FFMPEG_PATH`/`FFPROBE_PATH`, limits, `S3_FORCE_PATH_STYLE`.
pub fn from_aws<F: Fn(&str) -> Option<String>>(
    v: &Vars<F>,
    sdk: &reelcart_aws::SdkConfig,
    clock: Arc<dyn Clock>,
) -> Result<AwsHandler, ConfigError> {
    let config = Config::from_vars(v)?;
    let ffmpeg = Ffmpeg::from_vars(|k| v.optional(k));
    let s3 = reelcart_aws::s3_client(sdk, v.parse_or("S3_FORCE_PATH_STYLE", false)?);
    let backend = match v.optional("ENCODER").as_deref().unwrap_or("ffmpeg") {
        "ffmpeg" => Backend::Ffmpeg(ffmpeg.clone()),
        "mediaconvert" => Backend::MediaConvert(mediaconvert::MediaConvert::from_aws(
            v,
            sdk,
            &config.media_bucket,
        )?),
        other => {
            return Err(ConfigError::Invalid {
                name: "ENCODER",
                reason: format!("`{other}`: expected ffmpeg or mediaconvert"),
            });
        }
    };
    let dynamo = aws_sdk_dynamodb::Client::new(sdk);
    Ok(Handler {
        records: reelcart_aws::DynamoMediaRecords::new(
            dynamo.clone(),
            v.required("CONTENT_TABLE")?,
        ),
        items: reelcart_aws::DynamoContent::new(dynamo, v.required("CONTENT_TABLE")?),
        visibility: reelcart_aws::S3MediaVisibility::new(s3.clone(), config.media_bucket.clone()),
        config,
        s3,
        backend,
        ffmpeg,
        clock,
    })
}

/// What became of one message.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Transcoded {
        manifest_key: String,
    },
    Submitted {
        job_id: String,
    },
    Refused(Rejection),
    /// This source was settled before (a redelivery).
    AlreadyDone(MediaStatus),
}

impl<R: MediaRecords, I: ItemStore, V: MediaVisibility> Handler<R, I, V> {
    /// One video per invocation is the template's batch size, but any batch works: each record on
    /// its own, failures reported per record.
    pub async fn handle_sqs(
        &self,
        event: SqsEvent,
    ) -> Result<SqsBatchResponse, reelcart_lambda::sqs::MissingMessageId> {
        reelcart_lambda::sqs::process_batch(event, 1, |m: SqsMessage| async move {
            let request: TranscodeRequest = serde_json::from_str(m.body.as_deref().unwrap_or(""))
                .map_err(|e| Error::Malformed(e.to_string()))?;
            let outcome = self.transcode(&request).await?;
            if matches!(
                outcome,
                Outcome::Transcoded { .. } | Outcome::AlreadyDone(MediaStatus::Transcoded)
            ) {
                // A failure here is retried: the redelivery finds the item settled and opens again.
                self.open_if_published(&request.item_id).await?;
            }
            Ok::<(), Error>(())
        })
        .await
    }

    /// Media lands private (untagged): publishing opens it. An item published before its
    /// transcode ended (or given a new source while published) is opened here instead, after the
    /// media record is written — publishing opens after writing the status, so of the two, the
    /// later one sees the other's write.
    pub async fn open_if_published(&self, item_id: &str) -> Result<(), Error> {
        let published = self
            .items
            .item(item_id)
            .await?
            .is_some_and(|i| i.status == reelcart_domain::content::Status::Published);
        if published {
            let files = self.visibility.set(item_id, true).await?;
            tracing::info!(%item_id, files, "published item's media opened");
        }
        Ok(())
    }

    pub async fn transcode(&self, req: &TranscodeRequest) -> Result<Outcome, Error> {
        if !valid_item_id(&req.item_id) {
            return Err(Error::Malformed(format!(
                "item_id `{}` must be 1-128 of [A-Za-z0-9_-]",
                req.item_id.chars().take(140).collect::<String>()
            )));
        }
        if let Some(raw) = &self.config.raw_bucket
            && *raw != req.bucket
        {
            return Err(Error::Malformed(format!(
                "sources are read from the raw media bucket only, not `{}`",
                req.bucket
            )));
        }
        let head = self
            .s3
            .head_object()
            .bucket(&req.bucket)
            .key(&req.key)
            .send()
            .await;
        let head = match head {
            Ok(h) => h,
            Err(e) if e.as_service_error().is_some_and(|e| e.is_not_found()) => {
                return Err(Error::SourceMissing(req.bucket.clone(), req.key.clone()));
            }
            Err(e) => return Err(Error::Transient(format!("head source: {e}"))),
        };
        let source = SourceRef {
            bucket: req.bucket.clone(),
            key: req.key.clone(),
            etag: head.e_tag().unwrap_or_default().to_string(),
        };
        let now = self.clock.now_unix();
        let existing = self.records.get(&req.item_id).await?;
        if let Some(r) = &existing {
            if r.settled_for(&source) {
                tracing::info!(item_id = %req.item_id, status = ?r.status, "already settled for this source; nothing to do");
                return Ok(Outcome::AlreadyDone(r.status));
            }
            if r.busy_at(now) {
                return Err(Error::Busy(req.item_id.clone()));
            }
        }
        let mut record = MediaRecord::attempt(
            &req.item_id,
            source.clone(),
            existing.as_ref().map_or(0, |r| r.attempts) + 1,
            now + self.config.lease_secs,
            now,
        );
        if !self.records.begin(&record, now).await? {
            return Err(Error::Busy(req.item_id.clone()));
        }
        tracing::info!(item_id = %req.item_id, attempt = record.attempts, bytes = head.content_length().unwrap_or(0), "transcoding");

        let work = self.config.work_dir.join(format!(
            "transcode-{}-{}",
            req.item_id,
            uuid::Uuid::new_v4().simple()
        ));
        // Attempts that ended without a verdict (the function timed out or ran out of memory:
        // the lease was never given back) end here, as a refusal with a reason, not in a retry
        // loop. A transient failure that returned (and gave its lease back) is retried as before.
        let unfinished = existing.as_ref().is_some_and(|r| {
            r.status == MediaStatus::Transcoding && r.lease_until.is_some_and(|t| t > r.updated_at)
        });
        let result = if unfinished && record.attempts > self.config.max_attempts {
            Err(MediaError::Rejected(Rejection::new(
                RejectCode::Unprocessable,
                format!(
                    "{} attempts to transcode it failed or did not finish (out of time or memory)",
                    record.attempts - 1
                ),
            )))
        } else {
            self.attempt(&mut record, head.content_length(), &work)
                .await
        };
        if let Err(e) = tokio::fs::remove_dir_all(&work).await
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(error = %e, dir = %work.display(), "scratch directory not removed");
        }
        let now = self.clock.now_unix();
        record.updated_at = now;
        let outcome = match result {
            Ok(outcome) => outcome,
            Err(MediaError::Rejected(reason)) => {
                tracing::warn!(item_id = %req.item_id, code = %reason.code, reason = %reason.message, "source refused");
                record.status = MediaStatus::Failed;
                record.lease_until = None;
                record.failure = Some(reason.clone());
                Outcome::Refused(reason)
            }
            Err(MediaError::Transient(message)) => {
                // Give the lease back at once so the retry can start.
                record.lease_until = Some(now);
                if let Err(e) = self.records.finish(&record).await {
                    tracing::warn!(error = %e, "lease not released; it expires on its own");
                }
                return Err(Error::Transient(message));
            }
        };
        match &outcome {
            Outcome::Transcoded { .. } => {
                record.status = MediaStatus::Transcoded;
                record.lease_until = None;
            }
            Outcome::Submitted { job_id } => {
                record.status = MediaStatus::Submitted;
                record.job_id = Some(job_id.clone());
                record.lease_until = Some(now + self.config.submitted_lease_secs);
            }
            _ => {}
        }
        if !self.records.finish(&record).await? {
            tracing::warn!(item_id = %req.item_id, attempt = record.attempts, "a later attempt took the item over; its outcome stands");
        }
        tracing::info!(item_id = %req.item_id, status = ?record.status, timings_ms = ?record.timings_ms, "done");
        let (kind, seconds) = match &outcome {
            Outcome::Transcoded { .. } => (
                "transcoded",
                record.timings_ms.values().sum::<u64>() as f64 / 1000.0,
            ),
            Outcome::Submitted { .. } => ("submitted", 0.0),
            _ => ("refused", 0.0),
        };
        reelcart_lambda::metrics::emit(
            &[("Outcome", kind)],
            &[
                ("TranscodeJobs", reelcart_lambda::metrics::Unit::Count, 1.0),
                (
                    "TranscodeSeconds",
                    reelcart_lambda::metrics::Unit::Seconds,
                    seconds,
                ),
            ],
        );
        Ok(outcome)
    }

    async fn attempt(
        &self,
        record: &mut MediaRecord,
        size: Option<i64>,
        work: &Path,
    ) -> Result<Outcome, MediaError> {
        if size.is_some_and(|s| s as u64 > self.config.max_source_bytes) {
            return Err(Rejection::new(
                RejectCode::TooLarge,
                format!(
                    "{} bytes; the limit is {} bytes",
                    size.unwrap_or_default(),
                    self.config.max_source_bytes
                ),
            )
            .into());
        }
        tokio::fs::create_dir_all(work)
            .await
            .map_err(|e| MediaError::Transient(format!("scratch directory: {e}")))?;
        let started = Instant::now();
        let input = work.join("source");
        let digest = self.download(&record.source, &input).await?;
        record
            .timings_ms
            .insert("download".into(), started.elapsed().as_millis() as u64);

        let started = Instant::now();
        let probe = self.ffmpeg.probe(&input).await?;
        record
            .timings_ms
            .insert("probe".into(), started.elapsed().as_millis() as u64);
        record.probe = Some(probe.clone());
        probe.check(&self.config.limits)?;
        let ladder = plan(&probe);
        record.ladder = Some(ladder.clone());
        tracing::info!(
            item_id = %record.item_id,
            display = format!("{}x{}", probe.display_width, probe.display_height),
            rotation = probe.rotation,
            duration_secs = probe.duration_secs,
            vfr = probe.variable_frame_rate,
            audio = probe.has_audio,
            rungs = ?ladder.rungs.iter().map(|r| r.resolution()).collect::<Vec<_>>(),
            "planned"
        );
        // Where the outputs go: under a random name, new each transcode. Item ids are derived
        // from public platform ids and sources may be public: an address derived from either
        // could be found for an item never published (or rejected). Only the moderation API
        // (to moderators) and, once the item is published, the feed hand it out.
        let prefix = media_prefix(&record.item_id, &digest);
        let source_uri = format!("s3://{}/{}", record.source.bucket, record.source.key);
        let job = EncodeJob {
            item_id: &record.item_id,
            input: &input,
            source_uri: &source_uri,
            probe: &probe,
            ladder: &ladder,
            prefix: &prefix,
            public_base: &self.config.media_base_url,
            work_dir: work,
            now: self.clock.now_unix(),
        };
        match self.backend.encode(&job).await? {
            Encoded::Submitted { job_id } => Ok(Outcome::Submitted { job_id }),
            Encoded::Ready {
                dir,
                files,
                manifest,
                timings_ms,
            } => {
                for (step, ms) in timings_ms {
                    record.timings_ms.insert(step.into(), ms);
                }
                let started = Instant::now();
                self.publish(&dir, &prefix, &files).await?;
                // The manifest is published beside its files: no address of the item's own (a
                // fixed one would lead anyone to media not published).
                let pointer = format!("{prefix}{MANIFEST}");
                let bytes: u64 = files.iter().map(|f| f.bytes).sum();
                record
                    .timings_ms
                    .insert("upload".into(), started.elapsed().as_millis() as u64);
                tracing::info!(item_id = %record.item_id, files = files.len(), bytes, prefix = %prefix, "published");
                record.manifest = Some(*manifest);
                record.manifest_key = Some(pointer.clone());
                Ok(Outcome::Transcoded {
                    manifest_key: pointer,
                })
            }
        }
    }

    /// Stream the source to `path`, hashing it on the way.
    async fn download(&self, source: &SourceRef, path: &Path) -> Result<String, MediaError> {
        let out = self
            .s3
            .get_object()
            .bucket(&source.bucket)
            .key(&source.key)
            .send()
            .await
            .map_err(|e| MediaError::Transient(format!("get source: {e}")))?;
        let mut body = out.body;
        let mut file = tokio::fs::File::create(path)
            .await
            .map_err(|e| MediaError::Transient(format!("scratch file: {e}")))?;
        let mut hasher = Sha256::new();
        let mut total = 0u64;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| MediaError::Transient(format!("reading source: {e}")))?;
            total += chunk.len() as u64;
            if total > self.config.max_source_bytes {
                return Err(Rejection::new(
                    RejectCode::TooLarge,
                    format!("over the limit of {} bytes", self.config.max_source_bytes),
                )
                .into());
            }
            hasher.update(&chunk);
            file.write_all(&chunk)
                .await
                .map_err(|e| MediaError::Transient(format!("writing source: {e}")))?;
        }
        file.flush()
            .await
            .map_err(|e| MediaError::Transient(format!("writing source: {e}")))?;
        Ok(hex::encode(hasher.finalize()))
    }

    /// Upload every output under the versioned prefix, several at a time.
    async fn publish(
        &self,
        dir: &Path,
        prefix: &str,
        files: &[OutputFile],
    ) -> Result<(), MediaError> {
        let uploads: Vec<(String, PathBuf, String)> = files
            .iter()
            .map(|f| {
                (
                    format!("{prefix}{}", f.relative),
                    dir.join(&f.relative),
                    f.content_type.to_string(),
                )
            })
            .collect();
        let results: Vec<Result<(), MediaError>> = futures::stream::iter(uploads)
            .map(|(key, path, content_type)| async move {
                self.upload(&path, &key, &content_type, true).await
            })
            .buffer_unordered(self.config.upload_concurrency.max(1))
            .collect()
            .await;
        results.into_iter().collect()
    }

    async fn upload(
        &self,
        path: &Path,
        key: &str,
        content_type: &str,
        immutable: bool,
    ) -> Result<(), MediaError> {
        let body = ByteStream::from_path(path)
            .await
            .map_err(|e| MediaError::Transient(format!("reading {}: {e}", path.display())))?;
        self.s3
            .put_object()
            .bucket(&self.config.media_bucket)
            .key(key)
            .content_type(content_type)
            .cache_control(cache_control(immutable))
            .body(body)
            .send()
            .await
            .map_err(|e| MediaError::Transient(format!("put {key}: {e}")))?;
        Ok(())
    }

    /// MediaConvert's `Job State Change` event (EventBridge): finish the item it names.
    pub async fn handle_job_event(&self, event: &serde_json::Value) -> Result<(), Error> {
        mediaconvert::finish_job(self, event).await
    }
}
