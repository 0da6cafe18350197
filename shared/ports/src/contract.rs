//! Contract suites: every adapter of a port runs these, against the fake and against the real
//! service (the AWS emulator), with a namespace unique to the test run so suites can run in parallel.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::{
    BlobStore, Claim, EventStore, IdempotencyStore, KeyService, MessageQueue, SecretSource,
    StoredEvent,
};
use bytes::Bytes;
use reelcart_domain::event::{DomainEvent, EventKind};
use reelcart_domain::webhook::Platform;
use secrecy::ExposeSecret;

pub async fn idempotency_store<S: IdempotencyStore>(store: &S, ns: &str) {
    let key = format!("{ns}#a");
    let now = 1_700_000_000;
    // Fresh key: acquired; again while pending: in flight.
    assert_eq!(
        store.claim(&key, now, 30, 3600).await.unwrap(),
        Claim::Acquired
    );
    assert_eq!(
        store.claim(&key, now + 1, 30, 3600).await.unwrap(),
        Claim::InFlight
    );
    // Completed: every later claim is a duplicate until the TTL passes.
    store.complete(&key, now + 2).await.unwrap();
    assert_eq!(
        store.claim(&key, now + 3, 30, 3600).await.unwrap(),
        Claim::Done
    );
    assert_eq!(
        store.claim(&key, now + 3000, 30, 3600).await.unwrap(),
        Claim::Done
    );
    // After the TTL the key counts as absent even if the store has not deleted it yet.
    assert_eq!(
        store.claim(&key, now + 3601, 30, 3600).await.unwrap(),
        Claim::Acquired
    );

    // A released claim can be acquired again at once.
    let key = format!("{ns}#b");
    assert_eq!(
        store.claim(&key, now, 30, 3600).await.unwrap(),
        Claim::Acquired
    );
    store.release(&key).await.unwrap();
    assert_eq!(
        store.claim(&key, now, 30, 3600).await.unwrap(),
        Claim::Acquired
    );

    // A pending claim whose lease ran out (owner crashed) is taken over.
    let key = format!("{ns}#c");
    assert_eq!(
        store.claim(&key, now, 30, 3600).await.unwrap(),
        Claim::Acquired
    );
    assert_eq!(
        store.claim(&key, now + 30, 30, 3600).await.unwrap(),
        Claim::InFlight
    );
    assert_eq!(
        store.claim(&key, now + 31, 30, 3600).await.unwrap(),
        Claim::Acquired
    );

    // Releasing a completed key does not undo the completion.
    let key = format!("{ns}#d");
    store.claim(&key, now, 30, 3600).await.unwrap();
    store.complete(&key, now).await.unwrap();
    store.release(&key).await.unwrap();
    assert_eq!(store.claim(&key, now, 30, 3600).await.unwrap(), Claim::Done);

    // Concurrent claims of one key: exactly one wins.
    let key = format!("{ns}#race");
    let results =
        futures::future::join_all((0..16).map(|_| store.claim(&key, now, 30, 3600))).await;
    let acquired = results
        .iter()
        .filter(|r| matches!(r, Ok(Claim::Acquired)))
        .count();
    assert_eq!(acquired, 1, "{results:?}");
}

/// `received` reads back what the queue holds (the suite cannot know how for each adapter).
pub async fn message_queue<Q: MessageQueue>(queue: &Q, ns: &str) -> Vec<String> {
    let bodies = [format!("{ns}-1"), format!("{{\"n\":\"{ns}\",\"ü\":\"✓\"}}")];
    let mut ids = Vec::new();
    for b in &bodies {
        ids.push(queue.send(b).await.unwrap());
    }
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1], "message ids must be distinct");
    bodies.to_vec()
}

fn event(ns: &str, n: i64, kind: EventKind) -> StoredEvent {
    StoredEvent {
        event: DomainEvent {
            id: format!("{ns}#evt{n}"),
            kind,
            platform: Platform::Shopify,
            topic: Some("orders/create".into()),
            account: Some("acme.myshopify.com".into()),
            subject: Some(n.to_string()),
            received_at: 1_700_000_000 + n,
            data: serde_json::json!({"id": n, "nested": {"list": [1, "two", null], "price": "9.99"}}),
        },
        routed_to: "orders".into(),
        processed_at: 1_700_000_100,
    }
}

pub async fn event_store<S: EventStore>(store: &S, ns: &str) {
    let e1 = event(ns, 1, EventKind::OrderCreated);
    assert_eq!(store.get(&e1.event.id).await.unwrap(), None);
    assert!(store.insert(&e1).await.unwrap());
    assert_eq!(store.get(&e1.event.id).await.unwrap(), Some(e1.clone()));
    // A second insert with the same id changes nothing.
    let mut changed = e1.clone();
    changed.routed_to = "catalog".into();
    assert!(!store.insert(&changed).await.unwrap());
    assert_eq!(
        store.get(&e1.event.id).await.unwrap().unwrap().routed_to,
        "orders"
    );

    // Listing by kind: newest first. Kinds are a closed set shared with suites running in
    // parallel, so look only at this run's namespace.
    for n in 2..=4 {
        store
            .insert(&event(ns, n, EventKind::Unknown))
            .await
            .unwrap();
    }
    let listed: Vec<String> = store
        .list_by_kind("unknown", 1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.event.id.starts_with(ns))
        .map(|e| e.event.id)
        .collect();
    assert_eq!(
        listed,
        [
            format!("{ns}#evt4"),
            format!("{ns}#evt3"),
            format!("{ns}#evt2")
        ]
    );
}

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

/// `id` must hold `expected`; `missing` must not exist.
pub async fn secret_source<S: SecretSource>(secrets: &S, id: &str, expected: &str, missing: &str) {
    let s = secrets.secret(id).await.unwrap();
    assert_eq!(s.expose_secret(), expected);
    let err = secrets.secret(missing).await.unwrap_err();
    assert!(
        !err.to_string().contains(expected),
        "error must not echo secret values"
    );
}

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
