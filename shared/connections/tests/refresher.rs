//! Refresh behaviour over in-memory ports and a platform that rotates refresh tokens. The
//! DynamoDB + KMS version of the concurrency test runs in `tests/`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use reelcart_connections::{Outcome, RefreshError, Refresher};
use reelcart_domain::connection::{
    ConnectionStatus, ErrorClass, OAuthPlatform, Operation, classify,
};
use reelcart_ports::ConnectionStore;
use reelcart_vault::Vault;
use secrecy::ExposeSecret;
use std::sync::atomic::Ordering;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_concurrent_refreshers_make_exactly_one_platform_call() {
    let (s, id) = setup(60).await; // expires within the 15-minute margin
    let workers: Vec<TestRefresher> = (0..10).map(|i| s.refresher(&format!("w{i}"))).collect();
    let tokens = futures::future::join_all(workers.iter().map(|w| w.fresh_access_token(&id))).await;
    assert_eq!(
        s.client.calls.load(Ordering::SeqCst),
        1,
        "one platform refresh call"
    );
    for t in &tokens {
        assert_eq!(
            t.as_ref().unwrap().expose_secret(),
            "act-secret-1",
            "every caller gets the new token"
        );
    }
    // The stored pair is the rotated one: the next refresh presents rft-secret-1 and succeeds.
    s.clock.advance(86_400 - 60);
    let r = s.refresher("later");
    assert_eq!(
        r.fresh_access_token(&id).await.unwrap().expose_secret(),
        "act-secret-2"
    );
    assert_eq!(s.client.calls.load(Ordering::SeqCst), 2);
    let rec = s.store.get(&id).await.unwrap().unwrap();
    assert_eq!(rec.connection.scopes, ["user.info.basic", "video.list"]);
}

#[tokio::test]
async fn a_token_far_from_expiry_is_served_without_a_platform_call() {
    let (s, id) = setup(3600).await;
    let r = s.refresher("w");
    assert_eq!(
        r.fresh_access_token(&id).await.unwrap().expose_secret(),
        "act-secret-0"
    );
    assert_eq!(s.client.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_revoked_grant_becomes_needs_reauth_with_remediation() {
    let (s, id) = setup(60).await;
    *s.client.current.lock().unwrap() = "revoked-elsewhere".into();
    let bus = std::sync::Arc::new(reelcart_ports::memory::MemoryEventBus::default());
    let r = Refresher {
        events: bus.clone(),
        ..s.refresher("w")
    };
    assert_eq!(
        r.refresh(&id, false).await.unwrap(),
        Outcome::Failed(ErrorClass::Reauthorize)
    );
    let published = bus.published();
    assert_eq!(published.len(), 1, "one event for the operator's systems");
    assert_eq!(published[0].0, reelcart_connections::NEEDS_REAUTH_EVENT);
    assert_eq!(published[0].1["connection_id"], id.as_str());
    assert_eq!(published[0].1["code"], "invalid_grant");
    let rec = s.store.get(&id).await.unwrap().unwrap();
    assert_eq!(rec.connection.status, ConnectionStatus::NeedsReauth);
    assert_eq!(
        rec.connection.last_error.as_ref().unwrap().code,
        "invalid_grant"
    );
    match r.fresh_access_token(&id).await {
        Err(RefreshError::NeedsReauth { remediation, .. }) => {
            assert!(remediation.contains("log in with TikTok"))
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        r.sweep().await.unwrap().refreshed,
        0,
        "no automatic retries of a dead grant"
    );
}

#[tokio::test]
async fn a_transient_failure_cools_down_and_serves_the_still_valid_token() {
    let (s, id) = setup(600).await;
    *s.client.fail_with.lock().unwrap() = Some(classify(
        OAuthPlatform::Tiktok,
        Operation::Refresh,
        500,
        &http::HeaderMap::new(),
        r#"{"error":{"code":"internal_error"}}"#,
    ));
    let r = s.refresher("w");
    assert_eq!(
        r.fresh_access_token(&id).await.unwrap().expose_secret(),
        "act-secret-0"
    );
    assert_eq!(
        s.client.calls.load(Ordering::SeqCst),
        1,
        "tried once, then cooling down"
    );
    let rec = s.store.get(&id).await.unwrap().unwrap();
    assert_eq!(rec.connection.status, ConnectionStatus::Active);
    assert!(rec.connection.retry_after.unwrap() > NOW);
    // Still cooling down: no new call.
    r.fresh_access_token(&id).await.unwrap();
    assert_eq!(s.client.calls.load(Ordering::SeqCst), 1);
    // The platform recovers; after the cooldown the sweep refreshes.
    *s.client.fail_with.lock().unwrap() = None;
    s.clock.advance(120);
    let report = r.sweep().await.unwrap();
    assert_eq!((report.refreshed, report.failed()), (1, 0));
}

#[tokio::test]
async fn the_sweep_refreshes_what_is_due_and_touches_idle_connections_daily() {
    let (s, id) = setup(30 * 86_400).await;
    let r = s.refresher("sweeper");
    assert_eq!(r.sweep().await.unwrap().refreshed, 0);
    s.clock.advance(86_400);
    assert_eq!(r.sweep().await.unwrap().refreshed, 1, "idle for a day");
    assert_eq!(r.sweep().await.unwrap().refreshed, 0);
    assert_eq!(
        s.store
            .get(&id)
            .await
            .unwrap()
            .unwrap()
            .connection
            .last_refreshed_at,
        Some(NOW + 86_400)
    );
}

#[tokio::test]
async fn key_rotation_reseals_every_connection_and_tokens_still_open() {
    let (s, id) = setup(3600).await;
    let rotated = Refresher {
        vault: Vault::new(s.keys.clone(), "k2"),
        ..s.refresher("admin")
    };
    assert_eq!(rotated.reseal_all().await.unwrap(), 1);
    assert_eq!(rotated.reseal_all().await.unwrap(), 0, "idempotent");
    let rec = s.store.get(&id).await.unwrap().unwrap();
    assert_eq!(
        (rec.tokens.key_id.as_str(), rec.connection.key_id.as_str()),
        ("k2", "k2")
    );
    assert_eq!(
        rotated
            .fresh_access_token(&id)
            .await
            .unwrap()
            .expose_secret(),
        "act-secret-0"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_callers_reporting_the_same_rejected_token_cause_one_refresh() {
    // Far from expiry: nothing is due, but the platform answered 401 to this token.
    let (s, id) = setup(3600).await;
    let rejected = secrecy::SecretString::from("act-secret-0".to_string());
    let workers: Vec<TestRefresher> = (0..10).map(|i| s.refresher(&format!("w{i}"))).collect();
    let tokens = futures::future::join_all(
        workers
            .iter()
            .map(|w| w.access_token_after_rejection(&id, &rejected)),
    )
    .await;
    assert_eq!(s.client.calls.load(Ordering::SeqCst), 1);
    for t in tokens {
        assert_eq!(t.unwrap().expose_secret(), "act-secret-1");
    }
    // A late report of the old token gets the new one without another platform call.
    let late = s.refresher("late");
    assert_eq!(
        late.access_token_after_rejection(&id, &rejected)
            .await
            .unwrap()
            .expose_secret(),
        "act-secret-1"
    );
    assert_eq!(s.client.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_rejected_token_whose_grant_is_gone_needs_reauthorization() {
    let (s, id) = setup(3600).await;
    *s.client.current.lock().unwrap() = "revoked-elsewhere".into();
    let r = s.refresher("w");
    let rejected = secrecy::SecretString::from("act-secret-0".to_string());
    assert!(matches!(
        r.access_token_after_rejection(&id, &rejected).await,
        Err(RefreshError::NeedsReauth { .. })
    ));
    let rec = s.store.get(&id).await.unwrap().unwrap();
    assert_eq!(rec.connection.status, ConnectionStatus::NeedsReauth);
}
