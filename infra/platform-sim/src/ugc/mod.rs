//! UGC sources (`spec/platforms.md` §6): Instagram hashtag search, mentions and tags, and the
//! TikTok Display API's `video.list`.
//!
//! Graph endpoints (no version prefix; `Authorization: Bearer` — or `access_token` — of a live
//! `meta` grant, else Graph's 190 error):
//! - `GET /ig_hashtag_search?user_id&q` → `{"data":[{"id"}]}`: any hashtag (without `#`,
//!   case-insensitive) gets a stable id. Every query is recorded (`GET /_sim/ugc`); the 30 unique
//!   hashtags per 7 days are not enforced (the spec names no error for it).
//! - `GET /{hashtag_id}/recent_media` (posts of the last 24 h of simulated time, newest first) and
//!   `GET /{hashtag_id}/top_media` (any age, most liked first), `user_id`, `fields` (among
//!   `caption,id,media_type,media_url,permalink,timestamp,like_count,comments_count,children`;
//!   never `username`), `limit` (default 25, at most 50), `after` cursor; `paging` (with
//!   `cursors.after` and `next`) only when there are more.
//! - `GET /{ig_user_id}?fields=mentioned_media.media_id(ID){…}` and
//!   `…?fields=mentioned_comment.comment_id(ID){…}`: only media (caption) or comments (text) that
//!   mention `@<brand username>` of that IG user, else error 100. The same route also answers a
//!   hashtag id (`id,name`) and the brand account (`id,username`).
//! - `GET /{ig_user_id}/tags` (posts that tag the user, newest first, paged as above, `username`
//!   allowed).
//! - `POST /{ig_user_id}/mentions` (`media_id`, `message`, optional `comment_id`; query or form):
//!   a comment by the brand, only on media that mention (caption) or tag the user → `{"id"}`.
//!
//! TikTok Display API: `POST /v2/video/list/?fields=…` (`Authorization: Bearer` of a live `tiktok`
//! grant; JSON body `{cursor, max_count ≤ 20}`): the grant's account's videos, newest first;
//! `cursor` is the last returned video's creation time in ms and the next page holds the videos
//! created strictly before it. A bad token answers 401 `access_token_invalid`, a bad request 400
//! `invalid_params`.
//!
//! Control (tests, demo; no auth):
//! - `PUT /_sim/media-files/{name}` (raw body, its `Content-Type`) and `GET /_sim/ig-cdn/{name}`
//!   (served with that type; a single `Range: bytes=a-b` answers 206).
//! - `POST /_sim/instagram/brand` `{ig_user_id, username}` (default `17841400000000001`, `acme`).
//! - `POST /_sim/subscriptions` `{object: "instagram", callback_url, secret}`: `mentions` webhooks
//!   are POSTed there, signed `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>`.
//! - `POST /_sim/instagram/media` `{owner_username, caption, media_type, media_url, tagged,
//!   like_count, age_secs, children}` and `POST /_sim/instagram/comments` `{media_id, username,
//!   text, parent_id}`: create a post / comment; one that mentions the brand is delivered (awaited)
//!   as a `mentions` webhook; the answer carries `webhook: null | {status}`.
//! - `POST /_sim/tiktok/videos` `{open_id, video_description, duration, width, height,
//!   cover_image_url, age_secs, view_count, like_count, comment_count, share_count}`.
//! - `GET /_sim/ugc`: hashtag queries, post count, comments, webhook deliveries, Display API calls.
//!
//! Here: the state, the routes and the helpers more than one file uses; `instagram.rs` (Graph and
//! the `mentions` webhooks), `tiktok.rs` (Display API), `control.rs` (the `/_sim` routes), `tests.rs`.

mod control;
mod instagram;
#[cfg(test)]
mod tests;
mod tiktok;

use crate::{Sim, default_account};
use axum::Router;
use axum::body::Bytes;
use axum::routing::{get, post};
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};
use time::UtcDateTime;
use time::macros::format_description;

/// Fields a hashtag search may return (no `username`).
const HASHTAG_FIELDS: &[&str] = &[
    "caption",
    "id",
    "media_type",
    "media_url",
    "permalink",
    "timestamp",
    "like_count",
    "comments_count",
    "children",
];

/// Fields of the TikTok Display API's video object.
const VIDEO_FIELDS: &[&str] = &[
    "id",
    "create_time",
    "cover_image_url",
    "share_url",
    "video_description",
    "duration",
    "height",
    "width",
    "title",
    "embed_html",
    "embed_link",
    "like_count",
    "comment_count",
    "share_count",
    "view_count",
];

#[derive(Debug, Clone)]
struct Post {
    id: String,
    owner_username: String,
    caption: String,
    media_type: String,
    media_url: String,
    permalink: String,
    created_at: i64,
    tagged: Vec<String>,
    like_count: u64,
    /// Carousel children: (id, media_type, media_url).
    children: Vec<(String, String, String)>,
}

#[derive(Debug, Clone)]
struct Comment {
    id: String,
    media_id: String,
    username: String,
    text: String,
    created_at: i64,
    parent_id: Option<String>,
}

#[derive(Debug, Clone)]
struct Video {
    id: String,
    open_id: String,
    /// Creation time in ms (unique per account, so that the ms cursor pages exactly).
    created_ms: i64,
    video_description: String,
    duration: i64,
    width: i64,
    height: i64,
    cover_image_url: String,
    view_count: u64,
    like_count: u64,
    comment_count: u64,
    share_count: u64,
}

#[derive(Debug, Clone)]
struct Subscription {
    callback_url: String,
    secret: String,
}

/// Instagram UGC and TikTok videos, with what was asked of them.
#[derive(Debug, Default)]
pub(crate) struct UgcState {
    counter: u64,
    /// Lowercase hashtag → id.
    hashtags: BTreeMap<String, String>,
    hashtag_queries: Vec<Value>,
    posts: Vec<Post>,
    comments: Vec<Comment>,
    /// (ig_user_id, username); `None`: the default brand.
    brand: Option<(String, String)>,
    /// Object (`instagram`) → where its webhooks go.
    subscriptions: HashMap<String, Subscription>,
    deliveries: Vec<Value>,
    display_calls: u64,
    /// Name → (content type, bytes).
    media_files: HashMap<String, (String, Bytes)>,
    videos: Vec<Video>,
}

impl UgcState {
    fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }

    fn brand(&self) -> (String, String) {
        self.brand
            .clone()
            .unwrap_or_else(|| (default_account("instagram").to_string(), "acme".to_string()))
    }
}

/// The routes of this module (Graph, Display API, control), merged into [`Sim::router`].
pub(crate) fn routes() -> Router<Sim> {
    Router::new()
        .route("/ig_hashtag_search", get(instagram::hashtag_search))
        .route("/{id}", get(instagram::node))
        .route("/{id}/{edge}", get(instagram::node_edge))
        .route("/{ig_user_id}/mentions", post(instagram::reply_mention))
        .route("/v2/video/list/", post(tiktok::video_list))
        .route(
            "/_sim/media-files/{name}",
            axum::routing::put(control::put_media_file)
                .layer(axum::extract::DefaultBodyLimit::max(512 * 1024 * 1024)),
        )
        .route("/_sim/ig-cdn/{name}", get(control::ig_cdn))
        .route("/_sim/instagram/brand", post(control::set_brand))
        .route("/_sim/subscriptions", post(control::subscribe))
        .route("/_sim/instagram/media", post(control::create_media))
        .route("/_sim/instagram/comments", post(control::create_comment))
        .route("/_sim/tiktok/videos", post(control::create_video))
        .route("/_sim/ugc", get(control::ugc_state))
}

// ---------------------------------------------------------------- helpers

/// Graph's timestamp format: `2026-11-26T07:00:00+0000` (UTC; clamped to the years -9999..=9999).
pub(crate) fn graph_time(t: i64) -> String {
    let at = UtcDateTime::from_unix_timestamp(t).unwrap_or(if t < 0 {
        UtcDateTime::MIN
    } else {
        UtcDateTime::MAX
    });
    at.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]+0000"
    ))
    .unwrap_or_else(|_| unreachable!("a UTC date-time has every component the format uses"))
}

/// Lowercase tokens of `text` that follow `sigil` (`#tag`, `@user`): a token ends at a character
/// that is not alphanumeric or `_` (mentions also take `.`, as usernames do, without a trailing
/// one).
fn tokens(text: &str, sigil: char) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != sigil {
            continue;
        }
        let mut tok = String::new();
        while let Some(&n) = chars.peek() {
            if n.is_alphanumeric() || n == '_' || (sigil == '@' && n == '.') {
                tok.push(n);
                chars.next();
            } else {
                break;
            }
        }
        let tok = tok.trim_end_matches('.').to_lowercase();
        if !tok.is_empty() {
            out.push(tok);
        }
    }
    out
}

fn has_hashtag(text: &str, tag: &str) -> bool {
    tokens(text, '#').iter().any(|t| t == tag)
}

fn mentions(text: &str, username: &str) -> bool {
    let username = username.to_lowercase();
    tokens(text, '@').contains(&username)
}

/// One entry of a Graph field expression: `name.modifier(arg)…{subfields}`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Field {
    name: String,
    args: Vec<(String, String)>,
    sub: Option<Vec<Field>>,
}

impl Field {
    fn arg(&self, name: &str) -> Option<&str> {
        self.args
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Parse `a,b.x(1){c,d{e}}` leniently (stray characters are skipped, unclosed groups end the
/// input).
fn parse_fields(s: &str) -> Vec<Field> {
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    parse_list(&chars, &mut i, None)
}

fn parse_list(s: &[char], i: &mut usize, close: Option<char>) -> Vec<Field> {
    let delim = |c: char| matches!(c, ',' | '.' | '{' | '}' | '(' | ')');
    let mut out = Vec::new();
    while *i < s.len() {
        let c = s[*i];
        if Some(c) == close {
            *i += 1;
            break;
        }
        if delim(c) && c != '.' && c != '{' {
            // `,` or a stray closer.
            *i += 1;
            continue;
        }
        let start = *i;
        while *i < s.len() && !delim(s[*i]) {
            *i += 1;
        }
        let name: String = s[start..*i].iter().collect::<String>().trim().to_string();
        let mut args = Vec::new();
        while *i < s.len() && s[*i] == '.' {
            *i += 1;
            let m_start = *i;
            while *i < s.len() && !delim(s[*i]) {
                *i += 1;
            }
            let m: String = s[m_start..*i].iter().collect::<String>().trim().to_string();
            let mut arg = String::new();
            if *i < s.len() && s[*i] == '(' {
                *i += 1;
                while *i < s.len() && s[*i] != ')' {
                    arg.push(s[*i]);
                    *i += 1;
                }
                *i += 1;
            }
            args.push((m, arg.trim().to_string()));
        }
        let sub = if *i < s.len() && s[*i] == '{' {
            *i += 1;
            Some(parse_list(s, i, Some('}')))
        } else {
            None
        };
        if !name.is_empty() {
            out.push(Field { name, args, sub });
        } else if *i == start {
            *i += 1;
        }
    }
    out
}

fn fields_param(q: &HashMap<String, String>) -> Vec<Field> {
    q.get("fields").map(|f| parse_fields(f)).unwrap_or_default()
}

fn names(list: &[&str]) -> Vec<Field> {
    list.iter()
        .map(|n| Field {
            name: (*n).to_string(),
            args: Vec::new(),
            sub: None,
        })
        .collect()
}

/// A media object with the requested `fields` (those in `allowed`).
fn media_json(post: &Post, comments: &[Comment], fields: &[Field], allowed: &[&str]) -> Value {
    let mut o = Map::new();
    for f in fields {
        if !allowed.contains(&f.name.as_str()) {
            continue;
        }
        let v = match f.name.as_str() {
            "id" => json!(post.id),
            "caption" => json!(post.caption),
            "media_type" => json!(post.media_type),
            "media_url" => json!(post.media_url),
            "permalink" => json!(post.permalink),
            "timestamp" => json!(graph_time(post.created_at)),
            "username" => json!(post.owner_username),
            "like_count" => json!(post.like_count),
            "comments_count" => {
                json!(comments.iter().filter(|c| c.media_id == post.id).count())
            }
            "children" if post.media_type == "CAROUSEL_ALBUM" => {
                let sub = f.sub.clone().unwrap_or_else(|| names(&["id"]));
                let data: Vec<Value> = post
                    .children
                    .iter()
                    .map(|(id, media_type, media_url)| {
                        let mut c = Map::new();
                        for s in &sub {
                            match s.name.as_str() {
                                "id" => c.insert("id".into(), json!(id)),
                                "media_type" => c.insert("media_type".into(), json!(media_type)),
                                "media_url" => c.insert("media_url".into(), json!(media_url)),
                                "timestamp" => {
                                    c.insert("timestamp".into(), json!(graph_time(post.created_at)))
                                }
                                _ => None,
                            };
                        }
                        Value::Object(c)
                    })
                    .collect();
                json!({ "data": data })
            }
            _ => continue,
        };
        o.insert(f.name.clone(), v);
    }
    Value::Object(o)
}

fn video_json(v: &Video, fields: &[&str]) -> Value {
    let mut o = Map::new();
    for f in fields {
        let value = match *f {
            "id" => json!(v.id),
            "create_time" => json!(v.created_ms.div_euclid(1000)),
            "cover_image_url" => json!(v.cover_image_url),
            "share_url" => json!(format!(
                "https://www.tiktok.com/@{}/video/{}",
                v.open_id, v.id
            )),
            "video_description" => json!(v.video_description),
            "duration" => json!(v.duration),
            "height" => json!(v.height),
            "width" => json!(v.width),
            "title" => json!(v.video_description.chars().take(150).collect::<String>()),
            "embed_html" => json!(format!(
                "<blockquote class=\"tiktok-embed\" cite=\"https://www.tiktok.com/@{}/video/{}\" data-video-id=\"{}\"></blockquote>",
                v.open_id, v.id, v.id
            )),
            "embed_link" => json!(format!("https://www.tiktok.com/player/v1/{}", v.id)),
            "like_count" => json!(v.like_count),
            "comment_count" => json!(v.comment_count),
            "share_count" => json!(v.share_count),
            "view_count" => json!(v.view_count),
            _ => continue,
        };
        o.insert((*f).to_string(), value);
    }
    Value::Object(o)
}
