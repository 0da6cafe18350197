use crate::sdk_error;
use aws_sdk_secretsmanager::Client;
use reelcart_ports::{PortError, PortResult, SecretSource};
use secrecy::SecretString;

/// Secrets Manager: the current value of a secret by name or ARN.
#[derive(Debug, Clone)]
pub struct SecretsManager {
    client: Client,
}

impl SecretsManager {
    pub fn new(client: Client) -> Self {
        Self { client }
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
