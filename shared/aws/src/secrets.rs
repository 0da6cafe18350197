use crate::sdk_error;
use aws_sdk_secretsmanager::Client;
use reelcart_ports::{PortError, PortResult, SecretSource};
use secrecy::SecretString;

/// Secrets Manager: the current value of a secret by name or ARN.
#[derive(Debug, Clone)]
pub struct SecretsManager {
    client: Client,
}

/// Reads signing keys from a secret each time it is called (`reelcart_lambda::keyring`).
pub type KeyLoader = std::sync::Arc<
    dyn Fn() -> futures::future::BoxFuture<'static, Result<Vec<SecretString>, String>>
        + Send
        + Sync,
>;

impl SecretsManager {
    pub fn new(client: Client) -> Self {
        Self { client }
    }

    /// A loader of the keys the secret `id` holds, as `parse` reads its value.
    pub fn key_loader(
        &self,
        id: String,
        parse: fn(&str) -> Result<Vec<SecretString>, String>,
    ) -> KeyLoader {
        let this = self.clone();
        std::sync::Arc::new(move || {
            let (this, id) = (this.clone(), id.clone());
            Box::pin(async move {
                use secrecy::ExposeSecret;
                let raw = this.secret(&id).await.map_err(|e| e.to_string())?;
                parse(raw.expose_secret())
            })
        })
    }
}

impl SecretSource for SecretsManager {
    async fn secret(&self, id: &str) -> PortResult<SecretString> {
        let out = self
            .client
            .get_secret_value()
            .secret_id(id)
            .send()
            .await
            .map_err(|e| sdk_error("secrets.get", e))?;
        out.secret_string
            .map(SecretString::from)
            .ok_or_else(|| PortError::invalid("secrets.get", "secret has no string value"))
    }
}
