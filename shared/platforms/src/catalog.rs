//! Catalog channel clients: Meta's Catalog Batch API and TikTok Shop's products API (202309), with
//! their rate limits (Meta usage headers and throttling codes; TikTok Shop 429 / 36009002 with
//! `Retry-After`) and tokens from the connections vault (a 401 gets one refresh, then the run
//! stops and the connection shows why).

use crate::PlatformConfig;
use futures::StreamExt;
use reelcart_catalog::{ChannelClient, ChannelItem, Op, Outcome, PushError, Pushed, Tokens};
use reelcart_connections::{RefreshError, Refresher, TokenClient};
use reelcart_domain::catalog::diff::Action;
use reelcart_domain::catalog::tiktok::{self, Rules, TiktokProduct};
use reelcart_domain::catalog::{Channel, Problem, Product, Projection, meta};
use reelcart_ports::{ConnectionStore, EventBus, KeyService, SyncedItem};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A connection's tokens, through the refresher (one refresh however many callers are refused).
/// The token is kept for a minute: opening it means a store read and a KMS decrypt, and the
/// refresher keeps every token valid for 15 minutes past that.
pub struct RefresherTokens<S, K, T, E> {
    pub refresher: Arc<Refresher<S, K, T, E>>,
    pub connection_id: String,
    cached: Mutex<Option<(SecretString, std::time::Instant)>>,
}

/// How long a token opened from the vault is reused.
const TOKEN_REUSE: Duration = Duration::from_secs(60);

impl<S, K, T, E> RefresherTokens<S, K, T, E> {
    pub fn new(refresher: Arc<Refresher<S, K, T, E>>, connection_id: impl Into<String>) -> Self {
        Self {
            refresher,
            connection_id: connection_id.into(),
            cached: Mutex::new(None),
        }
    }

    fn remember(&self, token: &SecretString) {
        *self
            .cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some((token.clone(), std::time::Instant::now()));
    }
}

impl<S, K, T, E> std::fmt::Debug for RefresherTokens<S, K, T, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefresherTokens")
            .field("connection_id", &self.connection_id)
            .finish_non_exhaustive()
    }
}

fn auth_error(e: RefreshError) -> PushError {
    match e {
        RefreshError::Busy(_) | RefreshError::Store(_) => PushError::Transient(e.to_string()),
        other => PushError::Auth(other.to_string()),
    }
}

impl<S, K, T, E> Tokens for RefresherTokens<S, K, T, E>
where
    S: ConnectionStore,
    K: KeyService,
    T: TokenClient,
    E: EventBus,
{
    async fn token(&self) -> Result<SecretString, PushError> {
        let cached = self
            .cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        if let Some((token, at)) = cached
            && at.elapsed() < TOKEN_REUSE
        {
            return Ok(token);
        }
        let token = self
            .refresher
            .fresh_access_token(&self.connection_id)
            .await
            .map_err(auth_error)?;
        self.remember(&token);
        Ok(token)
    }

    async fn after_rejection(&self, rejected: &SecretString) -> Result<SecretString, PushError> {
        let token = self
            .refresher
            .access_token_after_rejection(&self.connection_id, rejected)
            .await
            .map_err(auth_error)?;
        self.remember(&token);
        Ok(token)
    }
}

pub(crate) fn http_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .connect_timeout(Duration::from_secs(5))
        .user_agent("reelcart/0.1")
        .build()
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

pub(crate) fn transient(e: reqwest::Error) -> PushError {
    PushError::Transient(e.without_url().to_string())
}

// ---------------------------------------------------------------- Meta

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

// ---------------------------------------------------------------- TikTok Shop

/// A TikTok Shop's products (API 202309), signed like every TikTok Shop call.
pub struct TiktokShopCatalog<T> {
    http: reqwest::Client,
    api_url: String,
    app_key: String,
    app_secret: SecretString,
    shop_cipher: String,
    rules: Rules,
    tokens: T,
    /// Source image URL → uploaded `uri`.
    images: Mutex<HashMap<String, String>>,
    pub batch_size: usize,
    /// Products sent at once within a push.
    pub concurrency: usize,
}

impl<T> std::fmt::Debug for TiktokShopCatalog<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TiktokShopCatalog")
            .field("rules", &self.rules)
            .finish_non_exhaustive()
    }
}

/// Why one TikTok Shop call did not succeed.
enum TtsFail {
    /// Stop the push.
    Stop(PushError),
    /// The platform refused this product.
    Refused(Problem),
}

impl<T: Tokens> TiktokShopCatalog<T> {
    pub fn new(
        cfg: &PlatformConfig,
        shop_cipher: impl Into<String>,
        rules: Rules,
        tokens: T,
    ) -> Result<Self, reqwest::Error> {
        Ok(Self {
            http: http_client()?,
            api_url: cfg.tiktok_shop_api_url.clone(),
            app_key: cfg.apps.tiktok_shop_app_key.clone(),
            app_secret: cfg.apps.tiktok_shop_app_secret.clone(),
            shop_cipher: shop_cipher.into(),
            rules,
            tokens,
            images: Mutex::new(HashMap::new()),
            batch_size: 100,
            concurrency: 4,
        })
    }

    fn signed(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&[u8]>,
        token: &SecretString,
    ) -> reqwest::RequestBuilder {
        let timestamp = unix_now().to_string();
        let params = [
            ("app_key", self.app_key.as_str()),
            ("shop_cipher", self.shop_cipher.as_str()),
            ("timestamp", timestamp.as_str()),
        ];
        let sign = reelcart_domain::connection::tiktok_shop_sign(
            self.app_secret.expose_secret(),
            path,
            &params,
            body,
        );
        self.http
            .request(method, format!("{}{path}", self.api_url))
            .query(&params)
            .query(&[("sign", sign.as_str())])
            .header("x-tts-access-token", token.expose_secret())
    }

    /// One call (JSON body, or a multipart image built per attempt), with one token refresh.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        image: Option<&[u8]>,
    ) -> Result<Value, TtsFail> {
        let bytes = body.map(|b| b.to_string().into_bytes());
        let mut token = self.tokens.token().await.map_err(TtsFail::Stop)?;
        for attempt in 0..2 {
            let req = match (&bytes, image) {
                (_, Some(img)) => {
                    let part = reqwest::multipart::Part::bytes(img.to_vec())
                        .file_name("image.jpg")
                        .mime_str("image/jpeg")
                        .map_err(|e| TtsFail::Stop(PushError::Fatal(e.to_string())))?;
                    let form = reqwest::multipart::Form::new()
                        .part("data", part)
                        .text("use_case", "MAIN_IMAGE");
                    // Multipart bodies are not signed.
                    self.signed(method.clone(), path, None, &token)
                        .multipart(form)
                }
                (Some(b), None) => self
                    .signed(method.clone(), path, Some(b), &token)
                    .header("content-type", "application/json")
                    .body(b.clone()),
                (None, None) => self.signed(method.clone(), path, Some(b""), &token),
            };
            let resp = req.send().await.map_err(|e| TtsFail::Stop(transient(e)))?;
            let status = resp.status().as_u16();
            let retry_after = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            let answer: Value = resp.json().await.unwrap_or(Value::Null);
            let code = answer["code"].as_i64().unwrap_or(-1);
            let message = answer["message"].as_str().unwrap_or("").to_string();
            if status == 200 && code == 0 {
                return Ok(answer["data"].clone());
            }
            if status == 429 || code == 36009002 {
                return Err(TtsFail::Stop(PushError::Throttled {
                    wait_secs: retry_after.unwrap_or(2).max(1),
                }));
            }
            if status == 401 || code == 105002 || code == 36009004 {
                if attempt == 0 {
                    token = self
                        .tokens
                        .after_rejection(&token)
                        .await
                        .map_err(TtsFail::Stop)?;
                    continue;
                }
                return Err(TtsFail::Stop(PushError::Auth(format!(
                    "TikTok Shop refused the token ({code}): {message}"
                ))));
            }
            if status >= 500 || code == 36009003 {
                return Err(TtsFail::Stop(PushError::Transient(format!(
                    "TikTok Shop {status} ({code}): {message}"
                ))));
            }
            return Err(TtsFail::Refused(Problem::new(
                "product",
                "platform_rejected",
                format!("TikTok Shop {code}: {message}"),
            )));
        }
        Err(TtsFail::Stop(PushError::Auth(
            "TikTok Shop refused a refreshed token".into(),
        )))
    }

    /// The uploaded `uri` of each main image (uploaded once per source URL).
    async fn image_uris(&self, urls: &[String]) -> Result<Vec<String>, TtsFail> {
        let mut out = Vec::with_capacity(urls.len());
        for url in urls {
            let cached = self
                .images
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(url)
                .cloned();
            if let Some(uri) = cached {
                out.push(uri);
                continue;
            }
            let resp = self
                .http
                .get(url)
                .send()
                .await
                .map_err(|e| TtsFail::Stop(transient(e)))?;
            if !resp.status().is_success() {
                return Err(TtsFail::Refused(Problem::new(
                    "main_images",
                    "unreachable",
                    format!(
                        "the image could not be downloaded (HTTP {})",
                        resp.status().as_u16()
                    ),
                )));
            }
            let bytes = resp
                .bytes()
                .await
                .map_err(|e| TtsFail::Stop(transient(e)))?;
            let data = self
                .call(
                    reqwest::Method::POST,
                    "/product/202309/images/upload",
                    None,
                    Some(&bytes),
                )
                .await?;
            let uri = data["uri"].as_str().unwrap_or_default().to_string();
            self.images
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(url.clone(), uri.clone());
            out.push(uri);
        }
        Ok(out)
    }

    async fn product_body(&self, p: &TiktokProduct) -> Result<Value, TtsFail> {
        let uris = self.image_uris(&p.content.main_images).await?;
        let skus: Vec<Value> = p
            .content
            .skus
            .iter()
            .map(|s| {
                json!({
                    "seller_sku": s.seller_sku,
                    "price": p.prices.get(&s.seller_sku),
                    "inventory": [{"warehouse_id": self.rules.warehouse_id, "quantity": p.inventory.get(&s.seller_sku).copied().unwrap_or(0)}],
                    "sales_attributes": s.sales_attributes,
                })
            })
            .collect();
        Ok(json!({
            "title": p.content.title,
            "description": p.content.description,
            "category_id": p.content.category_id,
            "main_images": uris.iter().map(|u| json!({"uri": u})).collect::<Vec<_>>(),
            "package_weight": p.content.package_weight,
            "skus": skus,
            "save_mode": "LISTING",
        }))
    }

    /// Create, update, or update prices and/or stock of one product.
    async fn apply(&self, op: &Op) -> Result<SyncedItem, TtsFail> {
        let Some(ChannelItem::Tiktok(p)) = &op.item else {
            return Err(TtsFail::Stop(PushError::Fatal(format!(
                "{}: no TikTok Shop product to send",
                op.key
            ))));
        };
        let synced = op.synced.as_ref();
        let remote_id = synced.and_then(|s| s.remote_id.clone());
        let mut remote_skus = synced.map(|s| s.remote_skus.clone()).unwrap_or_default();
        let sku_ids = |data: &Value| -> BTreeMap<String, String> {
            data["skus"]
                .as_array()
                .map(|skus| {
                    skus.iter()
                        .filter_map(|s| {
                            Some((
                                s["seller_sku"].as_str()?.to_string(),
                                s["id"].as_str()?.to_string(),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        let id = match (op.action, remote_id) {
            (Action::Create, _) | (_, None) => {
                let mut body = self.product_body(p).await?;
                // A retried create (after a crash, a timeout) returns the first product.
                body["idempotency_key"] = json!(format!("reelcart-create-{}", op.key));
                let data = self
                    .call(
                        reqwest::Method::POST,
                        "/product/202309/products",
                        Some(&body),
                        None,
                    )
                    .await?;
                remote_skus = sku_ids(&data);
                data["product_id"].as_str().unwrap_or_default().to_string()
            }
            (Action::Update, Some(id)) => {
                let body = self.product_body(p).await?;
                let data = self
                    .call(
                        reqwest::Method::PUT,
                        &format!("/product/202309/products/{id}"),
                        Some(&body),
                        None,
                    )
                    .await?;
                remote_skus = sku_ids(&data);
                id
            }
            (action, Some(id)) => {
                if matches!(action, Action::Price | Action::PriceAndInventory) {
                    let skus: Vec<Value> = p
                        .prices
                        .iter()
                        .filter_map(|(sku, price)| {
                            Some(json!({"id": remote_skus.get(sku)?, "price": price}))
                        })
                        .collect();
                    self.call(
                        reqwest::Method::POST,
                        &format!("/product/202309/products/{id}/prices/update"),
                        Some(&json!({ "skus": skus })),
                        None,
                    )
                    .await?;
                }
                if matches!(action, Action::Inventory | Action::PriceAndInventory) {
                    let skus: Vec<Value> = p
                        .inventory
                        .iter()
                        .filter_map(|(sku, qty)| {
                            Some(json!({"id": remote_skus.get(sku)?, "inventory": [{"warehouse_id": self.rules.warehouse_id, "quantity": qty}]}))
                        })
                        .collect();
                    self.call(
                        reqwest::Method::POST,
                        &format!("/product/202309/products/{id}/inventory/update"),
                        Some(&json!({ "skus": skus })),
                        None,
                    )
                    .await?;
                }
                id
            }
        };
        Ok(SyncedItem {
            key: op.key.clone(),
            hashes: tiktok::hashes(p),
            remote_id: Some(id),
            remote_skus,
            synced_at: unix_now(),
        })
    }
}

impl<T: Tokens> ChannelClient for TiktokShopCatalog<T> {
    fn channel(&self) -> Channel {
        Channel::TiktokShop
    }

    fn batch_size(&self) -> usize {
        self.batch_size
    }

    fn project(&self, product: &Product) -> Vec<(String, Projection<ChannelItem>)> {
        vec![(
            product.id.clone(),
            tiktok::project(product, &self.rules).map(ChannelItem::Tiktok),
        )]
    }

    async fn push(&self, ops: Vec<Op>) -> Pushed {
        let mut out = Pushed::default();
        // Deletes go together (up to 20 per call).
        let (deletes, others): (Vec<Op>, Vec<Op>) =
            ops.into_iter().partition(|o| o.action == Action::Delete);
        let remote: Vec<(String, String)> = deletes
            .iter()
            .map(|o| {
                (
                    o.key.clone(),
                    o.synced
                        .as_ref()
                        .and_then(|s| s.remote_id.clone())
                        .unwrap_or_default(),
                )
            })
            .collect();
        for chunk in remote.chunks(20) {
            let ids: Vec<&str> = chunk
                .iter()
                .map(|(_, id)| id.as_str())
                .filter(|id| !id.is_empty())
                .collect();
            if !ids.is_empty() {
                match self
                    .call(
                        reqwest::Method::DELETE,
                        "/product/202309/products",
                        Some(&json!({ "product_ids": ids })),
                        None,
                    )
                    .await
                {
                    // Already gone counts as deleted.
                    Ok(_) | Err(TtsFail::Refused(_)) => {}
                    Err(TtsFail::Stop(e)) => {
                        out.error = Some(e);
                        return out;
                    }
                }
            }
            out.outcomes
                .extend(chunk.iter().map(|(k, _)| Outcome::Removed(k.clone())));
        }
        // A few products at a time: TikTok Shop limits per app and shop, not per connection.
        // After a stop (throttled, token refused, ...) no further product is started: the run
        // waits or stops, and pushes the rest again.
        let stopped = std::sync::atomic::AtomicBool::new(false);
        let stopped = &stopped;
        let results: Vec<(Op, Option<Result<SyncedItem, TtsFail>>)> = futures::stream::iter(others)
            .map(|op| async move {
                if stopped.load(std::sync::atomic::Ordering::SeqCst) {
                    return (op, None);
                }
                let r = self.apply(&op).await;
                if matches!(r, Err(TtsFail::Stop(_))) {
                    stopped.store(true, std::sync::atomic::Ordering::SeqCst);
                }
                (op, Some(r))
            })
            .buffered(self.concurrency.max(1))
            .collect()
            .await;
        for (op, r) in results {
            match r {
                Some(Ok(s)) => out.outcomes.push(Outcome::Synced(s)),
                Some(Err(TtsFail::Refused(problem))) => out.outcomes.push(Outcome::Refused {
                    key: op.key,
                    problems: vec![problem],
                }),
                // The first stop wins; ops without an outcome are pushed again by the run.
                Some(Err(TtsFail::Stop(e))) => {
                    out.error.get_or_insert(e);
                }
                None => {}
            }
        }
        out
    }
}
