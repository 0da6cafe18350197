//! Instagram Graph: hashtag search and hashtag media, mentions, tags, replies (comments) by the
//! brand, and the signed `mentions` webhooks.

use super::{
    Comment, Field, HASHTAG_FIELDS, Post, fields_param, graph_time, has_hashtag, media_json,
    mentions, names,
};
use crate::catalog::{bearer, meta_account};
use crate::meta::graph_error;
use crate::{Sim, urlencode};
use axum::Json;
use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use std::collections::HashMap;

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
pub(super) async fn deliver_mention(sim: &Sim, value: Value) -> Option<Value> {
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
