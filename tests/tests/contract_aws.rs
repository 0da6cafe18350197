//! The ports' contract suites against the AWS adapters on the emulator — the same suites the
//! in-memory fakes pass, so the fakes cannot drift from the real thing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reelcart_aws::{
    DynamoCatalog, DynamoContent, DynamoEvents, DynamoIdempotency, DynamoMediaRecords,
    DynamoPendingAuthorizations, S3Blobs, SecretsManager, SqsQueue,
};
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
        &DynamoEvents::new(dynamo.clone(), stack.physical("EventsTable").unwrap()),
        "c",
    )
    .await;
    contract::catalog_store(
        &DynamoCatalog::new(dynamo.clone(), stack.physical("CatalogTable").unwrap()),
        "c",
    )
    .await;
    contract::content_store(
        &DynamoContent::new(dynamo.clone(), stack.physical("ContentTable").unwrap()),
        "c",
    )
    .await;
    contract::analytics_store(
        &reelcart_aws::DynamoAnalytics::new(
            dynamo.clone(),
            stack.physical("AnalyticsTable").unwrap(),
        ),
        "c",
    )
    .await;
    contract::creator_store(
        &reelcart_aws::DynamoCreators::new(
            dynamo.clone(),
            stack.physical("CreatorsTable").unwrap(),
        ),
        "c",
    )
    .await;
    contract::media_records(
        &DynamoMediaRecords::new(dynamo.clone(), stack.physical("ContentTable").unwrap()),
        "c",
    )
    .await;
    contract::pending_authorizations(
        &DynamoPendingAuthorizations::new(
            dynamo,
            stack.physical("PendingAuthorizationsTable").unwrap(),
        ),
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

    // A dead-letter queue: nothing consumes it, so what arrives stays for the check.
    let queue = SqsQueue::new(
        aws_sdk_sqs::Client::new(sdk),
        stack.physical("CatalogDLQ").unwrap(),
    );
    let sent = contract::message_queue(&queue, "c").await;
    let mut received = drain(&stack, "CatalogDLQ").await;
    received.sort();
    let mut sent = sent;
    sent.sort();
    assert_eq!(
        received, sent,
        "what was sent is what arrives, byte for byte"
    );

    let secrets = SecretsManager::new(aws_sdk_secretsmanager::Client::new(sdk));
    let arn = stack.physical("PlatformSecrets").unwrap();
    contract::secret_source(
        &secrets,
        arn,
        &reelcart_local::seed::platform_secrets_json(),
        "reelcart/no-such-secret",
    )
    .await;
    stack.stop().await;
}

async fn kms_key(client: &aws_sdk_kms::Client) -> String {
    let out = client
        .create_key()
        .description("reelcart test key")
        .send()
        .await
        .unwrap();
    out.key_metadata.unwrap().arn.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kms_meets_the_key_service_contract_and_backs_the_vault() {
    use reelcart_vault::{TokenSet, Vault, VaultError};
    use secrecy::{ExposeSecret, SecretString};

    let stack = start_stack().await;
    let kms = aws_sdk_kms::Client::new(&stack.emulator.sdk);
    let (a, b) = (kms_key(&kms).await, kms_key(&kms).await);
    let keys = reelcart_aws::KmsKeys::new(kms.clone());
    contract::key_service(&keys, &a, &b).await;

    // The vault over real KMS: sealed at rest is not the token; only the right connection opens it;
    // after rotation to key b, key-a records still open and reseal moves them.
    let v1 = Vault::new(keys.clone(), a.clone());
    let tokens = TokenSet {
        access_token: SecretString::from("act.live-access-8842".to_string()),
        refresh_token: Some(SecretString::from("rft.live-refresh-1193".to_string())),
    };
    let sealed = v1.seal("tiktok#creator-1", &tokens).await.unwrap();
    let at_rest = serde_json::to_string(&sealed).unwrap();
    assert!(!at_rest.contains("live-access") && !at_rest.contains("live-refresh"));
    assert!(matches!(
        v1.open("tiktok#creator-2", &sealed).await,
        Err(VaultError::Integrity)
    ));
    let v2 = Vault::new(keys, b.clone());
    assert!(!v2.is_current(&sealed));
    assert_eq!(
        v2.open("tiktok#creator-1", &sealed)
            .await
            .unwrap()
            .access_token
            .expose_secret(),
        "act.live-access-8842"
    );
    let moved = v2
        .reseal("tiktok#creator-1", &sealed)
        .await
        .unwrap()
        .unwrap();
    assert!(v2.is_current(&moved), "{} vs {b}", moved.key_id);
    assert_eq!(
        v2.open("tiktok#creator-1", &moved)
            .await
            .unwrap()
            .refresh_token
            .unwrap()
            .expose_secret(),
        "rft.live-refresh-1193"
    );
    stack.stop().await;
}

/// Connections on DynamoDB, the event bus on EventBridge (a rule routes the suite's events to a
/// queue, so what arrives is compared with what was published) and the recorded CDN
/// invalidations: the same suites the fakes pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_bus_and_cdn_adapters_meet_their_contracts() {
    use aws_sdk_eventbridge::types::Target;
    use aws_sdk_sqs::types::QueueAttributeName;

    let stack = start_stack().await;
    let sdk = &stack.emulator.sdk;
    let dynamo = aws_sdk_dynamodb::Client::new(sdk);
    contract::connection_store(
        &reelcart_aws::DynamoConnections::new(
            dynamo.clone(),
            stack.physical("ConnectionsTable").unwrap(),
        ),
        "c",
    )
    .await;

    let sqs = aws_sdk_sqs::Client::new(sdk);
    let queue = sqs
        .create_queue()
        .queue_name(format!("bus-contract-{}", uuid::Uuid::new_v4().simple()))
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let queue_arn = sqs
        .get_queue_attributes()
        .queue_url(&queue)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()
        .remove(&QueueAttributeName::QueueArn)
        .unwrap();
    let events = aws_sdk_eventbridge::Client::new(sdk);
    let bus = stack.physical("EventBus").unwrap();
    events
        .put_rule()
        .name("contract")
        .event_bus_name(bus)
        .event_pattern(r#"{"source":["reelcart.contract"]}"#)
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule("contract")
        .event_bus_name(bus)
        .targets(Target::builder().id("q").arn(queue_arn).build().unwrap())
        .send()
        .await
        .unwrap();
    let published = contract::event_bus(
        &reelcart_aws::EventBridgeBus::new(events, bus, "reelcart.contract"),
        "c",
    )
    .await;
    let mut delivered = Vec::new();
    for _ in 0..10 {
        let out = sqs
            .receive_message()
            .queue_url(&queue)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        for m in out.messages.unwrap_or_default() {
            let envelope: serde_json::Value = serde_json::from_str(m.body().unwrap()).unwrap();
            assert_eq!(envelope["source"], "reelcart.contract");
            delivered.push((
                envelope["detail-type"].as_str().unwrap().to_string(),
                envelope["detail"].clone(),
            ));
        }
        if delivered.len() >= published.len() {
            break;
        }
    }
    let key = |e: &(String, serde_json::Value)| e.0.clone();
    delivered.sort_by_key(key);
    let mut published = published;
    published.sort_by_key(key);
    assert_eq!(
        delivered, published,
        "what was published is what the rule delivered"
    );

    let cdn =
        reelcart_aws::RecordedInvalidations::new(dynamo, stack.physical("ContentTable").unwrap());
    let mut sent = contract::cdn_invalidator(&cdn, "c").await;
    let mut recorded = cdn.recorded().await.unwrap();
    recorded.sort();
    sent.sort();
    assert_eq!(
        recorded, sent,
        "every invalidation recorded, none of the refused ones"
    );
    stack.stop().await;
}
