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
