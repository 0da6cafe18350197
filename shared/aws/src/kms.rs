use crate::sdk_error;
use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;
use reelcart_ports::{DataKey, KeyService, PortError, PortResult, keys::Context};
use secrecy::SecretSlice;

/// KMS as the vault's key service: `GenerateDataKey` (AES-256) and `Decrypt`, both with the
/// encryption context, and `Decrypt` naming the key (KMS refuses a blob of another key).
#[derive(Debug, Clone)]
pub struct KmsKeys {
    client: Client,
}

impl KmsKeys {
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

fn map(context: Context<'_>) -> Option<std::collections::HashMap<String, String>> {
    (!context.is_empty()).then(|| {
        context
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    })
}

impl KeyService for KmsKeys {
    async fn generate_data_key(&self, key_id: &str, context: Context<'_>) -> PortResult<DataKey> {
        let out = self
            .client
            .generate_data_key()
            .key_id(key_id)
            .set_encryption_context(map(context))
            .key_spec(DataKeySpec::Aes256)
            .send()
            .await
            .map_err(|e| sdk_error("keys.generate", e))?;
        let (Some(plaintext), Some(wrapped), Some(key_id)) =
            (out.plaintext, out.ciphertext_blob, out.key_id)
        else {
            return Err(PortError::unavailable(
                "keys.generate",
                "incomplete GenerateDataKey response",
            ));
        };
        Ok(DataKey {
            key_id,
            plaintext: SecretSlice::from(plaintext.into_inner()),
            wrapped: wrapped.into_inner(),
        })
    }

    async fn decrypt_data_key(
        &self,
        wrapped: &[u8],
        key_id: &str,
        context: Context<'_>,
    ) -> PortResult<DataKey> {
        let out = self
            .client
            .decrypt()
            .ciphertext_blob(Blob::new(wrapped))
            .key_id(key_id)
            .set_encryption_context(map(context))
            .send()
            .await
            .map_err(|e| sdk_error("keys.decrypt", e))?;
        let (Some(plaintext), Some(key_id)) = (out.plaintext, out.key_id) else {
            return Err(PortError::unavailable(
                "keys.decrypt",
                "incomplete Decrypt response",
            ));
        };
        Ok(DataKey {
            key_id,
            plaintext: SecretSlice::from(plaintext.into_inner()),
            wrapped: wrapped.to_vec(),
        })
    }
}
