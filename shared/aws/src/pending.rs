//! Pending OAuth authorizations in DynamoDB (`nonce` hash key, `expires_at` as the TTL attribute).
//! Redeemed by a conditional-free `DeleteItem` returning the old item: DynamoDB serializes deletes
//! of one key, so exactly one concurrent callback receives the record.

use crate::sdk_error;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};
use reelcart_ports::{PendingAuthorization, PendingAuthorizations, PortError, PortResult};

#[derive(Debug, Clone)]
pub struct DynamoPendingAuthorizations {
    client: Client,
    table: String,
}

impl DynamoPendingAuthorizations {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

impl PendingAuthorizations for DynamoPendingAuthorizations {
    async fn put(&self, pending: &PendingAuthorization) -> PortResult<()> {
        let item =
            serde_dynamo::to_item(pending).map_err(|e| PortError::invalid("pending.encode", e))?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| sdk_error("pending.put", e))?;
        Ok(())
    }

    async fn take(&self, nonce: &str, now: i64) -> PortResult<Option<PendingAuthorization>> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("nonce", AttributeValue::S(nonce.to_string()))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| sdk_error("pending.take", e))?;
        let Some(item) = out.attributes.filter(|a| !a.is_empty()) else {
            return Ok(None);
        };
        let pending: PendingAuthorization =
            serde_dynamo::from_item(item).map_err(|e| PortError::invalid("pending.decode", e))?;
        Ok(Some(pending).filter(|p| p.expires_at >= now))
    }
}
