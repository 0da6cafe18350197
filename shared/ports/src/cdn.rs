//! Tells the CDN to forget cached paths (CloudFront invalidations).

use crate::{PortError, PortResult, lock};
use std::future::Future;
use std::sync::{Arc, Mutex};

/// Tells the CDN to forget cached paths (CloudFront invalidations).
pub trait CdnInvalidator: Send + Sync {
    /// Invalidate `paths` (`/media/{item}/*`); the invalidation's id.
    fn invalidate(&self, paths: &[String]) -> impl Future<Output = PortResult<String>> + Send;
}

/// Records invalidations instead of making them.
#[derive(Debug, Default, Clone)]
pub struct MemoryCdn {
    calls: Arc<Mutex<Vec<Vec<String>>>>,
}

impl MemoryCdn {
    /// Every call's paths, in order.
    pub fn calls(&self) -> Vec<Vec<String>> {
        lock(&self.calls).clone()
    }
}

/// CloudFront's rules for an invalidation batch, checked before any call: at least one path,
/// each starting with `/`, a `*` only as the last character.
pub fn check_paths(paths: &[String]) -> PortResult<()> {
    if paths.is_empty() {
        return Err(PortError::invalid("cdn.invalidate", "no paths"));
    }
    match paths
        .iter()
        .find(|p| !p.starts_with('/') || p.find('*').is_some_and(|i| i + 1 != p.len()))
    {
        Some(bad) => Err(PortError::invalid(
            "cdn.invalidate",
            format!("`{bad}`: a path starts with `/` and has `*` only at its end"),
        )),
        None => Ok(()),
    }
}

impl crate::CdnInvalidator for MemoryCdn {
    async fn invalidate(&self, paths: &[String]) -> PortResult<String> {
        check_paths(paths)?;
        let mut calls = lock(&self.calls);
        calls.push(paths.to_vec());
        Ok(format!("memory-{}", calls.len()))
    }
}

/// The contract suite every adapter of this port passes.
#[cfg(any(test, feature = "contract"))]
pub mod contract {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    /// Each invalidation gets its own id; paths CloudFront would refuse are refused before any
    /// call. The paths invalidated, in order, for the caller to compare with what the CDN saw.
    pub async fn cdn_invalidator<C: CdnInvalidator>(cdn: &C, ns: &str) -> Vec<Vec<String>> {
        let a = vec![format!("/media/{ns}-1/*")];
        let b = vec![
            format!("/media/{ns}-2/*"),
            format!("/media/{ns}-2/poster.jpg"),
        ];
        let id_a = cdn.invalidate(&a).await.unwrap();
        let id_b = cdn.invalidate(&b).await.unwrap();
        assert!(!id_a.is_empty());
        assert_ne!(id_a, id_b, "the same CDN, two invalidations, two ids");
        for bad in [
            vec![],
            vec![format!("media/{ns}/*")],
            vec![format!("/media/*/{ns}")],
        ] {
            let err = cdn.invalidate(&bad).await.unwrap_err();
            assert!(matches!(err, PortError::Invalid { .. }), "{bad:?}: {err}");
        }
        vec![a, b]
    }
}
