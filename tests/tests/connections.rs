//! Connection refresh on the emulator: DynamoDB leases, KMS envelope encryption, a platform that
//! rotates refresh tokens.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use reelcart_aws::{DynamoConnections, KmsKeys};
use reelcart_connections::testing::Rotating;
use reelcart_connections::{Refresher, TokenGrant};
use reelcart_domain::SystemClock;
use reelcart_domain::connection::{Connection, OAuthPlatform, RefreshPolicy};
use reelcart_e2e::*;
use reelcart_vault::{TokenSet, Vault};
use secrecy::{ExposeSecret, SecretString};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

type AwsRefresher = Refresher<
    DynamoConnections,
    KmsKeys,
    Arc<Rotating>,
    Arc<reelcart_ports::memory::MemoryEventBus>,
>;

fn refresher(
    stack: &reelcart_local::Stack,
    key: &str,
    client: Arc<Rotating>,
    owner: &str,
) -> AwsRefresher {
    let sdk = &stack.emulator.sdk;
    Refresher {
        store: DynamoConnections::new(
            aws_sdk_dynamodb::Client::new(sdk),
            stack.physical("ConnectionsTable").unwrap(),
        ),
        vault: Vault::new(KmsKeys::new(aws_sdk_kms::Client::new(sdk)), key),
        client,
        events: Arc::new(reelcart_ports::memory::MemoryEventBus::default()),
        clock: Arc::new(SystemClock),
        policy: RefreshPolicy::default(),
        owner: owner.to_string(),
        lease_secs: 30,
        wait_for_other: Duration::from_secs(20),
    }
}

async fn kms_key(stack: &reelcart_local::Stack) -> String {
    let kms = aws_sdk_kms::Client::new(&stack.emulator.sdk);
    kms.create_key()
        .send()
        .await
        .unwrap()
        .key_metadata
        .unwrap()
        .arn
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_concurrent_refreshers_on_dynamodb_and_kms_make_one_platform_call() {
    let stack = start_stack().await;
    let key = kms_key(&stack).await;
    let platform = Arc::new(Rotating::new("rft-secret-0"));
    let now = now();
    let connection = Connection::new(
        OAuthPlatform::Tiktok,
        "act.creator-e2e",
        vec!["user.info.basic".into()],
        Some(now + 120), // inside the 15-minute margin: due
        Some(now + 365 * 86_400),
        now,
    );
    let id = connection.id.clone();
    let grant = TokenGrant {
        tokens: TokenSet {
            access_token: SecretString::from("act-secret-0".to_string()),
            refresh_token: Some(SecretString::from("rft-secret-0".to_string())),
        },
        expires_at: connection.expires_at,
        refresh_expires_at: connection.refresh_expires_at,
        scopes: None,
    };
    refresher(&stack, &key, platform.clone(), "connect")
        .connect(connection, grant)
        .await
        .unwrap();

    let workers: Vec<AwsRefresher> = (0..10)
        .map(|i| refresher(&stack, &key, platform.clone(), &format!("w{i}")))
        .collect();
    let tokens = futures::future::join_all(workers.iter().map(|w| w.fresh_access_token(&id))).await;
    assert_eq!(
        platform.calls.load(Ordering::SeqCst),
        1,
        "exactly one platform refresh"
    );
    for t in tokens {
        assert_eq!(t.unwrap().expose_secret(), "act-secret-1");
    }

    // At rest: the raw DynamoDB item holds no token, only the sealed record.
    let items = scan(&stack, "ConnectionsTable").await;
    assert_eq!(items.len(), 1);
    let raw = format!("{:?}", items[0]);
    for secret in ["act-secret", "rft-secret"] {
        assert!(!raw.contains(secret), "{secret} stored in clear: {raw}");
    }
    assert!(raw.contains("ciphertext") && raw.contains("wrapped_key"));

    // Key rotation: a new KMS key; every record is resealed and still opens.
    let new_key = kms_key(&stack).await;
    let admin = refresher(&stack, &new_key, platform.clone(), "admin");
    assert_eq!(admin.reseal_all().await.unwrap(), 1);
    assert_eq!(
        admin.fresh_access_token(&id).await.unwrap().expose_secret(),
        "act-secret-1"
    );
    let rec = scan(&stack, "ConnectionsTable").await;
    assert!(format!("{:?}", rec[0]).contains(&new_key));
    stack.stop().await;
}
