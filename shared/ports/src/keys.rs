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

/// An encryption context: names and values bound to a wrapped key (KMS authenticates them; a
/// wrapped key opens only with the same context). Never secret: it is logged by CloudTrail.
pub type Context<'a> = &'a [(&'a str, &'a str)];

/// Envelope-encryption keys (KMS in AWS).
pub trait KeyService: Send + Sync {
    /// A fresh 256-bit data key wrapped under `key_id`, bound to `context`.
    fn generate_data_key(
        &self,
        key_id: &str,
        context: Context<'_>,
    ) -> impl Future<Output = PortResult<DataKey>> + Send;
    /// Unwrap a data key wrapped under `key_id` with `context` (another key, or another
    /// context, is refused); the answer names the key.
    fn decrypt_data_key(
        &self,
        wrapped: &[u8],
        key_id: &str,
        context: Context<'_>,
    ) -> impl Future<Output = PortResult<DataKey>> + Send;
}

impl<T: KeyService + ?Sized> KeyService for std::sync::Arc<T> {
    fn generate_data_key(
        &self,
        key_id: &str,
        context: Context<'_>,
    ) -> impl Future<Output = PortResult<DataKey>> + Send {
        (**self).generate_data_key(key_id, context)
    }
    fn decrypt_data_key(
        &self,
        wrapped: &[u8],
        key_id: &str,
        context: Context<'_>,
    ) -> impl Future<Output = PortResult<DataKey>> + Send {
        (**self).decrypt_data_key(wrapped, key_id, context)
    }
}

fn context_of(context: Context<'_>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = context
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    v.sort();
    v
}

/// A wrapped key's key id, context and plaintext.
type WrappedKey = (String, Vec<(String, String)>, Vec<u8>);

/// A key service holding its master keys in memory. Wrapped keys are opaque random handles, as
/// KMS ciphertext blobs are to their holder.
#[derive(Debug, Default)]
pub struct MemoryKeys {
    key_ids: Mutex<Vec<String>>,
    /// wrapped handle → (key id, encryption context, plaintext data key)
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
    async fn generate_data_key(&self, key_id: &str, context: Context<'_>) -> PortResult<DataKey> {
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
        lock(&self.wrapped).insert(
            handle.to_vec(),
            (key_id.to_string(), context_of(context), plaintext.to_vec()),
        );
        Ok(DataKey {
            key_id: key_id.to_string(),
            plaintext: SecretSlice::from(plaintext.to_vec()),
            wrapped: handle.to_vec(),
        })
    }

    async fn decrypt_data_key(
        &self,
        wrapped: &[u8],
        want_key: &str,
        context: Context<'_>,
    ) -> PortResult<DataKey> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let (key_id, bound, plaintext) = lock(&self.wrapped)
            .get(wrapped)
            .cloned()
            .ok_or_else(|| PortError::invalid("keys.decrypt", "invalid ciphertext"))?;
        // As KMS: the key named must be the one that wrapped it (IncorrectKeyException), and the
        // context the one it was bound to (InvalidCiphertextException).
        if key_id != want_key && !want_key.ends_with(&format!("/{key_id}")) {
            return Err(PortError::invalid("keys.decrypt", "incorrect key"));
        }
        if bound != context_of(context) {
            return Err(PortError::invalid("keys.decrypt", "invalid ciphertext"));
        }
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
        let ctx: Context<'_> = &[("purpose", "contract"), ("connection", "c1")];
        let a = keys.generate_data_key(key_a, ctx).await.unwrap();
        assert_eq!(a.plaintext.expose_secret().len(), 32, "256-bit data keys");
        assert_ne!(
            a.wrapped.as_slice(),
            a.plaintext.expose_secret(),
            "the wrapped key is not the key"
        );
        let back = keys
            .decrypt_data_key(&a.wrapped, &a.key_id, ctx)
            .await
            .unwrap();
        assert_eq!(back.plaintext.expose_secret(), a.plaintext.expose_secret());
        assert_eq!(
            back.key_id, a.key_id,
            "decrypt names the key that wrapped it"
        );
        // The context's order does not matter; another context, or none, does not open it.
        let reordered: Context<'_> = &[("connection", "c1"), ("purpose", "contract")];
        assert!(
            keys.decrypt_data_key(&a.wrapped, &a.key_id, reordered)
                .await
                .is_ok()
        );
        let other: Context<'_> = &[("purpose", "contract"), ("connection", "c2")];
        assert!(
            keys.decrypt_data_key(&a.wrapped, &a.key_id, other)
                .await
                .is_err()
        );
        assert!(
            keys.decrypt_data_key(&a.wrapped, &a.key_id, &[])
                .await
                .is_err()
        );
        let b = keys.generate_data_key(key_b, ctx).await.unwrap();
        assert_ne!(b.key_id, a.key_id);
        assert_ne!(b.plaintext.expose_secret(), a.plaintext.expose_secret());
        assert_eq!(
            keys.decrypt_data_key(&b.wrapped, &b.key_id, ctx)
                .await
                .unwrap()
                .key_id,
            b.key_id
        );
        // Named with the wrong key, a wrapped key is refused.
        assert!(
            keys.decrypt_data_key(&b.wrapped, &a.key_id, ctx)
                .await
                .is_err()
        );
        assert!(
            keys.decrypt_data_key(b"not a wrapped key", &a.key_id, ctx)
                .await
                .is_err()
        );
        assert!(
            keys.generate_data_key("no-such-key-7d1c", ctx)
                .await
                .is_err()
        );
        // Debug output never shows key material.
        assert!(!format!("{a:?}").contains(&format!("{:?}", a.plaintext.expose_secret())));
    }
}
