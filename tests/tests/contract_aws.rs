//! The ports' contract suites against the AWS adapters on the emulator — the same suites the
//! in-memory fakes pass, so the fakes cannot drift from the real thing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reelcart_aws::{DynamoEvents, DynamoIdempotency, S3Blobs, SecretsManager, SqsQueue};
use reelcart_e2e::*;
use reelcart_ports::contract;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aws_adapters_meet_the_port_contracts() {
    let stack = start_stack().await;
    let sdk = &stack.emulator.sdk;
    let dynamo = aws_sdk_dynamodb::Client::new(sdk);

    contract::idempotency_store(
        &DynamoIdempotency::new(dynamo.clone(), stack.physical("IdempotencyTable").unwrap()),
        "c",
    )
    .await;
    contract::event_store(
        &DynamoEvents::new(dynamo, stack.physical("EventsTable").unwrap()),
        "c",
    )
    .await;
    contract::blob_store(
        &S3Blobs::new(
            reelcart_aws::s3_client(sdk, true),
            stack.physical("PayloadBucket").unwrap(),
        ),
        "c",
    )
    .await;

    let queue = SqsQueue::new(
        aws_sdk_sqs::Client::new(sdk),
        stack.physical("CatalogQueue").unwrap(),
    );
    let sent = contract::message_queue(&queue, "c").await;
    let mut received = drain(&stack, "CatalogQueue").await;
    received.sort();
    let mut sent = sent;
    sent.sort();
    assert_eq!(
        received, sent,
        "what was sent is what arrives, byte for byte"
    );

    let secrets = SecretsManager::new(aws_sdk_secretsmanager::Client::new(sdk));
    let arn = stack.physical("WebhookSecrets").unwrap();
    contract::secret_source(
        &secrets,
        arn,
        &reelcart_local::seed::webhook_secrets_json(),
        "reelcart/no-such-secret",
    )
    .await;
    stack.stop().await;
}
