//! `conversions`: purchases sent back to the ad platforms, so content-driven sales feed their ad
//! optimisation. Consumes the `ConversionsQueue` the attribution collector fills when it credits
//! an order whose shopper gave the consent signal: one message per purchase and platform, each
//! retried on its own (a throttled or failing platform never holds the other back), then
//! dead-lettered.
//!
//! - Meta Conversions API: `POST {META_GRAPH_URL}/v21.0/{pixel_id}/events` `{data: [event],
//!   access_token}` — the event as [`reelcart_domain::attribution::conversions::meta_event`] builds
//!   it (contact details normalised and SHA-256 hashed, never the IP or user agent).
//! - TikTok Events API: `POST {TIKTOK_BUSINESS_API_URL}/open_api/v1.3/event/track/` with the
//!   `Access-Token` header, `{event_source: "web", event_source_id: pixel_code, data: [event]}`.
//!
//! The event id is the one the storefront pixel's Purchase carries (`shopify:{order id}`): the
//! platforms keep one of the two, and of any redelivery. A purchase older than 7 days (Meta's
//! limit) is dropped with a warning; a platform without a pixel and token in the secret is
//! skipped.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use reelcart_domain::Clock;
use reelcart_domain::attribution::conversions::{
    AdPlatform, ConversionMessage, fresh, meta_event, tiktok_event,
};
use reelcart_lambda::sqs::{MissingMessageId, process_batch};
use serde_json::Value;
use std::future::Future;
use std::sync::Arc;

mod http;
pub use http::{GRAPH_VERSION, HttpAdApi, Pixels};

/// Why a conversion was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Throttled, a server error or no answer: SQS delivers it again.
    #[error("retry: {0}")]
    Retry(String),
    /// The platform refused the event or the credentials: it ends in the dead-letter queue for
    /// an operator (after the queue's receives), with the platform's reason logged.
    #[error("refused: {0}")]
    Refused(String),
    /// No pixel or token for this platform: nothing to send.
    #[error("not configured")]
    NotConfigured,
}

/// The ad platforms' event endpoints.
pub trait AdApi: Send + Sync {
    fn send(
        &self,
        platform: AdPlatform,
        event: &Value,
    ) -> impl Future<Output = Result<(), SendError>> + Send;
}

#[derive(Debug, thiserror::Error)]
pub enum ConversionError {
    #[error("record is not a conversion message: {0}")]
    Malformed(String),
    #[error(transparent)]
    Send(#[from] SendError),
}

pub struct Sender<P> {
    pub api: P,
    pub clock: Arc<dyn Clock>,
}

impl<P> std::fmt::Debug for Sender<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender").finish_non_exhaustive()
    }
}

impl<P: AdApi> Sender<P> {
    pub async fn handle(&self, event: SqsEvent) -> Result<SqsBatchResponse, MissingMessageId> {
        process_batch(event, 4, |m| self.process(m)).await
    }

    async fn process(&self, msg: SqsMessage) -> Result<(), ConversionError> {
        let m: ConversionMessage = serde_json::from_str(msg.body.as_deref().unwrap_or_default())
            .map_err(|e| {
                ConversionError::Malformed(reelcart_domain::webhook::redacted_json_error(&e))
            })?;
        let p = &m.purchase;
        if !fresh(p, self.clock.now_unix()) {
            tracing::warn!(platform = ?m.platform, event_id = %p.event_id, "purchase older than 7 days: not sent");
            return Ok(());
        }
        let event = match m.platform {
            AdPlatform::Meta => meta_event(p),
            AdPlatform::Tiktok => tiktok_event(p),
        };
        match self.api.send(m.platform, &event).await {
            Ok(()) => {
                tracing::info!(platform = ?m.platform, event_id = %p.event_id, "purchase sent");
                Ok(())
            }
            Err(SendError::NotConfigured) => {
                tracing::info!(platform = ?m.platform, event_id = %p.event_id, "no pixel configured for this platform: not sent");
                Ok(())
            }
            Err(e) => {
                tracing::warn!(platform = ?m.platform, event_id = %p.event_id, error = %e, "purchase not sent");
                Err(e.into())
            }
        }
    }
}

/// Build the sender (`CONVERSIONS_SECRET_ID`, `META_GRAPH_URL`, `TIKTOK_BUSINESS_API_URL`): the
/// one wiring `main` and the local stack share.
pub async fn from_aws<F: Fn(&str) -> Option<String>>(
    v: &reelcart_lambda::config::Vars<F>,
    sdk: &reelcart_aws::SdkConfig,
    clock: Arc<dyn Clock>,
) -> Result<Sender<HttpAdApi>, reelcart_lambda::config::ConfigError> {
    use reelcart_lambda::config::ConfigError;
    use reelcart_ports::SecretSource;
    use secrecy::ExposeSecret;
    let id = v.required("CONVERSIONS_SECRET_ID")?;
    let secret = reelcart_aws::SecretsManager::new(aws_sdk_secretsmanager::Client::new(sdk))
        .secret(&id)
        .await
        .map_err(|e| ConfigError::Invalid {
            name: "CONVERSIONS_SECRET_ID",
            reason: e.to_string(),
        })?;
    let pixels = Pixels::parse(secret.expose_secret()).map_err(|reason| ConfigError::Invalid {
        name: "CONVERSIONS_SECRET_ID",
        reason,
    })?;
    let url = |name: &'static str, default: &str| {
        v.optional(name)
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| default.to_string())
            .trim_end_matches('/')
            .to_string()
    };
    let api = HttpAdApi::new(
        url("META_GRAPH_URL", "https://graph.facebook.com"),
        url("TIKTOK_BUSINESS_API_URL", "https://business-api.tiktok.com"),
        pixels,
    )
    .map_err(|e| ConfigError::Invalid {
        name: "META_GRAPH_URL",
        reason: e.to_string(),
    })?;
    Ok(Sender { api, clock })
}

#[cfg(test)]
mod tests;
