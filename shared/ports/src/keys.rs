//! Envelope-encryption keys (KMS in AWS).

use crate::{PortError, PortResult, lock};
use secrecy::SecretSlice;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// A data key from the key service: the plaintext (used once, never stored) and its wrapped form
/// (stored next to the ciphertext), with the id of the key that wrapped it.
#[derive(Debug)]
pub struct DataKey {
    pub key_id: String,
    pub plaintext: SecretSlice<u8>,
    pub wrapped: Vec<u8>,
}

/// Envelope-encryption keys (KMS in AWS).
pub trait KeyService: Send + Sync {
    /// A fresh 256-bit data key wrapped under `key_id`.
    fn generate_data_key(&self, key_id: &str) -> impl Future<Output = PortResult<DataKey>> + Send;
    /// Unwrap a data key; the answer names the key that wrapped it.
    fn decrypt_data_key(&self, wrapped: &[u8]) -> impl Future<Output = PortResult<DataKey>> + Send;
}

impl<T: KeyService + ?Sized> KeyService for std::sync::Arc<T> {
    fn generate_data_key(&self, key_id: &str) -> impl Future<Output = PortResult<DataKey>> + Send {
        (**self).generate_data_key(key_id)
    }
    fn decrypt_data_key(&self, wrapped: &[u8]) -> impl Future<Output = PortResult<DataKey>> + Send {
        (**self).decrypt_data_key(wrapped)
    }
}

type WrappedKey = (String, Vec<u8>);

/// A key service holding its master keys in memory. Wrapped keys are opaque random handles, as
/// KMS ciphertext blobs are to their holder.
#[derive(Debug, Default)]
pub struct MemoryKeys {
    key_ids: Mutex<Vec<String>>,
    /// wrapped handle → (key id, plaintext data key)
    wrapped: Mutex<HashMap<Vec<u8>, WrappedKey>>,
    pub calls: AtomicU64,
}

impl MemoryKeys {
    pub fn with_keys(ids: &[&str]) -> Self {
        let keys = Self::default();
        lock(&keys.key_ids).extend(ids.iter().map(|s| s.to_string()));
        keys
    }
}

impl KeyService for MemoryKeys {
    async fn generate_data_key(&self, key_id: &str) -> PortResult<DataKey> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if !lock(&self.key_ids).iter().any(|k| k == key_id) {
            return Err(PortError::not_found(
                "keys.generate",
                format!("no key `{key_id}`"),
            ));
        }
        let plaintext: [u8; 32] = rand::random();
        let handle: [u8; 48] = {
            let mut h = [0u8; 48];
            rand::fill(&mut h[..]);
            h
        };
        lock(&self.wrapped).insert(handle.to_vec(), (key_id.to_string(), plaintext.to_vec()));
        Ok(DataKey {
            key_id: key_id.to_string(),
            plaintext: SecretSlice::from(plaintext.to_vec()),
            wrapped: handle.to_vec(),
        })
    }

    async fn decrypt_data_key(&self, wrapped: &[u8]) -> PortResult<DataKey> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let (key_id, plaintext) = lock(&self.wrapped)
            .get(wrapped)
            .cloned()
            .ok_or_else(|| PortError::invalid("keys.decrypt", "invalid ciphertext"))?;
        Ok(DataKey {
            key_id,
            plaintext: SecretSlice::from(plaintext),
            wrapped: wrapped.to_vec(),
        })
    }
}

/// The contract suite every adapter of this port passes.
#[cfg(any(test, feature = "contract"))]
pub mod contract {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    use secrecy::ExposeSecret;

    /// `key_a` and `key_b` must be two existing keys.
    pub async fn key_service<K: KeyService>(keys: &K, key_a: &str, key_b: &str) {
        let a = keys.generate_data_key(key_a).await.unwrap();
        assert_eq!(a.plaintext.expose_secret().len(), 32, "256-bit data keys");
        assert_ne!(
            a.wrapped.as_slice(),
            a.plaintext.expose_secret(),
            "the wrapped key is not the key"
        );
        let back = keys.decrypt_data_key(&a.wrapped).await.unwrap();
        assert_eq!(back.plaintext.expose_secret(), a.plaintext.expose_secret());
        assert_eq!(
            back.key_id, a.key_id,
            "decrypt names the key that wrapped it"
        );
        let b = keys.generate_data_key(key_b).await.unwrap();
        assert_ne!(b.key_id, a.key_id);
        assert_ne!(b.plaintext.expose_secret(), a.plaintext.expose_secret());
        assert_eq!(
            keys.decrypt_data_key(&b.wrapped).await.unwrap().key_id,
            b.key_id
        );
        assert!(keys.decrypt_data_key(b"not a wrapped key").await.is_err());
        assert!(keys.generate_data_key("no-such-key-7d1c").await.is_err());
        // Debug output never shows key material.
        assert!(!format!("{a:?}").contains(&format!("{:?}", a.plaintext.expose_secret())));
    }
}
