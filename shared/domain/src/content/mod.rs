//! UGC content: items as ingested, the rights that let them be shown, where they are mapped to
//! products, and the moderation state machine every change goes through. Pure: stores, HTTP and
//! schedules are elsewhere.
//!
//! Nothing is shown without rights valid for that channel at that moment ([`Rights::valid_for`]),
//! and nothing is published without them ([`transition`]): the rule is in one place, and every
//! read path that shows content filters through [`showable`].

pub mod blocklist;
pub mod checks;
pub mod hashtag_budget;
pub mod media_url;
pub mod rights_request;

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// Where an item came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    InstagramHashtag,
    InstagramMention,
    InstagramTag,
    Tiktok,
    Upload,
    Review,
}

/// What an item's media is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MediaType {
    Video,
    Image,
    Carousel,
}

/// Who made an item. Instagram hashtag search gives no username; uploads carry the creator.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Author {
    pub handle: Option<String>,
    pub creator_id: Option<String>,
}

/// A piece of UGC (`ugc_item`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UgcItem {
    pub id: String,
    pub source: Source,
    /// The platform's id (media id, video id, upload id, review id).
    pub external_id: String,
    pub media_type: MediaType,
    /// Key of the media as ingested, in the raw media bucket.
    pub media_key: Option<String>,
    pub permalink: Option<String>,
    pub caption: String,
    pub author: Author,
    pub status: Status,
    /// Why it was rejected.
    pub rejection: Option<String>,
    /// Why it needs a person's look (blocklist hits, automated checks).
    #[serde(default)]
    pub flags: Vec<String>,
    /// Approved items with a date are published by the scheduled publisher.
    pub publish_at: Option<i64>,
    /// Shown with products (publishing then needs a mapping).
    pub shoppable: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

impl UgcItem {
    /// A newly ingested item: queued, shoppable, no media or author yet.
    pub fn new(
        source: Source,
        external_id: &str,
        media_type: MediaType,
        caption: &str,
        now: i64,
    ) -> Self {
        Self {
            id: Self::id_for(source, external_id),
            source,
            external_id: external_id.to_string(),
            media_type,
            media_key: None,
            permalink: None,
            caption: caption.to_string(),
            author: Author::default(),
            status: Status::Queued,
            rejection: None,
            flags: Vec::new(),
            publish_at: None,
            shoppable: true,
            created_at: now,
            updated_at: now,
        }
    }

    /// The source's name (`instagram_mention`, `upload` …): the platform reports group by.
    pub fn source_name(&self) -> &'static str {
        match self.source {
            Source::InstagramHashtag => "instagram_hashtag",
            Source::InstagramMention => "instagram_mention",
            Source::InstagramTag => "instagram_tag",
            Source::Tiktok => "tiktok",
            Source::Upload => "upload",
            Source::Review => "review",
        }
    }

    /// The item id of `(source, external id)`: the same post ingested twice is the same item.
    pub fn id_for(source: Source, external_id: &str) -> String {
        use sha2::Digest;
        let source = serde_json::to_value(source)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let digest = sha2::Sha256::digest(format!("{source}\n{external_id}").as_bytes());
        format!("ugc_{}", &hex::encode(digest)[..20])
    }
}

/// The moderation states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Queued,
    Reviewing,
    Approved,
    Published,
    Archived,
    Rejected,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Queued,
        Status::Reviewing,
        Status::Approved,
        Status::Published,
        Status::Archived,
        Status::Rejected,
    ];

    /// The state machine: queued → reviewing → approved → published → archived, and rejected
    /// (with a reason) from anything not yet published. Nothing else.
    pub fn can_become(self, to: Status) -> bool {
        use Status::*;
        matches!(
            (self, to),
            (Queued, Reviewing)
                | (Reviewing, Approved)
                | (Approved, Published)
                | (Published, Archived)
                | (Queued | Reviewing | Approved, Rejected)
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Queued => "queued",
            Status::Reviewing => "reviewing",
            Status::Approved => "approved",
            Status::Published => "published",
            Status::Archived => "archived",
            Status::Rejected => "rejected",
        }
    }
}

/// Where content may be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Site,
    Email,
    Ads,
    Instagram,
    Tiktok,
}

/// How consent was given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Consent {
    /// The creator's reply with the approval hashtag to the brand's rights-request comment.
    CommentReply {
        comment_id: String,
        author: String,
        text: String,
        permalink: String,
        #[serde(deserialize_with = "crate::json_int::int")]
        replied_at: i64,
    },
    /// The creator accepted the portal's terms (a version of them) when uploading.
    PortalTerms {
        creator_id: String,
        terms_version: String,
        #[serde(deserialize_with = "crate::json_int::int")]
        accepted_at: i64,
    },
    /// The reviewer accepted the review form's terms (display of the review and its media).
    ReviewTerms {
        review_id: String,
        reviewer: String,
        terms_version: String,
        #[serde(deserialize_with = "crate::json_int::int")]
        accepted_at: i64,
    },
}

/// Where creators' uploads land in the raw bucket: `uploads/{creator_id}/{upload_id}.{ext}`.
pub fn upload_key(creator_id: &str, upload_id: &str, ext: &str) -> String {
    format!("uploads/{creator_id}/{upload_id}.{ext}")
}

/// `(creator_id, upload_id)` of an upload key; `None` for any other key.
pub fn parse_upload_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix("uploads/")?;
    let (creator, file) = rest.split_once('/')?;
    let (upload, _ext) = file.rsplit_once('.')?;
    let ok = |s: &str| {
        !s.is_empty()
            && s.len() <= 64
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    };
    (ok(creator) && ok(upload)).then_some((creator, upload))
}

/// What creators may upload, and the file extension of each type.
pub const UPLOAD_TYPES: &[(&str, &str)] = &[
    ("video/mp4", "mp4"),
    ("video/quicktime", "mov"),
    ("video/webm", "webm"),
    ("image/jpeg", "jpg"),
    ("image/png", "png"),
];

/// A license to show an item: the consent it rests on (an immutable artifact in the rights
/// bucket), the channels, and the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rights {
    pub id: String,
    pub item_id: String,
    pub license: String,
    pub channels: BTreeSet<Channel>,
    pub starts_at: i64,
    /// `None`: no end date.
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub consent: Consent,
    /// Key of the consent artifact (who, what, when, permalink, text) in the private bucket.
    pub artifact_key: String,
}

impl Rights {
    /// Valid for `channel` at `now`: granted for it, started, not expired, not revoked.
    pub fn valid_for(&self, channel: Channel, now: i64) -> bool {
        self.channels.contains(&channel)
            && self.starts_at <= now
            && self.expires_at.is_none_or(|t| now < t)
            && self.revoked_at.is_none_or(|t| now < t)
    }
}

/// Rights about to be recorded: checked, then written as an artifact (the proof) and a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RightsGrant {
    pub item_id: String,
    pub license: String,
    pub channels: BTreeSet<Channel>,
    pub starts_at: i64,
    pub expires_at: Option<i64>,
    pub consent: Consent,
}

impl RightsGrant {
    /// Why these rights cannot be recorded, if they cannot.
    pub fn problem(&self) -> Option<&'static str> {
        if self.channels.is_empty() {
            return Some("rights name at least one channel");
        }
        if self.expires_at.is_some_and(|e| e <= self.starts_at) {
            return Some("rights must expire after they start");
        }
        let license = self.license.trim();
        if license.is_empty() || license.len() > 200 {
            return Some("license must be 1-200 characters");
        }
        None
    }

    /// Where the consent artifact of rights `rights_id` is kept.
    pub fn artifact_key(&self, rights_id: &str) -> String {
        format!("consent/{}/{rights_id}.json", self.item_id)
    }

    /// The consent artifact: who consented to what, when, where, and who recorded it.
    pub fn artifact(&self, rights_id: &str, recorded_by: &str, now: i64) -> serde_json::Value {
        serde_json::json!({
            "item_id": self.item_id,
            "rights_id": rights_id,
            "consent": self.consent,
            "license": self.license.trim(),
            "channels": self.channels,
            "starts_at": self.starts_at,
            "expires_at": self.expires_at,
            "recorded_by": recorded_by,
            "recorded_at": now,
        })
    }

    pub fn into_rights(self, rights_id: String) -> Rights {
        let artifact_key = self.artifact_key(&rights_id);
        Rights {
            id: rights_id,
            item_id: self.item_id,
            license: self.license.trim().to_string(),
            channels: self.channels,
            starts_at: self.starts_at,
            expires_at: self.expires_at,
            revoked_at: None,
            consent: self.consent,
            artifact_key,
        }
    }
}

/// Any of `rights` valid for `channel` at `now`.
pub fn rights_valid(rights: &[Rights], channel: Channel, now: i64) -> bool {
    rights.iter().any(|r| r.valid_for(channel, now))
}

/// Whether an item may be shown on `channel` now: published, and rights valid for that channel.
/// Every read path that shows content (feed, exports) goes through this.
pub fn showable(status: Status, rights: &[Rights], channel: Channel, now: i64) -> bool {
    status == Status::Published && rights_valid(rights, channel, now)
}

/// An item mapped to a product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductMapping {
    pub sku: String,
    /// `pdp`, `collection`, `home`, …
    pub placement: String,
    /// 0.0–1.0 (1.0 for a moderator's own mapping).
    pub confidence: f64,
    pub pinned: bool,
}

/// What publishing needs besides the state.
#[derive(Debug, Clone, Copy)]
pub struct PublishCheck<'a> {
    pub rights: &'a [Rights],
    pub mappings: &'a [ProductMapping],
    /// The channel publishing shows the item on.
    pub channel: Channel,
    /// Shoppable placements need at least one product mapping.
    pub shoppable: bool,
    pub now: i64,
}

/// Why a transition is refused (the API answers 409 with it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("an item cannot go from {} to {}", .from.as_str(), .to.as_str())]
    Illegal { from: Status, to: Status },
    #[error("a rejection needs a reason")]
    ReasonRequired,
    #[error("no rights valid for the {0:?} channel now: nothing publishes without them")]
    NoValidRights(Channel),
    #[error("a shoppable item needs at least one product mapping before it is published")]
    NoMapping,
}

/// One change of state, as the audit trail keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub item_id: String,
    pub actor: String,
    pub from: Status,
    pub to: Status,
    pub reason: Option<String>,
    pub at: i64,
}

/// Check a transition; `publish` is consulted when the target is `published`.
pub fn transition(
    item_id: &str,
    from: Status,
    to: Status,
    actor: &str,
    reason: Option<&str>,
    publish: Option<&PublishCheck<'_>>,
    now: i64,
) -> Result<AuditEntry, TransitionError> {
    if !from.can_become(to) {
        return Err(TransitionError::Illegal { from, to });
    }
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if to == Status::Rejected && reason.is_none() {
        return Err(TransitionError::ReasonRequired);
    }
    if to == Status::Published {
        let Some(p) = publish else {
            return Err(TransitionError::NoValidRights(Channel::Site));
        };
        if !rights_valid(p.rights, p.channel, p.now) {
            return Err(TransitionError::NoValidRights(p.channel));
        }
        if p.shoppable && p.mappings.is_empty() {
            return Err(TransitionError::NoMapping);
        }
    }
    Ok(AuditEntry {
        item_id: item_id.to_string(),
        actor: actor.to_string(),
        from,
        to,
        reason: reason.map(str::to_string),
        at: now,
    })
}

#[cfg(test)]
mod tests;
