//! Dead-letter queues for an operator (`reelcart-dlq`): list a stack's, look into one, send its
//! messages back to the queue they came from (after the fix; a dry run first), or purge it.
//!
//! Redrive receives, sends to the source and then deletes, message by message: nothing is lost
//! if it stops half way (a message may be sent twice; every consumer is idempotent). SQS's own
//! `StartMessageMoveTask` does the same server-side, but it can neither dry-run nor be checked
//! on the local emulator.

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{MessageSystemAttributeName, QueueAttributeName};
use serde::Serialize;
use std::collections::BTreeMap;

fn err(e: impl std::error::Error + 'static) -> String {
    aws_sdk_sqs::error::DisplayErrorContext(e).to_string()
}

/// A dead-letter queue of the stack.
#[derive(Debug, Clone, Serialize)]
pub struct DeadLetterQueue {
    pub name: String,
    pub url: String,
    /// Messages waiting (approximate, as SQS counts).
    pub messages: u64,
    /// The queues whose redrive policy sends here.
    pub sources: Vec<String>,
}

/// A message looked at (left in the queue).
#[derive(Debug, Clone, Serialize)]
pub struct Letter {
    pub message_id: String,
    /// When it was first sent (unix ms), and how often it was received.
    pub sent_at_ms: Option<i64>,
    pub receives: Option<u64>,
    pub body: String,
}

/// What a redrive did (or, dry, would do).
#[derive(Debug, Clone, Default, Serialize)]
pub struct Redrive {
    pub from: String,
    pub to: String,
    pub dry_run: bool,
    pub moved: Vec<String>,
}

fn name_of(url: &str) -> String {
    url.rsplit('/').next().unwrap_or(url).to_string()
}

/// A queue's URL from its name (or the URL itself).
pub async fn url_of(sqs: &Client, queue: &str) -> Result<String, String> {
    if queue.starts_with("http://") || queue.starts_with("https://") {
        return Ok(queue.to_string());
    }
    sqs.get_queue_url()
        .queue_name(queue)
        .send()
        .await
        .map_err(err)?
        .queue_url
        .ok_or_else(|| format!("no queue {queue}"))
}

async fn attributes(sqs: &Client, url: &str) -> Result<BTreeMap<String, String>, String> {
    let out = sqs
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .map_err(err)?;
    Ok(out
        .attributes
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k.as_str().to_string(), v))
        .collect())
}

/// Every queue named `prefix…` that another one's redrive policy names: the stack's dead-letter
/// queues (CloudFormation names queues `{stack}-{LogicalId}-{suffix}`), with their depth.
pub async fn list(sqs: &Client, prefix: &str) -> Result<Vec<DeadLetterQueue>, String> {
    let mut urls = Vec::new();
    let mut token = None;
    loop {
        let out = sqs
            .list_queues()
            .queue_name_prefix(prefix)
            .set_next_token(token)
            .max_results(1000)
            .send()
            .await
            .map_err(err)?;
        urls.extend(out.queue_urls.unwrap_or_default());
        token = out.next_token;
        if token.is_none() {
            break;
        }
    }
    let mut by_arn: BTreeMap<String, (String, BTreeMap<String, String>)> = BTreeMap::new();
    for url in &urls {
        let attrs = attributes(sqs, url).await?;
        if let Some(arn) = attrs.get("QueueArn").cloned() {
            by_arn.insert(arn, (url.clone(), attrs));
        }
    }
    let mut sources: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (url, attrs) in by_arn.values() {
        if let Some(policy) = attrs.get("RedrivePolicy")
            && let Ok(p) = serde_json::from_str::<serde_json::Value>(policy)
            && let Some(target) = p["deadLetterTargetArn"].as_str()
        {
            sources
                .entry(target.to_string())
                .or_default()
                .push(name_of(url));
        }
    }
    let mut out = Vec::new();
    for (arn, (url, attrs)) in &by_arn {
        // Asynchronous invocations' on-failure destinations have no source queue: a queue the
        // stack names a DLQ counts too.
        let named = name_of(url).contains("DLQ");
        let Some(from) = sources.get(arn).cloned().or(named.then(Vec::new)) else {
            continue;
        };
        out.push(DeadLetterQueue {
            name: name_of(url),
            url: url.clone(),
            messages: attrs
                .get("ApproximateNumberOfMessages")
                .and_then(|n| n.parse().ok())
                .unwrap_or(0),
            sources: from,
        });
    }
    Ok(out)
}

/// The queue that sends its dead letters to `dlq_url`, when exactly one does.
pub async fn source_of(sqs: &Client, dlq_url: &str) -> Result<String, String> {
    let out = sqs
        .list_dead_letter_source_queues()
        .queue_url(dlq_url)
        .send()
        .await
        .map_err(err)?;
    match out.queue_urls.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(format!(
            "no queue sends its dead letters to {}: name the target with --to",
            name_of(dlq_url)
        )),
        many => Err(format!(
            "{} queues send their dead letters here: name the target with --to",
            many.len()
        )),
    }
}

/// Up to `max` messages, each received once and received again at once: they stay.
pub async fn peek(sqs: &Client, url: &str, max: usize) -> Result<Vec<Letter>, String> {
    let mut letters = Vec::new();
    let mut receipts = Vec::new();
    while letters.len() < max {
        let messages = receive(sqs, url, max - letters.len(), 30).await?;
        if messages.is_empty() {
            break;
        }
        for m in messages {
            let attr = |k: MessageSystemAttributeName| {
                m.attributes.as_ref().and_then(|a| a.get(&k)).cloned()
            };
            letters.push(Letter {
                message_id: m.message_id.clone().unwrap_or_default(),
                sent_at_ms: attr(MessageSystemAttributeName::SentTimestamp)
                    .and_then(|v| v.parse().ok()),
                receives: attr(MessageSystemAttributeName::ApproximateReceiveCount)
                    .and_then(|v| v.parse().ok()),
                body: m.body.clone().unwrap_or_default(),
            });
            receipts.extend(m.receipt_handle);
        }
    }
    release(sqs, url, &receipts).await?;
    Ok(letters)
}

/// Up to `n` (at most 10) messages, with their system and message attributes, hidden for
/// `hide_secs`.
async fn receive(
    sqs: &Client,
    url: &str,
    n: usize,
    hide_secs: i32,
) -> Result<Vec<aws_sdk_sqs::types::Message>, String> {
    let out = sqs
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(n.clamp(1, 10) as i32)
        .visibility_timeout(hide_secs)
        .wait_time_seconds(1)
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .message_attribute_names("All")
        .send()
        .await
        .map_err(err)?;
    Ok(out.messages.unwrap_or_default())
}

/// Make received messages visible again now.
async fn release(sqs: &Client, url: &str, receipts: &[String]) -> Result<(), String> {
    for r in receipts {
        sqs.change_message_visibility()
            .queue_url(url)
            .receipt_handle(r)
            .visibility_timeout(0)
            .send()
            .await
            .map_err(err)?;
    }
    Ok(())
}

/// Send up to `max` messages of `dlq_url` back to `to_url` (body and attributes as they were),
/// deleting each from the dead-letter queue once sent. `dry_run`: only say which.
pub async fn redrive(
    sqs: &Client,
    dlq_url: &str,
    to_url: &str,
    dry_run: bool,
    max: usize,
) -> Result<Redrive, String> {
    let mut report = Redrive {
        from: name_of(dlq_url),
        to: name_of(to_url),
        dry_run,
        moved: Vec::new(),
    };
    let mut held = Vec::new();
    while report.moved.len() < max {
        let messages = receive(sqs, dlq_url, max - report.moved.len(), 60).await?;
        if messages.is_empty() {
            break;
        }
        for m in messages {
            let (Some(id), Some(receipt)) = (m.message_id.clone(), m.receipt_handle.clone()) else {
                continue;
            };
            if dry_run {
                held.push(receipt);
                report.moved.push(id);
                continue;
            }
            sqs.send_message()
                .queue_url(to_url)
                .message_body(m.body.clone().unwrap_or_default())
                .set_message_attributes(m.message_attributes.clone())
                .send()
                .await
                .map_err(err)?;
            sqs.delete_message()
                .queue_url(dlq_url)
                .receipt_handle(receipt)
                .send()
                .await
                .map_err(err)?;
            report.moved.push(id);
        }
    }
    release(sqs, dlq_url, &held).await?;
    Ok(report)
}

/// Delete every message of the queue (SQS allows one purge a minute).
pub async fn purge(sqs: &Client, url: &str) -> Result<(), String> {
    sqs.purge_queue().queue_url(url).send().await.map_err(err)?;
    Ok(())
}
