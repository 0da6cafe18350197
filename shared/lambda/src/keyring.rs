//! Signing keys read from a secret and read again every few minutes, so a rotation (a new current
//! key put first in the secret, the old one kept after it) reaches warm instances without a
//! redeploy — instances that read the secret at cold start only would sign with the old key for
//! as long as they live, and refuse what the new key signed.
//!
//! A handler calls [`KeyRing::refresh`] as an invocation starts; [`KeyRing::keys`] is a plain read.

use futures::future::BoxFuture;
use secrecy::SecretString;
use std::sync::{Arc, RwLock};

/// Reads the keys (current first) from wherever they are kept.
pub type Loader =
    Arc<dyn Fn() -> BoxFuture<'static, Result<Vec<SecretString>, String>> + Send + Sync>;

pub struct KeyRing {
    loader: Option<Loader>,
    refresh_secs: i64,
    /// The keys and when they were read (or last tried).
    state: RwLock<(Arc<Vec<SecretString>>, i64)>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("keys", &self.keys().len())
            .field("refresh_secs", &self.refresh_secs)
            .finish()
    }
}

impl KeyRing {
    /// Keys that never change (tests, tools).
    pub fn fixed(keys: Vec<SecretString>) -> Self {
        Self {
            loader: None,
            refresh_secs: i64::MAX,
            state: RwLock::new((Arc::new(keys), 0)),
        }
    }

    /// Read now (an error stops the cold start: nothing can be signed or checked without keys),
    /// and again when `refresh_secs` have passed.
    pub async fn load(loader: Loader, refresh_secs: i64, now: i64) -> Result<Self, String> {
        let keys = loader().await?;
        if keys.is_empty() {
            return Err("no keys".into());
        }
        Ok(Self {
            loader: Some(loader),
            refresh_secs,
            state: RwLock::new((Arc::new(keys), now)),
        })
    }

    /// The keys, current first.
    pub fn keys(&self) -> Arc<Vec<SecretString>> {
        self.state
            .read()
            .map(|s| s.0.clone())
            .unwrap_or_else(|p| p.into_inner().0.clone())
    }

    /// Read the keys again if they are older than the refresh interval. A failed read keeps the
    /// keys there are (logged) and waits another interval.
    pub async fn refresh(&self, now: i64) {
        let Some(loader) = &self.loader else {
            return;
        };
        let due = self
            .state
            .read()
            .map(|s| now - s.1 >= self.refresh_secs)
            .unwrap_or(true);
        if !due {
            return;
        }
        let fresh = loader().await;
        let Ok(mut state) = self.state.write() else {
            return;
        };
        match fresh {
            Ok(keys) if !keys.is_empty() => *state = (Arc::new(keys), now),
            Ok(_) => {
                tracing::warn!("the key secret holds no keys; keeping the previous ones");
                state.1 = now;
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not read the keys again; keeping the previous ones");
                state.1 = now;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use secrecy::ExposeSecret;
    use std::sync::Mutex;

    #[tokio::test]
    async fn a_rotation_is_picked_up_after_the_interval_and_a_failed_read_keeps_the_keys() {
        let stored: Arc<Mutex<Result<Vec<&'static str>, String>>> =
            Arc::new(Mutex::new(Ok(vec!["old"])));
        let source = stored.clone();
        let loader: Loader = Arc::new(move || {
            let v = source.lock().unwrap().clone();
            Box::pin(
                async move { v.map(|keys| keys.into_iter().map(SecretString::from).collect()) },
            )
        });
        let first = |ring: &KeyRing| ring.keys()[0].expose_secret().to_string();
        let ring = KeyRing::load(loader, 300, 1000).await.unwrap();
        *stored.lock().unwrap() = Ok(vec!["new", "old"]);
        ring.refresh(1299).await;
        assert_eq!(first(&ring), "old");
        ring.refresh(1300).await;
        assert_eq!(first(&ring), "new");
        assert_eq!(ring.keys().len(), 2);
        *stored.lock().unwrap() = Err("throttled".into());
        ring.refresh(1600).await;
        assert_eq!(first(&ring), "new");
    }
}
