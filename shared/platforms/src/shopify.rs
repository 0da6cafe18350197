//! Shopify Admin API: the store's products, page by page (cursor in the `Link` header), waiting
//! out `429`s as `Retry-After` says. The access token is a custom app's Admin API token.

use secrecy::{ExposeSecret, SecretString};
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
}

/// A store's Admin API.
pub struct ShopifyAdmin {
    http: reqwest::Client,
    /// `https://{shop}.myshopify.com` (the simulator locally).
    base_url: String,
    token: SecretString,
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
    pub fn new(base_url: &str, token: SecretString) -> Result<Self, reqwest::Error> {
        Ok(Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .user_agent("reelcart/0.1")
                .build()?,
            base_url: base_url.trim_end_matches('/').to_string(),
            token,
        })
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
            let mut waits = 0u32;
            let resp = loop {
                let resp = self
                    .http
                    .get(&u)
                    .header("x-shopify-access-token", self.token.expose_secret())
                    .send()
                    .await
                    .map_err(|e| PullError::Transport(e.without_url().to_string()))?;
                if resp.status().as_u16() != 429 {
                    break resp;
                }
                waits += 1;
                if waits > 8 {
                    return Err(PullError::Throttled(waits - 1));
                }
                let secs = resp
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<f64>().ok())
                    .unwrap_or(2.0)
                    .clamp(0.0, 60.0);
                tracing::info!(wait_secs = secs, "Shopify throttled the pull; waiting");
                tokio::time::sleep(Duration::from_secs_f64(secs)).await;
            };
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
    use super::next_link;

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
