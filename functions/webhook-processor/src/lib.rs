//! `webhook-processor`: turns verified deliveries (from the receiver's queue) into domain events,
//! records each one once, and routes it to its capability's queue. Unknown types are recorded as
//! `unknown` (listed by kind for an operator), never dropped. Each record succeeds or fails on its
//! own: a bad record is reported as a batch item failure and ends in the dead-letter queue.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use reelcart_domain::Clock;
use reelcart_domain::event::{DomainEvent, NormalizeError, Route, normalize};
use reelcart_domain::webhook::{WebhookEnvelope, sha256_of};
use reelcart_lambda::config::{ConfigError, Vars};
use reelcart_lambda::sqs::{MissingMessageId, process_batch};
use reelcart_ports::{BlobStore, EventStore, MessageQueue, PortError, StoredEvent};
use std::sync::Arc;

/// Settings, from template.yaml through the environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// `EVENTS_TABLE`
    pub events_table: String,
    /// `PAYLOAD_BUCKET`: bodies the receiver stored by reference.
    pub payload_bucket: String,
    /// `ORDERS_QUEUE_URL`, `CATALOG_QUEUE_URL`, `CONTENT_QUEUE_URL`, `CONNECTIONS_QUEUE_URL`
    pub orders_queue_url: String,
    pub catalog_queue_url: String,
    pub content_queue_url: String,
    pub connections_queue_url: String,
    /// `RECORD_CONCURRENCY` (default 8): records of one batch processed at once.
    pub concurrency: usize,
    /// `S3_FORCE_PATH_STYLE`
    pub s3_force_path_style: bool,
}

impl Config {
    pub fn from_vars<F: Fn(&str) -> Option<String>>(v: &Vars<F>) -> Result<Self, ConfigError> {
        Ok(Self {
            events_table: v.required("EVENTS_TABLE")?,
            payload_bucket: v.required("PAYLOAD_BUCKET")?,
            orders_queue_url: v.required("ORDERS_QUEUE_URL")?,
            catalog_queue_url: v.required("CATALOG_QUEUE_URL")?,
            content_queue_url: v.required("CONTENT_QUEUE_URL")?,
            connections_queue_url: v.required("CONNECTIONS_QUEUE_URL")?,
            concurrency: v.parse_or("RECORD_CONCURRENCY", 8)?,
            s3_force_path_style: v.flag("S3_FORCE_PATH_STYLE")?,
        })
    }
}

/// Why one record failed (it stays on the queue for retry, then goes to the DLQ).
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    #[error("record has no body")]
    EmptyRecord,
    #[error("record is not a webhook envelope: {0}")]
    BadEnvelope(String),
    #[error("envelope references a body that is missing: {0}")]
    MissingBody(String),
    #[error("stored body does not match its digest: {0}")]
    DigestMismatch(String),
    #[error(transparent)]
    Normalize(#[from] NormalizeError),
    #[error(transparent)]
    Port(#[from] PortError),
}

/// One queue per capability.
#[derive(Debug)]
pub struct Routes<Q> {
    pub orders: Q,
    pub catalog: Q,
    pub content: Q,
    pub connections: Q,
}

impl<Q> Routes<Q> {
    fn queue(&self, route: Route) -> Option<&Q> {
        match route {
            Route::Orders => Some(&self.orders),
            Route::Catalog => Some(&self.catalog),
            Route::Content => Some(&self.content),
            Route::Connections => Some(&self.connections),
            Route::Unrouted => None,
        }
    }
}

pub struct Processor<E, Q, B> {
    pub events: E,
    pub routes: Routes<Q>,
    pub payloads: B,
    pub clock: Arc<dyn Clock>,
    pub concurrency: usize,
}

impl<E, Q, B> std::fmt::Debug for Processor<E, Q, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Processor")
            .field("concurrency", &self.concurrency)
            .finish_non_exhaustive()
    }
}

/// What happened to one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Recorded,
    Duplicate,
}

impl<E: EventStore, Q: MessageQueue, B: BlobStore> Processor<E, Q, B> {
    /// Handle one SQS batch, reporting failed records individually.
    pub async fn handle(&self, event: SqsEvent) -> Result<SqsBatchResponse, MissingMessageId> {
        process_batch(event, self.concurrency, |msg| self.process(msg)).await
    }

    #[tracing::instrument(skip_all, fields(message_id = msg.message_id.as_deref().unwrap_or("-")))]
    async fn process(&self, msg: SqsMessage) -> Result<(), ProcessError> {
        let raw = msg.body.as_deref().ok_or(ProcessError::EmptyRecord)?;
        let envelope: WebhookEnvelope = serde_json::from_str(raw).map_err(|e| {
            ProcessError::BadEnvelope(reelcart_domain::webhook::redacted_json_error(&e))
        })?;
        let body = self.body_of(&envelope).await?;
        for event in normalize(&envelope, &body)? {
            let outcome = self.record(event).await?;
            tracing::debug!(?outcome, "event handled");
        }
        Ok(())
    }

    async fn body_of(&self, envelope: &WebhookEnvelope) -> Result<String, ProcessError> {
        if let Some(body) = &envelope.body {
            return Ok(body.clone());
        }
        let body_ref = envelope.body_ref.as_ref().ok_or(NormalizeError::NoBody)?;
        let bytes = self
            .payloads
            .get(&body_ref.key)
            .await?
            .ok_or_else(|| ProcessError::MissingBody(body_ref.key.clone()))?;
        if sha256_of(&bytes) != body_ref.sha256 {
            return Err(ProcessError::DigestMismatch(body_ref.key.clone()));
        }
        String::from_utf8(bytes.to_vec())
            .map_err(|_| ProcessError::DigestMismatch(body_ref.key.clone()))
    }

    /// Record one event and route it. Routing happens before recording, so a crash in between
    /// re-sends (consumers dedupe by event id) rather than loses.
    async fn record(&self, event: DomainEvent) -> Result<Outcome, ProcessError> {
        if self.events.get(&event.id).await?.is_some() {
            return Ok(Outcome::Duplicate);
        }
        let route = event.kind.route();
        if let Some(queue) = self.routes.queue(route) {
            let message =
                serde_json::to_string(&event).map_err(|e| PortError::invalid("route.encode", e))?;
            queue.send(&message).await?;
        }
        let stored = StoredEvent {
            routed_to: route.as_str().to_string(),
            processed_at: self.clock.now_unix(),
            event,
        };
        let inserted = self.events.insert(&stored).await?;
        tracing::info!(
            event_id = %stored.event.id,
            kind = %stored.event.kind,
            platform = %stored.event.platform,
            routed_to = %stored.routed_to,
            "event recorded"
        );
        Ok(if inserted {
            Outcome::Recorded
        } else {
            Outcome::Duplicate
        })
    }
}

/// The processor wired to AWS (or the emulator, through endpoint settings).
pub type AwsProcessor =
    Processor<reelcart_aws::DynamoEvents, reelcart_aws::SqsQueue, reelcart_aws::S3Blobs>;

/// Build the processor from its config: the one wiring `main` and the local stack share.
pub fn from_aws(
    config: &Config,
    sdk: &reelcart_aws::SdkConfig,
    clock: Arc<dyn Clock>,
) -> AwsProcessor {
    let sqs = aws_sdk_sqs::Client::new(sdk);
    let queue = |url: &str| reelcart_aws::SqsQueue::new(sqs.clone(), url);
    Processor {
        events: reelcart_aws::DynamoEvents::new(
            aws_sdk_dynamodb::Client::new(sdk),
            &config.events_table,
        ),
        routes: Routes {
            orders: queue(&config.orders_queue_url),
            catalog: queue(&config.catalog_queue_url),
            content: queue(&config.content_queue_url),
            connections: queue(&config.connections_queue_url),
        },
        payloads: reelcart_aws::S3Blobs::new(
            reelcart_aws::s3_client(sdk, config.s3_force_path_style),
            &config.payload_bucket,
        ),
        clock,
        concurrency: config.concurrency,
    }
}

#[cfg(test)]
mod tests;
