//! Where UGC comes from (spec §6): Instagram hashtag search, mentions and tags through the Graph
//! API (with the brand's connection), and TikTok's Display API `video.list` (with each creator's
//! own connection). Base URLs are configuration, like every other client here.

use crate::PlatformConfig;
use crate::catalog::{graph_call, http_client, transient};
use reelcart_catalog::{PushError, Tokens};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};
use time::UtcDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

/// What hashtag search, tags and mentions return per media (only what was asked for).
pub const MEDIA_FIELDS: &str =
    "id,caption,media_type,media_url,permalink,timestamp,like_count,comments_count";

/// A media object as Graph returns it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct IgMedia {
    pub id: String,
    #[serde(default)]
    pub caption: Option<String>,
    /// `IMAGE`, `VIDEO`, `CAROUSEL_ALBUM`.
    #[serde(default)]
    pub media_type: Option<String>,
    #[serde(default)]
    pub media_url: Option<String>,
    #[serde(default)]
    pub permalink: Option<String>,
    /// `2026-11-26T07:00:00+0000`.
    #[serde(default)]
    pub timestamp: Option<String>,
    /// Never given by hashtag search.
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub like_count: Option<u64>,
}

/// The media a comment is on.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct IgCommentMedia {
    pub id: String,
    #[serde(default)]
    pub permalink: Option<String>,
}

/// A comment that mentions the brand.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct IgComment {
    pub id: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub timestamp: Option<String>,
    #[serde(default)]
    pub username: Option<String>,
    pub media: IgCommentMedia,
}

/// One page and the cursor to the next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub after: Option<String>,
}

/// Which of a hashtag's media: `recent_media` (the last 24 h) or `top_media`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashtagEdge {
    Recent,
    Top,
}

impl HashtagEdge {
    fn path(self) -> &'static str {
        match self {
            HashtagEdge::Recent => "recent_media",
            HashtagEdge::Top => "top_media",
        }
    }
}

/// The brand's Instagram professional account, through Graph.
pub struct Instagram<T> {
    http: reqwest::Client,
    graph_url: String,
    ig_user_id: String,
    tokens: T,
}

impl<T> std::fmt::Debug for Instagram<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instagram")
            .field("ig_user_id", &self.ig_user_id)
            .finish_non_exhaustive()
    }
}

fn page_of(body: &Value) -> Result<Paged<IgMedia>, PushError> {
    let items: Vec<IgMedia> = serde_json::from_value(body["data"].clone())
        .map_err(|e| PushError::Fatal(format!("unexpected Graph answer: {e}")))?;
    let after = body["paging"]["next"]
        .as_str()
        .and(body["paging"]["cursors"]["after"].as_str())
        .map(str::to_string);
    Ok(Paged { items, after })
}

impl<T: Tokens> Instagram<T> {
    pub fn new(
        cfg: &PlatformConfig,
        ig_user_id: impl Into<String>,
        tokens: T,
    ) -> Result<Self, reqwest::Error> {
        Ok(Self {
            http: http_client()?,
            graph_url: cfg.meta_graph_url.trim_end_matches('/').to_string(),
            ig_user_id: ig_user_id.into(),
            tokens,
        })
    }

    async fn get(&self, path: &str, query: &[(&str, &str)]) -> Result<Value, PushError> {
        let url = format!("{}/{path}", self.graph_url);
        let (body, _) = graph_call(&self.tokens, |t| {
            self.http
                .get(&url)
                .bearer_auth(t.expose_secret())
                .query(query)
        })
        .await?;
        Ok(body)
    }

    /// The id of `#hashtag` (`GET /ig_hashtag_search`). Each new hashtag counts against the
    /// account's 30 a week: callers check the budget first.
    pub async fn hashtag_id(&self, hashtag: &str) -> Result<String, PushError> {
        let q = hashtag.trim().trim_start_matches('#');
        let body = self
            .get(
                "ig_hashtag_search",
                &[("user_id", &self.ig_user_id), ("q", q)],
            )
            .await?;
        body["data"][0]["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| PushError::Fatal(format!("Instagram knows no hashtag #{q}")))
    }

    /// A page of a hashtag's media (no usernames: hashtag search gives none).
    pub async fn hashtag_media(
        &self,
        hashtag_id: &str,
        edge: HashtagEdge,
        after: Option<&str>,
    ) -> Result<Paged<IgMedia>, PushError> {
        let mut q = vec![
            ("user_id", self.ig_user_id.as_str()),
            ("fields", MEDIA_FIELDS),
            ("limit", "50"),
        ];
        if let Some(a) = after {
            q.push(("after", a));
        }
        page_of(
            &self
                .get(&format!("{hashtag_id}/{}", edge.path()), &q)
                .await?,
        )
    }

    /// A page of the media the brand is tagged in.
    pub async fn tags(&self, after: Option<&str>) -> Result<Paged<IgMedia>, PushError> {
        let fields = format!("{MEDIA_FIELDS},username");
        let mut q = vec![("fields", fields.as_str()), ("limit", "50")];
        if let Some(a) = after {
            q.push(("after", a));
        }
        page_of(&self.get(&format!("{}/tags", self.ig_user_id), &q).await?)
    }

    /// A media whose caption mentions the brand (from a `mentions` webhook's `media_id`).
    pub async fn mentioned_media(&self, media_id: &str) -> Result<IgMedia, PushError> {
        let fields = format!(
            "mentioned_media.media_id({media_id}){{caption,media_type,media_url,permalink,timestamp,username,like_count}}"
        );
        let body = self
            .get(&self.ig_user_id, &[("fields", fields.as_str())])
            .await?;
        let mut media: IgMedia = serde_json::from_value(body["mentioned_media"].clone())
            .map_err(|e| PushError::Fatal(format!("unexpected Graph answer: {e}")))?;
        if media.id.is_empty() {
            media.id = media_id.to_string();
        }
        Ok(media)
    }

    /// A comment that mentions the brand (from a `mentions` webhook's `comment_id`).
    pub async fn mentioned_comment(&self, comment_id: &str) -> Result<IgComment, PushError> {
        let fields = format!(
            "mentioned_comment.comment_id({comment_id}){{id,text,timestamp,username,media{{id,permalink}}}}"
        );
        let body = self
            .get(&self.ig_user_id, &[("fields", fields.as_str())])
            .await?;
        serde_json::from_value(body["mentioned_comment"].clone())
            .map_err(|e| PushError::Fatal(format!("unexpected Graph answer: {e}")))
    }

    /// Comment on media that mentions or tags the brand (`POST /{ig-user-id}/mentions`): the id
    /// of the comment.
    pub async fn comment_on_mention(
        &self,
        media_id: &str,
        message: &str,
    ) -> Result<String, PushError> {
        let url = format!("{}/{}/mentions", self.graph_url, self.ig_user_id);
        let form = [("media_id", media_id), ("message", message)];
        let (body, _) = graph_call(&self.tokens, |t| {
            self.http
                .post(&url)
                .bearer_auth(t.expose_secret())
                .form(&form)
        })
        .await?;
        body["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| PushError::Fatal("Graph answered no comment id".into()))
    }
}

/// A creator's public video, as `video.list` gives it. There is no file to download: TikTok
/// content is shown through its embed and cover, or uploaded by the creator through the portal.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TiktokVideo {
    pub id: String,
    #[serde(default)]
    pub create_time: i64,
    /// Expires after 6 hours: downloaded at ingest.
    #[serde(default)]
    pub cover_image_url: Option<String>,
    #[serde(default)]
    pub share_url: Option<String>,
    #[serde(default)]
    pub video_description: String,
    #[serde(default)]
    pub duration: u32,
    #[serde(default)]
    pub width: u32,
    #[serde(default)]
    pub height: u32,
    #[serde(default)]
    pub embed_link: Option<String>,
}

pub const TIKTOK_VIDEO_FIELDS: &str =
    "id,create_time,cover_image_url,share_url,video_description,duration,width,height,embed_link";

/// TikTok's Display API (a creator's own token).
#[derive(Debug, Clone)]
pub struct TiktokDisplay {
    http: reqwest::Client,
    open_url: String,
}

/// A page of videos; `cursor` is where the next page starts, if there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoPage {
    pub videos: Vec<TiktokVideo>,
    pub cursor: Option<i64>,
}

impl TiktokDisplay {
    pub fn new(cfg: &PlatformConfig) -> Result<Self, reqwest::Error> {
        Ok(Self {
            http: http_client()?,
            open_url: cfg.tiktok_open_url.trim_end_matches('/').to_string(),
        })
    }

    /// `POST /v2/video/list/`: the creator's videos, newest first, at most 20 a page.
    pub async fn video_list(
        &self,
        token: &SecretString,
        cursor: Option<i64>,
    ) -> Result<VideoPage, PushError> {
        let mut body = json!({"max_count": 20});
        if let Some(c) = cursor {
            body["cursor"] = json!(c);
        }
        let resp = self
            .http
            .post(format!("{}/v2/video/list/", self.open_url))
            .query(&[("fields", TIKTOK_VIDEO_FIELDS)])
            .bearer_auth(token.expose_secret())
            .json(&body)
            .send()
            .await
            .map_err(transient)?;
        let status = resp.status().as_u16();
        let retry = resp
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        let out: Value = resp.json().await.unwrap_or(Value::Null);
        let code = out["error"]["code"].as_str().unwrap_or("");
        if status == 200 && code == "ok" {
            let videos: Vec<TiktokVideo> = serde_json::from_value(out["data"]["videos"].clone())
                .map_err(|e| PushError::Fatal(format!("unexpected video.list answer: {e}")))?;
            let cursor = if out["data"]["has_more"].as_bool() == Some(true) {
                out["data"]["cursor"].as_i64()
            } else {
                None
            };
            return Ok(VideoPage { videos, cursor });
        }
        let message = out["error"]["message"].as_str().unwrap_or("");
        Err(match (status, code) {
            (401, _) | (_, "access_token_invalid") | (_, "scope_not_authorized") => {
                PushError::Auth(format!("TikTok refused the token ({code}): {message}"))
            }
            // 600 requests a minute per endpoint (spec §5).
            (429, _) | (_, "rate_limit_exceeded") => PushError::Throttled {
                wait_secs: retry.unwrap_or(60),
            },
            (s, _) if s >= 500 => PushError::Transient(format!("HTTP {s}")),
            (s, c) => PushError::Fatal(format!("TikTok video.list {s} {c}: {message}")),
        })
    }
}

/// Graph's timestamps: `2026-11-26T07:00:00+0000` (ISO 8601 with a colon-less offset, which
/// RFC 3339 does not allow), also taken with `Z`, `±HH:MM` or no offset (UTC).
const GRAPH_TIME: &[BorrowedFormatItem<'_>] = format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second]\
     [first [Z] [[offset_hour sign:mandatory][offset_minute]] \
     [[offset_hour sign:mandatory]:[offset_minute]] []]"
);

/// Graph's `2026-11-26T07:00:00+0000` as unix seconds; `None` for a date that does not exist.
pub fn graph_time(s: &str) -> Option<i64> {
    if !s.starts_with(|c: char| c.is_ascii_digit()) {
        return None; // a four-digit year, unsigned
    }
    UtcDateTime::parse(s, GRAPH_TIME)
        .ok()
        .map(UtcDateTime::unix_timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_times() {
        assert_eq!(graph_time("1970-01-01T00:00:00+0000"), Some(0));
        assert_eq!(graph_time("2026-11-26T07:00:00+0000"), Some(1_795_676_400));
        assert_eq!(graph_time("2026-11-26T09:00:00+0200"), Some(1_795_676_400));
        assert_eq!(graph_time("2024-02-29T12:00:00Z"), Some(1_709_208_000));
        assert_eq!(graph_time("2026-13-01T00:00:00+0000"), None);
        assert_eq!(graph_time("yesterday"), None);
    }

    #[test]
    fn graph_time_offsets() {
        // 07:00 UTC in several zones, with and without the colon.
        for s in [
            "2026-11-26T07:00:00Z",
            "2026-11-26T07:00:00",
            "2026-11-26T07:00:00+00:00",
            "2026-11-26T07:00:00-0000",
            "2026-11-26T02:00:00-0500",
            "2026-11-26T02:00:00-05:00",
            "2026-11-26T12:30:00+0530",
            "2026-11-26T06:30:00-0030",
        ] {
            assert_eq!(graph_time(s), Some(1_795_676_400), "{s}");
        }
        // Across a year end.
        assert_eq!(
            graph_time("2026-12-31T19:00:00-0500"),
            graph_time("2027-01-01T00:00:00+0000")
        );
        for bad in [
            "2026-11-26T07:00:00+05",
            "2026-11-26T07:00:00+500",
            "2026-11-26T07:00:00+0560",
            "2026-11-26T07:00:00+0000 ",
            "2026-11-26 07:00:00+0000",
            "+2026-11-26T07:00:00+0000",
        ] {
            assert_eq!(graph_time(bad), None, "{bad}");
        }
    }

    #[test]
    fn graph_time_rejects_days_that_do_not_exist() {
        for bad in [
            "2026-02-31T00:00:00+0000",
            "2026-02-29T00:00:00+0000",
            "2023-02-29T00:00:00+0000",
            "1900-02-29T00:00:00+0000",
            "2026-09-31T00:00:00+0000",
            "2026-00-01T00:00:00+0000",
            "2026-11-26T24:00:00+0000",
        ] {
            assert_eq!(graph_time(bad), None, "{bad}");
        }
        assert_eq!(graph_time("2024-02-29T00:00:00+0000"), Some(1_709_164_800));
        assert_eq!(graph_time("2000-02-29T00:00:00+0000"), Some(951_782_400));
        assert_eq!(
            graph_time("2024-02-29T23:00:00-0100"),
            graph_time("2024-03-01T00:00:00+0000")
        );
    }
}
