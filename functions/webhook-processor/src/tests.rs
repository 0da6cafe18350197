//! Handler tests: the real SQS batch fixture in `events/webhook-processor`, in-memory ports.

use super::*;
use bytes::Bytes;
use reelcart_domain::FixedClock;
use reelcart_domain::event::EventKind;
use reelcart_ports::memory::{MemoryBlobs, MemoryEvents, MemoryQueue};
use std::sync::atomic::Ordering;

type TestProcessor = Processor<MemoryEvents, MemoryQueue, MemoryBlobs>;

fn processor() -> TestProcessor {
    Processor {
        events: MemoryEvents::default(),
        routes: Routes {
            orders: MemoryQueue::default(),
            catalog: MemoryQueue::default(),
            content: MemoryQueue::default(),
            connections: MemoryQueue::default(),
        },
        payloads: MemoryBlobs::default(),
        clock: Arc::new(FixedClock::at(1_764_115_260)),
        concurrency: 4,
    }
}

fn batch() -> SqsEvent {
    serde_json::from_str(include_str!(
        "../../../events/webhook-processor/sqs-batch.json"
    ))
    .unwrap()
}

fn failed_ids(r: &SqsBatchResponse) -> Vec<String> {
    r.batch_item_failures
        .iter()
        .map(|f| f.item_identifier.clone())
        .collect()
}

#[tokio::test]
async fn the_fixture_batch_is_normalized_recorded_and_routed() {
    let p = processor();
    let r = p.handle(batch()).await.unwrap();
    assert!(failed_ids(&r).is_empty());
    let mut kinds: Vec<(EventKind, String)> = p
        .events
        .all()
        .into_iter()
        .map(|e| (e.event.kind, e.routed_to))
        .collect();
    kinds.sort_by_key(|(k, _)| k.as_str());
    assert_eq!(
        kinds,
        [
            (EventKind::ContentMention, "content".to_string()),
            (EventKind::OrderCreated, "orders".to_string()),
            (EventKind::OrderUpdated, "orders".to_string()),
            (EventKind::ReviewCreated, "content".to_string()),
        ]
    );
    assert_eq!(p.routes.orders.messages().len(), 2);
    assert_eq!(p.routes.content.messages().len(), 2);
    let routed: Vec<DomainEvent> = p
        .routes
        .content
        .messages()
        .iter()
        .map(|m| serde_json::from_str(m).unwrap())
        .collect();
    let subjects: std::collections::BTreeSet<_> =
        routed.iter().filter_map(|e| e.subject.as_deref()).collect();
    assert_eq!(subjects, ["17887498072083520", "rev_01"].into());
    // Nothing in the fixture is of an unknown type.
    assert!(
        p.events
            .list_by_kind("unknown", 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_redelivered_batch_records_and_routes_nothing_twice() {
    let p = processor();
    p.handle(batch()).await.unwrap();
    let r = p.handle(batch()).await.unwrap();
    assert!(failed_ids(&r).is_empty());
    assert_eq!(p.events.all().len(), 4);
    assert_eq!(p.routes.orders.messages().len(), 2);
}

#[tokio::test]
async fn a_poison_record_fails_alone() {
    let p = processor();
    let mut event = batch();
    event.records[1].body = Some("{not an envelope".into());
    let poison_id = event.records[1].message_id.clone().unwrap();
    let r = p.handle(event).await.unwrap();
    assert_eq!(failed_ids(&r), [poison_id]);
    assert_eq!(p.events.all().len(), 3, "the other records went through");
}

#[tokio::test]
async fn a_store_outage_fails_the_record_for_retry_and_the_retry_records_once() {
    let p = processor();
    p.events.fail_inserts.store(true, Ordering::SeqCst);
    let r = p.handle(batch()).await.unwrap();
    assert_eq!(
        failed_ids(&r).len(),
        4,
        "nothing acked while the table is down"
    );
    p.events.fail_inserts.store(false, Ordering::SeqCst);
    let r = p.handle(batch()).await.unwrap();
    assert!(failed_ids(&r).is_empty());
    assert_eq!(p.events.all().len(), 4);
}

#[tokio::test]
async fn a_queue_outage_fails_routed_records_and_records_nothing_for_them() {
    let p = processor();
    p.routes.orders.fail_sends.store(true, Ordering::SeqCst);
    let r = p.handle(batch()).await.unwrap();
    assert_eq!(failed_ids(&r).len(), 2, "both order records fail");
    assert!(p.events.all().iter().all(|e| e.routed_to != "orders"));
}

#[tokio::test]
async fn bodies_by_reference_are_fetched_and_checked() {
    let p = processor();
    let mut event = batch();
    let env: WebhookEnvelope =
        serde_json::from_str(event.records[0].body.as_deref().unwrap()).unwrap();
    let body = env.body.clone().unwrap();
    let (key, sha256) = WebhookEnvelope::body_key(env.platform, body.as_bytes());
    p.payloads
        .put(&key, Bytes::from(body.clone()), "application/json")
        .await
        .unwrap();
    let by_ref = env
        .clone()
        .with_body_ref(reelcart_domain::webhook::BodyRef {
            key,
            sha256,
            len: body.len(),
        });
    event.records[0].body = Some(serde_json::to_string(&by_ref).unwrap());
    // A second record references a body that was never stored.
    let missing = env.with_body_ref(reelcart_domain::webhook::BodyRef {
        key: "webhooks/shopify/missing.json".into(),
        sha256: "00".into(),
        len: 1,
    });
    event.records[1].body = Some(serde_json::to_string(&missing).unwrap());
    let r = p.handle(event).await.unwrap();
    assert_eq!(
        failed_ids(&r),
        [batch().records[1].message_id.clone().unwrap()]
    );
    assert!(
        p.events
            .all()
            .iter()
            .any(|e| e.event.kind == EventKind::OrderCreated)
    );
}
