//! Meta's Catalog Batch API: items_batch, its usage headers and throttling codes.

use super::*;
use crate::PlatformConfig;
use reelcart_catalog::{ChannelClient, ChannelItem, Op, Outcome, PushError, Pushed, Tokens};
use reelcart_domain::catalog::diff::Action;
use reelcart_domain::catalog::{Channel, Problem, Product, Projection, meta};
use reelcart_ports::SyncedItem;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::time::Duration;

/// The highest usage percentage in Meta's `X-App-Usage` and `X-Business-Use-Case-Usage`.
pub fn meta_usage(headers: &http::HeaderMap) -> (u64, Option<u64>) {
    let json = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| serde_json::from_str::<Value>(v).ok())
    };
    let pct = |o: &Value| {
        ["call_count", "total_cputime", "total_time"]
            .iter()
            .filter_map(|k| o[*k].as_u64())
            .max()
            .unwrap_or(0)
    };
    let mut usage = json("x-app-usage").map(|v| pct(&v)).unwrap_or(0);
    let mut regain = None;
    if let Some(Value::Object(buc)) = json("x-business-use-case-usage") {
        for entries in buc.values() {
            for e in entries.as_array().map(Vec::as_slice).unwrap_or_default() {
                usage = usage.max(pct(e));
                if let Some(m) = e["estimated_time_to_regain_access"].as_u64() {
                    regain = Some(regain.unwrap_or(0).max(m));
                }
            }
        }
    }
    (usage, regain)
}

/// Slow down before 100 %: how long to pause after a call at `usage` percent.
pub fn meta_pace_secs(usage: u64) -> u64 {
    match usage {
        95.. => 120,
        90..=94 => 60,
        75..=89 => 10,
        _ => 0,
    }
}

/// Graph error codes that mean "too many calls: wait".
const META_THROTTLED: [i64; 5] = [4, 17, 32, 613, 80014];

/// A Meta commerce catalog (`items_batch`, one item per variant).
pub struct MetaCatalog<T> {
    http: reqwest::Client,
    graph_url: String,
    catalog_id: String,
    tokens: T,
    pub batch_size: usize,
    /// The first wait before polling `check_batch_request_status` again; it doubles up to
    /// `max_poll_interval`.
    pub poll_interval: Duration,
    pub max_poll_interval: Duration,
}

impl<T> std::fmt::Debug for MetaCatalog<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetaCatalog")
            .field("catalog_id", &self.catalog_id)
            .field("batch_size", &self.batch_size)
            .finish_non_exhaustive()
    }
}

enum Answer {
    Ok(Value, http::HeaderMap),
    Err(PushError),
}

impl<T: Tokens> MetaCatalog<T> {
    pub fn new(
        cfg: &PlatformConfig,
        catalog_id: impl Into<String>,
        tokens: T,
    ) -> Result<Self, reqwest::Error> {
        Ok(Self {
            http: http_client()?,
            graph_url: cfg.meta_graph_url.clone(),
            catalog_id: catalog_id.into(),
            tokens,
            // Meta accepts 5000; fewer than 3000 is its recommendation.
            batch_size: 1000,
            poll_interval: Duration::from_millis(100),
            max_poll_interval: Duration::from_secs(5),
        })
    }

    /// Send a Graph request with the token, refreshing once if the token is refused.
    async fn graph(&self, build: impl Fn(&SecretString) -> reqwest::RequestBuilder) -> Answer {
        match graph_call(&self.tokens, build).await {
            Ok((body, headers)) => Answer::Ok(body, headers),
            Err(e) => Answer::Err(e),
        }
    }
}

/// Send a Graph API request with a connection's token, refreshing once if the token is refused;
/// Graph's errors classified (token, throttling with Meta's own wait, transient, fatal).
pub(crate) async fn graph_call<T: Tokens>(
    tokens: &T,
    build: impl Fn(&SecretString) -> reqwest::RequestBuilder,
) -> Result<(Value, http::HeaderMap), PushError> {
    let mut token = tokens.token().await?;
    for attempt in 0..2 {
        let resp = build(&token).send().await.map_err(transient)?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        if status == 200 && body.get("error").is_none() {
            return Ok((body, headers));
        }
        let code = body["error"]["code"].as_i64().unwrap_or(0);
        let message = body["error"]["message"].as_str().unwrap_or("").to_string();
        if code == 190 && attempt == 0 {
            token = tokens.after_rejection(&token).await?;
            continue;
        }
        return Err(match code {
            190 | 102 => PushError::Auth(format!("Meta refused the token ({code}): {message}")),
            c if META_THROTTLED.contains(&c) => {
                // Meta's estimate is in minutes; 0 means "about now": a short pause.
                let (_, regain) = meta_usage(&headers);
                PushError::Throttled {
                    wait_secs: match regain {
                        Some(0) => 10,
                        Some(m) => m * 60,
                        None => 60,
                    },
                }
            }
            1 => PushError::TooLarge,
            2 => PushError::Transient(message),
            _ if status >= 500 => PushError::Transient(format!("HTTP {status}")),
            c => PushError::Fatal(format!("Meta error {c}: {message}")),
        });
    }
    Err(PushError::Auth("Meta refused a refreshed token".into()))
}

fn meta_problems(message: &str) -> Problem {
    match message.split_once(": ") {
        Some((field, msg)) if !field.contains(' ') => Problem::new(field, "platform_rejected", msg),
        _ => Problem::new("item", "platform_rejected", message),
    }
}

impl<T: Tokens> ChannelClient for MetaCatalog<T> {
    fn channel(&self) -> Channel {
        Channel::Meta
    }

    fn batch_size(&self) -> usize {
        self.batch_size
    }

    fn project(&self, product: &Product) -> Vec<(String, Projection<ChannelItem>)> {
        meta::project(product)
            .into_iter()
            .map(|(k, r)| (k, r.map(ChannelItem::Meta)))
            .collect()
    }

    async fn push(&self, ops: Vec<Op>) -> Pushed {
        let mut requests: Vec<Value> = Vec::with_capacity(ops.len());
        for op in &ops {
            requests.push(match (&op.action, &op.item) {
                (Action::Delete, _) | (_, None) => {
                    json!({"method": "DELETE", "data": {"id": op.key}})
                }
                (Action::Create, Some(ChannelItem::Meta(item))) => {
                    json!({"method": "CREATE", "data": item})
                }
                (_, Some(ChannelItem::Meta(item))) => json!({"method": "UPDATE", "data": item}),
                (_, Some(ChannelItem::Tiktok(_))) => {
                    return Pushed {
                        error: Some(PushError::Fatal(format!(
                            "{}: a TikTok Shop product cannot go to a Meta catalog",
                            op.key
                        ))),
                        ..Pushed::default()
                    };
                }
            });
        }
        let url = format!("{}/{}/items_batch", self.graph_url, self.catalog_id);
        let form = [
            ("item_type", "PRODUCT_ITEM".to_string()),
            ("allow_upsert", "true".to_string()),
            ("requests", Value::Array(requests).to_string()),
        ];
        let (body, headers) = match self
            .graph(|t| {
                self.http
                    .post(&url)
                    .bearer_auth(t.expose_secret())
                    .form(&form)
            })
            .await
        {
            Answer::Ok(b, h) => (b, h),
            Answer::Err(e) => {
                return Pushed {
                    error: Some(e),
                    ..Pushed::default()
                };
            }
        };
        let (usage, _) = meta_usage(&headers);
        let Some(handle) = body["handles"][0].as_str().map(str::to_string) else {
            return Pushed {
                error: Some(PushError::Fatal("items_batch answered no handle".into())),
                ..Pushed::default()
            };
        };
        // The batch is accepted; its per-item results come from the status check.
        let status_url = format!(
            "{}/{}/check_batch_request_status",
            self.graph_url, self.catalog_id
        );
        let mut errors: Vec<Value> = Vec::new();
        let mut finished = false;
        let mut wait = self.poll_interval;
        for _ in 0..300 {
            match self
                .graph(|t| {
                    self.http
                        .get(&status_url)
                        .bearer_auth(t.expose_secret())
                        .query(&[("handle", handle.as_str())])
                })
                .await
            {
                Answer::Ok(b, _) if b["data"][0]["status"] == "finished" => {
                    errors = b["data"][0]["errors"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default();
                    finished = true;
                    break;
                }
                Answer::Ok(..) => {
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(self.max_poll_interval);
                }
                Answer::Err(e) => {
                    return Pushed {
                        error: Some(e),
                        ..Pushed::default()
                    };
                }
            }
        }
        if !finished {
            return Pushed {
                error: Some(PushError::Transient(format!(
                    "batch {handle} did not finish"
                ))),
                ..Pushed::default()
            };
        }
        let mut refused: BTreeMap<String, Vec<Problem>> = BTreeMap::new();
        for e in &errors {
            if let Some(id) = e["id"].as_str() {
                refused
                    .entry(id.to_string())
                    .or_default()
                    .push(meta_problems(e["message"].as_str().unwrap_or_default()));
            }
        }
        let now = unix_now();
        let outcomes = ops
            .into_iter()
            .map(|op| {
                if let Some(problems) = refused.remove(&op.key) {
                    return Outcome::Refused {
                        key: op.key,
                        problems,
                    };
                }
                match op.item {
                    Some(item) if op.action != Action::Delete => Outcome::Synced(SyncedItem {
                        hashes: item.hashes(),
                        key: op.key,
                        remote_id: None,
                        remote_skus: BTreeMap::new(),
                        synced_at: now,
                    }),
                    _ => Outcome::Removed(op.key),
                }
            })
            .collect();
        Pushed {
            outcomes,
            error: None,
            pace_secs: meta_pace_secs(usage),
        }
    }
}
