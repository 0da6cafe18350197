use crate::sdk_error;
use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::DataKeySpec;
use reelcart_ports::{DataKey, KeyService, PortError, PortResult};
use secrecy::SecretSlice;

/// KMS as the vault's key service: `GenerateDataKey` (AES-256) and `Decrypt`.
#[derive(Debug, Clone)]
pub struct KmsKeys {
    client: Client,
}

impl KmsKeys {
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

impl KeyService for KmsKeys {
    async fn generate_data_key(&self, key_id: &str) -> PortResult<DataKey> {
        let out = self
            .client
            .generate_data_key()
            .key_id(key_id)
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

    async fn decrypt_data_key(&self, wrapped: &[u8]) -> PortResult<DataKey> {
        let out = self
            .client
            .decrypt()
            .ciphertext_blob(Blob::new(wrapped))
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
