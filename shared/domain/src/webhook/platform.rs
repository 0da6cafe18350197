use serde::{Deserialize, Serialize};
use std::fmt;

/// A platform that sends webhooks to Reelcart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Platform {
    /// Meta Graph webhooks (Instagram, Facebook): `X-Hub-Signature-256`.
    Meta,
    /// TikTok Shop Partner webhooks: `Authorization` = HMAC(app_key + body).
    TiktokShop,
    /// TikTok for Developers (Login Kit, content): `TikTok-Signature: t=..,s=..`.
    Tiktok,
    /// Shopify Admin webhooks: `X-Shopify-Hmac-Sha256` (base64).
    Shopify,
    /// Any other sender using the Standard Webhooks (svix) scheme.
    Standard,
}

impl Platform {
    pub const ALL: [Platform; 5] = [
        Platform::Meta,
        Platform::TiktokShop,
        Platform::Tiktok,
        Platform::Shopify,
        Platform::Standard,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Meta => "meta",
            Platform::TiktokShop => "tiktok-shop",
            Platform::Tiktok => "tiktok",
            Platform::Shopify => "shopify",
            Platform::Standard => "standard",
        }
    }

    /// The platform served at `/webhooks/{segment}`.
    pub fn from_path_segment(segment: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == segment)
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
