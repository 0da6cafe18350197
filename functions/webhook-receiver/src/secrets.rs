//! The webhook secrets, loaded at init and re-read periodically so a rotation (a new secret added
//! to the list) is picked up by warm instances without a redeploy.

use reelcart_domain::webhook::{SecretsError, WebhookSecrets};
use reelcart_ports::{PortError, SecretSource};
use secrecy::ExposeSecret;
use std::sync::Arc;
use tokio::sync::RwLock;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("reading webhook secrets: {0}")]
    Read(#[from] PortError),
    #[error(transparent)]
    Parse(#[from] SecretsError),
}

pub struct SecretsCache<S> {
    source: S,
    id: String,
    refresh_secs: i64,
    state: RwLock<(Arc<WebhookSecrets>, i64)>,
}

impl<S> std::fmt::Debug for SecretsCache<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretsCache")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl<S: SecretSource> SecretsCache<S> {
    /// Load now; fails (at init) when the secret cannot be read or parsed.
    pub async fn load(
        source: S,
        id: String,
        refresh_secs: i64,
        now: i64,
    ) -> Result<Self, LoadError> {
        let secrets = Self::read(&source, &id).await?;
        Ok(Self {
            source,
            id,
            refresh_secs,
            state: RwLock::new((Arc::new(secrets), now)),
        })
    }

    async fn read(source: &S, id: &str) -> Result<WebhookSecrets, LoadError> {
        let raw = source.secret(id).await?;
        let secrets = WebhookSecrets::from_json(raw.expose_secret())?;
        for place in &secrets.refused {
            tracing::error!(secret = %place, "a webhook secret is empty or shorter than 16 bytes: not used (anyone could sign with it); fix it in the platform secrets");
        }
        Ok(secrets)
    }

    /// The current secrets; re-read when older than the refresh interval. A failed re-read keeps
    /// the previous secrets (and is logged) rather than rejecting deliveries.
    pub async fn current(&self, now: i64) -> Arc<WebhookSecrets> {
        {
            let state = self.state.read().await;
            if now - state.1 < self.refresh_secs {
                return state.0.clone();
            }
        }
        let mut state = self.state.write().await;
        if now - state.1 >= self.refresh_secs {
            match Self::read(&self.source, &self.id).await {
                Ok(fresh) => *state = (Arc::new(fresh), now),
                Err(e) => {
                    tracing::warn!(error = %e, "could not refresh webhook secrets; keeping the previous ones");
                    state.1 = now; // back off until the next interval
                }
            }
        }
        state.0.clone()
    }
}

impl<S> SecretsCache<S> {
    /// The underlying source (tests rotate secrets through it).
    pub fn source(&self) -> &S {
        &self.source
    }
}
