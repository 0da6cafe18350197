//! The collector's SQS side: beacon batches and order events, each record reporting its own
//! failure; a malformed one is reported too, so the redrive policy moves it to the dead-letter
//! queue.

use crate::{BeaconMessage, Collector, Error, Event};
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use reelcart_domain::event::DomainEvent;
use reelcart_ports::{AnalyticsStore, BlobStore, CatalogStore, CreatorStore, MessageQueue};

/// What the collector's two queues carry: the beacon queue one request's checked events, the
/// orders queue normalized order events (a [`DomainEvent`] has no `events`, a beacon message no
/// `id` nor `kind`, so each body is one or the other).
#[derive(Debug, serde::Deserialize)]
#[serde(untagged)]
pub enum QueueMessage {
    Beacons(BeaconMessage),
    Order(DomainEvent),
}

impl<
    A: AnalyticsStore,
    Q: MessageQueue,
    B: BlobStore,
    L: CreatorStore,
    K: crate::ContentReads,
    C: CatalogStore,
> Collector<A, Q, B, L, K, C>
{
    /// Both queues: beacon messages are counted together (one write per key across the whole
    /// batch), order events one by one; each record reports its own failure.
    pub async fn handle_sqs(
        &self,
        event: SqsEvent,
    ) -> Result<SqsBatchResponse, reelcart_lambda::sqs::MissingMessageId> {
        self.config.link_keys.refresh(self.clock.now_unix()).await;
        let mut beacon_ids: Vec<String> = Vec::new();
        let mut events: Vec<Event> = Vec::new();
        let mut failed: Vec<String> = Vec::new();
        let mut orders: Vec<(String, DomainEvent)> = Vec::new();
        for record in event.records {
            let Some(id) = record.message_id.clone() else {
                return Err(reelcart_lambda::sqs::MissingMessageId);
            };
            let body = record.body.as_deref().unwrap_or("");
            match serde_json::from_str::<QueueMessage>(body) {
                Ok(QueueMessage::Beacons(m)) => {
                    beacon_ids.push(id);
                    events.extend(m.events);
                }
                Ok(QueueMessage::Order(ev)) => orders.push((id, ev)),
                Err(e) => {
                    tracing::error!(message_id = %id, error = %e, "malformed message: to the dead-letter queue");
                    failed.push(id);
                }
            }
        }
        // Touches first: an order in the same batch as its shopper's beacons finds them.
        if let Err(e) = self.count(events).await {
            tracing::warn!(error = %e, messages = beacon_ids.len(), "beacons left for retry");
            failed.extend(beacon_ids);
        }
        for (id, ev) in orders {
            match self.on_order_event(&ev).await {
                Ok(_) => {}
                Err(Error::Malformed(e)) => {
                    // Never right however often it is retried: reported, so the queue's redrive
                    // policy moves it to the dead-letter queue where an operator sees it.
                    tracing::error!(message_id = %id, error = %e, "malformed order message: to the dead-letter queue");
                    failed.push(id);
                }
                Err(e) => {
                    tracing::warn!(message_id = %id, error = %e, "order left for retry");
                    failed.push(id);
                }
            }
        }
        let mut response = SqsBatchResponse::default();
        for id in failed {
            let mut f = BatchItemFailure::default();
            f.item_identifier = id;
            response.batch_item_failures.push(f);
        }
        Ok(response)
    }
}
