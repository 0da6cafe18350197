//! Business events for other systems to react to (EventBridge in AWS).

use crate::{PortResult, lock};
use std::future::Future;
use std::sync::Mutex;

/// Business events for other systems to react to (EventBridge in AWS).
pub trait EventBus: Send + Sync {
    /// Publish one event; `detail_type` names it (e.g. `Connection Needs Reauthorization`).
    fn publish(
        &self,
        detail_type: &str,
        detail: &serde_json::Value,
    ) -> impl Future<Output = PortResult<()>> + Send;
}

impl<T: EventBus + ?Sized> EventBus for std::sync::Arc<T> {
    fn publish(
        &self,
        detail_type: &str,
        detail: &serde_json::Value,
    ) -> impl Future<Output = PortResult<()>> + Send {
        (**self).publish(detail_type, detail)
    }
}

/// An event bus that keeps what was published.
#[derive(Debug, Default)]
pub struct MemoryEventBus {
    events: Mutex<Vec<(String, serde_json::Value)>>,
}

impl MemoryEventBus {
    pub fn published(&self) -> Vec<(String, serde_json::Value)> {
        lock(&self.events).clone()
    }
}

impl EventBus for MemoryEventBus {
    async fn publish(&self, detail_type: &str, detail: &serde_json::Value) -> PortResult<()> {
        lock(&self.events).push((detail_type.to_string(), detail.clone()));
        Ok(())
    }
}

/// The contract suite every adapter of this port passes.
#[cfg(any(test, feature = "contract"))]
pub mod contract {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;

    /// Publishes events of two types, one with a nested, non-ASCII detail; what was published
    /// (detail type and detail), for the caller to compare with what the bus delivered.
    pub async fn event_bus<B: EventBus>(bus: &B, ns: &str) -> Vec<(String, serde_json::Value)> {
        let events = vec![
            (
                "Connection Needs Reauthorization".to_string(),
                serde_json::json!({"connection_id": format!("{ns}-c1"), "platform": "meta"}),
            ),
            (
                "Item Published".to_string(),
                serde_json::json!({"item_id": format!("{ns}-i1"), "caption": "été ✓", "tags": ["a", {"b": 2}]}),
            ),
        ];
        for (detail_type, detail) in &events {
            bus.publish(detail_type, detail).await.unwrap();
        }
        events
    }
}
