//! Connections in DynamoDB (`id` hash key), with the refresh lease as two attributes updated by
//! conditional writes — safe across any number of Lambda instances.

use crate::sdk_error;
use crate::table;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use reelcart_ports::{ConnectionStore, PortError, PortResult, StoredConnection};
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct DynamoConnections {
    client: Client,
    table: String,
}

impl DynamoConnections {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

fn decode(item: HashMap<String, AttributeValue>) -> PortResult<StoredConnection> {
    serde_dynamo::from_item(item).map_err(|e| PortError::invalid("connections.decode", e))
}

fn encode(record: &StoredConnection) -> PortResult<HashMap<String, AttributeValue>> {
    serde_dynamo::to_item(record).map_err(|e| PortError::invalid("connections.encode", e))
}

impl ConnectionStore for DynamoConnections {
    async fn get(&self, id: &str) -> PortResult<Option<StoredConnection>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("id", AttributeValue::S(id.to_string()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("connections.get", e))?;
        out.item.map(decode).transpose()
    }

    async fn put(&self, record: &StoredConnection) -> PortResult<()> {
        let mut r = record.clone();
        r.lease_owner = None;
        r.lease_until = None;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(encode(&r)?))
            .send()
            .await
            .map_err(|e| sdk_error("connections.put", e))?;
        Ok(())
    }

    async fn acquire_lease(
        &self,
        id: &str,
        owner: &str,
        now: i64,
        lease_secs: i64,
    ) -> PortResult<Option<StoredConnection>> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("id", AttributeValue::S(id.to_string()))
            .update_expression("SET lease_owner = :owner, lease_until = :until ADD version :one")
            .condition_expression("attribute_exists(id) AND (attribute_not_exists(lease_until) OR lease_until < :now)")
            .expression_attribute_values(":owner", AttributeValue::S(owner.to_string()))
            .expression_attribute_values(":until", AttributeValue::N((now + lease_secs).to_string()))
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(out) => out
                .attributes
                .map(decode)
                .transpose()?
                .ok_or_else(|| {
                    PortError::unavailable("connections.lease", "no attributes returned")
                })
                .map(Some),
            Err(e) if table::condition_failed(&e) => Ok(None),
            Err(e) => Err(sdk_error("connections.lease", e)),
        }
    }

    async fn finish(&self, record: &StoredConnection, owner: &str) -> PortResult<bool> {
        let mut r = record.clone();
        r.version = record.version + 1;
        r.lease_owner = None;
        r.lease_until = None;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(encode(&r)?))
            .condition_expression("lease_owner = :owner")
            .expression_attribute_values(":owner", AttributeValue::S(owner.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if table::condition_failed(&e) => Ok(false),
            Err(e) => Err(sdk_error("connections.finish", e)),
        }
    }

    async fn list(&self) -> PortResult<Vec<StoredConnection>> {
        let scan = self
            .client
            .scan()
            .table_name(&self.table)
            .consistent_read(true);
        table::scan_all(scan, "connections.list")
            .await?
            .into_iter()
            .map(decode)
            .collect()
    }
}
