//! The token vault: the only way anything in Reelcart reads or writes a platform token.
//!
//! Envelope encryption: each seal asks the key service (KMS) for a fresh 256-bit data key, encrypts
//! the tokens with AES-256-GCM under a random 96-bit nonce with the connection id as associated
//! data (a ciphertext copied onto another connection does not open), and stores the wrapped data
//! key next to the ciphertext. The data key is bound to the connection by KMS's encryption context
//! too (`purpose`, `connection`), and unwrapped naming the key the record says sealed it: a wrapped
//! key lifted from one record opens for no other connection, and KMS logs which one each decrypt
//! was for. Records name the key that sealed them; opening accepts any key the key service can
//! still unwrap, and [`Vault::reseal`] moves a record to the current key and format.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
pub use reelcart_domain::connection::Sealed;
use reelcart_ports::{KeyService, PortError};
use secrecy::zeroize::Zeroizing;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// A connection's tokens. `Debug` never shows them.
#[derive(Debug)]
pub struct TokenSet {
    pub access_token: SecretString,
    pub refresh_token: Option<SecretString>,
}

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("key service: {0}")]
    Keys(#[from] PortError),
    /// Wrong connection id, tampered ciphertext, or wrong key.
    #[error("sealed tokens do not open for this connection")]
    Integrity,
    #[error("sealed record is malformed: {0}")]
    Format(&'static str),
}

/// Records sealed since the encryption context (version 1, before it, still open).
const VERSION: u8 = 2;
const LEGACY: u8 = 1;
/// The encryption context's `purpose` of every data key (the token key's policy requires it).
pub const PURPOSE: &str = "reelcart-connection-tokens";
const AAD_PREFIX: &[u8] = b"reelcart/connection-tokens/v1/";

/// Plaintext layout inside the ciphertext (JSON, zeroized after use).
#[derive(Serialize, Deserialize)]
struct Plain<'a> {
    a: &'a str,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    r: Option<&'a str>,
}

#[derive(Debug)]
pub struct Vault<K> {
    keys: K,
    current_key_id: String,
}

impl<K: KeyService> Vault<K> {
    /// `current_key_id`: the key new seals use (the KMS key ARN from the template).
    pub fn new(keys: K, current_key_id: impl Into<String>) -> Self {
        Self {
            keys,
            current_key_id: current_key_id.into(),
        }
    }

    pub fn keys(&self) -> &K {
        &self.keys
    }

    pub fn into_keys(self) -> K {
        self.keys
    }

    pub fn current_key_id(&self) -> &str {
        &self.current_key_id
    }

    fn context(connection_id: &str) -> [(&'static str, &str); 2] {
        [("purpose", PURPOSE), ("connection", connection_id)]
    }

    fn aad(connection_id: &str) -> Vec<u8> {
        [AAD_PREFIX, connection_id.as_bytes()].concat()
    }

    /// Seal `tokens` for `connection_id` under the current key.
    pub async fn seal(&self, connection_id: &str, tokens: &TokenSet) -> Result<Sealed, VaultError> {
        let data_key = self
            .keys
            .generate_data_key(&self.current_key_id, &Self::context(connection_id))
            .await?;
        let key_bytes = data_key.plaintext.expose_secret();
        if key_bytes.len() != 32 {
            return Err(VaultError::Format("data key is not 256 bits"));
        }
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key_bytes));
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let plain = Zeroizing::new(
            serde_json::to_vec(&Plain {
                a: tokens.access_token.expose_secret(),
                r: tokens.refresh_token.as_ref().map(|r| r.expose_secret()),
            })
            .map_err(|_| VaultError::Format("tokens do not serialize"))?,
        );
        let aad = Self::aad(connection_id);
        let ciphertext = cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: &plain,
                    aad: &aad,
                },
            )
            .map_err(|_| VaultError::Integrity)?;
        Ok(Sealed {
            v: VERSION,
            key_id: data_key.key_id,
            wrapped_key: B64.encode(&data_key.wrapped),
            nonce: B64.encode(nonce),
            ciphertext: B64.encode(ciphertext),
        })
    }

    /// Open a record sealed for `connection_id`, under any key the key service still accepts.
    pub async fn open(&self, connection_id: &str, sealed: &Sealed) -> Result<TokenSet, VaultError> {
        let context = Self::context(connection_id);
        let context: &[(&str, &str)] = match sealed.v {
            VERSION => &context,
            LEGACY => &[],
            _ => return Err(VaultError::Format("unknown version")),
        };
        let wrapped = B64
            .decode(&sealed.wrapped_key)
            .map_err(|_| VaultError::Format("wrapped_key"))?;
        let nonce = B64
            .decode(&sealed.nonce)
            .map_err(|_| VaultError::Format("nonce"))?;
        if nonce.len() != 12 {
            return Err(VaultError::Format("nonce is not 96 bits"));
        }
        let ciphertext = B64
            .decode(&sealed.ciphertext)
            .map_err(|_| VaultError::Format("ciphertext"))?;
        let data_key = self
            .keys
            .decrypt_data_key(&wrapped, &sealed.key_id, context)
            .await
            .map_err(|e| match e {
                // Another connection's record (its context), or a key id that is not the one
                // that wrapped it: the record does not open here.
                PortError::Invalid { .. } => VaultError::Integrity,
                other => VaultError::Keys(other),
            })?;
        let key_bytes = data_key.plaintext.expose_secret();
        if key_bytes.len() != 32 {
            return Err(VaultError::Format("data key is not 256 bits"));
        }
        let cipher = Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key_bytes));
        let aad = Self::aad(connection_id);
        let plain = Zeroizing::new(
            cipher
                .decrypt(
                    Nonce::from_slice(&nonce),
                    Payload {
                        msg: &ciphertext,
                        aad: &aad,
                    },
                )
                .map_err(|_| VaultError::Integrity)?,
        );
        let parsed: Plain<'_> =
            serde_json::from_slice(&plain).map_err(|_| VaultError::Integrity)?;
        Ok(TokenSet {
            access_token: SecretString::from(parsed.a.to_string()),
            refresh_token: parsed.r.map(|r| SecretString::from(r.to_string())),
        })
    }

    /// Was this record sealed under the current key, in the current format?
    pub fn is_current(&self, sealed: &Sealed) -> bool {
        sealed.v == VERSION
            && (sealed.key_id == self.current_key_id
                || sealed
                    .key_id
                    .ends_with(&format!("/{}", self.current_key_id)))
    }

    /// Re-encrypt under the current key; `None` when it already is.
    pub async fn reseal(
        &self,
        connection_id: &str,
        sealed: &Sealed,
    ) -> Result<Option<Sealed>, VaultError> {
        if self.is_current(sealed) {
            return Ok(None);
        }
        let tokens = self.open(connection_id, sealed).await?;
        Ok(Some(self.seal(connection_id, &tokens).await?))
    }
}
