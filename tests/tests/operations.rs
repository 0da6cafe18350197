//! An operator's bad day on the local stack: a poisoned message lands in its dead-letter queue,
//! `reelcart-dlq` finds it, shows it, redrives it dry and then, after the fix, for real — and
//! the work it stood for is done.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reelcart_aws::dlq;
use reelcart_e2e::*;
use reelcart_ports::CatalogStore;
use std::time::Duration;

const KEY: &str = "imports/spring-poison.csv";

async fn put_import(stack: &reelcart_local::Stack, body: &str) {
    reelcart_aws::s3_client(&stack.emulator.sdk, true)
        .put_object()
        .bucket(stack.physical("ImportBucket").unwrap())
        .key(KEY)
        .content_type("text/csv")
        .body(body.as_bytes().to_vec().into())
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_poisoned_import_is_dead_lettered_then_redriven_after_the_fix() {
    let stack = start_stack().await;
    let sqs = &stack.clients.sqs;
    let catalog = reelcart_aws::DynamoCatalog::new(
        aws_sdk_dynamodb::Client::new(&stack.emulator.sdk),
        stack.physical("CatalogTable").unwrap(),
    );
    // A price that is not a price: the import fails on every receive, then the queue's redrive
    // policy (three receives) moves the notification to the dead-letter queue.
    let header = "product_id,title,link,variant_id,sku,price,currency,inventory\n";
    put_import(
        &stack,
        &format!(
            "{header}7001,Poison tee,https://shop.example.com/products/p,v1,POISON-1,twelve,USD,3\n"
        ),
    )
    .await;
    eventually(
        Duration::from_secs(60),
        "the notification dead-lettered",
        || async { (queue_depth(&stack, "CatalogImportDLQ").await == 1).then_some(()) },
    )
    .await;
    assert!(catalog.product("7001").await.unwrap().is_none());

    // The stack's dead-letter queues, this one with its message and its source.
    let dlq_url = stack.physical("CatalogImportDLQ").unwrap().to_string();
    let prefix = dlq_url
        .rsplit('/')
        .next()
        .unwrap()
        .split('-')
        .next()
        .unwrap();
    let queues = dlq::list(sqs, &format!("{prefix}-")).await.unwrap();
    let found = queues
        .iter()
        .find(|q| q.url == dlq_url)
        .expect("the import DLQ is listed");
    assert_eq!(found.messages, 1);
    assert_eq!(found.sources, [format!("{prefix}-CatalogImportQueue")]);
    assert!(queues.iter().any(|q| q.name.ends_with("-WebhookEventDLQ")));
    assert!(
        !queues
            .iter()
            .any(|q| q.name.ends_with("-CatalogImportQueue"))
    );

    // Looked at, it stays; the body names the file.
    let letters = dlq::peek(sqs, &dlq_url, 10).await.unwrap();
    assert_eq!(letters.len(), 1);
    assert!(
        letters[0].body.contains("spring-poison.csv"),
        "{}",
        letters[0].body
    );
    assert!(letters[0].receives.unwrap_or(0) >= 1);

    // A dry run says what would move and moves nothing.
    let source = dlq::source_of(sqs, &dlq_url).await.unwrap();
    assert_eq!(source, stack.physical("CatalogImportQueue").unwrap());
    let dry = dlq::redrive(sqs, &dlq_url, &source, true, 10)
        .await
        .unwrap();
    assert_eq!(dry.moved, [letters[0].message_id.clone()]);
    assert_eq!(queue_depth(&stack, "CatalogImportDLQ").await, 1);

    // The fix: the file corrected. Redriven, the notification is imported.
    put_import(
        &stack,
        &format!(
            "{header}7001,Spring tee,https://shop.example.com/products/p,v1,POISON-1,12.00,USD,3\n"
        ),
    )
    .await;
    // The corrected file's own notification is imported at once; the redriven one again.
    let done = dlq::redrive(sqs, &dlq_url, &source, false, 10)
        .await
        .unwrap();
    assert_eq!(done.moved.len(), 1);
    assert_eq!(queue_depth(&stack, "CatalogImportDLQ").await, 0);
    let product = eventually(Duration::from_secs(30), "the import applied", || async {
        catalog.product("7001").await.unwrap()
    })
    .await;
    assert_eq!(product.title, "Spring tee");
    eventually(
        Duration::from_secs(30),
        "the redriven message consumed",
        || async { (queue_depth(&stack, "CatalogImportQueue").await == 0).then_some(()) },
    )
    .await;
    assert_eq!(queue_depth(&stack, "CatalogImportDLQ").await, 0);
    stack.stop().await;
}
