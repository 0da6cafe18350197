//! Handler tests: the SQS batch fixture in `events/catalog-sync` (a Shopify product update and
//! delete, an S3 import notification, a continuation) over in-memory ports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use reelcart_ports::memory::{
    MemoryBlobs, MemoryCatalog, MemoryConnections, MemoryEventBus, MemoryKeys, MemoryQueue,
};

type TestHandler = Handler<
    MemoryCatalog,
    MemoryBlobs,
    MemoryQueue,
    Arc<MemoryConnections>,
    MemoryKeys,
    Arc<MemoryEventBus>,
>;

fn handler() -> TestHandler {
    let vars = reelcart_lambda::config::Vars(|_: &str| None);
    let apps = reelcart_platforms::AppCredentials::from_json("{}").unwrap();
    let client =
        HttpTokenClient::new(reelcart_platforms::PlatformConfig::from_vars(&vars, apps).unwrap())
            .unwrap();
    Handler {
        store: MemoryCatalog::default(),
        imports: MemoryBlobs::default(),
        import_bucket: "reelcart-importbucket".into(),
        queue: MemoryQueue::default(),
        connections: Arc::new(Refresher {
            store: Arc::new(MemoryConnections::default()),
            vault: reelcart_vault::Vault::new(MemoryKeys::with_keys(&["k"]), "k".to_string()),
            client,
            events: Arc::new(MemoryEventBus::default()),
            clock: Arc::new(reelcart_domain::SystemClock),
            policy: Default::default(),
            owner: "t".into(),
            lease_secs: 60,
            wait_for_other: Duration::from_secs(1),
        }),
        settings: StoreSettings {
            store_url: "https://shop.example.com".into(),
            currency: "USD".into(),
        },
        meta_catalog_id: Some("cat".into()),
        warehouse_id: "WH".into(),
        sync: SyncConfig::default(),
        max_run: Duration::from_secs(60),
        shopify: None,
        clock: Arc::new(reelcart_domain::SystemClock),
    }
}

const CSV: &str = "product_id,title,link,variant_id,sku,price,currency,inventory\n\
    921728736,Old tee,https://shop.example.com/products/old,v1,OLD-1,9.00,USD,1\n\
    555,Spring jacket,https://shop.example.com/products/jacket,v2,JKT-1,120.00,USD,4\n";

#[tokio::test]
async fn the_fixture_batch_updates_the_catalog_and_reports_no_failure() {
    let h = handler();
    // The import file is in the bucket (the notification's key is URL-encoded).
    h.imports
        .put("imports/spring catalog.csv", bytes_of(CSV), "text/csv")
        .await
        .unwrap();
    let event: SqsEvent =
        serde_json::from_str(include_str!("../../../events/catalog-sync/sqs-batch.json")).unwrap();
    // Records run in order, one at a time: update, delete (of a product not in the catalog yet),
    // the import (which brings 921728736 and 555), the continuation.
    let resp = h.handle_sqs(event, None).await.unwrap();
    assert!(resp.batch_item_failures.is_empty(), "{resp:?}");
    let mut ids: Vec<String> = h
        .store
        .products()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    ids.sort();
    assert_eq!(ids, ["555", "632910392", "921728736"]);
    let ipod = h
        .store
        .products()
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.id == "632910392")
        .unwrap();
    assert_eq!(ipod.variants[0].price.amount_2dp(), "199.00");
    assert_eq!(ipod.tiktok_category_id.as_deref(), Some("601226"));
    // The continuation found no connected TikTok Shop: nothing queued.
    assert!(h.queue.messages().is_empty());
}

#[tokio::test]
async fn unreadable_records_fail_alone() {
    let h = handler();
    let mut event: SqsEvent =
        serde_json::from_str(include_str!("../../../events/catalog-sync/sqs-batch.json")).unwrap();
    // The import file is missing (skipped, not an error); a record that is nothing we know fails.
    event.records[1].body = Some(r#"{"what": "is this"}"#.into());
    let resp = h.handle_sqs(event, None).await.unwrap();
    let failed: Vec<&str> = resp
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, ["7b0e3f4c-1a2b-4c5d-8e9f-000000000001"]);
    assert_eq!(h.store.products().await.unwrap().len(), 1);
}

#[test]
fn each_queue_message_is_one_kind_and_anything_else_is_refused() {
    let kind = |body: &str| match CatalogMessage::parse(body) {
        Ok(CatalogMessage::Pull { .. }) => "pull".to_string(),
        Ok(CatalogMessage::Continue { sync }) => format!("continue {sync}"),
        Ok(CatalogMessage::Imports(n)) => {
            format!("imports {}", n.records[0].s3.object.decoded_key().unwrap())
        }
        Ok(CatalogMessage::S3Test { .. }) => "s3 test".to_string(),
        Ok(CatalogMessage::Event(e)) => format!("event {}", e.kind),
        Err(e) => format!("refused: {e}"),
    };
    assert_eq!(kind(r#"{"pull":"shopify"}"#), "pull");
    assert_eq!(kind(r#"{"sync":"meta"}"#), "continue meta");
    assert_eq!(
        kind(
            r#"{"Records":[{"s3":{"bucket":{"name":"i"},"object":{"key":"imports/spring+catalog%202026.csv"}}}]}"#
        ),
        "imports imports/spring catalog 2026.csv"
    );
    assert_eq!(
        kind(r#"{"Service":"Amazon S3","Event":"s3:TestEvent"}"#),
        "s3 test"
    );
    for bad in [
        r#"{"pull":"woo"}"#,
        r#"{"secret":"hunter2"}"#,
        "not json",
        r#"{"Records":3}"#,
    ] {
        let out = kind(bad);
        assert!(out.starts_with("refused"), "{bad}: {out}");
        assert!(!out.contains("hunter2"), "values are redacted: {out}");
    }
}

fn bytes_of(s: &str) -> bytes::Bytes {
    bytes::Bytes::copy_from_slice(s.as_bytes())
}

/// A continuation taken from the queue runs to the invocation's deadline (what is left of the
/// Lambda's timeout), never `max_run` past its start: a batch of continuations cannot outlive
/// the invocation and be cut off mid-write.
#[test]
fn a_run_ends_by_the_invocation_deadline() {
    let h = handler();
    let now = Instant::now();
    let soon = now + Duration::from_secs(5);
    assert_eq!(h.run_deadline(Some(soon), now), soon);
    assert_eq!(h.run_deadline(None, now), now + h.max_run);
    let late = now + h.max_run + Duration::from_secs(600);
    assert_eq!(h.run_deadline(Some(late), now), now + h.max_run);
}

/// Misrouted or unknown notifications are dead-lettered, not acknowledged: one for another
/// bucket, and an object with an `Event` that is not S3's test event.
#[tokio::test]
async fn notifications_that_are_not_the_import_buckets_are_dead_lettered() {
    let h = handler();
    let mut event: SqsEvent =
        serde_json::from_str(include_str!("../../../events/catalog-sync/sqs-batch.json")).unwrap();
    let import = event
        .records
        .iter()
        .position(|r| r.body.as_deref().unwrap_or_default().contains("\"s3\""))
        .expect("the fixture has an import notification");
    let other_bucket = event.records[import]
        .body
        .clone()
        .unwrap()
        .replace("reelcart-importbucket", "someone-elses-bucket");
    event.records[import].body = Some(other_bucket);
    event.records[0].body =
        Some(r#"{"Service":"Amazon S3","Event":"s3:ObjectCreated:Put"}"#.into());
    let resp = h.handle_sqs(event.clone(), None).await.unwrap();
    let failed: Vec<&str> = resp
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    let ids = |i: usize| event.records[i].message_id.as_deref().unwrap();
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(failed.contains(&ids(0)) && failed.contains(&ids(import)));
}
