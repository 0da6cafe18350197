//! Secret values by id (Secrets Manager in AWS).

use crate::{PortError, PortResult, lock};
use secrecy::SecretString;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

/// Secret values by id (Secrets Manager in AWS).
pub trait SecretSource: Send + Sync {
    fn secret(&self, id: &str) -> impl Future<Output = PortResult<SecretString>> + Send;
}

#[derive(Debug, Default)]
pub struct MemorySecrets {
    items: Mutex<HashMap<String, String>>,
}

impl MemorySecrets {
    pub fn set(&self, id: &str, value: &str) {
        lock(&self.items).insert(id.to_string(), value.to_string());
    }
}

impl SecretSource for MemorySecrets {
    async fn secret(&self, id: &str) -> PortResult<SecretString> {
        lock(&self.items)
            .get(id)
            .map(|v| SecretString::from(v.clone()))
            .ok_or_else(|| PortError::not_found("secrets.get", format!("no secret `{id}`")))
    }
}

/// The contract suite every adapter of this port passes.
#[cfg(any(test, feature = "contract"))]
pub mod contract {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    use secrecy::ExposeSecret;

    /// `id` must hold `expected`; `missing` must not exist.
    pub async fn secret_source<S: SecretSource>(
        secrets: &S,
        id: &str,
        expected: &str,
        missing: &str,
    ) {
        let s = secrets.secret(id).await.unwrap();
        assert_eq!(s.expose_secret(), expected);
        let err = secrets.secret(missing).await.unwrap_err();
        assert!(
            !err.to_string().contains(expected),
            "error must not echo secret values"
        );
    }
}
