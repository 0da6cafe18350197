//! The store's catalog and its projection onto each sales channel: the canonical product model,
//! per-channel item shapes with each platform's validation rules (spec/platforms.md §4), content
//! hashes, and the diff that turns "what the catalog says" and "what was last synced" into the
//! creates, updates (TikTok: price-only and inventory-only where that is all that changed) and
//! deletes a sync run sends.

pub mod diff;
pub mod gtin;
pub mod import;
pub mod meta;
mod model;
pub mod tiktok;

pub use model::*;

use serde::{Deserialize, Serialize};

/// A sales channel the catalog is synced to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Channel {
    /// A Meta commerce catalog (Facebook and Instagram Shops): one item per variant.
    Meta,
    /// TikTok Shop (products API 202309): one product per product, variants as SKUs.
    TiktokShop,
}

impl Channel {
    pub const ALL: [Channel; 2] = [Channel::Meta, Channel::TiktokShop];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Meta => "meta",
            Channel::TiktokShop => "tiktok-shop",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

impl std::fmt::Display for Channel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an item may not be sent to a channel: machine-readable, per field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The item field (`title`, `skus[2].seller_sku`, `image_link`, ...).
    pub field: String,
    /// A stable code (`too_long`, `gtin_check_digit`, `missing`, ...).
    pub code: String,
    pub message: String,
}

impl Problem {
    pub fn new(field: impl Into<String>, code: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code: code.to_string(),
            message: message.into(),
        }
    }
}

/// An item ready for a channel, or why it is quarantined.
pub type Projection<T> = Result<T, Vec<Problem>>;

/// SHA-256 (hex, first 16 bytes) of a value's JSON: the same content always hashes the same
/// (struct fields serialize in declaration order; maps used here are ordered).
pub fn content_hash<T: Serialize>(value: &T) -> String {
    use sha2::{Digest, Sha256};
    // The hashed types are plain structs, strings and string-keyed ordered maps: serializing them
    // to a Vec cannot fail.
    let json = serde_json::to_vec(value).unwrap_or_default();
    hex::encode(&Sha256::digest(&json)[..16])
}

/// Characters in `s` (limits are in characters, not bytes).
pub(crate) fn chars(s: &str) -> usize {
    s.chars().count()
}

/// An absolute http(s) URL with a host.
pub(crate) fn is_web_url(s: &str) -> bool {
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"));
    rest.is_some_and(|r| {
        let host = r.split(['/', '?', '#']).next().unwrap_or_default();
        !host.is_empty() && !r.contains(char::is_whitespace)
    })
}

#[cfg(test)]
mod tests;
