//! DynamoDB adapters: idempotency claims and the events table.

use crate::sdk_error;
use crate::table;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use reelcart_ports::{Claim, EventStore, IdempotencyStore, PortError, PortResult, StoredEvent};
use std::collections::HashMap;

const PENDING: &str = "pending";
const DONE: &str = "done";

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_string())
}
fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// Idempotency claims in a table keyed by `pk`, with `expires_at` as its TTL attribute.
#[derive(Debug, Clone)]
pub struct DynamoIdempotency {
    client: Client,
    table: String,
}

impl DynamoIdempotency {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    async fn read_state(&self, key: &str) -> PortResult<Claim> {
        let got = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("idempotency.claim.read", e))?;
        Ok(Self::state_of(got.item()))
    }

    fn state_of(item: Option<&HashMap<String, AttributeValue>>) -> Claim {
        match item
            .and_then(|i| i.get("state"))
            .and_then(|v| v.as_s().ok())
        {
            Some(state) if state == DONE => Claim::Done,
            _ => Claim::InFlight,
        }
    }
}

impl IdempotencyStore for DynamoIdempotency {
    async fn claim(
        &self,
        key: &str,
        now: i64,
        lease_secs: i64,
        ttl_secs: i64,
    ) -> PortResult<Claim> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(key))
            .item("state", s(PENDING))
            .item("claimed_at", n(now))
            .item("expires_at", n(now + ttl_secs))
            // Absent, past its TTL (DynamoDB deletes expired items lazily), or a pending claim
            // whose owner's lease ran out.
            .condition_expression(
                "attribute_not_exists(pk) OR expires_at < :now \
                 OR (#state = :pending AND claimed_at < :stale)",
            )
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":pending", s(PENDING))
            .expression_attribute_values(":stale", n(now - lease_secs))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(Claim::Acquired),
            Err(err) => match err.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(c)) => match c.item() {
                    Some(item) => Ok(Self::state_of(Some(item))),
                    // The service did not return the old item: read it.
                    None => self.read_state(key).await,
                },
                _ => Err(sdk_error("idempotency.claim", err)),
            },
        }
    }

    async fn complete(&self, key: &str, _now: i64) -> PortResult<()> {
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(key))
            .update_expression("SET #state = :done")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":done", s(DONE))
            .send()
            .await
            .map_err(|e| sdk_error("idempotency.complete", e))?;
        Ok(())
    }

    async fn release(&self, key: &str) -> PortResult<()> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(key))
            .condition_expression("#state = :pending")
            .expression_attribute_names("#state", "state")
            .expression_attribute_values(":pending", s(PENDING))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if table::condition_failed(&e) => {
                Ok(()) // already completed (or gone): nothing to release
            }
            Err(e) => Err(sdk_error("idempotency.release", e)),
        }
    }
}

/// Normalized events keyed by `id`, with a `by_kind` index on (`kind`, `received_at`).
#[derive(Debug, Clone)]
pub struct DynamoEvents {
    client: Client,
    table: String,
}

impl DynamoEvents {
    pub const BY_KIND_INDEX: &'static str = "by_kind";

    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

impl EventStore for DynamoEvents {
    async fn get(&self, id: &str) -> PortResult<Option<StoredEvent>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("id", s(id))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("events.get", e))?;
        out.item
            .map(|item| {
                serde_dynamo::from_item(item)
                    .map_err(|e| PortError::invalid("events.get.decode", e))
            })
            .transpose()
    }

    async fn insert(&self, event: &StoredEvent) -> PortResult<bool> {
        let item: HashMap<String, AttributeValue> = serde_dynamo::to_item(event)
            .map_err(|e| PortError::invalid("events.insert.encode", e))?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(id)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if table::condition_failed(&e) => Ok(false),
            Err(e) => Err(sdk_error("events.insert", e)),
        }
    }

    async fn list_by_kind(&self, kind: &str, limit: usize) -> PortResult<Vec<StoredEvent>> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(Self::BY_KIND_INDEX)
            .key_condition_expression("kind = :kind")
            .expression_attribute_values(":kind", s(kind))
            .scan_index_forward(false);
        let (rows, _) = table::query_up_to(query, limit, "events.list_by_kind").await?;
        rows.into_iter()
            .map(|item| {
                serde_dynamo::from_item(item)
                    .map_err(|e| PortError::invalid("events.list.decode", e))
            })
            .collect()
    }
}
