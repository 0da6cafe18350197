//! The catalog and its per-channel sync state in one DynamoDB table (`pk` hash, `sk` range):
//!
//! | pk | sk | attributes |
//! |---|---|---|
//! | `product` | product id | the canonical product |
//! | `synced#{channel}` | item key | hashes and remote ids last sent |
//! | `quarantine#{channel}` | item key | problems |
//! | `run#{channel}` | `current` | the run record |
//! | `lease#{channel}` | `current` | — (`owner`, `until`: one run per channel at a time) |
//!
//! Each row holds its value's attributes (`crate::table`); writes go 25 at a time
//! (`BatchWriteItem`, with unprocessed items retried), reads page through `Query`.

use crate::sdk_error;
use crate::table;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, DeleteRequest, PutRequest, WriteRequest};
use reelcart_domain::catalog::{Channel, Product};
use reelcart_ports::{CatalogStore, PortError, PortResult, QuarantinedItem, SyncRun, SyncedItem};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct DynamoCatalog {
    client: Client,
    table: String,
}

impl DynamoCatalog {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    fn key(pk: &str, sk: &str) -> HashMap<String, AttributeValue> {
        HashMap::from([
            ("pk".to_string(), AttributeValue::S(pk.to_string())),
            ("sk".to_string(), AttributeValue::S(sk.to_string())),
        ])
    }

    fn put<T: Serialize>(pk: &str, sk: &str, value: &T) -> PortResult<WriteRequest> {
        let item = table::encode(
            "catalog.encode",
            value,
            [("pk", table::s(pk)), ("sk", table::s(sk))],
        )?;
        let put = PutRequest::builder()
            .set_item(Some(item))
            .build()
            .map_err(|e| PortError::invalid("catalog.encode", e))?;
        Ok(WriteRequest::builder().put_request(put).build())
    }

    fn delete(pk: &str, sk: &str) -> PortResult<WriteRequest> {
        let del = DeleteRequest::builder()
            .set_key(Some(Self::key(pk, sk)))
            .build()
            .map_err(|e| PortError::invalid("catalog.encode", e))?;
        Ok(WriteRequest::builder().delete_request(del).build())
    }

    /// Write everything, 25 per call, retrying what DynamoDB leaves unprocessed.
    async fn write(&self, requests: Vec<WriteRequest>) -> PortResult<()> {
        for chunk in requests.chunks(25) {
            let mut pending = chunk.to_vec();
            let mut attempt = 0u32;
            while !pending.is_empty() {
                let out = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, pending)
                    .send()
                    .await
                    .map_err(|e| sdk_error("catalog.write", e))?;
                pending = out
                    .unprocessed_items
                    .and_then(|mut m| m.remove(&self.table))
                    .unwrap_or_default();
                if !pending.is_empty() {
                    attempt += 1;
                    if attempt > 8 {
                        return Err(PortError::throttled(
                            "catalog.write",
                            "items left unprocessed after 8 attempts",
                        ));
                    }
                    tokio::time::sleep(crate::UNPROCESSED_RETRY.delay(attempt, rand::random()))
                        .await;
                }
            }
        }
        Ok(())
    }

    /// Write `put` and delete `remove` under `pk`.
    async fn put_and_delete<T: Serialize>(
        &self,
        pk: &str,
        put: &[(&str, &T)],
        remove: &[String],
    ) -> PortResult<()> {
        let mut reqs = put
            .iter()
            .map(|(sk, doc)| Self::put(pk, sk, doc))
            .collect::<PortResult<Vec<_>>>()?;
        for sk in remove {
            reqs.push(Self::delete(pk, sk)?);
        }
        self.write(reqs).await
    }

    /// Every document under `pk`.
    async fn query<T: DeserializeOwned>(&self, pk: &str) -> PortResult<Vec<T>> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(pk.to_string()));
        table::query_all(query, "catalog.query")
            .await?
            .into_iter()
            .map(|row| table::decode("catalog.decode", row))
            .collect()
    }
}

fn synced_pk(c: Channel) -> String {
    format!("synced#{c}")
}

fn quarantine_pk(c: Channel) -> String {
    format!("quarantine#{c}")
}

impl CatalogStore for DynamoCatalog {
    async fn put_products(&self, products: &[Product]) -> PortResult<()> {
        let reqs = products
            .iter()
            .map(|p| Self::put("product", &p.id, p))
            .collect::<PortResult<Vec<_>>>()?;
        self.write(reqs).await
    }

    async fn delete_products(&self, ids: &[String]) -> PortResult<()> {
        let reqs = ids
            .iter()
            .map(|id| Self::delete("product", id))
            .collect::<PortResult<Vec<_>>>()?;
        self.write(reqs).await
    }

    async fn products(&self) -> PortResult<Vec<Product>> {
        self.query("product").await
    }

    async fn product(&self, id: &str) -> PortResult<Option<Product>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key("product", id)))
            .send()
            .await
            .map_err(|e| sdk_error("catalog.product", e))?;
        out.item
            .map(|row| table::decode("catalog.decode", row))
            .transpose()
    }

    async fn synced(&self, channel: Channel) -> PortResult<Vec<SyncedItem>> {
        self.query(&synced_pk(channel)).await
    }

    async fn record_synced(
        &self,
        channel: Channel,
        put: &[SyncedItem],
        remove: &[String],
    ) -> PortResult<()> {
        let docs: Vec<(&str, &SyncedItem)> = put.iter().map(|i| (i.key.as_str(), i)).collect();
        self.put_and_delete(&synced_pk(channel), &docs, remove)
            .await
    }

    async fn quarantined(&self, channel: Channel) -> PortResult<Vec<QuarantinedItem>> {
        self.query(&quarantine_pk(channel)).await
    }

    async fn record_quarantine(
        &self,
        channel: Channel,
        put: &[QuarantinedItem],
        release: &[String],
    ) -> PortResult<()> {
        let docs: Vec<(&str, &QuarantinedItem)> = put.iter().map(|i| (i.key.as_str(), i)).collect();
        self.put_and_delete(&quarantine_pk(channel), &docs, release)
            .await
    }

    async fn run(&self, channel: Channel) -> PortResult<Option<SyncRun>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(&format!("run#{channel}"), "current")))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("catalog.run", e))?;
        out.item
            .map(|row| table::decode("catalog.decode", row))
            .transpose()
    }

    async fn put_run(&self, channel: Channel, run: &SyncRun) -> PortResult<()> {
        self.write(vec![Self::put(&format!("run#{channel}"), "current", run)?])
            .await
    }

    async fn acquire_sync_lease(
        &self,
        channel: Channel,
        owner: &str,
        now: i64,
        lease_secs: i64,
    ) -> PortResult<bool> {
        let mut item = Self::key(&format!("lease#{channel}"), "current");
        item.insert("owner".into(), AttributeValue::S(owner.to_string()));
        item.insert(
            "until".into(),
            AttributeValue::N((now + lease_secs).to_string()),
        );
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk) OR #until < :now OR #owner = :me")
            .expression_attribute_names("#until", "until")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .expression_attribute_values(":me", AttributeValue::S(owner.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if table::condition_failed(&e) => Ok(false),
            Err(e) => Err(sdk_error("catalog.lease", e)),
        }
    }

    async fn release_sync_lease(&self, channel: Channel, owner: &str) -> PortResult<()> {
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(&format!("lease#{channel}"), "current")))
            .condition_expression("#owner = :me")
            .expression_attribute_names("#owner", "owner")
            .expression_attribute_values(":me", AttributeValue::S(owner.to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // Held by someone else, or already gone: nothing of ours to release.
            Err(e) if table::condition_failed(&e) => Ok(()),
            Err(e) => Err(sdk_error("catalog.lease", e)),
        }
    }
}
