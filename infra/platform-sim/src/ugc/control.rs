//! Control routes (tests, demo; no auth): media files and their CDN, the Instagram brand, webhook
//! subscriptions, posts, comments and videos, and what was asked of the UGC endpoints.

use super::instagram::deliver_mention;
use super::{
    Comment, Field, HASHTAG_FIELDS, Post, Subscription, VIDEO_FIELDS, Video, graph_time,
    media_json, mentions, names, video_json,
};
use crate::Sim;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

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
