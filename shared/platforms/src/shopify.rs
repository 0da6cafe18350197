//! Shopify Admin API: the store's products, page by page (cursor in the `Link` header), and
//! creators' discount codes (a price rule and its code), waiting out `429`s as `Retry-After`
//! says. The access token comes from the connections vault (the store's Shopify connection:
//! installed, or a Dev Dashboard app's client credentials), refreshed once on a `401`; or, where
//! no connection exists, a legacy custom app's static token.

use futures::future::BoxFuture;
use reelcart_connections::{RefreshError, Refresher, TokenClient};
use reelcart_ports::{ConnectionStore, EventBus, KeyService};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::time::Duration;

/// The Admin API version the pull speaks.
pub const API_VERSION: &str = "2025-10";

#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error("Shopify refused the Admin API token (HTTP {0})")]
    Unauthorized(u16),
    #[error("Shopify answered HTTP {0}")]
    Status(u16),
    #[error("Shopify kept throttling (429) after {0} waits")]
    Throttled(u32),
    #[error("{0}")]
    Transport(String),
    #[error("unexpected answer: {0}")]
    Malformed(String),
    #[error("Shopify refused it (422): {0}")]
    Refused(Refusal),
    #[error("no usable Shopify token: {0}")]
    NoToken(String),
}

/// Where the Admin API token comes from.
pub trait AdminTokens: Send + Sync {
    fn token(&self) -> BoxFuture<'_, Result<SecretString, PullError>>;
    /// The store answered 401 to `rejected`: a refreshed token, if there can be one.
    fn after_rejection<'a>(
        &'a self,
        rejected: &'a SecretString,
    ) -> BoxFuture<'a, Result<SecretString, PullError>>;
}

/// A legacy custom app's token: nothing to refresh.
#[derive(Debug)]
pub struct StaticToken(pub SecretString);

impl AdminTokens for StaticToken {
    fn token(&self) -> BoxFuture<'_, Result<SecretString, PullError>> {
        Box::pin(async move { Ok(self.0.clone()) })
    }
    fn after_rejection<'a>(
        &'a self,
        _: &'a SecretString,
    ) -> BoxFuture<'a, Result<SecretString, PullError>> {
        Box::pin(async move { Err(PullError::Unauthorized(401)) })
    }
}

/// The store's connection in the vault (`shopify#<shop>`); without one, the static token when
/// there is one.
pub struct VaultTokens<S, K, T, E> {
    pub refresher: Arc<Refresher<S, K, T, E>>,
    pub connection_id: String,
    pub fallback: Option<SecretString>,
}

impl<S, K, T, E> std::fmt::Debug for VaultTokens<S, K, T, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultTokens")
            .field("connection_id", &self.connection_id)
            .finish_non_exhaustive()
    }
}

fn refresh_error(e: RefreshError) -> PullError {
    match e {
        RefreshError::Busy(_) | RefreshError::Store(_) | RefreshError::LeaseLost(_) => {
            PullError::Transport(e.to_string())
        }
        other => PullError::NoToken(other.to_string()),
    }
}

impl<S, K, T, E> AdminTokens for VaultTokens<S, K, T, E>
where
    S: ConnectionStore,
    K: KeyService,
    T: TokenClient,
    E: EventBus,
{
    fn token(&self) -> BoxFuture<'_, Result<SecretString, PullError>> {
        Box::pin(async move {
            match self.refresher.fresh_access_token(&self.connection_id).await {
                Err(RefreshError::NotFound(_)) => self.fallback.clone().ok_or_else(|| {
                    PullError::NoToken(
                        "the store is not connected: install the Shopify app (Connections → Shopify)"
                            .into(),
                    )
                }),
                other => other.map_err(refresh_error),
            }
        })
    }
    fn after_rejection<'a>(
        &'a self,
        rejected: &'a SecretString,
    ) -> BoxFuture<'a, Result<SecretString, PullError>> {
        Box::pin(async move {
            self.refresher
                .access_token_after_rejection(&self.connection_id, rejected)
                .await
                .map_err(refresh_error)
        })
    }
}

/// What a `422` said: Admin REST's `errors`, by field when Shopify names fields
/// (`{"errors": {"code": ["must be unique"]}}`), so callers match on the field, not on text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Refusal {
    /// Field → its messages (`base` for errors of the whole resource).
    pub fields: std::collections::BTreeMap<String, Vec<String>>,
}

impl Refusal {
    pub fn from_errors(errors: &serde_json::Value) -> Self {
        let text = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let fields = match errors {
            serde_json::Value::Object(m) => m
                .iter()
                .map(|(field, v)| {
                    let messages = match v {
                        serde_json::Value::Array(a) => a.iter().map(text).collect(),
                        other => vec![text(other)],
                    };
                    (field.clone(), messages)
                })
                .collect(),
            serde_json::Value::Null => Default::default(),
            other => [("base".to_string(), vec![text(other)])].into(),
        };
        Self { fields }
    }

    /// Did Shopify refuse `field`?
    pub fn names(&self, field: &str) -> bool {
        self.fields.contains_key(field)
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .fields
            .iter()
            .map(|(field, messages)| format!("{field} {}", messages.join(", ")))
            .collect();
        f.write_str(&parts.join("; "))
    }
}

/// A discount code as the store holds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiscountCode {
    pub price_rule_id: u64,
    pub code_id: u64,
}

/// A store's Admin API.
pub struct ShopifyAdmin {
    http: reqwest::Client,
    /// `https://{shop}.myshopify.com` (the simulator locally).
    base_url: String,
    tokens: Arc<dyn AdminTokens>,
}

impl std::fmt::Debug for ShopifyAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShopifyAdmin")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// The `rel="next"` URL of a `Link` header.
pub fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (url, rel) = part.split_once(';')?;
        rel.contains("rel=\"next\"").then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

impl ShopifyAdmin {
    /// With a legacy custom app's static token.
    pub fn new(base_url: &str, token: SecretString) -> Result<Self, reqwest::Error> {
        Self::with_tokens(base_url, Arc::new(StaticToken(token)))
    }

    pub fn with_tokens(
        base_url: &str,
        tokens: Arc<dyn AdminTokens>,
    ) -> Result<Self, reqwest::Error> {
        Ok(Self {
            // The store's token travels in a header reqwest keeps across hosts: no redirects.
            http: crate::api_client(Duration::from_secs(30))?,
            base_url: base_url.trim_end_matches('/').to_string(),
            tokens,
        })
    }

    pub(crate) fn base_url(&self) -> &str {
        &self.base_url
    }

    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.http
    }

    /// Send with the token, waiting out `429`s as `Retry-After` says (at most `max_waits` waits
    /// of at most `max_wait_secs` each); a `401` gets one refreshed token and one more try.
    pub(crate) async fn send(
        &self,
        build: impl Fn() -> reqwest::RequestBuilder,
        max_waits: u32,
        max_wait_secs: f64,
    ) -> Result<reqwest::Response, PullError> {
        let mut waits = 0u32;
        let mut token = self.tokens.token().await?;
        let mut refreshed = false;
        loop {
            let resp = build()
                .header("x-shopify-access-token", token.expose_secret())
                .send()
                .await
                .map_err(|e| PullError::Transport(e.without_url().to_string()))?;
            if resp.status().as_u16() == 401 && !refreshed {
                refreshed = true;
                match self.tokens.after_rejection(&token).await {
                    Ok(t) => {
                        token = t;
                        continue;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "Shopify refused the token and no new one could be had");
                        return Ok(resp);
                    }
                }
            }
            if resp.status().as_u16() != 429 {
                return Ok(resp);
            }
            waits += 1;
            if waits > max_waits {
                return Err(PullError::Throttled(waits - 1));
            }
            let secs = resp
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<f64>().ok())
                .unwrap_or(2.0)
                .clamp(0.0, max_wait_secs);
            tracing::info!(wait_secs = secs, "Shopify throttled the request; waiting");
            tokio::time::sleep(Duration::from_secs_f64(secs)).await;
        }
    }

    /// POST a JSON body; the answer's JSON on `201`/`200`.
    async fn create(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<serde_json::Value, PullError> {
        let url = format!("{}/admin/api/{API_VERSION}/{path}", self.base_url);
        // A person waits on the answer (and a Lambda's timeout): a few short waits at most.
        let resp = self
            .send(|| self.http.post(&url).json(body), 3, 5.0)
            .await?;
        let status = resp.status().as_u16();
        match status {
            200 | 201 => resp
                .json()
                .await
                .map_err(|e| PullError::Malformed(e.without_url().to_string())),
            401 | 403 => Err(PullError::Unauthorized(status)),
            422 => {
                let body: serde_json::Value = resp.json().await.unwrap_or_default();
                Err(PullError::Refused(Refusal::from_errors(&body["errors"])))
            }
            s => Err(PullError::Status(s)),
        }
    }

    /// A percentage discount code for the whole order, usable by anyone: a price rule, then its
    /// code (Admin REST `price_rules` and `discount_codes`). `starts_at` is RFC 3339.
    pub async fn create_discount_code(
        &self,
        code: &str,
        percent: u32,
        title: &str,
        starts_at: &str,
    ) -> Result<DiscountCode, PullError> {
        let rule = self
            .create(
                "price_rules.json",
                &serde_json::json!({"price_rule": {
                    "title": title,
                    "target_type": "line_item",
                    "target_selection": "all",
                    "allocation_method": "across",
                    "value_type": "percentage",
                    "value": format!("-{percent}.0"),
                    "customer_selection": "all",
                    "starts_at": starts_at,
                }}),
            )
            .await?;
        let rule_id = rule["price_rule"]["id"]
            .as_u64()
            .ok_or_else(|| PullError::Malformed("no price_rule.id".into()))?;
        let created = match self
            .create(
                &format!("price_rules/{rule_id}/discount_codes.json"),
                &serde_json::json!({"discount_code": {"code": code}}),
            )
            .await
        {
            Ok(c) => c,
            Err(e) => {
                // A price rule without its code is useless: take it back (best effort; a
                // leftover rule gives no discount, as no shopper can name it).
                if let Err(d) = self.delete_price_rule(rule_id).await {
                    tracing::warn!(rule_id, error = %d, "could not delete the price rule left without a code");
                }
                return Err(e);
            }
        };
        let code_id = created["discount_code"]["id"]
            .as_u64()
            .ok_or_else(|| PullError::Malformed("no discount_code.id".into()))?;
        Ok(DiscountCode {
            price_rule_id: rule_id,
            code_id,
        })
    }

    /// Delete a price rule and its codes.
    pub async fn delete_price_rule(&self, rule_id: u64) -> Result<(), PullError> {
        let url = format!(
            "{}/admin/api/{API_VERSION}/price_rules/{rule_id}.json",
            self.base_url
        );
        let resp = self.send(|| self.http.delete(&url), 3, 5.0).await?;
        match resp.status().as_u16() {
            200 | 204 | 404 => Ok(()),
            401 | 403 => Err(PullError::Unauthorized(resp.status().as_u16())),
            s => Err(PullError::Status(s)),
        }
    }

    /// Every product (each as Shopify's JSON), `on_page` called with each page as it arrives.
    pub async fn products<F, Fut, E>(&self, mut on_page: F) -> Result<usize, PullError>
    where
        F: FnMut(Vec<serde_json::Value>) -> Fut,
        Fut: std::future::Future<Output = Result<(), E>>,
        E: std::fmt::Display,
    {
        let mut url = Some(format!(
            "{}/admin/api/{API_VERSION}/products.json?limit=250",
            self.base_url
        ));
        let mut total = 0;
        while let Some(u) = url.take() {
            let resp = self.send(|| self.http.get(&u), 8, 60.0).await?;
            let status = resp.status().as_u16();
            match status {
                200 => {}
                401 | 403 => return Err(PullError::Unauthorized(status)),
                s => return Err(PullError::Status(s)),
            }
            url = resp
                .headers()
                .get("link")
                .and_then(|v| v.to_str().ok())
                .and_then(next_link);
            let body: serde_json::Value = resp
                .json()
                .await
                .map_err(|e| PullError::Malformed(e.without_url().to_string()))?;
            let products = body["products"]
                .as_array()
                .cloned()
                .ok_or_else(|| PullError::Malformed("no products array".into()))?;
            total += products.len();
            on_page(products)
                .await
                .map_err(|e| PullError::Malformed(e.to_string()))?;
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::{Refusal, next_link};

    #[test]
    fn refusals_are_read_by_field() {
        let r = Refusal::from_errors(&serde_json::json!({"code": ["must be unique"]}));
        assert!(r.names("code"));
        assert!(!r.names("title"));
        assert_eq!(r.to_string(), "code must be unique");
        let base = Refusal::from_errors(&serde_json::json!("Required parameter missing"));
        assert!(base.names("base"));
        assert_eq!(
            Refusal::from_errors(&serde_json::Value::Null),
            Refusal::default()
        );
    }

    #[test]
    fn link_header_next() {
        let l = r#"<https://s.myshopify.com/admin/api/2025-10/products.json?limit=250&page_info=abc>; rel="next""#;
        assert_eq!(
            next_link(l).as_deref(),
            Some("https://s.myshopify.com/admin/api/2025-10/products.json?limit=250&page_info=abc")
        );
        let both =
            r#"<https://x/p?page_info=a>; rel="previous", <https://x/p?page_info=b>; rel="next""#;
        assert_eq!(next_link(both).as_deref(), Some("https://x/p?page_info=b"));
        assert_eq!(
            next_link(r#"<https://x/p?page_info=a>; rel="previous""#),
            None
        );
    }
}
