//! A TikTok Shop's orders, for attribution (spec §12): Get Order Detail (API 202309) and Search
//! Seller Affiliate Orders (202410), each a signed shop-scoped call with one token refresh on 401.
//! The order webhook carries no amounts: every figure comes from these answers.

use crate::PlatformConfig;
use crate::catalog::{TtsApp, signed_request};
use reelcart_catalog::{PushError, Tokens};
use secrecy::SecretString;
use serde_json::{Value, json};

/// Get Order Detail's path (version pinned).
pub const ORDER_DETAIL_PATH: &str = "/order/202309/orders";
/// Search Seller Affiliate Orders' path (version pinned).
pub const AFFILIATE_ORDERS_PATH: &str = "/affiliate_seller/202410/orders/search";

/// What a TikTok Shop orders call could not do.
#[derive(Debug, thiserror::Error)]
pub enum OrdersError {
    /// Throttled, unreachable, a server error: retried later.
    #[error("retry: {0}")]
    Retry(String),
    /// The app may not call this API (the Affiliate API needs TikTok's approval) or the call was
    /// refused: not retried.
    #[error("refused ({code}): {message}")]
    Refused { code: i64, message: String },
}

pub struct TiktokShopOrders<T> {
    http: reqwest::Client,
    api_url: String,
    app_key: String,
    app_secret: SecretString,
    shop_cipher: String,
    tokens: T,
}

impl<T> std::fmt::Debug for TiktokShopOrders<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TiktokShopOrders")
            .field("api_url", &self.api_url)
            .finish_non_exhaustive()
    }
}

impl<T: Tokens> TiktokShopOrders<T> {
    pub fn new(
        cfg: &PlatformConfig,
        shop_cipher: impl Into<String>,
        tokens: T,
    ) -> Result<Self, reqwest::Error> {
        Ok(Self {
            http: crate::catalog::http_client()?,
            api_url: cfg.tiktok_shop_api_url.clone(),
            app_key: cfg.apps.tiktok_shop_app_key.clone(),
            app_secret: cfg.apps.tiktok_shop_app_secret.clone(),
            shop_cipher: shop_cipher.into(),
            tokens,
        })
    }

    /// One call, its `data` on success; a 401 refreshes the token once.
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Value, OrdersError> {
        let retry = |e: PushError| OrdersError::Retry(e.to_string());
        let bytes = body.map(|b| b.to_string().into_bytes());
        let mut token = self.tokens.token().await.map_err(retry)?;
        for attempt in 0..2 {
            let app = TtsApp {
                api_url: &self.api_url,
                app_key: &self.app_key,
                app_secret: &self.app_secret,
                shop_cipher: &self.shop_cipher,
            };
            let mut req = signed_request(
                &self.http,
                &app,
                method.clone(),
                path,
                query,
                Some(bytes.as_deref().unwrap_or(b"")),
                &token,
            );
            if let Some(b) = &bytes {
                req = req
                    .header("content-type", "application/json")
                    .body(b.clone());
            }
            let resp = req
                .send()
                .await
                .map_err(|e| OrdersError::Retry(e.without_url().to_string()))?;
            let status = resp.status().as_u16();
            let answer: Value = resp.json().await.unwrap_or(Value::Null);
            let code = answer["code"].as_i64().unwrap_or(-1);
            let message = answer["message"].as_str().unwrap_or("").to_string();
            if status == 200 && code == 0 {
                return Ok(answer["data"].clone());
            }
            if status == 401 && attempt == 0 {
                token = self.tokens.after_rejection(&token).await.map_err(retry)?;
                continue;
            }
            if status == 429 || status >= 500 || code == 36009002 {
                return Err(OrdersError::Retry(format!("{status} {code}: {message}")));
            }
            return Err(OrdersError::Refused { code, message });
        }
        Err(OrdersError::Retry("the refreshed token was refused".into()))
    }

    /// The order `id` as Get Order Detail answers it (`None`: not found).
    pub async fn order(&self, id: &str) -> Result<Option<Value>, OrdersError> {
        let data = self
            .call(
                reqwest::Method::GET,
                ORDER_DETAIL_PATH,
                &[("ids", id)],
                None,
            )
            .await?;
        Ok(data["orders"]
            .as_array()
            .and_then(|o| o.iter().find(|o| o["id"].as_str() == Some(id)).cloned()))
    }

    /// The affiliate SKUs of order `id` (created at `create_time`): Search Seller Affiliate
    /// Orders over the minute around its creation, every page.
    pub async fn affiliate_skus(
        &self,
        id: &str,
        create_time: i64,
    ) -> Result<Vec<Value>, OrdersError> {
        let mut out = Vec::new();
        let mut page_token = String::new();
        for _ in 0..20 {
            let body =
                json!({"create_time_ge": create_time - 60, "create_time_lt": create_time + 60});
            let mut query = vec![("page_size", "100")];
            if !page_token.is_empty() {
                query.push(("page_token", page_token.as_str()));
            }
            let data = self
                .call(
                    reqwest::Method::POST,
                    AFFILIATE_ORDERS_PATH,
                    &query,
                    Some(&body),
                )
                .await?;
            for o in data["orders"].as_array().into_iter().flatten() {
                if o["id"].as_str() == Some(id) {
                    out.extend(o["skus"].as_array().into_iter().flatten().cloned());
                }
            }
            match data["next_page_token"].as_str().filter(|t| !t.is_empty()) {
                Some(t) => page_token = t.to_string(),
                None => break,
            }
        }
        Ok(out)
    }
}
