//! TikTok Shop's products API (202309): create, edit, price and stock updates, with its 429 /
//! 36009002 throttling and `Retry-After`.

use super::*;
use crate::PlatformConfig;
use futures::StreamExt;
use reelcart_catalog::{ChannelClient, ChannelItem, Op, Outcome, PushError, Pushed, Tokens};
use reelcart_domain::catalog::diff::Action;
use reelcart_domain::catalog::tiktok::{self, Rules, TiktokProduct};
use reelcart_domain::catalog::{Channel, Problem, Product, Projection};
use reelcart_ports::SyncedItem;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

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

/// The app and shop a TikTok Shop call is made for.
pub(crate) struct TtsApp<'a> {
    pub api_url: &'a str,
    pub app_key: &'a str,
    pub app_secret: &'a SecretString,
    pub shop_cipher: &'a str,
}

/// A TikTok Shop API request signed as every shop-scoped call is (spec §2): `app_key`,
/// `shop_cipher`, `timestamp` and the call's own query parameters, HMAC-signed with the path and
/// body; the token in `x-tts-access-token`.
pub(crate) fn signed_request(
    http: &reqwest::Client,
    app: &TtsApp<'_>,
    method: reqwest::Method,
    path: &str,
    query: &[(&str, &str)],
    body: Option<&[u8]>,
    token: &SecretString,
) -> reqwest::RequestBuilder {
    let timestamp = unix_now().to_string();
    let mut params = vec![
        ("app_key", app.app_key),
        ("shop_cipher", app.shop_cipher),
        ("timestamp", timestamp.as_str()),
    ];
    params.extend_from_slice(query);
    let sign = reelcart_domain::connection::tiktok_shop_sign(
        app.app_secret.expose_secret(),
        path,
        &params,
        body,
    );
    http.request(method, format!("{}{path}", app.api_url))
        .query(&params)
        .query(&[("sign", sign.as_str())])
        .header("x-tts-access-token", token.expose_secret())
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
        signed_request(
            &self.http,
            &TtsApp {
                api_url: &self.api_url,
                app_key: &self.app_key,
                app_secret: &self.app_secret,
                shop_cipher: &self.shop_cipher,
            },
            method,
            path,
            &[],
            body,
            token,
        )
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
