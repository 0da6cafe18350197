//! Captured logs of a whole refresh run contain no token. Alone in its binary: tracing caches
//! per-callsite interest process-wide, so a scoped subscriber must not share the process.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;

#[tokio::test(flavor = "current_thread")]
async fn logs_of_a_whole_run_contain_no_token() {
    let (captured, _guard) = reelcart_lambda::testing::capture();

    let (s, id) = setup(60).await;
    let r = s.refresher("w");
    r.fresh_access_token(&id).await.unwrap();
    *s.client.current.lock().unwrap() = "gone".into();
    s.clock.advance(86_400);
    assert!(r.fresh_access_token(&id).await.is_err());
    let logs = captured.text();
    assert!(
        logs.contains("token refreshed") && logs.contains("needs attention"),
        "{logs}"
    );
    for secret in ["act-secret", "rft-secret"] {
        assert!(!logs.contains(secret), "{secret} leaked into logs:\n{logs}");
    }
}
