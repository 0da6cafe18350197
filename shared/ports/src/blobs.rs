//! Object storage (S3 in AWS).

use crate::{PortResult, lock};
use bytes::Bytes;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;

/// Object storage.
pub trait BlobStore: Send + Sync {
    fn put(
        &self,
        key: &str,
        bytes: Bytes,
        content_type: &str,
    ) -> impl Future<Output = PortResult<()>> + Send;
    fn get(&self, key: &str) -> impl Future<Output = PortResult<Option<Bytes>>> + Send;
}

/// Links that read one object without credentials, for a while (S3 presigned GETs in AWS).
pub trait SignedReads: Send + Sync {
    /// A URL that GETs `key` until `expires_in_secs` from now.
    fn signed_get(
        &self,
        key: &str,
        expires_in_secs: u64,
    ) -> impl Future<Output = PortResult<String>> + Send;
}

#[derive(Debug, Default)]
pub struct MemoryBlobs {
    items: Mutex<HashMap<String, (Bytes, String)>>,
}

impl MemoryBlobs {
    pub fn content_type(&self, key: &str) -> Option<String> {
        lock(&self.items).get(key).map(|(_, ct)| ct.clone())
    }

    /// What is stored at `key`, without a future (for tests).
    pub fn get_now(&self, key: &str) -> Option<Bytes> {
        lock(&self.items).get(key).map(|(b, _)| b.clone())
    }

    /// Every key stored, sorted.
    pub fn keys(&self) -> Vec<String> {
        let mut k: Vec<String> = lock(&self.items).keys().cloned().collect();
        k.sort();
        k
    }
}

impl BlobStore for MemoryBlobs {
    async fn put(&self, key: &str, bytes: Bytes, content_type: &str) -> PortResult<()> {
        lock(&self.items).insert(key.to_string(), (bytes, content_type.to_string()));
        Ok(())
    }

    async fn get(&self, key: &str) -> PortResult<Option<Bytes>> {
        Ok(lock(&self.items).get(key).map(|(b, _)| b.clone()))
    }
}

/// `memory:///{key}?expires_in={secs}`: names the key and the lifetime, for tests to read back.
impl SignedReads for MemoryBlobs {
    async fn signed_get(&self, key: &str, expires_in_secs: u64) -> PortResult<String> {
        Ok(format!("memory:///{key}?expires_in={expires_in_secs}"))
    }
}

/// The contract suite every adapter of this port passes.
#[cfg(any(test, feature = "contract"))]
pub mod contract {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use bytes::Bytes;

    pub async fn blob_store<B: BlobStore>(blobs: &B, ns: &str) {
        let key = format!("{ns}/dir/object name+ü.json");
        assert_eq!(blobs.get(&key).await.unwrap(), None);
        let body = Bytes::from_static(b"{\"a\":1}");
        blobs
            .put(&key, body.clone(), "application/json")
            .await
            .unwrap();
        assert_eq!(blobs.get(&key).await.unwrap(), Some(body));
        // Overwrite is allowed and wins.
        blobs
            .put(&key, Bytes::from_static(b"2"), "application/json")
            .await
            .unwrap();
        assert_eq!(
            blobs.get(&key).await.unwrap(),
            Some(Bytes::from_static(b"2"))
        );
    }
}
