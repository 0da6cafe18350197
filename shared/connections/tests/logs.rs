//! Captured logs of a whole refresh run contain no token. Alone in its binary: tracing caches
//! per-callsite interest process-wide, so a scoped subscriber must not share the process.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);
impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "current_thread")]
async fn logs_of_a_whole_run_contain_no_token() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let (s, id) = setup(60).await;
    let r = s.refresher("w");
    r.fresh_access_token(&id).await.unwrap();
    *s.client.current.lock().unwrap() = "gone".into();
    s.clock.advance(86_400);
    assert!(r.fresh_access_token(&id).await.is_err());
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        logs.contains("token refreshed") && logs.contains("needs attention"),
        "{logs}"
    );
    for secret in ["act-secret", "rft-secret"] {
        assert!(!logs.contains(secret), "{secret} leaked into logs:\n{logs}");
    }
}
