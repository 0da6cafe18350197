//! What the feed answers, as the widget reads it, and the `ETag` of an answer.

use reelcart_domain::catalog::{Product, ProductStatus};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// A product as the widget shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductCard {
    pub sku: String,
    /// The store's product and variant ids (Shopify's numeric ids for a Shopify catalog): what
    /// the store's own cart adds (`/cart/add.js` takes the variant id).
    pub product_id: String,
    pub variant_id: String,
    pub title: String,
    pub price: String,
    pub currency: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compare_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    pub link: String,
    pub in_stock: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedMedia {
    pub master: String,
    pub poster: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preview: Option<String>,
    pub aspect_ratio: String,
    pub duration: f64,
    pub width: u32,
    pub height: u32,
    /// The lowest rung's playlist (what a player can preload to start fast).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub low: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedItem {
    pub id: String,
    pub source: reelcart_domain::content::Source,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub caption: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub pinned: bool,
    pub media: FeedMedia,
    pub products: Vec<ProductCard>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeedPage {
    pub placement: &'static str,
    pub items: Vec<FeedItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

pub(crate) fn card(p: &Product) -> Vec<ProductCard> {
    let active = p.status == ProductStatus::Active;
    p.variants
        .iter()
        .map(|v| ProductCard {
            sku: v.sku.clone(),
            product_id: p.id.clone(),
            variant_id: v.id.clone(),
            title: p.title.clone(),
            price: v.price.amount_2dp(),
            currency: v.price.currency.clone(),
            compare_at: v.compare_at_price.as_ref().map(|m| m.amount_2dp()),
            image: v.image.as_ref().or(p.images.first()).map(|i| i.url.clone()),
            link: p.link.clone(),
            in_stock: active && (v.inventory > 0 || v.continue_selling),
        })
        .collect()
}

/// `"…"` from a body: the first 32 hex digits of its SHA-256.
pub fn strong_etag(body: &[u8]) -> String {
    format!("\"{}\"", &hex::encode(Sha256::digest(body))[..32])
}

/// Does `If-None-Match` name `etag` (weak comparison, lists, `*`)?
pub fn none_match(header: &str, etag: &str) -> bool {
    let bare = |t: &str| t.trim().trim_start_matches("W/").to_string();
    header
        .split(',')
        .any(|t| t.trim() == "*" || bare(t) == bare(etag))
}
