use crate::sdk_error;
use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use reelcart_ports::{EventBus, PortError, PortResult};

/// An EventBridge bus; events carry `source` (e.g. `reelcart.connections`).
#[derive(Debug, Clone)]
pub struct EventBridgeBus {
    client: Client,
    bus: String,
    source: String,
}

impl EventBridgeBus {
    pub fn new(client: Client, bus: impl Into<String>, source: impl Into<String>) -> Self {
        Self {
            client,
            bus: bus.into(),
            source: source.into(),
        }
    }
}

impl EventBus for EventBridgeBus {
    async fn publish(&self, detail_type: &str, detail: &serde_json::Value) -> PortResult<()> {
        let entry = PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(&self.source)
            .detail_type(detail_type)
            .detail(detail.to_string())
            .build();
        let out = self
            .client
            .put_events()
            .entries(entry)
            .send()
            .await
            .map_err(|e| sdk_error("events.publish", e))?;
        // PutEvents answers 200 even when entries fail: check each.
        if out.failed_entry_count > 0 {
            let reason = out
                .entries
                .unwrap_or_default()
                .into_iter()
                .find_map(|e| e.error_message)
                .unwrap_or_else(|| "entry rejected".into());
            return Err(PortError::unavailable("events.publish", reason));
        }
        Ok(())
    }
}
