//! The message the receiver enqueues for the processor.

use super::{Delivery, Platform};
use serde::{Deserialize, Serialize};

/// A verified, deduped delivery on its way to the processor. The body is carried inline, or — when
/// the envelope would not fit in one queue message — stored in the payload bucket and referenced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookEnvelope {
    /// Schema version of this envelope.
    pub v: u8,
    pub platform: Platform,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub delivery_id: String,
    /// The receiver's dedupe key; the processor's events are derived from it.
    pub dedupe_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    pub received_at: i64,
    /// The raw body, exactly as verified (platforms send UTF-8 JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_ref: Option<BodyRef>,
}

/// Where an oversized body was stored (claim-check pattern).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BodyRef {
    pub key: String,
    pub sha256: String,
    pub len: usize,
}

impl WebhookEnvelope {
    pub const VERSION: u8 = 1;

    pub fn new(delivery: &Delivery, received_at: i64, body: String) -> Self {
        Self {
            v: Self::VERSION,
            platform: delivery.platform,
            source: delivery.source.clone(),
            delivery_id: delivery.delivery_id.clone(),
            dedupe_key: delivery.dedupe_key(),
            topic: delivery.topic.clone(),
            received_at,
            body: Some(body),
            body_ref: None,
        }
    }

    /// Replace the inline body with a reference to where it was stored.
    pub fn with_body_ref(mut self, body_ref: BodyRef) -> Self {
        self.body = None;
        self.body_ref = Some(body_ref);
        self
    }

    /// Object key under which an oversized body is stored: content-addressed, so a retry
    /// overwrites the same object with the same bytes.
    pub fn body_key(platform: Platform, body: &[u8]) -> (String, String) {
        let sha = super::identify::sha256_of(body);
        (format!("webhooks/{platform}/{sha}.json"), sha)
    }
}
