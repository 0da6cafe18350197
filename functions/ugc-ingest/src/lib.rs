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

pub mod fetch;

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use fetch::{FetchError, Fetcher};
use reelcart_catalog::PushError;
use reelcart_connections::Refresher;
use reelcart_domain::Clock;
use reelcart_domain::connection::OAuthPlatform;
use reelcart_domain::content::checks::{Check, Subject, TextCheck, Verdict, run_checks};
use reelcart_domain::content::rights_request::{
    ContentCommand, Delivery, Reply, RequestState, consent_from,
};
use reelcart_domain::content::{
    Author, Channel, Consent, MediaType, ProductMapping, RightsGrant, Source, Status, UgcItem,
    transition,
};
use reelcart_domain::event::{DomainEvent, EventKind};
use reelcart_domain::video::TranscodeRequest;
use reelcart_platforms::HttpTokenClient;
use reelcart_platforms::catalog::RefresherTokens;
use reelcart_platforms::ugc::{HashtagEdge, IgMedia, Instagram, TiktokDisplay, graph_time};
use reelcart_ports::{
    BlobStore, ConnectionStore, ContentStore, EventBus, KeyService, MessageQueue, PortError,
};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

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

/// Raw media storage (the raw bucket), from files.
pub trait RawMedia: Send + Sync {
    fn bucket(&self) -> &str;
    /// An object's type, size and `x-amz-meta-*` metadata; `None` if there is no such object.
    fn head(&self, key: &str) -> impl Future<Output = Result<Option<ObjectHead>, String>> + Send;
    fn put_file(
        &self,
        key: &str,
        path: &Path,
        content_type: &str,
    ) -> impl Future<Output = Result<(), String>> + Send;
}

/// What a HEAD of a raw object tells.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ObjectHead {
    pub content_type: String,
    pub size: u64,
    pub metadata: std::collections::HashMap<String, String>,
}

/// The raw bucket in S3.
#[derive(Debug, Clone)]
pub struct S3Raw {
    pub client: aws_sdk_s3::Client,
    pub bucket: String,
}

impl RawMedia for S3Raw {
    fn bucket(&self) -> &str {
        &self.bucket
    }

    async fn head(&self, key: &str) -> Result<Option<ObjectHead>, String> {
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
        {
            Ok(h) => Ok(Some(ObjectHead {
                content_type: h.content_type().unwrap_or_default().to_string(),
                size: h.content_length().unwrap_or(0).max(0) as u64,
                metadata: h.metadata().cloned().unwrap_or_default(),
            })),
            Err(e) if e.as_service_error().is_some_and(|e| e.is_not_found()) => Ok(None),
            Err(e) => Err(aws_sdk_s3::error::DisplayErrorContext(e).to_string()),
        }
    }

    async fn put_file(&self, key: &str, path: &Path, content_type: &str) -> Result<(), String> {
        let body = aws_sdk_s3::primitives::ByteStream::from_path(path)
            .await
            .map_err(|e| e.to_string())?;
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type)
            .body(body)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| aws_sdk_s3::error::DisplayErrorContext(e).to_string())
    }
}

/// Where a candidate's media is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaSource {
    None,
    /// On a platform's CDN: downloaded under the allow-list. `cover`: only a cover image (TikTok),
    /// never transcoded.
    Url {
        url: String,
        cover: bool,
    },
    /// Already in the raw bucket (a creator's upload).
    Stored {
        key: String,
        content_type: String,
    },
}

/// Consent that came with the content (upload terms, review terms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Granted {
    pub license: String,
    pub channels: BTreeSet<Channel>,
    pub expires_at: Option<i64>,
    pub consent: Consent,
}

/// Something found on a platform, before it is an item.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub source: Source,
    pub external_id: String,
    pub media_type: MediaType,
    pub media: MediaSource,
    pub permalink: Option<String>,
    pub caption: String,
    pub author: Author,
    pub granted: Option<Granted>,
    /// Products it is known to show (a review's product).
    pub mappings: Vec<ProductMapping>,
}

impl Candidate {
    /// From a Graph media object.
    pub fn from_instagram(source: Source, m: &IgMedia) -> Self {
        let media_type = match m.media_type.as_deref() {
            Some("VIDEO") | Some("REELS") => MediaType::Video,
            Some("CAROUSEL_ALBUM") => MediaType::Carousel,
            _ => MediaType::Image,
        };
        Self {
            source,
            external_id: m.id.clone(),
            media_type,
            media: m
                .media_url
                .clone()
                .map_or(MediaSource::None, |url| MediaSource::Url {
                    url,
                    cover: false,
                }),
            permalink: m.permalink.clone(),
            caption: m.caption.clone().unwrap_or_default(),
            author: Author {
                handle: m.username.clone(),
                creator_id: None,
            },
            granted: None,
            mappings: Vec::new(),
        }
    }
}

/// What ingesting one candidate did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Ingested {
    Created {
        item_id: String,
        status: Status,
        transcode: bool,
    },
    /// Seen before (same source and external id): nothing done.
    Known { item_id: String },
    /// Not taken: the reason (a media URL off the allow-list, too large, not media …).
    Refused { external_id: String, reason: String },
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

pub use reelcart_aws::presign::{upload_meta, upload_policy};

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

type Tokens<CS, K, E> = RefresherTokens<CS, K, HttpTokenClient, E>;

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
    // ------------------------------------------------------------ ingest

    /// Ingest one candidate: dedupe, download, check, store, queue for transcoding.
    pub async fn ingest(&self, c: &Candidate) -> Result<Ingested, Error> {
        let item_id = UgcItem::id_for(c.source, &c.external_id);
        if self.content.item(&item_id).await?.is_some() {
            return Ok(Ingested::Known { item_id });
        }
        let now = self.clock.now_unix();
        let mut item = UgcItem::new(c.source, &c.external_id, c.media_type, &c.caption, now);
        item.permalink = c.permalink.clone();
        item.author = c.author.clone();

        // The media, into the raw bucket (before the item: an item never points at nothing).
        let mut video_key = None;
        match &c.media {
            MediaSource::None => {}
            MediaSource::Stored { key, content_type } => {
                if content_type.starts_with("video/") {
                    video_key = Some(key.clone());
                }
                item.media_key = Some(key.clone());
            }
            MediaSource::Url { url, cover } => {
                let dir = tempfile::tempdir().map_err(|e| Error::Fetch(e.to_string()))?;
                let path = dir.path().join("media");
                let fetched = match self.fetcher.fetch(url, &path).await {
                    Ok(f) => f,
                    Err(FetchError::Refused(reason)) => {
                        tracing::warn!(source = ?c.source, external_id = %c.external_id, %reason, "media refused");
                        return Ok(Ingested::Refused {
                            external_id: c.external_id.clone(),
                            reason,
                        });
                    }
                    Err(FetchError::Transient(e)) => return Err(Error::Fetch(e)),
                };
                let name = if *cover { "cover" } else { "source" };
                let key = format!("ugc/{item_id}/{name}.{}", fetched.extension());
                self.raw
                    .put_file(&key, &path, &fetched.content_type)
                    .await
                    .map_err(Error::Raw)?;
                tracing::info!(%item_id, bytes = fetched.bytes, content_type = %fetched.content_type, "media stored");
                if fetched.is_video() && !cover {
                    video_key = Some(key.clone());
                }
                item.media_key = Some(key);
            }
        }
        let transcode = video_key.map(|key| TranscodeRequest {
            item_id: item_id.clone(),
            bucket: self.raw.bucket().to_string(),
            key,
        });

        // Automated checks (the blocklists; media sanity follows the transcoder's probe).
        let blocklist = self.content.blocklist().await?;
        let text = TextCheck(blocklist);
        let checks: [&dyn Check; 1] = [&text];
        let verdict = run_checks(
            &checks,
            &Subject {
                item: &item,
                media: None,
            },
        );
        if let Verdict::Flag(reason) = &verdict {
            item.flags.push(reason.clone());
        }
        let rejected = matches!(verdict, Verdict::Reject(_));
        let transcode = transcode.filter(|_| !rejected);
        // Queued before the item is created: a crash in between leaves a transcode of an item
        // that the retry then creates, never an item whose video is not queued.
        if let Some(req) = &transcode {
            let body = serde_json::to_string(req).map_err(|e| Error::Malformed(e.to_string()))?;
            self.transcode.send(&body).await?;
        }
        // Consent and product mappings that came with it, written before the item (ids are
        // derived, so a retry finds them and does not write them twice).
        if let Some(g) = &c.granted {
            let grant = RightsGrant {
                item_id: item_id.clone(),
                license: g.license.clone(),
                channels: g.channels.clone(),
                starts_at: now,
                expires_at: g.expires_at,
                consent: g.consent.clone(),
            };
            reelcart_ports::record_rights_once(&self.content, &self.consent, grant, ACTOR, now)
                .await?;
        }
        for m in &c.mappings {
            self.content.put_mapping(&item_id, m).await?;
        }
        if !self.content.create_item(&item).await? {
            return Ok(Ingested::Known { item_id });
        }
        let mut status = item.status;
        if let Verdict::Reject(reason) = verdict {
            let entry = transition(
                &item.id,
                Status::Queued,
                Status::Rejected,
                ACTOR,
                Some(&reason),
                None,
                now,
            )
            .map_err(|e| Error::Malformed(e.to_string()))?;
            let mut rejected_item = item.clone();
            rejected_item.status = Status::Rejected;
            rejected_item.rejection = Some(reason.clone());
            rejected_item.updated_at = now;
            if self
                .content
                .record_transition(&rejected_item, &entry)
                .await?
            {
                status = Status::Rejected;
                tracing::info!(%item_id, %reason, "rejected by the blocklist");
            }
        }
        tracing::info!(%item_id, source = ?c.source, status = status.as_str(), "ingested");
        Ok(Ingested::Created {
            item_id,
            status,
            transcode: transcode.is_some(),
        })
    }

    async fn ingest_all(&self, report: &mut SourceReport, candidates: &[Candidate]) {
        for c in candidates {
            match self.ingest(c).await {
                Ok(outcome) => report.count(outcome),
                Err(e) => {
                    tracing::warn!(external_id = %c.external_id, error = %e, "not ingested; next run retries");
                    report.error.get_or_insert_with(|| e.to_string());
                }
            }
        }
    }

    // ------------------------------------------------------------ connections

    /// The usable connections of `platform`.
    async fn connections_of(&self, platform: OAuthPlatform) -> Result<Vec<String>, Error> {
        Ok(self.connections.active_connections(platform).await?)
    }

    /// The brand's Instagram account through its Meta connection, if both are configured.
    async fn instagram(&self) -> Result<Option<Instagram<Tokens<CS, K, E>>>, Error> {
        let Some(ig_user_id) = &self.config.ig_user_id else {
            return Ok(None);
        };
        let Some(connection) = self
            .connections_of(OAuthPlatform::Meta)
            .await?
            .into_iter()
            .next()
        else {
            tracing::info!("no Meta connection: Instagram is not read");
            return Ok(None);
        };
        let tokens = RefresherTokens::new(self.connections.clone(), connection);
        Instagram::new(self.connections.client.config(), ig_user_id.clone(), tokens)
            .map(Some)
            .map_err(|e| Error::Platform(PushError::Fatal(e.without_url().to_string())))
    }

    // ------------------------------------------------------------ schedule

    /// The scheduled run: hashtags, tags, TikTok creators.
    pub async fn poll(&self) -> Result<PollReport, Error> {
        let mut report = PollReport::default();
        if let Some(ig) = self.instagram().await? {
            self.poll_hashtags(&ig, &mut report).await?;
            let mut tags = SourceReport::named("instagram_tags");
            let mut after: Option<String> = None;
            for _ in 0..self.config.max_pages.max(1) {
                match ig.tags(after.as_deref()).await {
                    Ok(page) => {
                        let found: Vec<Candidate> = page
                            .items
                            .iter()
                            .map(|m| Candidate::from_instagram(Source::InstagramTag, m))
                            .collect();
                        self.ingest_all(&mut tags, &found).await;
                        after = page.after;
                    }
                    Err(e) => {
                        tags.error = Some(e.to_string());
                        break;
                    }
                }
                if after.is_none() {
                    break;
                }
            }
            report.sources.push(tags);
        }
        self.poll_tiktok(&mut report).await?;
        for s in &report.sources {
            tracing::info!(source = %s.source, created = s.created, known = s.known, refused = s.refused.len(), error = ?s.error, "polled");
        }
        Ok(report)
    }

    async fn poll_hashtags(
        &self,
        ig: &Instagram<Tokens<CS, K, E>>,
        report: &mut PollReport,
    ) -> Result<(), Error> {
        let now = self.clock.now_unix();
        for tag in &self.config.hashtags {
            let name = reelcart_domain::content::hashtag_budget::normalize(tag);
            let mut r = SourceReport::named(format!("instagram_hashtag:#{name}"));
            // The budget is written before the query: a query that fails still counts.
            let mut budget = self.content.hashtag_budget().await?;
            if let Err(over) = budget.admit(&name, now) {
                tracing::warn!(error = %over, "hashtag skipped");
                r.error = Some(over.to_string());
                report.sources.push(r);
                continue;
            }
            self.content.put_hashtag_budget(&budget).await?;
            let id = match budget.ids.get(&name) {
                Some(id) => id.clone(),
                None => match ig.hashtag_id(&name).await {
                    Ok(id) => {
                        budget.ids.insert(name.clone(), id.clone());
                        self.content.put_hashtag_budget(&budget).await?;
                        id
                    }
                    Err(e) => {
                        r.error = Some(e.to_string());
                        report.sources.push(r);
                        continue;
                    }
                },
            };
            let mut after: Option<String> = None;
            for _ in 0..self.config.max_pages.max(1) {
                match ig
                    .hashtag_media(&id, HashtagEdge::Recent, after.as_deref())
                    .await
                {
                    Ok(page) => {
                        let found: Vec<Candidate> = page
                            .items
                            .iter()
                            .map(|m| Candidate::from_instagram(Source::InstagramHashtag, m))
                            .collect();
                        self.ingest_all(&mut r, &found).await;
                        after = page.after;
                    }
                    Err(e) => {
                        r.error = Some(e.to_string());
                        break;
                    }
                }
                if after.is_none() {
                    break;
                }
            }
            report.sources.push(r);
        }
        Ok(())
    }

    async fn poll_tiktok(&self, report: &mut PollReport) -> Result<(), Error> {
        for connection in self.connections_of(OAuthPlatform::Tiktok).await? {
            let open_id = connection
                .split_once('#')
                .map_or(connection.as_str(), |(_, a)| a)
                .to_string();
            let mut r = SourceReport::named(format!("tiktok:{open_id}"));
            let token = match self.connections.fresh_access_token(&connection).await {
                Ok(t) => t,
                Err(e) => {
                    r.error = Some(e.to_string());
                    report.sources.push(r);
                    continue;
                }
            };
            let mut cursor = None;
            for _ in 0..self.config.max_pages.max(1) {
                match self.tiktok.video_list(&token, cursor).await {
                    Ok(page) => {
                        let found: Vec<Candidate> = page
                            .videos
                            .iter()
                            .map(|v| Candidate {
                                source: Source::Tiktok,
                                external_id: v.id.clone(),
                                media_type: MediaType::Video,
                                media: v.cover_image_url.clone().map_or(MediaSource::None, |url| {
                                    MediaSource::Url { url, cover: true }
                                }),
                                permalink: v.share_url.clone(),
                                caption: v.video_description.clone(),
                                author: Author {
                                    handle: None,
                                    creator_id: Some(open_id.clone()),
                                },
                                granted: None,
                                mappings: Vec::new(),
                            })
                            .collect();
                        self.ingest_all(&mut r, &found).await;
                        cursor = page.cursor;
                    }
                    Err(e) => {
                        r.error = Some(e.to_string());
                        break;
                    }
                }
                if cursor.is_none() {
                    break;
                }
            }
            report.sources.push(r);
        }
        Ok(())
    }

    // ------------------------------------------------------------ queue

    /// One content-queue message: a platform event or a command.
    pub async fn on_message(&self, body: &str) -> Result<Value, Error> {
        let json: Value =
            serde_json::from_str(body).map_err(|e| Error::Malformed(e.to_string()))?;
        if let Some(records) = json.get("Records").and_then(Value::as_array) {
            let mut out = Vec::new();
            for r in records {
                out.push(self.on_upload(r).await?);
            }
            return Ok(json!({ "uploads": out }));
        }
        if json.get("command").is_some() {
            let command: ContentCommand =
                serde_json::from_value(json).map_err(|e| Error::Malformed(e.to_string()))?;
            return match command {
                ContentCommand::PostRightsRequest {
                    item_id,
                    request_id,
                } => self.post_rights_request(&item_id, &request_id).await,
            };
        }
        let event: DomainEvent =
            serde_json::from_value(json).map_err(|e| Error::Malformed(e.to_string()))?;
        match event.kind {
            EventKind::ContentMention => {
                let value = &event.data["value"];
                let text = |k: &str| {
                    value[k]
                        .as_str()
                        .map(str::to_string)
                        .or_else(|| value[k].as_u64().map(|n| n.to_string()))
                };
                match (text("comment_id"), text("media_id")) {
                    (Some(comment_id), _) => self.on_mention_comment(&comment_id).await,
                    (None, Some(media_id)) => self.on_mentioned_media(&media_id).await,
                    (None, None) => Err(Error::Malformed(
                        "a mention names neither media nor comment".into(),
                    )),
                }
            }
            EventKind::ReviewCreated => {
                let outcome = self.ingest(&self.review_candidate(&event.data)?).await?;
                Ok(json!(outcome))
            }
            other => {
                tracing::info!(kind = other.as_str(), event_id = %event.id, "not for ingest: acknowledged");
                Ok(json!({"ignored": other.as_str()}))
            }
        }
    }

    pub async fn handle_sqs(
        &self,
        event: SqsEvent,
    ) -> Result<SqsBatchResponse, reelcart_lambda::sqs::MissingMessageId> {
        reelcart_lambda::sqs::process_batch(event, 4, |m: SqsMessage| async move {
            match self.on_message(m.body.as_deref().unwrap_or("")).await {
                Ok(_) => Ok(()),
                // A message that can never work is dropped loudly rather than retried into the
                // DLQ five times.
                Err(Error::Malformed(e)) => {
                    tracing::error!(error = %e, "malformed content message dropped");
                    Ok(())
                }
                Err(e) => Err(e),
            }
        })
        .await
    }

    /// A creator's upload landed in the raw bucket (an S3 notification record).
    async fn on_upload(&self, record: &Value) -> Result<Value, Error> {
        let bucket = record.pointer("/s3/bucket/name").and_then(Value::as_str);
        if bucket != Some(self.raw.bucket()) {
            return Err(Error::Malformed(format!(
                "uploads are read from the raw bucket only, not {bucket:?}"
            )));
        }
        // Keys arrive URL-encoded, spaces as `+`.
        let raw_key = record
            .pointer("/s3/object/key")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .replace('+', " ");
        let key = percent_encoding::percent_decode_str(&raw_key)
            .decode_utf8()
            .map_err(|e| Error::Malformed(e.to_string()))?
            .to_string();
        let Some((creator_id, upload_id)) = reelcart_domain::content::parse_upload_key(&key) else {
            return Err(Error::Malformed(format!("`{key}` is not an upload key")));
        };
        let Some(head) = self.raw.head(&key).await.map_err(Error::Raw)? else {
            // Deleted since: nothing to ingest.
            return Ok(json!({"key": key, "outcome": "gone"}));
        };
        let meta = |k: &str| head.metadata.get(k).cloned();
        let media_type = if head.content_type.starts_with("video/") {
            MediaType::Video
        } else if head.content_type.starts_with("image/") {
            MediaType::Image
        } else {
            return Ok(json!(Ingested::Refused {
                external_id: key,
                reason: format!("`{}` is not video or an image", head.content_type),
            }));
        };
        if head.size > self.config.max_upload_bytes {
            return Ok(json!(Ingested::Refused {
                external_id: key,
                reason: format!("larger than {} bytes", self.config.max_upload_bytes),
            }));
        }
        let (Some(terms_version), Some(accepted_at)) = (
            meta(upload_meta::TERMS_VERSION),
            meta(upload_meta::ACCEPTED_AT).and_then(|a| a.parse::<i64>().ok()),
        ) else {
            return Ok(json!(Ingested::Refused {
                external_id: key,
                reason: "an upload without accepted terms (not made through the portal)".into(),
            }));
        };
        let caption = meta(upload_meta::CAPTION)
            .map(|c| {
                percent_encoding::percent_decode_str(&c)
                    .decode_utf8_lossy()
                    .to_string()
            })
            .unwrap_or_default();
        let candidate = Candidate {
            source: Source::Upload,
            external_id: format!("{creator_id}/{upload_id}"),
            media_type,
            media: MediaSource::Stored {
                key: key.clone(),
                content_type: head.content_type.clone(),
            },
            permalink: None,
            caption,
            author: Author {
                handle: None,
                creator_id: Some(creator_id.to_string()),
            },
            granted: Some(Granted {
                license: format!("creator portal terms {terms_version}"),
                channels: self.config.upload_channels.clone(),
                expires_at: None,
                consent: Consent::PortalTerms {
                    creator_id: creator_id.to_string(),
                    terms_version,
                    accepted_at,
                },
            }),
            mappings: Vec::new(),
        };
        Ok(json!(self.ingest(&candidate).await?))
    }

    /// A `review.created` Standard Webhooks body: `data` is `{id, sku, rating, title, body,
    /// reviewer: {name}, media: [{type, url}], consent: {terms_version, accepted_at}}`.
    pub fn review_candidate(&self, body: &Value) -> Result<Candidate, Error> {
        let d = &body["data"];
        let s = |p: &str| d.pointer(p).and_then(Value::as_str).map(str::to_string);
        let id = s("/id").ok_or_else(|| Error::Malformed("a review without an id".into()))?;
        let media = d["media"].as_array().cloned().unwrap_or_default();
        // A video if there is one, else the first image.
        let pick = media
            .iter()
            .find(|m| m["type"] == "video")
            .or_else(|| media.first());
        let (media, media_type) = match pick.and_then(|m| Some((m["url"].as_str()?, m))) {
            Some((url, m)) => (
                MediaSource::Url {
                    url: url.to_string(),
                    cover: false,
                },
                if m["type"] == "video" {
                    MediaType::Video
                } else {
                    MediaType::Image
                },
            ),
            None => (MediaSource::None, MediaType::Image),
        };
        let reviewer = s("/reviewer/name").unwrap_or_else(|| "a customer".into());
        let caption = [s("/title"), s("/body")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("\n");
        let granted = match (
            s("/consent/terms_version"),
            d.pointer("/consent/accepted_at").and_then(Value::as_i64),
        ) {
            (Some(terms_version), Some(accepted_at)) => Some(Granted {
                license: format!("review terms {terms_version}"),
                channels: self.config.review_channels.clone(),
                expires_at: None,
                consent: Consent::ReviewTerms {
                    review_id: id.clone(),
                    reviewer: reviewer.clone(),
                    terms_version,
                    accepted_at,
                },
            }),
            _ => None,
        };
        let mappings = s("/sku")
            .map(|sku| ProductMapping {
                sku,
                placement: "pdp".into(),
                // The reviewer reviewed that product.
                confidence: 1.0,
                pinned: false,
            })
            .into_iter()
            .collect();
        Ok(Candidate {
            source: Source::Review,
            external_id: id,
            media_type,
            media,
            permalink: None,
            caption,
            author: Author {
                handle: Some(reviewer),
                creator_id: None,
            },
            granted,
            mappings,
        })
    }

    async fn instagram_required(&self) -> Result<Instagram<Tokens<CS, K, E>>, Error> {
        self.instagram().await?.ok_or_else(|| {
            Error::Platform(PushError::Auth(
                "Instagram is not connected (IG_USER_ID and a Meta connection)".into(),
            ))
        })
    }

    async fn on_mentioned_media(&self, media_id: &str) -> Result<Value, Error> {
        let ig = self.instagram_required().await?;
        let media = ig.mentioned_media(media_id).await?;
        let outcome = self
            .ingest(&Candidate::from_instagram(Source::InstagramMention, &media))
            .await?;
        Ok(json!(outcome))
    }

    /// A comment mentioning the brand: consent, if it answers a pending rights request.
    async fn on_mention_comment(&self, comment_id: &str) -> Result<Value, Error> {
        let ig = self.instagram_required().await?;
        let comment = ig.mentioned_comment(comment_id).await?;
        let media_id = comment.media.id.clone();
        let now = self.clock.now_unix();
        let reply = Reply {
            comment_id: comment.id.clone(),
            media_id: media_id.clone(),
            author: comment.username.clone().unwrap_or_default(),
            text: comment.text.clone(),
            permalink: comment
                .media
                .permalink
                .clone()
                .unwrap_or_else(|| format!("instagram:media:{media_id}")),
            at: comment
                .timestamp
                .as_deref()
                .and_then(graph_time)
                .unwrap_or(now),
        };
        for source in [
            Source::InstagramHashtag,
            Source::InstagramMention,
            Source::InstagramTag,
        ] {
            let item_id = UgcItem::id_for(source, &media_id);
            let Some(item) = self.content.item(&item_id).await? else {
                continue;
            };
            for mut request in self.content.rights_requests(&item_id).await? {
                let consent = match consent_from(&request, &reply, item.author.handle.as_deref()) {
                    Ok(c) => c,
                    Err(why) => {
                        tracing::info!(%item_id, request_id = %request.id, comment_id = %reply.comment_id, reason = %why, "comment is not consent");
                        continue;
                    }
                };
                let grant = RightsGrant {
                    item_id: item_id.clone(),
                    license: request.terms.license.clone(),
                    channels: request.terms.channels.clone(),
                    starts_at: reply.at,
                    expires_at: request
                        .terms
                        .duration_days
                        .map(|d| reply.at + i64::from(d) * 86_400),
                    consent,
                };
                // Once per reply, even if this message is redelivered after the rights were
                // written but before the request was marked.
                let rights = reelcart_ports::record_rights_once(
                    &self.content,
                    &self.consent,
                    grant,
                    ACTOR,
                    now,
                )
                .await?;
                request.state = RequestState::Granted {
                    rights_id: rights.id.clone(),
                    at: now,
                };
                self.content.put_rights_request(&request).await?;
                tracing::info!(%item_id, request_id = %request.id, rights_id = %rights.id, "consent recorded from the creator's reply");
                return Ok(json!({"granted": rights.id, "item_id": item_id}));
            }
        }
        tracing::info!(comment_id, %media_id, "a mention in a comment that answers no request");
        Ok(json!({"granted": null}))
    }

    async fn post_rights_request(&self, item_id: &str, request_id: &str) -> Result<Value, Error> {
        let Some(mut request) = self
            .content
            .rights_requests(item_id)
            .await?
            .into_iter()
            .find(|r| r.id == request_id)
        else {
            return Err(Error::Malformed(format!(
                "no rights request {request_id} on {item_id}"
            )));
        };
        if request.state != RequestState::Pending
            || !matches!(request.delivery, Delivery::Api { comment_id: None })
        {
            return Ok(json!({"posted": false, "reason": "already posted or settled"}));
        }
        let ig = self.instagram_required().await?;
        match ig
            .comment_on_mention(&request.media_id, &request.text)
            .await
        {
            Ok(comment_id) => {
                request.delivery = Delivery::Api {
                    comment_id: Some(comment_id.clone()),
                };
                self.content.put_rights_request(&request).await?;
                tracing::info!(%item_id, %request_id, %comment_id, "rights request posted");
                Ok(json!({"posted": true, "comment_id": comment_id}))
            }
            Err(PushError::Fatal(reason)) => {
                request.state = RequestState::Failed {
                    reason: reason.clone(),
                };
                self.content.put_rights_request(&request).await?;
                tracing::warn!(%item_id, %request_id, %reason, "rights request could not be posted");
                Ok(json!({"posted": false, "reason": reason}))
            }
            Err(e) => Err(e.into()),
        }
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
