//! `ugc-ingest`: brings UGC in, and turns creators' replies into rights.
//!
//! On its schedule it polls:
//! - Instagram hashtag search (`UGC_HASHTAGS`, recent media of the last 24 h; the 30-a-week
//!   hashtag budget is kept in the content table, a 31st hashtag is never queried);
//! - media the brand is tagged in (`/{ig-user-id}/tags`);
//! - TikTok: each connected creator's own public videos (Display API `video.list`; no file to
//!   download there — the cover is kept, and the video shown by its embed).
//!
//! From the content queue (platform events routed by `webhook-processor`, and commands) it takes:
//! - Instagram `mentions` of media: the mentioned media is fetched and ingested;
//! - Instagram `mentions` in comments: a reply to a rights request — with the approval hashtag,
//!   by the post's author — is the consent: the artifact goes to the consent bucket and the
//!   rights are recorded;
//! - `post_rights_request`: the request's comment is posted on the creator's post (`POST
//!   /{ig-user-id}/mentions`, allowed on media that mentions or tags the brand).
//!
//! Each item is deduplicated by (source, external id), its media downloaded only from allowed
//! CDN hosts (see [`fetch`]) into the raw bucket, checked against the blocklists (rejected or
//! flagged, as configured), and videos are queued for the transcoder.
//!
//! Modules: `ingest` (a candidate becomes an item), `instagram`, `tiktok`, `uploads`, `reviews`
//! (where candidates come from), `rights` (rights requests posted, replies recorded as consent),
//! `messages` (the content queue's messages), `raw` (the raw bucket), [`fetch`] (downloads).

pub mod fetch;
mod ingest;
mod instagram;
mod messages;
mod raw;
mod reviews;
mod rights;
mod tiktok;
mod uploads;

pub use ingest::{Candidate, Granted, Ingested, MediaSource};
pub use raw::{ObjectHead, RawMedia, S3Raw};
pub use reelcart_aws::presign::{upload_meta, upload_policy};

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use fetch::Fetcher;
use reelcart_catalog::PushError;
use reelcart_connections::Refresher;
use reelcart_domain::Clock;
use reelcart_domain::connection::OAuthPlatform;
use reelcart_domain::content::Channel;
use reelcart_platforms::HttpTokenClient;
use reelcart_platforms::ugc::TiktokDisplay;
use reelcart_ports::{
    BlobStore, ConnectionStore, ContentStore, EventBus, KeyService, MessageQueue, PortError,
};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::Arc;

// What the crate's tests (`tests.rs`, `use super::*`) name from here.
#[cfg(test)]
use {
    reelcart_domain::content::{Consent, MediaType, Source, Status, UgcItem},
    reelcart_domain::video::TranscodeRequest,
    reelcart_platforms::ugc::IgMedia,
    serde_json::json,
    std::path::Path,
};

/// Who the audit trail names for automatic steps.
pub const ACTOR: &str = "ugc-ingest";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("malformed message: {0}")]
    Malformed(String),
    #[error(transparent)]
    Store(#[from] PortError),
    #[error("platform: {0}")]
    Platform(#[from] PushError),
    #[error("download: {0}")]
    Fetch(String),
    #[error("storing media: {0}")]
    Raw(String),
}

/// Settings.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// `IG_USER_ID`: the brand's Instagram professional account (hashtag search, tags,
    /// mentions); unset: no Instagram.
    pub ig_user_id: Option<String>,
    /// `UGC_HASHTAGS`: comma-separated.
    pub hashtags: Vec<String>,
    /// Pages read per source per run (`UGC_MAX_PAGES`, default 4).
    pub max_pages: usize,
    /// What the creator portal's terms grant (`UPLOAD_RIGHTS_CHANNELS`, default every channel).
    pub upload_channels: BTreeSet<Channel>,
    /// What the review form's terms grant (`REVIEW_RIGHTS_CHANNELS`, default site and email).
    pub review_channels: BTreeSet<Channel>,
    /// Largest upload accepted (`MAX_VIDEO_MB`), also the presigned policy's limit.
    pub max_upload_bytes: u64,
}

fn parse_channels(v: Option<String>, default: &[Channel]) -> Result<BTreeSet<Channel>, String> {
    let Some(v) = v.filter(|v| !v.trim().is_empty()) else {
        return Ok(default.iter().copied().collect());
    };
    v.split(',')
        .map(|c| {
            serde_json::from_value::<Channel>(Value::String(c.trim().to_string()))
                .map_err(|_| format!("unknown channel `{}`", c.trim()))
        })
        .collect()
}

pub struct Handler<S, Q, B, R, CS, K, E> {
    pub content: S,
    /// The transcode queue.
    pub transcode: Q,
    /// Consent artifacts.
    pub consent: B,
    pub raw: R,
    pub fetcher: Fetcher,
    pub connections: Arc<Refresher<CS, K, HttpTokenClient, E>>,
    pub tiktok: TiktokDisplay,
    pub config: Config,
    pub clock: Arc<dyn Clock>,
}

impl<S, Q, B, R, CS, K, E> std::fmt::Debug for Handler<S, Q, B, R, CS, K, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handler")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// What a scheduled run did, per source.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PollReport {
    pub sources: Vec<SourceReport>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SourceReport {
    pub source: String,
    pub created: usize,
    pub known: usize,
    pub refused: Vec<Ingested>,
    pub error: Option<String>,
}

impl SourceReport {
    fn named(source: impl Into<String>) -> Self {
        Self {
            source: source.into(),
            ..Self::default()
        }
    }

    fn count(&mut self, outcome: Ingested) {
        match outcome {
            Ingested::Created { .. } => self.created += 1,
            Ingested::Known { .. } => self.known += 1,
            refused @ Ingested::Refused { .. } => self.refused.push(refused),
        }
    }
}

impl<S, Q, B, R, CS, K, E> Handler<S, Q, B, R, CS, K, E>
where
    S: ContentStore,
    Q: MessageQueue,
    B: BlobStore,
    R: RawMedia,
    CS: ConnectionStore,
    K: KeyService,
    E: EventBus,
{
    /// The usable connections of `platform`.
    async fn connections_of(&self, platform: OAuthPlatform) -> Result<Vec<String>, Error> {
        Ok(self.connections.active_connections(platform).await?)
    }

    // ------------------------------------------------------------ entry points

    /// The scheduled run: hashtags, tags, TikTok creators.
    pub async fn poll(&self) -> Result<PollReport, Error> {
        let mut report = PollReport::default();
        if let Some(ig) = self.instagram().await? {
            self.poll_hashtags(&ig, &mut report).await?;
            report.sources.push(self.poll_tags(&ig).await);
        }
        self.poll_tiktok(&mut report).await?;
        for s in &report.sources {
            tracing::info!(source = %s.source, created = s.created, known = s.known, refused = s.refused.len(), error = ?s.error, "polled");
        }
        Ok(report)
    }

    /// A content-queue batch: each message through [`Handler::on_message`], four at a time. A
    /// malformed message is reported too (to the dead-letter queue, by the queue's redrive policy).
    pub async fn handle_sqs(
        &self,
        event: SqsEvent,
    ) -> Result<SqsBatchResponse, reelcart_lambda::sqs::MissingMessageId> {
        reelcart_lambda::sqs::process_batch(event, 4, |m: SqsMessage| async move {
            match self.on_message(m.body.as_deref().unwrap_or("")).await {
                Ok(_) => Ok(()),
                // A message that can never work is reported like any failure: the queue's
                // redrive policy moves it to the dead-letter queue, where an operator sees it.
                Err(Error::Malformed(e)) => {
                    tracing::error!(error = %e, "malformed content message: to the dead-letter queue");
                    Err(Error::Malformed(e))
                }
                Err(e) => Err(e),
            }
        })
        .await
    }
}

/// The deployed handler.
pub type AwsHandler = Handler<
    reelcart_aws::DynamoContent,
    reelcart_aws::SqsQueue,
    reelcart_aws::S3Blobs,
    S3Raw,
    reelcart_aws::DynamoConnections,
    reelcart_aws::KmsKeys,
    reelcart_aws::EventBridgeBus,
>;

/// Build from settings: `CONTENT_TABLE`, `RAW_MEDIA_BUCKET`, `CONSENT_BUCKET`,
/// `TRANSCODE_QUEUE_URL`, `IG_USER_ID`,
/// `UGC_HASHTAGS`, `UGC_MAX_PAGES`, `MEDIA_HOSTS` (default: the platforms' CDNs),
/// `MAX_VIDEO_MB` (default 300), `MAX_IMAGE_MB` (default 30), `S3_FORCE_PATH_STYLE`, and the
/// connection settings every platform client takes.
pub async fn from_aws<F: Fn(&str) -> Option<String>>(
    v: &reelcart_lambda::config::Vars<F>,
    sdk: &reelcart_aws::SdkConfig,
    clock: Arc<dyn Clock>,
) -> Result<AwsHandler, reelcart_platforms::aws::InitError> {
    use reelcart_lambda::config::ConfigError;
    let refresher =
        reelcart_platforms::aws::aws_refresher(v, sdk, clock.clone(), "ugc-ingest").await?;
    let http = |e: reqwest::Error| reelcart_platforms::aws::InitError::Http(e.to_string());
    let list = |name: &str| -> Vec<String> {
        v.optional(name)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    };
    let mut hosts = list("MEDIA_HOSTS");
    if hosts.is_empty() {
        hosts = reelcart_domain::content::media_url::DEFAULT_HOSTS
            .iter()
            .map(|h| h.to_string())
            .collect();
    }
    let mb = 1024 * 1024;
    let max_upload_bytes = v.parse_or("MAX_VIDEO_MB", 300u64)? * mb;
    let fetcher = Fetcher::new(
        hosts,
        max_upload_bytes,
        v.parse_or("MAX_IMAGE_MB", 30u64)? * mb,
    )
    .map_err(http)?;
    let s3 = reelcart_aws::s3_client(sdk, v.parse_or("S3_FORCE_PATH_STYLE", false)?);
    let tiktok = TiktokDisplay::new(refresher.client.config()).map_err(http)?;
    Ok(Handler {
        content: reelcart_aws::DynamoContent::new(
            aws_sdk_dynamodb::Client::new(sdk),
            v.required("CONTENT_TABLE")?,
        ),
        transcode: reelcart_aws::SqsQueue::new(
            aws_sdk_sqs::Client::new(sdk),
            v.required("TRANSCODE_QUEUE_URL")?,
        ),
        consent: reelcart_aws::S3Blobs::new(s3.clone(), v.required("CONSENT_BUCKET")?),
        raw: S3Raw {
            client: s3,
            bucket: v.required("RAW_MEDIA_BUCKET")?,
        },
        fetcher,
        connections: Arc::new(refresher),
        tiktok,
        config: Config {
            ig_user_id: v.optional("IG_USER_ID").filter(|s| !s.is_empty()),
            hashtags: list("UGC_HASHTAGS"),
            max_pages: v.parse_or("UGC_MAX_PAGES", 4usize)?,
            upload_channels: parse_channels(
                v.optional("UPLOAD_RIGHTS_CHANNELS"),
                &[
                    Channel::Site,
                    Channel::Email,
                    Channel::Ads,
                    Channel::Instagram,
                    Channel::Tiktok,
                ],
            )
            .map_err(|reason| ConfigError::Invalid {
                name: "UPLOAD_RIGHTS_CHANNELS",
                reason,
            })?,
            review_channels: parse_channels(
                v.optional("REVIEW_RIGHTS_CHANNELS"),
                &[Channel::Site, Channel::Email],
            )
            .map_err(|reason| ConfigError::Invalid {
                name: "REVIEW_RIGHTS_CHANNELS",
                reason,
            })?,
            max_upload_bytes,
        },
        clock,
    })
}

#[cfg(test)]
mod tests;
