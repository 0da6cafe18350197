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

use crate::catalog::{bearer, meta_account};
use crate::{Sim, default_account, graph_error, request_id, urlencode};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::{BTreeMap, HashMap};

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

// ---------------------------------------------------------------- helpers

/// Graph's timestamp format: `2026-11-26T07:00:00+0000`.
pub(crate) fn graph_time(t: i64) -> String {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}+0000",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
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

fn comment_json(c: &Comment, post: Option<&Post>, comments: &[Comment], fields: &[Field]) -> Value {
    let mut o = Map::new();
    for f in fields {
        let v = match f.name.as_str() {
            "id" => json!(c.id),
            "text" => json!(c.text),
            "timestamp" => json!(graph_time(c.created_at)),
            "username" => json!(c.username),
            "like_count" => json!(0),
            "media" => {
                let sub = f.sub.clone().unwrap_or_else(|| names(&["id"]));
                match post {
                    Some(p) => {
                        media_json(p, comments, &sub, &[HASHTAG_FIELDS, &["username"]].concat())
                    }
                    None => json!({"id": c.media_id}),
                }
            }
            _ => continue,
        };
        o.insert(f.name.clone(), v);
    }
    Value::Object(o)
}

/// The Graph token of a request (bearer, or `access_token` in the query) must be a live Meta one.
fn graph_auth(sim: &Sim, headers: &HeaderMap, q: &HashMap<String, String>) -> Result<(), Response> {
    let token = bearer(headers).or(q.get("access_token").map(String::as_str));
    meta_account(sim, token).map(|_| ())
}

/// Sort key of a paged list (compared descending); the `after` cursor encodes the last one sent.
type Key = (i64, i64, u64);

fn encode_cursor(k: Key) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{}_{}_{}", k.0, k.1, k.2))
}

fn decode_cursor(c: &str) -> Option<Key> {
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(c)
        .ok()?;
    let s = String::from_utf8(raw).ok()?;
    let mut parts = s.split('_');
    let k = (
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
    );
    parts.next().is_none().then_some(k)
}

fn numeric_id(id: &str) -> u64 {
    id.parse().unwrap_or(0)
}

/// One page of `items` (each with its key), in descending key order after the `after` cursor,
/// as Graph answers it.
fn graph_page(
    mut items: Vec<(Key, Value)>,
    q: &HashMap<String, String>,
    headers: &HeaderMap,
    path: &str,
) -> Response {
    let limit = q
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .filter(|l| *l > 0)
        .unwrap_or(25)
        .min(50);
    let after = match q.get("after").filter(|a| !a.is_empty()) {
        Some(a) => match decode_cursor(a) {
            Some(k) => Some(k),
            None => return graph_error(100, None, "(#100) Invalid cursor in parameter after"),
        },
        None => None,
    };
    items.sort_by_key(|i| std::cmp::Reverse(i.0));
    let rest: Vec<(Key, Value)> = items
        .into_iter()
        .filter(|(k, _)| after.is_none_or(|a| *k < a))
        .collect();
    let more = rest.len() > limit;
    let page: Vec<(Key, Value)> = rest.into_iter().take(limit).collect();
    let mut body = json!({"data": page.iter().map(|(_, v)| v.clone()).collect::<Vec<_>>()});
    if more && let Some((last, _)) = page.last() {
        let cursor = encode_cursor(*last);
        let host = headers
            .get("host")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("127.0.0.1");
        let mut params: Vec<(&String, &String)> = q.iter().filter(|(k, _)| *k != "after").collect();
        params.sort();
        let mut query: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v)))
            .collect();
        query.push(format!("after={cursor}"));
        body["paging"] = json!({
            "cursors": {"after": cursor},
            "next": format!("http://{host}{path}?{}", query.join("&")),
        });
    }
    Json(body).into_response()
}

// ---------------------------------------------------------------- Instagram Graph

pub(crate) async fn hashtag_search(
    State(sim): State<Sim>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = graph_auth(&sim, &headers, &q) {
        return r;
    }
    let Some(user_id) = q.get("user_id").filter(|u| !u.is_empty()) else {
        return graph_error(100, None, "(#100) The parameter user_id is required");
    };
    let tag = q
        .get("q")
        .map(|t| t.trim().trim_start_matches('#').to_lowercase())
        .unwrap_or_default();
    if tag.is_empty() || !tag.chars().all(|c| c.is_alphanumeric() || c == '_') {
        return graph_error(
            100,
            None,
            "(#100) The parameter q is required and must be a hashtag",
        );
    }
    let now = sim.now();
    let mut s = sim.lock();
    let st = &mut s.ugc;
    st.hashtag_queries
        .push(json!({"user_id": user_id, "hashtag": tag, "at": now}));
    let id = match st.hashtags.get(&tag) {
        Some(id) => id.clone(),
        None => {
            let id = format!("17843{:012}", st.next());
            st.hashtags.insert(tag, id.clone());
            id
        }
    };
    Json(json!({"data": [{"id": id}]})).into_response()
}

fn hashtag_media(
    sim: &Sim,
    headers: &HeaderMap,
    q: &HashMap<String, String>,
    hashtag_id: &str,
    edge: &str,
) -> Response {
    if let Err(r) = graph_auth(sim, headers, q) {
        return r;
    }
    if q.get("user_id").is_none_or(String::is_empty) {
        return graph_error(100, None, "(#100) The parameter user_id is required");
    }
    let now = sim.now();
    let s = sim.lock();
    let st = &s.ugc;
    let Some(tag) = st
        .hashtags
        .iter()
        .find(|(_, id)| *id == hashtag_id)
        .map(|(t, _)| t.clone())
    else {
        return graph_error(
            100,
            None,
            &format!(
                "(#100) Unsupported get request. Object with ID '{hashtag_id}' does not exist"
            ),
        );
    };
    let fields = fields_param(q);
    let fields = if fields.is_empty() {
        names(&["id"])
    } else {
        fields
    };
    let items: Vec<(Key, Value)> = st
        .posts
        .iter()
        .filter(|p| has_hashtag(&p.caption, &tag))
        .filter(|p| edge == "top_media" || (p.created_at > now - 86_400 && p.created_at <= now))
        .map(|p| {
            let key = if edge == "top_media" {
                (p.like_count as i64, p.created_at, numeric_id(&p.id))
            } else {
                (p.created_at, 0, numeric_id(&p.id))
            };
            (key, media_json(p, &st.comments, &fields, HASHTAG_FIELDS))
        })
        .collect();
    drop(s);
    graph_page(items, q, headers, &format!("/{hashtag_id}/{edge}"))
}

/// `GET /{id}/{edge}`: `recent_media` and `top_media` of a hashtag, `tags` of an IG user.
pub(crate) async fn node_edge(
    State(sim): State<Sim>,
    Path((id, edge)): Path<(String, String)>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match edge.as_str() {
        "recent_media" | "top_media" => hashtag_media(&sim, &headers, &q, &id, &edge),
        "tags" => tags(&sim, &headers, &q, &id),
        _ => graph_error(
            100,
            None,
            &format!("(#100) Tried accessing nonexisting field ({edge})"),
        ),
    }
}

fn tags(sim: &Sim, headers: &HeaderMap, q: &HashMap<String, String>, ig_user_id: &str) -> Response {
    if let Err(r) = graph_auth(sim, headers, q) {
        return r;
    }
    let fields = fields_param(q);
    let fields = if fields.is_empty() {
        names(&["id"])
    } else {
        fields
    };
    let allowed = [HASHTAG_FIELDS, &["username"]].concat();
    let s = sim.lock();
    let st = &s.ugc;
    let items: Vec<(Key, Value)> = st
        .posts
        .iter()
        .filter(|p| p.tagged.iter().any(|t| t == ig_user_id))
        .map(|p| {
            (
                (p.created_at, 0, numeric_id(&p.id)),
                media_json(p, &st.comments, &fields, &allowed),
            )
        })
        .collect();
    drop(s);
    graph_page(items, q, headers, &format!("/{ig_user_id}/tags"))
}

/// `GET /{id}`: an IG user's `mentioned_media` / `mentioned_comment`, the brand account, or a
/// hashtag.
pub(crate) async fn node(
    State(sim): State<Sim>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = graph_auth(&sim, &headers, &q) {
        return r;
    }
    let fields = fields_param(&q);
    let s = sim.lock();
    let st = &s.ugc;
    let (brand_id, brand_username) = st.brand();
    let not_found = || {
        graph_error(
            100,
            Some(33),
            &format!(
                "Unsupported get request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."
            ),
        )
    };
    if let Some((tag, _)) = st.hashtags.iter().find(|(_, h)| **h == id) {
        return Json(json!({"id": id, "name": tag})).into_response();
    }
    if id != brand_id {
        return not_found();
    }
    let mut out = Map::new();
    for f in &fields {
        match f.name.as_str() {
            "mentioned_media" => {
                let media_id = f.arg("media_id").unwrap_or_default();
                let Some(post) = st
                    .posts
                    .iter()
                    .find(|p| p.id == media_id && mentions(&p.caption, &brand_username))
                else {
                    return graph_error(
                        100,
                        None,
                        &format!("(#100) Media '{media_id}' does not mention this account"),
                    );
                };
                let sub = f.sub.clone().unwrap_or_else(|| {
                    names(&[
                        "caption",
                        "media_type",
                        "media_url",
                        "permalink",
                        "timestamp",
                        "username",
                    ])
                });
                let allowed = [HASHTAG_FIELDS, &["username"]].concat();
                let mut m = media_json(post, &st.comments, &sub, &allowed);
                m["id"] = json!(post.id);
                out.insert("mentioned_media".into(), m);
            }
            "mentioned_comment" => {
                let comment_id = f.arg("comment_id").unwrap_or_default();
                let Some(c) = st
                    .comments
                    .iter()
                    .find(|c| c.id == comment_id && mentions(&c.text, &brand_username))
                else {
                    return graph_error(
                        100,
                        None,
                        &format!("(#100) Comment '{comment_id}' does not mention this account"),
                    );
                };
                let sub = f.sub.clone().unwrap_or_else(|| {
                    let mut d = names(&["id", "text", "timestamp", "username"]);
                    d.push(Field {
                        name: "media".into(),
                        args: Vec::new(),
                        sub: Some(names(&["id", "permalink"])),
                    });
                    d
                });
                let post = st.posts.iter().find(|p| p.id == c.media_id);
                out.insert(
                    "mentioned_comment".into(),
                    comment_json(c, post, &st.comments, &sub),
                );
            }
            "username" => {
                out.insert("username".into(), json!(brand_username));
            }
            _ => {}
        }
    }
    out.insert("id".into(), json!(id));
    Json(Value::Object(out)).into_response()
}

/// `POST /{ig_user_id}/mentions`: reply, as the brand, on media that mention or tag the user.
pub(crate) async fn reply_mention(
    State(sim): State<Sim>,
    Path(ig_user_id): Path<String>,
    headers: HeaderMap,
    Query(mut q): Query<HashMap<String, String>>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    if let Ok(Form(f)) = form {
        q.extend(f);
    }
    if let Err(r) = graph_auth(&sim, &headers, &q) {
        return r;
    }
    let (Some(media_id), Some(message)) = (
        q.get("media_id").filter(|m| !m.is_empty()),
        q.get("message").filter(|m| !m.is_empty()),
    ) else {
        return graph_error(100, None, "(#100) media_id and message are required");
    };
    let now = sim.now();
    let mut s = sim.lock();
    let st = &mut s.ugc;
    let (brand_id, brand_username) = st.brand();
    let Some(post) = st.posts.iter().find(|p| p.id == *media_id) else {
        return graph_error(
            100,
            None,
            &format!("(#100) Media '{media_id}' does not exist"),
        );
    };
    let mentioned = ig_user_id == brand_id && mentions(&post.caption, &brand_username);
    let tagged = post.tagged.contains(&ig_user_id);
    let parent = q.get("comment_id").filter(|c| !c.is_empty());
    let comment_mentions = parent.is_some_and(|cid| {
        st.comments.iter().any(|c| {
            c.id == *cid
                && c.media_id == *media_id
                && ig_user_id == brand_id
                && mentions(&c.text, &brand_username)
        })
    });
    if let Some(cid) = parent
        && !st
            .comments
            .iter()
            .any(|c| c.id == *cid && c.media_id == *media_id)
    {
        return graph_error(
            100,
            None,
            &format!("(#100) Comment '{cid}' does not exist on this media"),
        );
    }
    if !(mentioned || tagged || comment_mentions) {
        return graph_error(
            100,
            None,
            "(#100) The media does not mention or tag this account; you cannot comment on it",
        );
    }
    let id = format!("17850{:012}", st.next());
    st.comments.push(Comment {
        id: id.clone(),
        media_id: media_id.clone(),
        username: brand_username,
        text: message.clone(),
        created_at: now,
        parent_id: parent.cloned(),
    });
    Json(json!({ "id": id })).into_response()
}

// ---------------------------------------------------------------- webhooks

/// POST a signed `mentions` change to the `instagram` subscription; its status, or `None` when
/// nobody subscribed.
async fn deliver_mention(sim: &Sim, value: Value) -> Option<Value> {
    use hmac::{Hmac, KeyInit, Mac};
    let now = sim.now();
    let (sub, brand_id) = {
        let s = sim.lock();
        (
            s.ugc.subscriptions.get("instagram").cloned(),
            s.ugc.brand().0,
        )
    };
    let sub = sub?;
    let body = json!({"object": "instagram", "entry": [{
        "id": brand_id,
        "time": now,
        "changes": [{"field": "mentions", "value": value}],
    }]});
    let raw = body.to_string();
    let signature = match Hmac::<sha2::Sha256>::new_from_slice(sub.secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(raw.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    };
    let sent = match reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
    {
        Ok(client) => client
            .post(&sub.callback_url)
            .header("content-type", "application/json")
            .header("x-hub-signature-256", format!("sha256={signature}"))
            .body(raw)
            .send()
            .await
            .map(|r| r.status().as_u16())
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    let result = match sent {
        Ok(status) => json!({ "status": status }),
        Err(e) => {
            tracing::warn!(error = %e, url = %sub.callback_url, "webhook delivery failed");
            json!({ "status": 0, "error": e })
        }
    };
    sim.lock()
        .ugc
        .deliveries
        .push(json!({"status": result["status"], "body": body}));
    Some(result)
}

// ---------------------------------------------------------------- TikTok Display API

fn display_error(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        Json(json!({"data": {}, "error": {"code": code, "message": message, "log_id": request_id()}})),
    )
        .into_response()
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

pub(crate) async fn video_list(
    State(sim): State<Sim>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let now = sim.now();
    let open_id = {
        let mut s = sim.lock();
        s.ugc.display_calls += 1;
        let token = bearer(&headers);
        s.grants
            .iter()
            .find(|g| {
                g.platform == "tiktok"
                    && Some(g.access_token.as_str()) == token
                    && !g.revoked
                    && g.access_expires_at > now
            })
            .map(|g| g.account_id.clone())
    };
    let Some(open_id) = open_id else {
        return display_error(
            StatusCode::UNAUTHORIZED,
            "access_token_invalid",
            "The access token is invalid or not found in the request.",
        );
    };
    let fields: Vec<&str> = q
        .get("fields")
        .map(|f| {
            f.split(',')
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if fields.is_empty() {
        return display_error(
            StatusCode::BAD_REQUEST,
            "invalid_params",
            "fields is required",
        );
    }
    if let Some(bad) = fields.iter().find(|f| !VIDEO_FIELDS.contains(f)) {
        return display_error(
            StatusCode::BAD_REQUEST,
            "invalid_params",
            &format!("Invalid field: {bad}"),
        );
    }
    let req: Value = if body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        match serde_json::from_slice(&body) {
            Ok(v @ Value::Object(_)) => v,
            _ => {
                return display_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_params",
                    "The request body must be a JSON object",
                );
            }
        }
    };
    let cursor = match &req["cursor"] {
        Value::Null => None,
        c => match c.as_i64() {
            Some(c) => Some(c),
            None => {
                return display_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_params",
                    "cursor must be an integer",
                );
            }
        },
    };
    let max_count = match &req["max_count"] {
        Value::Null => 10,
        m => match m.as_i64().filter(|m| (1..=20).contains(m)) {
            Some(m) => m as usize,
            None => {
                return display_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_params",
                    "max_count must be between 1 and 20",
                );
            }
        },
    };
    let s = sim.lock();
    let mut videos: Vec<&Video> = s
        .ugc
        .videos
        .iter()
        .filter(|v| v.open_id == open_id && cursor.is_none_or(|c| v.created_ms < c))
        .collect();
    videos.sort_by_key(|v| std::cmp::Reverse(v.created_ms));
    let has_more = videos.len() > max_count;
    videos.truncate(max_count);
    let next_cursor = videos
        .last()
        .map_or_else(|| cursor.unwrap_or(now * 1000), |v| v.created_ms);
    let list: Vec<Value> = videos.iter().map(|v| video_json(v, &fields)).collect();
    Json(json!({
        "data": {"videos": list, "cursor": next_cursor, "has_more": has_more},
        "error": {"code": "ok", "message": "", "log_id": request_id()},
    }))
    .into_response()
}

// ---------------------------------------------------------------- control

pub(crate) async fn put_media_file(
    State(sim): State<Sim>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .to_string();
    sim.lock()
        .ugc
        .media_files
        .insert(name, (content_type, body));
    StatusCode::NO_CONTENT
}

/// `Range: bytes=a-b` / `bytes=a-` / `bytes=-n` → inclusive (start, end) within `len`.
fn byte_range(headers: &HeaderMap, len: usize) -> Option<Option<(usize, usize)>> {
    let Some(range) = headers.get(header::RANGE).and_then(|v| v.to_str().ok()) else {
        return Some(None);
    };
    let spec = range.trim().strip_prefix("bytes=")?;
    if spec.contains(',') || len == 0 {
        return None;
    }
    let (a, b) = spec.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    let (start, end) = if a.is_empty() {
        let n: usize = b.parse().ok()?;
        (len.saturating_sub(n), len - 1)
    } else {
        let start: usize = a.parse().ok()?;
        let end = if b.is_empty() {
            len - 1
        } else {
            b.parse::<usize>().ok()?.min(len - 1)
        };
        (start, end)
    };
    (start <= end && start < len).then_some(Some((start, end)))
}

pub(crate) async fn ig_cdn(
    State(sim): State<Sim>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    let file = sim.lock().ugc.media_files.get(&name).cloned();
    let Some((content_type, bytes)) = file else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    let len = bytes.len();
    let (status, body, range) = match byte_range(&headers, len) {
        Some(None) => (StatusCode::OK, bytes, None),
        Some(Some((a, b))) => (
            StatusCode::PARTIAL_CONTENT,
            bytes.slice(a..=b),
            Some(format!("bytes {a}-{b}/{len}")),
        ),
        None => {
            let mut r = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                r.headers_mut().insert(header::CONTENT_RANGE, v);
            }
            return r;
        }
    };
    let body_len = body.len();
    let mut r = (status, body).into_response();
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(body_len));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if let Some(v) = range.and_then(|r| HeaderValue::from_str(&r).ok()) {
        h.insert(header::CONTENT_RANGE, v);
    }
    r
}

#[derive(Deserialize)]
pub(crate) struct BrandReq {
    ig_user_id: String,
    username: String,
}

pub(crate) async fn set_brand(State(sim): State<Sim>, Json(r): Json<BrandReq>) -> StatusCode {
    sim.set_instagram_brand(&r.ig_user_id, &r.username);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
pub(crate) struct SubscriptionReq {
    object: String,
    callback_url: String,
    secret: String,
}

pub(crate) async fn subscribe(
    State(sim): State<Sim>,
    Json(r): Json<SubscriptionReq>,
) -> StatusCode {
    sim.subscribe(&r.object, &r.callback_url, &r.secret);
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
pub(crate) struct ChildReq {
    #[serde(default = "image")]
    media_type: String,
    media_url: String,
}

fn image() -> String {
    "IMAGE".into()
}

#[derive(Deserialize)]
pub(crate) struct MediaReq {
    owner_username: String,
    #[serde(default)]
    caption: String,
    #[serde(default = "image")]
    media_type: String,
    media_url: Option<String>,
    #[serde(default)]
    tagged: Vec<String>,
    #[serde(default)]
    like_count: u64,
    #[serde(default)]
    age_secs: i64,
    #[serde(default)]
    children: Vec<ChildReq>,
}

/// An 11-character shortcode, distinct for each `n`.
fn shortcode(n: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut x = u128::from(n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut out = String::new();
    for _ in 0..11 {
        out.push(char::from(ALPHABET[(x % 64) as usize]));
        x /= 64;
    }
    out
}

pub(crate) async fn create_media(State(sim): State<Sim>, Json(r): Json<MediaReq>) -> Response {
    if !matches!(r.media_type.as_str(), "IMAGE" | "VIDEO" | "CAROUSEL_ALBUM") {
        return (
            StatusCode::BAD_REQUEST,
            "media_type must be IMAGE, VIDEO or CAROUSEL_ALBUM",
        )
            .into_response();
    }
    let now = sim.now();
    let (post_json, mentions_brand, id) = {
        let mut s = sim.lock();
        let st = &mut s.ugc;
        let n = st.next();
        let id = format!("{}", 17_900_000_000_000_000u64 + n);
        let media_url = r
            .media_url
            .unwrap_or_else(|| format!("https://scontent.cdninstagram.com/v/{id}.jpg"));
        let mut children: Vec<(String, String, String)> = Vec::new();
        if r.media_type == "CAROUSEL_ALBUM" {
            let reqs = if r.children.is_empty() {
                vec![ChildReq {
                    media_type: image(),
                    media_url: media_url.clone(),
                }]
            } else {
                r.children
            };
            for c in reqs {
                let cid = format!("{}", 17_900_000_000_000_000u64 + st.next());
                children.push((cid, c.media_type, c.media_url));
            }
        }
        let post = Post {
            id: id.clone(),
            owner_username: r.owner_username,
            caption: r.caption,
            media_type: r.media_type,
            media_url,
            permalink: format!("https://www.instagram.com/p/{}/", shortcode(n)),
            created_at: now - r.age_secs.max(0),
            tagged: r.tagged,
            like_count: r.like_count,
            children,
        };
        let mut fields = names(HASHTAG_FIELDS);
        fields.push(Field {
            name: "children".into(),
            args: Vec::new(),
            sub: Some(names(&["id", "media_type", "media_url"])),
        });
        fields.push(Field {
            name: "username".into(),
            args: Vec::new(),
            sub: None,
        });
        let allowed = [HASHTAG_FIELDS, &["username"]].concat();
        let mut j = media_json(&post, &st.comments, &fields, &allowed);
        j["tagged"] = json!(post.tagged);
        let mentions_brand = mentions(&post.caption, &st.brand().1);
        st.posts.push(post);
        (j, mentions_brand, id)
    };
    let webhook = if mentions_brand {
        deliver_mention(&sim, json!({ "media_id": id })).await
    } else {
        None
    };
    Json(json!({"post": post_json, "webhook": webhook})).into_response()
}

#[derive(Deserialize)]
pub(crate) struct CommentReq {
    media_id: String,
    username: String,
    text: String,
    parent_id: Option<String>,
}

fn comment_record(c: &Comment) -> Value {
    let mut v = json!({
        "id": c.id,
        "media_id": c.media_id,
        "username": c.username,
        "text": c.text,
        "timestamp": graph_time(c.created_at),
    });
    if let Some(p) = &c.parent_id {
        v["parent_id"] = json!(p);
    }
    v
}

pub(crate) async fn create_comment(State(sim): State<Sim>, Json(r): Json<CommentReq>) -> Response {
    let now = sim.now();
    let (comment, mentions_brand) = {
        let mut s = sim.lock();
        let st = &mut s.ugc;
        if !st.posts.iter().any(|p| p.id == r.media_id) {
            return (StatusCode::NOT_FOUND, "no such media").into_response();
        }
        let c = Comment {
            id: format!("17850{:012}", st.next()),
            media_id: r.media_id,
            username: r.username,
            text: r.text,
            created_at: now,
            parent_id: r.parent_id,
        };
        let mentions_brand = mentions(&c.text, &st.brand().1);
        st.comments.push(c.clone());
        (c, mentions_brand)
    };
    let webhook = if mentions_brand {
        deliver_mention(
            &sim,
            json!({"media_id": comment.media_id, "comment_id": comment.id}),
        )
        .await
    } else {
        None
    };
    Json(json!({"comment": comment_record(&comment), "webhook": webhook})).into_response()
}

#[derive(Deserialize)]
pub(crate) struct VideoReq {
    open_id: String,
    #[serde(default)]
    video_description: String,
    #[serde(default)]
    duration: i64,
    #[serde(default = "width")]
    width: i64,
    #[serde(default = "height")]
    height: i64,
    cover_image_url: Option<String>,
    #[serde(default)]
    age_secs: i64,
    #[serde(default)]
    view_count: u64,
    #[serde(default)]
    like_count: u64,
    #[serde(default)]
    comment_count: u64,
    #[serde(default)]
    share_count: u64,
}

fn width() -> i64 {
    1080
}

fn height() -> i64 {
    1920
}

pub(crate) async fn create_video(State(sim): State<Sim>, Json(r): Json<VideoReq>) -> Json<Value> {
    let now = sim.now();
    let mut s = sim.lock();
    let st = &mut s.ugc;
    let id = format!("{}", 7_300_000_000_000_000_000u64 + st.next());
    let mut created_ms = (now - r.age_secs.max(0)) * 1000;
    while st
        .videos
        .iter()
        .any(|v| v.open_id == r.open_id && v.created_ms == created_ms)
    {
        created_ms += 1;
    }
    let v = Video {
        cover_image_url: r
            .cover_image_url
            .unwrap_or_else(|| format!("https://p16-sign.tiktokcdn-us.com/obj/{id}.jpeg")),
        id,
        open_id: r.open_id,
        created_ms,
        video_description: r.video_description,
        duration: r.duration,
        width: r.width,
        height: r.height,
        view_count: r.view_count,
        like_count: r.like_count,
        comment_count: r.comment_count,
        share_count: r.share_count,
    };
    let mut j = video_json(&v, VIDEO_FIELDS);
    j["open_id"] = json!(v.open_id);
    st.videos.push(v);
    Json(j)
}

pub(crate) async fn ugc_state(State(sim): State<Sim>) -> Json<Value> {
    Json(sim.ugc_json())
}

impl Sim {
    /// The Instagram account whose mentions and tags the UGC endpoints serve.
    pub fn set_instagram_brand(&self, ig_user_id: &str, username: &str) {
        self.lock().ugc.brand = Some((ig_user_id.to_string(), username.to_string()));
    }

    /// Where webhooks for `object` (`instagram`) go, and the app secret that signs them.
    pub fn subscribe(&self, object: &str, callback_url: &str, secret: &str) {
        self.lock().ugc.subscriptions.insert(
            object.to_string(),
            Subscription {
                callback_url: callback_url.to_string(),
                secret: secret.to_string(),
            },
        );
    }

    /// What `GET /_sim/ugc` answers: hashtag queries, post count, comments, webhook deliveries and
    /// Display API calls.
    pub fn ugc_json(&self) -> Value {
        let s = self.lock();
        let st = &s.ugc;
        json!({
            "hashtag_queries": st.hashtag_queries,
            "posts": st.posts.len(),
            "comments": st.comments.iter().map(comment_record).collect::<Vec<_>>(),
            "deliveries": st.deliveries,
            "display_calls": st.display_calls,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    async fn serve() -> (Sim, String, reqwest::Client) {
        let sim = Sim::default();
        let addr = sim.serve(([127, 0, 0, 1], 0).into()).await.unwrap();
        (sim, format!("http://{addr}"), reqwest::Client::new())
    }

    async fn post_media(c: &reqwest::Client, base: &str, body: Value) -> Value {
        let r = c
            .post(format!("{base}/_sim/instagram/media"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    async fn get(c: &reqwest::Client, url: &str, token: &str) -> (u16, Value) {
        let r = c.get(url).bearer_auth(token).send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    /// A webhook receiver: every request's signature header and raw body.
    async fn receiver() -> (String, Arc<Mutex<Vec<(String, Bytes)>>>) {
        let got: Arc<Mutex<Vec<(String, Bytes)>>> = Arc::default();
        let seen = got.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let seen = seen.clone();
                async move {
                    let sig = headers
                        .get("x-hub-signature-256")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    assert_eq!(headers.get("content-type").unwrap(), "application/json");
                    seen.lock().unwrap().push((sig, body));
                    StatusCode::OK
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{addr}/hook"), got)
    }

    #[test]
    fn graph_timestamps() {
        assert_eq!(graph_time(1_795_676_400), "2026-11-26T07:00:00+0000");
        assert_eq!(graph_time(0), "1970-01-01T00:00:00+0000");
        assert_eq!(graph_time(951_782_400), "2000-02-29T00:00:00+0000");
    }

    #[test]
    fn field_expressions() {
        let f = parse_fields(
            "mentioned_media.media_id(179){caption,media_type,children{id,media_url}},id",
        );
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].name, "mentioned_media");
        assert_eq!(f[0].arg("media_id"), Some("179"));
        let sub = f[0].sub.as_ref().unwrap();
        assert_eq!(sub[2].name, "children");
        assert_eq!(sub[2].sub.as_ref().unwrap().len(), 2);
        assert_eq!(f[1].name, "id");
        let f = parse_fields(" mentioned_comment.comment_id( 42 ) ");
        assert_eq!(f[0].arg("comment_id"), Some("42"));
        assert!(f[0].sub.is_none());
        // Unbalanced input still parses.
        let f = parse_fields("a{b,c");
        assert_eq!(f[0].sub.as_ref().unwrap().len(), 2);
        assert_eq!(parse_fields("),}x").len(), 1);
    }

    #[test]
    fn hashtag_and_mention_tokens() {
        assert!(has_hashtag("Love it #SummerDrop!", "summerdrop"));
        assert!(!has_hashtag("#summerdrops", "summerdrop"));
        assert!(!has_hashtag("#summerdrop_2", "summerdrop"));
        assert!(mentions("thanks @Acme.", "acme"));
        assert!(!mentions("thanks @acme.shop", "acme"));
        assert!(!mentions("mail hi@acme.com", "acme"));
    }

    #[tokio::test]
    async fn hashtag_search_recent_and_top_media() {
        let (sim, base, c) = serve().await;
        let token = sim.seed("meta", "1000000000000001", None).access_token;
        for (i, caption) in ["new #SummerDrop", "#summerdrop again", "#SUMMERDROP!"]
            .iter()
            .enumerate()
        {
            post_media(
                &c,
                &base,
                json!({"owner_username": format!("creator{i}"), "caption": caption,
                       "media_type": "VIDEO", "like_count": i * 10, "age_secs": 60 * (3 - i)}),
            )
            .await;
        }
        post_media(
            &c,
            &base,
            json!({"owner_username": "old", "caption": "#summerdrop",
            "like_count": 1000, "age_secs": 25 * 3600}),
        )
        .await;
        post_media(
            &c,
            &base,
            json!({"owner_username": "x", "caption": "#summerdrops #other"}),
        )
        .await;
        post_media(&c, &base, json!({"owner_username": "y", "caption": "#SummerDrop carousel",
            "media_type": "CAROUSEL_ALBUM", "age_secs": 30 * 3600,
            "children": [{"media_url": "https://cdn/a.jpg"}, {"media_type": "VIDEO", "media_url": "https://cdn/b.mp4"}]}))
            .await;

        // No token: Graph's error.
        let r = c
            .get(format!("{base}/ig_hashtag_search?user_id=1&q=summerdrop"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"]["code"], 190);

        let (st, v) = get(
            &c,
            &format!("{base}/ig_hashtag_search?user_id=17841400000000001&q=%23SummerDrop"),
            &token,
        )
        .await;
        assert_eq!(st, 200);
        let id = v["data"][0]["id"].as_str().unwrap().to_string();
        let (_, again) = get(
            &c,
            &format!("{base}/ig_hashtag_search?user_id=17841400000000001&q=summerdrop"),
            &token,
        )
        .await;
        assert_eq!(again["data"][0]["id"], id, "stable id, case-insensitive");

        let url = format!(
            "{base}/{id}/recent_media?user_id=17841400000000001&fields=id,caption,username,timestamp,like_count,media_type&limit=2"
        );
        let (st, page1) = get(&c, &url, &token).await;
        assert_eq!(st, 200, "{page1}");
        let data = page1["data"].as_array().unwrap();
        assert_eq!(data.len(), 2);
        assert_eq!(data[0]["caption"], "#SUMMERDROP!", "newest first");
        assert_eq!(data[1]["caption"], "#summerdrop again");
        assert!(
            data.iter().all(|m| m.get("username").is_none()),
            "no username"
        );
        assert!(data[0]["timestamp"].as_str().unwrap().ends_with("+0000"));
        assert_eq!(data[0]["media_type"], "VIDEO");
        let next = page1["paging"]["next"].as_str().unwrap();
        assert!(page1["paging"]["cursors"]["after"].is_string());
        let (_, page2) = get(&c, next, &token).await;
        let data = page2["data"].as_array().unwrap();
        assert_eq!(data.len(), 1, "the 25 h old posts are out: {page2}");
        assert_eq!(data[0]["caption"], "new #SummerDrop");
        assert!(page2.get("paging").is_none());

        // Older than 24 h: gone from recent_media once the clock moves on.
        sim.advance(86_400);
        let (_, later) = get(&c, &url, &token).await;
        assert_eq!(later["data"].as_array().unwrap().len(), 0);

        let (_, top) = get(
            &c,
            &format!("{base}/{id}/top_media?user_id=1&fields=id,like_count,children{{id,media_url}},media_type"),
            &token,
        )
        .await;
        let likes: Vec<u64> = top["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["like_count"].as_u64().unwrap())
            .collect();
        assert_eq!(likes, vec![1000, 20, 10, 0, 0]);
        let carousel = top["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["media_type"] == "CAROUSEL_ALBUM")
            .unwrap();
        assert_eq!(
            carousel["children"]["data"][1]["media_url"],
            "https://cdn/b.mp4"
        );
        assert!(top["data"][0].get("children").is_none());

        let (st, e) = get(
            &c,
            &format!("{base}/17843999/recent_media?user_id=1"),
            &token,
        )
        .await;
        assert_eq!(st, 400);
        assert_eq!(e["error"]["code"], 100);

        let ugc = sim.ugc_json();
        assert_eq!(ugc["hashtag_queries"].as_array().unwrap().len(), 2);
        assert_eq!(ugc["hashtag_queries"][0]["hashtag"], "summerdrop");
        assert_eq!(ugc["hashtag_queries"][0]["user_id"], "17841400000000001");
        assert_eq!(ugc["posts"], 6);
    }

    #[tokio::test]
    async fn mentions_tags_and_signed_webhooks() {
        let (sim, base, c) = serve().await;
        let token = sim.seed("meta", "1000000000000001", None).access_token;
        let (hook, got) = receiver().await;
        let r = c
            .post(format!("{base}/_sim/subscriptions"))
            .json(&json!({"object": "instagram", "callback_url": hook, "secret": "s3cret"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
        let brand = "17841400000000001";

        let plain = post_media(
            &c,
            &base,
            json!({"owner_username": "bob", "caption": "no brand here"}),
        )
        .await;
        assert!(plain["webhook"].is_null());
        let plain_id = plain["post"]["id"].as_str().unwrap().to_string();

        let mention = post_media(
            &c,
            &base,
            json!({"owner_username": "alice", "caption": "Loving my @Acme jacket",
                   "media_type": "VIDEO", "media_url": "https://cdn.example/v.mp4"}),
        )
        .await;
        assert_eq!(mention["webhook"]["status"], 200);
        assert_eq!(mention["post"]["username"], "alice");
        assert!(
            mention["post"]["permalink"]
                .as_str()
                .unwrap()
                .starts_with("https://www.instagram.com/p/")
        );
        let media_id = mention["post"]["id"].as_str().unwrap().to_string();

        // The delivery: signed with the secret over the raw body.
        let (sig, body) = got.lock().unwrap()[0].clone();
        {
            use hmac::{Hmac, KeyInit, Mac};
            let mut mac = Hmac::<sha2::Sha256>::new_from_slice(b"s3cret").unwrap();
            mac.update(&body);
            assert_eq!(
                sig,
                format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
            );
        }
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["object"], "instagram");
        assert_eq!(body["entry"][0]["id"], brand);
        assert_eq!(body["entry"][0]["changes"][0]["field"], "mentions");
        assert_eq!(
            body["entry"][0]["changes"][0]["value"]["media_id"],
            media_id
        );

        let (st, m) = get(
            &c,
            &format!("{base}/{brand}?fields=mentioned_media.media_id({media_id}){{caption,media_type,media_url,permalink,timestamp,username}}"),
            &token,
        )
        .await;
        assert_eq!(st, 200, "{m}");
        assert_eq!(m["id"], brand);
        assert_eq!(m["mentioned_media"]["id"], media_id);
        assert_eq!(m["mentioned_media"]["username"], "alice");
        assert_eq!(
            m["mentioned_media"]["media_url"],
            "https://cdn.example/v.mp4"
        );
        assert!(m["mentioned_media"].get("like_count").is_none());
        // No inner list: the default set.
        let (_, d) = get(
            &c,
            &format!("{base}/{brand}?fields=mentioned_media.media_id({media_id})"),
            &token,
        )
        .await;
        assert_eq!(d["mentioned_media"]["caption"], "Loving my @Acme jacket");
        // Media that does not mention the brand.
        let (st, e) = get(
            &c,
            &format!("{base}/{brand}?fields=mentioned_media.media_id({plain_id}){{caption}}"),
            &token,
        )
        .await;
        assert_eq!((st, e["error"]["code"].as_i64()), (400, Some(100)));

        // A comment mentioning the brand (the creator's approval reply).
        let r: Value = c
            .post(format!("{base}/_sim/instagram/comments"))
            .json(&json!({"media_id": plain_id, "username": "bob", "text": "@acme #YesAcme"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(r["webhook"]["status"], 200);
        let comment_id = r["comment"]["id"].as_str().unwrap().to_string();
        let delivered: Value = serde_json::from_slice(&got.lock().unwrap()[1].1).unwrap();
        assert_eq!(
            delivered["entry"][0]["changes"][0]["value"],
            json!({"media_id": plain_id, "comment_id": comment_id})
        );
        let (st, mc) = get(
            &c,
            &format!("{base}/{brand}?fields=mentioned_comment.comment_id({comment_id}){{id,text,timestamp,username,media{{id,permalink}}}}"),
            &token,
        )
        .await;
        assert_eq!(st, 200, "{mc}");
        assert_eq!(mc["mentioned_comment"]["text"], "@acme #YesAcme");
        assert_eq!(mc["mentioned_comment"]["username"], "bob");
        assert_eq!(mc["mentioned_comment"]["media"]["id"], plain_id);
        assert!(mc["mentioned_comment"]["media"]["permalink"].is_string());
        let (_, dc) = get(
            &c,
            &format!("{base}/{brand}?fields=mentioned_comment.comment_id({comment_id})"),
            &token,
        )
        .await;
        assert_eq!(dc["mentioned_comment"]["media"]["id"], plain_id);
        // A comment without the mention.
        let r: Value = c
            .post(format!("{base}/_sim/instagram/comments"))
            .json(&json!({"media_id": plain_id, "username": "eve", "text": "nice"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(r["webhook"].is_null());
        let other = r["comment"]["id"].as_str().unwrap();
        let (st, _) = get(
            &c,
            &format!("{base}/{brand}?fields=mentioned_comment.comment_id({other}){{id}}"),
            &token,
        )
        .await;
        assert_eq!(st, 400);

        // Tagged media, newest first, with username.
        let tagged = post_media(
            &c,
            &base,
            json!({"owner_username": "carol", "caption": "fit check",
            "tagged": [brand], "age_secs": 10}),
        )
        .await;
        let tagged_id = tagged["post"]["id"].as_str().unwrap().to_string();
        let (_, tags) = get(
            &c,
            &format!("{base}/{brand}/tags?fields=id,username,caption&limit=5"),
            &token,
        )
        .await;
        assert_eq!(
            tags["data"],
            json!([{"id": tagged_id, "username": "carol", "caption": "fit check"}])
        );

        // Replies: on mentioning or tagging media only.
        let r = c
            .post(format!("{base}/{brand}/mentions"))
            .bearer_auth(&token)
            .form(&[
                ("media_id", media_id.as_str()),
                ("message", "May we share this? Reply #YesAcme"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let reply: Value = r.json().await.unwrap();
        assert!(reply["id"].is_string());
        let r = c
            .post(format!("{base}/{brand}/mentions"))
            .bearer_auth(&token)
            .query(&[("media_id", tagged_id.as_str()), ("message", "thanks!")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let r = c
            .post(format!("{base}/{brand}/mentions"))
            .bearer_auth(&token)
            .form(&[("media_id", plain_id.as_str()), ("message", "hi")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "unrelated media refused");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["error"]["code"], 100);
        // ... unless replying to a comment there that mentions the brand.
        let r = c
            .post(format!("{base}/{brand}/mentions"))
            .bearer_auth(&token)
            .form(&[
                ("media_id", plain_id.as_str()),
                ("comment_id", comment_id.as_str()),
                ("message", "thank you"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let r = c
            .post(format!("{base}/{brand}/mentions"))
            .form(&[("media_id", media_id.as_str()), ("message", "no token")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400);

        let ugc = sim.ugc_json();
        let comments = ugc["comments"].as_array().unwrap();
        let by_brand: Vec<&Value> = comments
            .iter()
            .filter(|c| c["username"] == "acme")
            .collect();
        assert_eq!(by_brand.len(), 3);
        assert_eq!(by_brand[0]["media_id"], media_id);
        assert_eq!(by_brand[2]["parent_id"], comment_id);
        assert_eq!(ugc["deliveries"].as_array().unwrap().len(), 2);
        assert_eq!(ugc["deliveries"][0]["status"], 200);

        // Another brand account.
        let r = c
            .post(format!("{base}/_sim/instagram/brand"))
            .json(&json!({"ig_user_id": "17841499999999999", "username": "other.brand"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
        let (st, _) = get(
            &c,
            &format!("{base}/{brand}?fields=mentioned_media.media_id({media_id}){{caption}}"),
            &token,
        )
        .await;
        assert_eq!(st, 400);
        let (st, u) = get(
            &c,
            &format!("{base}/17841499999999999?fields=id,username"),
            &token,
        )
        .await;
        assert_eq!(st, 200);
        assert_eq!(u["username"], "other.brand");
    }

    #[tokio::test]
    async fn existing_routes_still_win() {
        let (sim, base, c) = serve().await;
        let token = sim.seed("meta", "1000000000000001", None).access_token;
        let (st, me) = get(&c, &format!("{base}/me?access_token={token}"), "x").await;
        assert_eq!((st, me["id"].as_str()), (200, Some("1000000000000001")));
        let (st, e) = get(
            &c,
            &format!("{base}/123/check_batch_request_status?handle=nope"),
            &token,
        )
        .await;
        assert_eq!(
            (st, e["error"]["message"].as_str()),
            (400, Some("(#100) Invalid handle"))
        );
        let (st, e) = get(&c, &format!("{base}/123/unknown_edge"), &token).await;
        assert_eq!((st, e["error"]["code"].as_i64()), (400, Some(100)));
    }

    #[tokio::test]
    async fn media_files_are_served() {
        let (_sim, base, c) = serve().await;
        let r = c
            .put(format!("{base}/_sim/media-files/clip.mp4"))
            .header("content-type", "video/mp4")
            .body(b"0123456789".to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204);
        let r = c
            .get(format!("{base}/_sim/ig-cdn/clip.mp4"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "video/mp4");
        assert_eq!(r.headers()["content-length"], "10");
        assert_eq!(r.bytes().await.unwrap().as_ref(), b"0123456789");
        let r = c
            .get(format!("{base}/_sim/ig-cdn/clip.mp4"))
            .header("range", "bytes=2-4")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 206);
        assert_eq!(r.headers()["content-range"], "bytes 2-4/10");
        assert_eq!(r.bytes().await.unwrap().as_ref(), b"234");
        let r = c
            .get(format!("{base}/_sim/ig-cdn/nope.mp4"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404);
    }

    #[tokio::test]
    async fn display_api_video_list() {
        let (sim, base, c) = serve().await;
        let open_id = "act.sim-creator-0001";
        let token = sim.seed("tiktok", open_id, None).access_token;
        let mut ids = Vec::new();
        for i in 0..5 {
            let v: Value = c
                .post(format!("{base}/_sim/tiktok/videos"))
                .json(
                    &json!({"open_id": open_id, "video_description": format!("video {i}"),
                       "duration": 12, "cover_image_url": "https://p16.example/c.jpg",
                       "age_secs": if i < 3 { 100 } else { 0 }}),
                )
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(
                v["share_url"],
                format!(
                    "https://www.tiktok.com/@{open_id}/video/{}",
                    v["id"].as_str().unwrap()
                )
            );
            ids.push(v["id"].as_str().unwrap().to_string());
        }
        c.post(format!("{base}/_sim/tiktok/videos"))
            .json(&json!({"open_id": "someone-else"}))
            .send()
            .await
            .unwrap();

        let list = |body: Value, token: String| {
            let c = c.clone();
            let base = base.clone();
            async move {
                let r = c
                    .post(format!(
                        "{base}/v2/video/list/?fields=id,create_time,share_url,embed_link,duration,video_description"
                    ))
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                (r.status().as_u16(), r.json::<Value>().await.unwrap())
            }
        };
        let (st, p1) = list(json!({"max_count": 2}), token.clone()).await;
        assert_eq!(st, 200, "{p1}");
        assert_eq!(p1["error"]["code"], "ok");
        let v1 = p1["data"]["videos"].as_array().unwrap();
        assert_eq!(v1.len(), 2);
        // Same second: the later-created is newer.
        assert_eq!(v1[0]["id"], ids[4]);
        assert_eq!(v1[1]["id"], ids[3]);
        assert_eq!(
            v1[0]["embed_link"],
            format!("https://www.tiktok.com/player/v1/{}", ids[4])
        );
        assert!(v1[0].get("view_count").is_none(), "only requested fields");
        assert_eq!(p1["data"]["has_more"], true);
        let cursor = p1["data"]["cursor"].as_i64().unwrap();
        let (_, p2) = list(json!({"cursor": cursor, "max_count": 2}), token.clone()).await;
        let v2: Vec<&Value> = p2["data"]["videos"].as_array().unwrap().iter().collect();
        assert_eq!(v2.len(), 2);
        assert_eq!(v2[0]["id"], ids[2]);
        assert!(v2[0]["create_time"].as_i64().unwrap() * 1000 < cursor);
        let cursor = p2["data"]["cursor"].as_i64().unwrap();
        let (_, p3) = list(json!({"cursor": cursor}), token.clone()).await;
        assert_eq!(p3["data"]["videos"].as_array().unwrap().len(), 1);
        assert_eq!(p3["data"]["videos"][0]["id"], ids[0]);
        assert_eq!(p3["data"]["has_more"], false);

        let (st, e) = list(json!({"max_count": 21}), token.clone()).await;
        assert_eq!(st, 400);
        assert_eq!(e["error"]["code"], "invalid_params");
        let (st, e) = list(json!({}), "act.bogus".into()).await;
        assert_eq!(st, 401);
        assert_eq!(e["error"]["code"], "access_token_invalid");
        assert_eq!(e["data"], json!({}));
        sim.advance(2 * 86_400);
        let (st, e) = list(json!({}), token).await;
        assert_eq!(
            (st, e["error"]["code"].as_str()),
            (401, Some("access_token_invalid"))
        );
        assert_eq!(sim.ugc_json()["display_calls"], 6);
    }
}
