//! One candidate — found on a platform, uploaded, reviewed — becomes an item: deduplicated, its
//! media stored, checked against the blocklists, queued for the transcoder, with the rights and
//! product mappings that came with it.

use crate::fetch::FetchError;
use crate::{ACTOR, Error, Handler, RawMedia, SourceReport};
use reelcart_domain::content::checks::{Check, Subject, TextCheck, Verdict, run_checks};
use reelcart_domain::content::{
    Author, Channel, Consent, MediaType, ProductMapping, RightsGrant, Source, Status, UgcItem,
};
use reelcart_domain::video::TranscodeRequest;
use reelcart_ports::{BlobStore, ContentStore, MessageQueue};
use serde::Serialize;
use std::collections::BTreeSet;

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

impl<S, Q, B, R, CS, K, E> Handler<S, Q, B, R, CS, K, E>
where
    S: ContentStore,
    Q: MessageQueue,
    B: BlobStore,
    R: RawMedia,
{
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
            let moved = reelcart_ports::move_item(
                &self.content,
                &item,
                Status::Rejected,
                ACTOR,
                Some(&reason),
                now,
            )
            .await
            .map_err(|e| match e {
                reelcart_ports::MoveError::Store(e) => Error::Store(e),
                reelcart_ports::MoveError::Rule(e) => Error::Malformed(e.to_string()),
            })?;
            if matches!(moved, reelcart_ports::Moved::Done { .. }) {
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

    pub(crate) async fn ingest_all(&self, report: &mut SourceReport, candidates: &[Candidate]) {
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
}
