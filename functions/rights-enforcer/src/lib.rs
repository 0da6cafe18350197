//! `rights-enforcer` (scheduled): a published item whose rights for the site are no longer valid —
//! expired, revoked, or never granted — has its public media deleted from the media bucket (it can
//! be transcoded again from the raw upload if rights are granted anew), the CDN told to forget its
//! paths, and is then archived (an audit entry by `rights-enforcer` with the reason). After one run
//! nothing of it is shown anywhere.
//!
//! It also purges what moderation turned down: an item rejected, or archived by a moderator, has
//! its media deleted once it has stayed so for the grace period (`MEDIA_GRACE_DAYS`, 7: time to
//! change one's mind without transcoding again). Items that left that state in the meantime keep
//! theirs. Each such item is looked at during the three days after its grace period ends.

use reelcart_domain::Clock;
use reelcart_domain::content::{Channel, Rights, Status, rights_valid};
use reelcart_lambda::config::{ConfigError, Vars};
use reelcart_ports::{
    CdnInvalidator, ItemStore, MappingStore, MoveError, Moved, PortError, RightsStore, move_item,
};
use serde::Serialize;
use std::sync::Arc;

/// The actor of the enforcer's audit entries.
pub const ACTOR: &str = "rights-enforcer";
/// CloudFront allows 15 wildcard paths in progress; more items than this invalidate all media.
pub const MAX_WILDCARDS: usize = 15;

/// The CDN paths of the items whose media was deleted: one wildcard each, or the whole media
/// path past [`MAX_WILDCARDS`].
fn invalidation_paths<'a>(item_ids: impl ExactSizeIterator<Item = &'a str>) -> Vec<String> {
    if item_ids.len() > MAX_WILDCARDS {
        return vec!["/media/*".to_string()];
    }
    item_ids.map(|id| format!("/media/{id}/*")).collect()
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("store: {0}")]
    Store(#[from] PortError),
    #[error("media: {0}")]
    Media(String),
    /// Some items could not be taken down (each named with its error); the others were. The run
    /// fails so that Lambda counts an error (the function's Errors alarm, the on-failure
    /// destination); the next run tries the rest again.
    #[error("{} item(s) could not be taken down ({} archived): {}", failures.len(), report.archived.len(), list(failures))]
    Incomplete {
        report: Report,
        failures: Vec<ItemFailure>,
    },
}

/// An item a run could not take down, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemFailure {
    pub item_id: String,
    pub error: String,
}

fn list(failures: &[ItemFailure]) -> String {
    failures
        .iter()
        .map(|f| format!("{}: {}", f.item_id, f.error))
        .collect::<Vec<_>>()
        .join("; ")
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub checked: usize,
    pub archived: Vec<Archived>,
    pub invalidation: Option<String>,
    /// Rejected and archived items whose media the grace period's end removed.
    pub purged: Vec<Purged>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Purged {
    pub item_id: String,
    pub status: Status,
    pub media_objects_deleted: usize,
}

/// How long after its grace period a dismissed item is still looked at (runs that failed or did
/// not run are caught up).
pub const PURGE_WINDOW_SECS: i64 = 3 * 86_400;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Archived {
    pub item_id: String,
    pub reason: String,
    pub media_objects_deleted: usize,
}

/// Why rights are not valid for the site now.
pub fn why_not_valid(rights: &[Rights], now: i64) -> String {
    let site: Vec<&Rights> = rights
        .iter()
        .filter(|r| r.channels.contains(&Channel::Site))
        .collect();
    if let Some(t) = site
        .iter()
        .filter_map(|r| r.revoked_at)
        .filter(|t| *t <= now)
        .max()
    {
        return format!("rights revoked at {t}");
    }
    if let Some(t) = site
        .iter()
        .filter_map(|r| r.expires_at)
        .filter(|t| *t <= now)
        .max()
    {
        return format!("rights expired at {t}");
    }
    "no rights valid for the site channel".to_string()
}

/// Deletes an item's media (`media/{item}/…`, every version) from the media bucket.
#[derive(Debug, Clone)]
pub struct MediaPurge {
    pub s3: aws_sdk_s3::Client,
    pub bucket: String,
}

impl MediaPurge {
    async fn purge(&self, item_id: &str) -> Result<usize, Error> {
        let keys = reelcart_aws::media_keys(&self.s3, &self.bucket, item_id)
            .await
            .map_err(|e| Error::Media(format!("list media/{item_id}/: {e}")))?;
        for key in &keys {
            self.s3
                .delete_object()
                .bucket(&self.bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| Error::Media(format!("delete {key}: {e}")))?;
        }
        Ok(keys.len())
    }
}

pub struct Enforcer<S, I> {
    pub content: S,
    pub cdn: I,
    pub media: Option<MediaPurge>,
    pub clock: Arc<dyn Clock>,
    /// How long a rejected or archived item keeps its media (`MEDIA_GRACE_DAYS`).
    pub grace_secs: i64,
}

impl<S, I> std::fmt::Debug for Enforcer<S, I> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enforcer").finish_non_exhaustive()
    }
}

impl<S: ItemStore + RightsStore + MappingStore, I: CdnInvalidator> Enforcer<S, I> {
    /// Take-down happens media first, the state last: the media is deleted and the CDN told to
    /// forget it before the item is archived, so a run that fails half-way leaves the item
    /// published and the next run does it all again (deleting and invalidating twice is harmless;
    /// an archived item whose media was never taken down would be missed for good).
    pub async fn run(&self) -> Result<Report, Error> {
        let now = self.clock.now_unix();
        let published = reelcart_ports::all_by_status(&self.content, Status::Published).await?;
        let mut failures = Vec::new();
        let mut fail = |item_id: &str, error: String| {
            tracing::error!(item_id, error = %error, "could not take down");
            failures.push(ItemFailure {
                item_id: item_id.to_string(),
                error,
            });
        };
        // One item's error never stops the others: each is named in the run's failure.
        let mut due = Vec::new();
        for item in &published {
            match self.content.rights(&item.id).await {
                Ok(rights) if !rights_valid(&rights, Channel::Site, now) => {
                    due.push((item, why_not_valid(&rights, now)));
                }
                Ok(_) => {}
                Err(e) => fail(&item.id, format!("reading rights: {e}")),
            }
        }
        let mut purged = Vec::with_capacity(due.len());
        for (item, reason) in due {
            match &self.media {
                Some(m) => match m.purge(&item.id).await {
                    Ok(n) => purged.push((item, reason, n)),
                    Err(e) => fail(&item.id, e.to_string()),
                },
                None => purged.push((item, reason, 0)),
            }
        }
        let mut archived = Vec::new();
        let mut invalidation = None;
        if !purged.is_empty() {
            let paths = invalidation_paths(purged.iter().map(|(item, _, _)| item.id.as_str()));
            match self.cdn.invalidate(&paths).await {
                Ok(id) => invalidation = Some(id),
                Err(e) => {
                    // Not archived: the next run deletes and invalidates again.
                    for (item, _, _) in &purged {
                        fail(&item.id, format!("cdn invalidation: {e}"));
                    }
                    purged.clear();
                }
            }
        }
        for (item, reason, media_objects_deleted) in purged {
            match move_item(
                &self.content,
                item,
                Status::Archived,
                ACTOR,
                Some(&reason),
                now,
            )
            .await
            {
                Ok(Moved::Done { .. }) => {}
                // Moved by a moderator meanwhile (its media is gone all the same: its rights are
                // not valid), or no longer published; the next run looks again.
                Ok(Moved::Raced) | Err(MoveError::Rule(_)) => continue,
                Err(MoveError::Store(e)) => {
                    fail(&item.id, format!("archiving: {e}"));
                    continue;
                }
            }
            tracing::warn!(item_id = %item.id, reason = %reason, media_objects_deleted, "archived: rights no longer valid");
            archived.push(Archived {
                item_id: item.id.clone(),
                reason,
                media_objects_deleted,
            });
        }
        let purged = match self.purge_dismissed(now).await {
            Ok(p) => p,
            Err(e) => {
                failures.push(ItemFailure {
                    item_id: "-".into(),
                    error: format!("purging dismissed items' media: {e}"),
                });
                Vec::new()
            }
        };
        tracing::info!(
            checked = published.len(),
            archived = archived.len(),
            purged = purged.len(),
            failed = failures.len(),
            "rights enforced"
        );
        let report = Report {
            checked: published.len(),
            archived,
            invalidation,
            purged,
        };
        if failures.is_empty() {
            Ok(report)
        } else {
            Err(Error::Incomplete { report, failures })
        }
    }
}

impl<S: ItemStore + RightsStore + MappingStore, I: CdnInvalidator> Enforcer<S, I> {
    /// Media of items rejected or archived between the grace period and the window before it.
    async fn purge_dismissed(&self, now: i64) -> Result<Vec<Purged>, Error> {
        let Some(media) = &self.media else {
            return Ok(Vec::new());
        };
        let due = (now - self.grace_secs - PURGE_WINDOW_SECS)..=(now - self.grace_secs);
        let mut purged = Vec::new();
        for status in [Status::Rejected, Status::Archived] {
            for item in reelcart_ports::all_by_status(&self.content, status).await? {
                if !due.contains(&item.updated_at) {
                    continue;
                }
                let n = media.purge(&item.id).await?;
                if n > 0 {
                    tracing::info!(item_id = %item.id, ?status, media_objects_deleted = n, "dismissed item's media purged");
                    purged.push(Purged {
                        item_id: item.id.clone(),
                        status,
                        media_objects_deleted: n,
                    });
                }
            }
        }
        if !purged.is_empty() {
            let paths = invalidation_paths(purged.iter().map(|p| p.item_id.as_str()));
            self.cdn.invalidate(&paths).await?;
        }
        Ok(purged)
    }
}

/// Wire from settings: `CONTENT_TABLE`, `MEDIA_BUCKET`, `CDN_DISTRIBUTION_ID`,
/// `CDN_INVALIDATIONS` (`cloudfront`, the default, or `record`), `S3_FORCE_PATH_STYLE`.
pub fn from_aws<F: Fn(&str) -> Option<String>>(
    v: &Vars<F>,
    sdk: &reelcart_aws::SdkConfig,
    clock: Arc<dyn Clock>,
) -> Result<Enforcer<reelcart_aws::DynamoContent, reelcart_aws::Cdn>, ConfigError> {
    let dynamo = aws_sdk_dynamodb::Client::new(sdk);
    let table = v.required("CONTENT_TABLE")?;
    let cdn = reelcart_aws::Cdn::from_settings(
        v.optional("CDN_INVALIDATIONS").as_deref(),
        v.optional("CDN_DISTRIBUTION_ID"),
        sdk,
        &table,
    )
    .map_err(|(name, reason)| ConfigError::Invalid { name, reason })?;
    Ok(Enforcer {
        content: reelcart_aws::DynamoContent::new(dynamo, table),
        cdn,
        media: Some(MediaPurge {
            s3: reelcart_aws::s3_client(sdk, v.parse_or("S3_FORCE_PATH_STYLE", false)?),
            bucket: v.required("MEDIA_BUCKET")?,
        }),
        clock,
        grace_secs: v.parse_or("MEDIA_GRACE_DAYS", 7i64)? * 86_400,
    })
}

#[cfg(test)]
mod tests;
