//! SQS event sources: poll a queue, hand its messages to the function as a real `SqsEvent` batch,
//! delete what succeeded, and leave what failed for redelivery — and, after `maxReceiveCount`
//! receives, for the emulator's redrive into the dead-letter queue.

use crate::functions::{SqsFn, SqsSource};
use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinSet;

/// Batches of one queue delivered at once without a `MaximumConcurrency`: Lambda's SQS poller
/// starts with five.
pub const DEFAULT_BATCHES: usize = 5;

/// A batch received: the event, and each message's receipt handle by message id.
struct Batch {
    event: SqsEvent,
    receipts: HashMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct Pump {
    /// As the function's role: Lambda's event source mapping polls and deletes with the
    /// function's execution role, so the role must allow it (as SAM's SQS poller policy does).
    pub sqs: aws_sdk_sqs::Client,
    /// The stack's own client, for what only the local stack does (shortening retry delays).
    pub local_sqs: aws_sdk_sqs::Client,
    pub queue_url: String,
    pub source: SqsSource,
    pub region: String,
    /// Failed messages become visible again after this many seconds (Lambda waits for the queue's
    /// visibility timeout; locally a short delay keeps retries and redrive quick).
    pub retry_delay_secs: i32,
    /// The function the source invokes, and the account's concurrency it runs in.
    pub function: String,
    pub concurrency: crate::concurrency::Concurrency,
}

impl Pump {
    /// What creating Lambda's event source mapping checks: the function's role may read the
    /// queue's attributes (and receive and delete, which every poll does). A role without them
    /// fails the deploy in AWS; here the stack does not start.
    pub async fn check(&self) -> anyhow::Result<()> {
        self.sqs
            .get_queue_attributes()
            .queue_url(&self.queue_url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::VisibilityTimeout)
            .send()
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "the event source mapping of {} cannot read it: {}",
                    self.queue_url,
                    aws_sdk_sqs::error::DisplayErrorContext(e)
                )
            })?;
        Ok(())
    }

    /// Poll until `stop`: each batch received is delivered on its own task, so batches of one
    /// queue run at once as Lambda runs them — up to the source's `MaximumConcurrency`, else
    /// [`DEFAULT_BATCHES`] — and races between redeliveries show here as they do in AWS. The
    /// poller receives again only while a batch may start.
    pub async fn run(self, handler: SqsFn, mut stop: watch::Receiver<bool>) {
        let batches = Arc::new(Semaphore::new(
            self.source
                .max_concurrency
                .map_or(DEFAULT_BATCHES, |n| n as usize),
        ));
        let this = Arc::new(self);
        let mut running = JoinSet::new();
        loop {
            if *stop.borrow() {
                return;
            }
            let permit = tokio::select! {
                _ = stop.changed() => return,
                permit = batches.clone().acquire_owned() => permit,
            };
            let Ok(permit) = permit else { return };
            let received = tokio::select! {
                _ = stop.changed() => return,
                received = this.receive() => received,
            };
            match received {
                Ok(Some(batch)) => {
                    let this = this.clone();
                    let handler = handler.clone();
                    running.spawn(async move {
                        if let Err(e) = this.deliver(&handler, batch).await {
                            tracing::warn!(queue = %this.queue_url, error = %e, "delivery failed; the batch comes back");
                        }
                        drop(permit);
                    });
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(queue = %this.queue_url, error = %e, "poll failed; retrying");
                    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
                }
            }
            while running.try_join_next().is_some() {}
        }
    }

    /// Receive one batch: the event Lambda would invoke with, and each message's receipt handle.
    async fn receive(&self) -> anyhow::Result<Option<Batch>> {
        let out = self
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(self.source.batch_size)
            .wait_time_seconds(1)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .send()
            .await
            .map_err(|e| anyhow::anyhow!(aws_sdk_sqs::error::DisplayErrorContext(e)))?;
        let messages = out.messages.unwrap_or_default();
        if messages.is_empty() {
            return Ok(None);
        }
        let mut receipts = HashMap::new();
        let mut event = SqsEvent::default();
        for m in &messages {
            let (Some(id), Some(receipt)) = (m.message_id.clone(), m.receipt_handle.clone()) else {
                tracing::warn!(queue = %self.queue_url, "message without id or receipt handle; left for redelivery");
                continue;
            };
            receipts.insert(id.clone(), receipt.clone());
            let mut record = SqsMessage::default();
            record.message_id = Some(id);
            record.receipt_handle = Some(receipt);
            record.body = m.body.clone();
            record.md5_of_body = m.md5_of_body.clone();
            record.attributes = m
                .attributes
                .as_ref()
                .map(|a| {
                    a.iter()
                        .map(|(k, v)| (k.as_str().to_string(), v.clone()))
                        .collect()
                })
                .unwrap_or_default();
            record.event_source = Some("aws:sqs".into());
            record.event_source_arn = Some(self.source.queue_arn.clone());
            record.aws_region = Some(self.region.clone());
            event.records.push(record);
        }
        Ok(Some(Batch { event, receipts }))
    }

    /// Invoke the function with `batch`; delete what succeeded, retry the rest soon.
    async fn deliver(&self, handler: &SqsFn, batch: Batch) -> anyhow::Result<()> {
        let Batch { event, receipts } = batch;
        // A throttled poller backs off and invokes again; the batch stays in flight meanwhile.
        let _execution = self.concurrency.start(&self.function).await;
        let failed: HashSet<String> = match handler(event).await {
            Ok(resp) if self.source.report_batch_item_failures => resp
                .batch_item_failures
                .into_iter()
                .map(|f| f.item_identifier)
                .collect(),
            Ok(resp) if resp.batch_item_failures.is_empty() => HashSet::new(),
            // Without ReportBatchItemFailures any failure fails the whole batch, as in Lambda.
            Ok(_) | Err(_) => receipts.keys().cloned().collect(),
        };
        let mut deletes = Vec::new();
        for (id, receipt) in &receipts {
            if failed.contains(id) {
                self.retry_soon(receipt).await;
            } else {
                deletes.push(
                    DeleteMessageBatchRequestEntry::builder()
                        .id(deletes.len().to_string())
                        .receipt_handle(receipt)
                        .build()?,
                );
            }
        }
        if !deletes.is_empty() {
            let out = self
                .sqs
                .delete_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(deletes))
                .send()
                .await
                .map_err(|e| anyhow::anyhow!(aws_sdk_sqs::error::DisplayErrorContext(e)))?;
            if !out.failed.is_empty() {
                tracing::warn!(
                    failed = out.failed.len(),
                    "some processed messages could not be deleted; they will be redelivered"
                );
            }
        }
        Ok(())
    }

    async fn retry_soon(&self, receipt: &str) {
        let result = self
            .local_sqs
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt)
            .visibility_timeout(self.retry_delay_secs)
            .send()
            .await;
        if let Err(e) = result {
            // The message still comes back after the queue's own visibility timeout.
            tracing::warn!(error = %aws_sdk_sqs::error::DisplayErrorContext(e), "could not shorten retry delay");
        }
    }
}
