//! `token-refresher`: every 10 minutes (EventBridge Scheduler) refreshes the platform connections
//! that expire within the margin, and touches every refreshable connection once a day. Invoked with
//! `{"action":"reseal_all"}` it re-encrypts every connection under the current KMS key (the
//! key-rotation command).

use reelcart_aws::{DynamoConnections, EventBridgeBus, KmsKeys, SecretsManager};
use reelcart_connections::{RefreshError, Refresher};
use reelcart_domain::Clock;
use reelcart_domain::connection::RefreshPolicy;
use reelcart_lambda::config::{ConfigError, Vars};
use reelcart_platforms::{AppCredentials, HttpTokenClient, PlatformConfig};
use reelcart_ports::{PortError, SecretSource};
use reelcart_vault::Vault;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
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

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error("unknown action `{0}` (expected `sweep` or `reseal_all`)")]
    UnknownAction(String),
    #[error(transparent)]
    Refresh(#[from] RefreshError),
}

/// The function's handler.
#[derive(Debug)]
pub struct Handler {
    pub refresher: AwsRefresher,
}

impl Handler {
    /// A scheduled event sweeps; `{"action":"reseal_all"}` re-encrypts under the current key.
    pub async fn handle(&self, event: Value) -> Result<Value, HandlerError> {
        match event
            .get("action")
            .and_then(Value::as_str)
            .unwrap_or("sweep")
        {
            "sweep" => {
                let r = self.refresher.sweep().await?;
                tracing::info!(
                    examined = r.examined,
                    refreshed = r.refreshed,
                    failed = r.failed,
                    skipped = r.skipped,
                    "sweep done"
                );
                Ok(
                    json!({"examined": r.examined, "refreshed": r.refreshed, "failed": r.failed, "skipped": r.skipped}),
                )
            }
            "reseal_all" => {
                let n = self.refresher.reseal_all().await?;
                tracing::info!(
                    resealed = n,
                    "connections re-encrypted under the current key"
                );
                Ok(json!({"resealed": n}))
            }
            other => Err(HandlerError::UnknownAction(other.to_string())),
        }
    }
}

/// Build the handler from settings (`CONNECTIONS_TABLE`, `TOKEN_KEY_ARN`, `PLATFORM_SECRETS_ID`,
/// `EVENT_BUS_NAME`, `REFRESH_MARGIN_SECS`, `*_URL`): the one wiring `main` and the local stack share.
pub async fn from_aws<F: Fn(&str) -> Option<String>>(
    v: &Vars<F>,
    sdk: &reelcart_aws::SdkConfig,
    clock: Arc<dyn Clock>,
) -> Result<Handler, InitError> {
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
            .unwrap_or_else(|| "token-refresher".into()),
        rand::random::<u64>()
    );
    Ok(Handler {
        refresher: Refresher {
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
        },
    })
}
