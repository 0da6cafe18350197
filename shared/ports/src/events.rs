//! Normalized platform events as recorded, one per event id (the events table in AWS).

use crate::{PortError, PortResult, lock};
use reelcart_domain::event::DomainEvent;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Normalized platform events, one record per event id.
pub trait EventStore: Send + Sync {
    fn get(&self, id: &str) -> impl Future<Output = PortResult<Option<StoredEvent>>> + Send;
    /// Insert unless an event with that id exists; `false` when it did.
    fn insert(&self, event: &StoredEvent) -> impl Future<Output = PortResult<bool>> + Send;
    /// Newest first, events of one kind (`unknown` ones are what an operator looks at).
    fn list_by_kind(
        &self,
        kind: &str,
        limit: usize,
    ) -> impl Future<Output = PortResult<Vec<StoredEvent>>> + Send;
}

/// An event as recorded, with where it was routed.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StoredEvent {
    #[serde(flatten)]
    pub event: DomainEvent,
    /// `orders`, `catalog`, ... or `unrouted`.
    pub routed_to: String,
    pub processed_at: i64,
}

#[derive(Debug, Default)]
pub struct MemoryEvents {
    items: Mutex<HashMap<String, StoredEvent>>,
    pub fail_inserts: AtomicBool,
}

impl MemoryEvents {
    pub fn all(&self) -> Vec<StoredEvent> {
        lock(&self.items).values().cloned().collect()
    }
}

impl EventStore for MemoryEvents {
    async fn get(&self, id: &str) -> PortResult<Option<StoredEvent>> {
        Ok(lock(&self.items).get(id).cloned())
    }

    async fn insert(&self, event: &StoredEvent) -> PortResult<bool> {
        if self.fail_inserts.load(Ordering::SeqCst) {
            return Err(PortError::unavailable("events.insert", "simulated outage"));
        }
        let mut items = lock(&self.items);
        if items.contains_key(&event.event.id) {
            return Ok(false);
        }
        items.insert(event.event.id.clone(), event.clone());
        Ok(true)
    }

    async fn list_by_kind(&self, kind: &str, limit: usize) -> PortResult<Vec<StoredEvent>> {
        let mut out: Vec<StoredEvent> = lock(&self.items)
            .values()
            .filter(|e| e.event.kind.as_str() == kind)
            .cloned()
            .collect();
        out.sort_by(|a, b| {
            (b.event.received_at, &b.event.id).cmp(&(a.event.received_at, &a.event.id))
        });
        out.truncate(limit);
        Ok(out)
    }
}

/// The contract suite every adapter of this port passes.
#[cfg(any(test, feature = "contract"))]
pub mod contract {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    use reelcart_domain::event::{DomainEvent, EventKind};
    use reelcart_domain::webhook::Platform;

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
}
