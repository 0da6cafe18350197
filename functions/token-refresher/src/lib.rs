//! `token-refresher`: every 10 minutes (EventBridge Scheduler) refreshes the platform connections
//! that expire within the margin, and touches every refreshable connection once a day. Invoked with
//! `{"action":"reseal_all"}` it re-encrypts every connection under the current KMS key (the
//! key-rotation command).

use reelcart_connections::{RefreshError, SweepFailure};
use reelcart_domain::Clock;
use reelcart_lambda::config::Vars;
use reelcart_platforms::aws::aws_refresher;
pub use reelcart_platforms::aws::{AwsRefresher, InitError};
use serde_json::{Value, json};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error("unknown action `{0}` (expected `sweep` or `reseal_all`)")]
    UnknownAction(String),
    #[error(transparent)]
    Refresh(#[from] RefreshError),
    /// Some connections could not be refreshed: the run fails, so Lambda counts an error (the
    /// function's Errors alarm) and the on-failure destination gets the event.
    #[error("{} of {examined} connections could not be refreshed: {}", failures.len(), list(failures))]
    Failed {
        examined: usize,
        failures: Vec<SweepFailure>,
    },
}

fn list(failures: &[SweepFailure]) -> String {
    failures
        .iter()
        .map(|f| format!("{} ({})", f.connection, f.reason))
        .collect::<Vec<_>>()
        .join(", ")
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
                    failed = r.failed(),
                    skipped = r.skipped,
                    "sweep done"
                );
                for f in &r.failures {
                    tracing::error!(connection = %f.connection, reason = %f.reason, "refresh failed");
                }
                if !r.failures.is_empty() {
                    return Err(HandlerError::Failed {
                        examined: r.examined,
                        failures: r.failures,
                    });
                }
                Ok(
                    json!({"examined": r.examined, "refreshed": r.refreshed, "failed": 0, "skipped": r.skipped}),
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
    Ok(Handler {
        refresher: aws_refresher(v, sdk, clock, "token-refresher").await?,
    })
}
