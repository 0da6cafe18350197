//! SQS consumers: process each record on its own and report only the failed ones
//! (`ReportBatchItemFailures`), so one bad record never fails — or acks — the others.

use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use futures::StreamExt;
use std::fmt::Display;
use std::future::Future;

/// Run `handler` over every record, at most `concurrency` at a time, and return the ids of the
/// records that failed. A record without a message id cannot be reported, so it fails the whole
/// batch (returned as `Err`) rather than being acknowledged silently.
pub async fn process_batch<F, Fut, E>(
    event: SqsEvent,
    concurrency: usize,
    handler: F,
) -> Result<SqsBatchResponse, MissingMessageId>
where
    F: Fn(SqsMessage) -> Fut,
    Fut: Future<Output = Result<(), E>>,
    E: Display,
{
    let results: Vec<(Option<String>, Result<(), E>)> = futures::stream::iter(event.records)
        .map(|record| {
            let id = record.message_id.clone();
            let fut = handler(record);
            async move { (id, fut.await) }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;

    let mut response = SqsBatchResponse::default();
    for (id, result) in results {
        if let Err(err) = result {
            match id {
                Some(id) => {
                    tracing::warn!(message_id = %id, error = %err, "record failed; left for retry");
                    let mut failure = BatchItemFailure::default();
                    failure.item_identifier = id;
                    response.batch_item_failures.push(failure);
                }
                None => {
                    tracing::error!(error = %err, "record without message id failed");
                    return Err(MissingMessageId);
                }
            }
        }
    }
    Ok(response)
}

/// A failed record had no message id, so it could not be reported individually.
#[derive(Debug, thiserror::Error)]
#[error("a failed SQS record had no messageId; failing the whole batch so nothing is lost")]
pub struct MissingMessageId;

impl From<MissingMessageId> for lambda_runtime::Diagnostic {
    fn from(e: MissingMessageId) -> Self {
        lambda_runtime::Diagnostic {
            error_type: "Reelcart.MissingMessageId".into(),
            error_message: e.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(bodies: &[&str]) -> SqsEvent {
        let mut e = SqsEvent::default();
        for (i, b) in bodies.iter().enumerate() {
            let mut m = SqsMessage::default();
            m.message_id = Some(format!("m{i}"));
            m.body = Some((*b).to_string());
            e.records.push(m);
        }
        e
    }

    #[tokio::test]
    async fn only_failed_records_are_reported() {
        let e = event(&["ok", "bad", "ok", "bad"]);
        let r = process_batch(e, 4, |m| async move {
            if m.body.as_deref() == Some("bad") {
                Err("boom")
            } else {
                Ok(())
            }
        })
        .await
        .unwrap();
        let mut ids: Vec<_> = r
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        ids.sort();
        assert_eq!(ids, ["m1", "m3"]);
    }

    #[tokio::test]
    async fn a_failed_record_without_id_fails_the_batch() {
        let mut e = event(&["bad"]);
        e.records[0].message_id = None;
        let r = process_batch(e, 1, |_| async { Err::<(), _>("boom") }).await;
        assert!(r.is_err());
    }
}
