//! The connection layer wired to AWS: connections in DynamoDB, tokens sealed under KMS, app
//! credentials from Secrets Manager, events to EventBridge, platforms over HTTPS. The one wiring
//! every function that holds or refreshes tokens shares (and the local stack with them).

use crate::{AppCredentials, HttpTokenClient, PlatformConfig};
use reelcart_aws::{DynamoConnections, EventBridgeBus, KmsKeys, SdkConfig, SecretsManager};
use reelcart_connections::Refresher;
use reelcart_domain::Clock;
use reelcart_domain::connection::RefreshPolicy;
use reelcart_lambda::config::{ConfigError, Vars};
use reelcart_ports::{PortError, SecretSource};
use reelcart_vault::Vault;
use secrecy::ExposeSecret;
use std::sync::Arc;
use std::time::Duration;

pub type AwsRefresher = Refresher<DynamoConnections, KmsKeys, HttpTokenClient, EventBridgeBus>;

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("reading platform secrets: {0}")]
    Secrets(#[from] PortError),
    #[error("building the HTTP client: {0}")]
    Http(String),
}

/// Build from settings: `CONNECTIONS_TABLE`, `TOKEN_KEY_ARN`, `PLATFORM_SECRETS_ID`,
/// `EVENT_BUS_NAME`, `REFRESH_MARGIN_SECS`, the `*_URL` platform settings. `name` prefixes the
/// lease owner (unique per process).
pub async fn aws_refresher<F: Fn(&str) -> Option<String>>(
    v: &Vars<F>,
    sdk: &SdkConfig,
    clock: Arc<dyn Clock>,
    name: &str,
) -> Result<AwsRefresher, InitError> {
    let table = v.required("CONNECTIONS_TABLE")?;
    let key_arn = v.required("TOKEN_KEY_ARN")?;
    let secrets_id = v.required("PLATFORM_SECRETS_ID")?;
    let bus = v.required("EVENT_BUS_NAME")?;
    let policy = RefreshPolicy {
        margin_secs: v.parse_or("REFRESH_MARGIN_SECS", RefreshPolicy::default().margin_secs)?,
        ..RefreshPolicy::default()
    };
    let secrets = SecretsManager::new(aws_sdk_secretsmanager::Client::new(sdk))
        .secret(&secrets_id)
        .await?;
    let apps = AppCredentials::from_json(secrets.expose_secret())?;
    let client = HttpTokenClient::new(PlatformConfig::from_vars(v, apps)?)
        .map_err(|e| InitError::Http(e.without_url().to_string()))?;
    let owner = format!(
        "{}-{:016x}",
        v.optional("AWS_LAMBDA_LOG_STREAM_NAME")
            .unwrap_or_else(|| name.to_string()),
        rand::random::<u64>()
    );
    Ok(Refresher {
        store: DynamoConnections::new(aws_sdk_dynamodb::Client::new(sdk), table),
        vault: Vault::new(KmsKeys::new(aws_sdk_kms::Client::new(sdk)), key_arn),
        client,
        events: EventBridgeBus::new(
            aws_sdk_eventbridge::Client::new(sdk),
            bus,
            "reelcart.connections",
        ),
        clock,
        policy,
        owner,
        lease_secs: 60,
        wait_for_other: Duration::from_secs(20),
    })
}
