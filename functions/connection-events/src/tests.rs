//! Handler tests: the SQS batch fixture in `events/connection-events`, in-memory store.

use super::*;
use reelcart_domain::FixedClock;
use reelcart_domain::connection::{ConnectionStatus, Sealed};
use reelcart_ports::StoredConnection;
use reelcart_ports::memory::{MemoryConnections, MemoryEventBus};

const NOW: i64 = 1_764_115_260;

fn batch() -> SqsEvent {
    serde_json::from_str(include_str!(
        "../../../events/connection-events/sqs-batch.json"
    ))
    .unwrap()
}

fn stored(platform: OAuthPlatform, account: &str) -> StoredConnection {
    StoredConnection {
        connection: Connection {
            id: Connection::id_for(platform, account),
            platform,
            account_id: account.into(),
            scopes: vec![],
            expires_at: Some(NOW + 3600),
            refresh_expires_at: Some(NOW + 60 * 86_400),
            status: reelcart_domain::connection::ConnectionStatus::Active,
            last_error: None,
            failures: 0,
            first_failure_at: None,
            retry_after: None,
            last_refreshed_at: Some(NOW),
            key_id: "k".into(),
        },
        tokens: Sealed {
            v: 1,
            key_id: "k".into(),
            wrapped_key: "a".into(),
            nonce: "b".into(),
            ciphertext: "c".into(),
        },
        version: 1,
        lease_owner: None,
        lease_until: None,
    }
}

async fn handler() -> Handler<MemoryConnections, MemoryEventBus> {
    let store = MemoryConnections::default();
    for (p, a) in [
        (OAuthPlatform::TiktokShop, "7494049642642441621"),
        (OAuthPlatform::TiktokShop, "7494049642642441622"),
        (OAuthPlatform::Tiktok, "act.demo-creator"),
    ] {
        store.put(&stored(p, a)).await.unwrap();
    }
    Handler {
        store,
        events: MemoryEventBus::default(),
        clock: Arc::new(FixedClock::at(NOW)),
        owner: "test".into(),
    }
}

async fn status(
    h: &Handler<MemoryConnections, MemoryEventBus>,
    p: OAuthPlatform,
    a: &str,
) -> Connection {
    h.store
        .get(&Connection::id_for(p, a))
        .await
        .unwrap()
        .unwrap()
        .connection
}

#[tokio::test]
async fn deauthorizations_revoke_and_expiry_notices_cap_the_horizon() {
    let h = handler().await;
    let r = h.handle(batch()).await.unwrap();
    assert!(r.batch_item_failures.is_empty());
    assert_eq!(
        status(&h, OAuthPlatform::TiktokShop, "7494049642642441621")
            .await
            .status,
        ConnectionStatus::Revoked
    );
    assert_eq!(
        status(&h, OAuthPlatform::Tiktok, "act.demo-creator")
            .await
            .status,
        ConnectionStatus::Revoked
    );
    let expiring = status(&h, OAuthPlatform::TiktokShop, "7494049642642441622").await;
    assert_eq!(expiring.status, ConnectionStatus::Active);
    assert_eq!(
        expiring.refresh_expires_at,
        Some(1_764_115_200 + 7 * 86_400)
    );
    assert_eq!(expiring.last_error.unwrap().code, "authorization_expiring");
    let published = h.events.published();
    assert_eq!(published.len(), 3, "one event per connection changed");
    assert!(published.iter().all(|(t, _)| t == CONNECTION_CHANGED_EVENT));
    assert!(
        published
            .iter()
            .any(|(_, d)| d["status"] == "revoked" && d["account_id"] == "act.demo-creator")
    );
}

#[tokio::test]
async fn a_connection_held_by_a_refresher_is_retried_not_lost() {
    let h = handler().await;
    let id = Connection::id_for(OAuthPlatform::Tiktok, "act.demo-creator");
    h.store
        .acquire_lease(&id, "refresher", NOW, 30)
        .await
        .unwrap()
        .unwrap();
    let r = h.handle(batch()).await.unwrap();
    let failed: Vec<_> = r
        .batch_item_failures
        .iter()
        .map(|f| f.item_identifier.as_str())
        .collect();
    assert_eq!(failed, ["7b1e4c2a-0d7e-4a51-9c39-000000000002"]);
}

#[tokio::test]
async fn unknown_connections_and_other_platforms_are_acknowledged() {
    let h = Handler {
        store: MemoryConnections::default(),
        events: MemoryEventBus::default(),
        clock: Arc::new(FixedClock::at(NOW)),
        owner: "t".into(),
    };
    let r = h.handle(batch()).await.unwrap();
    assert!(r.batch_item_failures.is_empty());
    let mut bad = batch();
    bad.records[0].body = Some("not json".into());
    let r = h.handle(bad).await.unwrap();
    assert_eq!(
        r.batch_item_failures.len(),
        1,
        "a malformed record goes to the DLQ"
    );
}

/// Shopify's `app/uninstalled`: the store in the signed body is revoked, whatever the unsigned
/// `X-Shopify-Shop-Domain` header (the event's `account`) said.
#[tokio::test]
async fn a_shopify_uninstall_revokes_the_store_its_signed_body_names() {
    let h = handler().await;
    for shop in ["acme.myshopify.com", "other.myshopify.com"] {
        h.store
            .put(&stored(OAuthPlatform::Shopify, shop))
            .await
            .unwrap();
    }
    let mut b = batch();
    b.records.truncate(1);
    b.records[0].body = Some(
        serde_json::json!({
            "id": "wh#shopify#uninstall-1",
            "kind": "connection_revoked",
            "platform": "shopify",
            "topic": "app/uninstalled",
            "account": "other.myshopify.com",
            "received_at": NOW,
            "data": {"id": 548380009, "name": "Acme", "domain": "shop.acme.example",
                     "myshopify_domain": "acme.myshopify.com"}
        })
        .to_string(),
    );
    let r = h.handle(b).await.unwrap();
    assert!(r.batch_item_failures.is_empty());
    assert_eq!(
        status(&h, OAuthPlatform::Shopify, "acme.myshopify.com")
            .await
            .status,
        ConnectionStatus::Revoked
    );
    assert_eq!(
        status(&h, OAuthPlatform::Shopify, "other.myshopify.com")
            .await
            .status,
        ConnectionStatus::Active
    );
}

/// A revocation or expiry notice missing what it names (the store, the account, the time) is
/// dead-lettered, not acknowledged: acknowledged unread, the connection would stay in use.
#[tokio::test]
async fn a_connection_event_missing_its_account_or_time_is_dead_lettered() {
    let h = handler().await;
    let event = |v: serde_json::Value| {
        let mut b = batch();
        b.records.truncate(1);
        b.records[0].body = Some(v.to_string());
        b
    };
    for body in [
        serde_json::json!({"id": "wh#shopify#u-2", "kind": "connection_revoked", "platform": "shopify",
            "topic": "app/uninstalled", "received_at": NOW, "data": {"id": 1}}),
        serde_json::json!({"id": "wh#tiktok-shop#r-2", "kind": "connection_revoked",
            "platform": "tiktok-shop", "received_at": NOW, "data": {}}),
        serde_json::json!({"id": "wh#tiktok-shop#e-2", "kind": "connection_expiring",
            "platform": "tiktok-shop", "account": "shop-1", "received_at": NOW, "data": {"data": {}}}),
    ] {
        let r = h.handle(event(body.clone())).await.unwrap();
        assert_eq!(r.batch_item_failures.len(), 1, "{body}");
    }
    // Another kind on the same queue is not a connection's: acknowledged.
    let other = serde_json::json!({"id": "wh#tiktok-shop#o-1", "kind": "order_created",
        "platform": "tiktok-shop", "received_at": NOW, "data": {}});
    assert!(
        h.handle(event(other))
            .await
            .unwrap()
            .batch_item_failures
            .is_empty()
    );
}
