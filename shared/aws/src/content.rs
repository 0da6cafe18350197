//! UGC items and what is kept about them, in the content table (`pk` hash, `sk` range), beside
//! each item's media record:
//!
//! | pk | sk | attributes |
//! |---|---|---|
//! | `ITEM#{id}` | `ITEM` | `doc` (the item), `status`, `status_key` (`{updated_at:020}#{id}`: GSI `by_status`); for a creator's items `creator`, `creator_key` (`{created_at:020}#{id}`: GSI `by_creator`) |
//! | `ITEM#{id}` | `AUDIT#{at:020}#{nanos:020}#{uuid8}` | `doc` (an audit entry) |
//! | `ITEM#{id}` | `RIGHTS#{rights id}` | `doc` |
//! | `ITEM#{id}` | `MAP#{placement}#{sku}` | `doc`, `sku` |
//! | `ITEM#{id}` | `RREQ#{request id}` | `doc` (a rights request) |
//! | `CONFIG` | `BLOCKLIST` | `doc` |
//! | `CONFIG` | `HASHTAGS` | `doc` (the hashtag budget and ids) |
//!
//! A transition writes the item (conditional on its stored status) and its audit entry in one
//! transaction. Only `ITEM` rows carry `status_key`, so only they are in the `by_status` index (the
//! media record's own `status` is not enough to be indexed).

use crate::sdk_error;
use crate::table::{self, s};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use reelcart_domain::content::blocklist::Blocklist;
use reelcart_domain::content::hashtag_budget::HashtagBudget;
use reelcart_domain::content::rights_request::RightsRequest;
use reelcart_domain::content::{AuditEntry, ProductMapping, Rights, Source, Status, UgcItem};
use reelcart_ports::{
    BlocklistStore, HashtagBudgetStore, ItemStore, MappingStore, Page, PortError, PortResult,
    RightsStore, status_sort_key,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct DynamoContent {
    client: Client,
    table: String,
}

type Item = table::Row;

fn row<T: Serialize>(pk: &str, sk: &str, value: &T) -> PortResult<Item> {
    table::encode("content.encode", value, [("pk", s(pk)), ("sk", s(sk))])
}

fn doc<T: DeserializeOwned>(item: Item) -> PortResult<T> {
    table::decode("content.decode", item)
}

fn item_pk(id: &str) -> String {
    format!("ITEM#{id}")
}

fn item_row(item: &UgcItem) -> PortResult<Item> {
    let mut r = row(&item_pk(&item.id), "ITEM", item)?;
    r.insert("status".into(), s(item.status.as_str()));
    r.insert("status_key".into(), s(status_sort_key(item)));
    if let (Source::Upload, Some(c)) = (item.source, &item.author.creator_id) {
        // Sparse: only creators' own uploads are in `by_creator` (other sources name a platform's
        // account there, e.g. a TikTok open id, not a Reelcart creator).
        r.insert("creator".into(), s(c));
        r.insert(
            "creator_key".into(),
            s(format!("{:020}#{}", item.created_at.max(0), item.id)),
        );
    }
    Ok(r)
}

impl DynamoContent {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    async fn put(&self, r: Item) -> PortResult<()> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(r))
            .send()
            .await
            .map_err(|e| sdk_error("content.put", e))?;
        Ok(())
    }

    async fn get(&self, pk: &str, sk: &str) -> PortResult<Option<Item>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("content.get", e))?;
        Ok(out.item)
    }

    /// Every row of `pk` whose sort key starts with `prefix`, in sort-key order.
    async fn rows<T: DeserializeOwned>(&self, pk: &str, prefix: &str) -> PortResult<Vec<T>> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":prefix", s(prefix))
            .consistent_read(true);
        let mut rows = table::query_all(query, "content.query").await?;
        // DynamoDB answers in sort-key order; emulators do not always.
        rows.sort_by(|a, b| sort_key(a).cmp(sort_key(b)));
        rows.into_iter().map(doc).collect()
    }
}

fn sort_key(row: &Item) -> &str {
    match row.get("sk") {
        Some(AttributeValue::S(sk)) => sk,
        _ => "",
    }
}

impl ItemStore for DynamoContent {
    async fn create_item(&self, item: &UgcItem) -> PortResult<bool> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item_row(item)?))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if table::condition_failed(&e) => Ok(false),
            Err(e) => Err(sdk_error("content.create", e)),
        }
    }

    async fn item(&self, id: &str) -> PortResult<Option<UgcItem>> {
        self.get(&item_pk(id), "ITEM").await?.map(doc).transpose()
    }

    async fn items_by_status(
        &self,
        status: Status,
        limit: usize,
        cursor: Option<&str>,
    ) -> PortResult<Page<UgcItem>> {
        // The index key of the last item seen, rebuilt from the cursor (`{time}#{id}`).
        let start = cursor.and_then(|c| {
            let (_, id) = c.split_once('#')?;
            Some(HashMap::from([
                ("pk".to_string(), s(item_pk(id))),
                ("sk".to_string(), s("ITEM")),
                ("status".to_string(), s(status.as_str())),
                ("status_key".to_string(), s(c)),
            ]))
        });
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("by_status")
            .key_condition_expression("#status = :status")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":status", s(status.as_str()))
            .set_exclusive_start_key(start);
        let (rows, more) = table::query_up_to(query, limit, "content.by_status").await?;
        let items = rows
            .into_iter()
            .map(doc)
            .collect::<PortResult<Vec<UgcItem>>>()?;
        // More after a full page: the cursor is the last item's index key.
        let cursor = if more {
            items.last().map(status_sort_key)
        } else {
            None
        };
        Ok(Page { items, cursor })
    }

    async fn items_by_creator(&self, creator_id: &str, limit: usize) -> PortResult<Vec<UgcItem>> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name("by_creator")
            .key_condition_expression("creator = :c")
            .expression_attribute_values(":c", s(creator_id))
            .scan_index_forward(false);
        let (rows, _) = table::query_up_to(query, limit, "content.by_creator").await?;
        let mut items = rows
            .into_iter()
            .map(doc)
            .collect::<PortResult<Vec<UgcItem>>>()?;
        // DynamoDB answers newest first; emulators do not always.
        items.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
        items.truncate(limit);
        Ok(items)
    }

    async fn record_transition(&self, item: &UgcItem, entry: &AuditEntry) -> PortResult<bool> {
        let update = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item_row(item)?))
            .condition_expression("#status = :from")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":from", s(entry.from.as_str()))
            .build()
            .map_err(|e| PortError::invalid("content.encode", e))?;
        let audit = Put::builder()
            .table_name(&self.table)
            .set_item(Some(row(
                &item_pk(&item.id),
                // Ordered by time, then by the writer's clock to the nanosecond: transitions of one
                // item are serialized by the status condition, so this is their order.
                &format!(
                    "AUDIT#{:020}#{:020}#{}",
                    entry.at.max(0),
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_nanos()),
                    &uuid::Uuid::new_v4().simple().to_string()[..8]
                ),
                entry,
            )?))
            .build()
            .map_err(|e| PortError::invalid("content.encode", e))?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(update).build())
            .transact_items(TransactWriteItem::builder().put(audit).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(true),
            Err(e) if table::transaction_condition_failed(&e) => Ok(false),
            Err(e) => Err(sdk_error("content.transition", e)),
        }
    }

    async fn audit(&self, item_id: &str) -> PortResult<Vec<AuditEntry>> {
        self.rows(&item_pk(item_id), "AUDIT#").await
    }
}

impl RightsStore for DynamoContent {
    async fn put_rights(&self, rights: &Rights) -> PortResult<()> {
        self.put(row(
            &item_pk(&rights.item_id),
            &format!("RIGHTS#{}", rights.id),
            rights,
        )?)
        .await
    }

    async fn rights(&self, item_id: &str) -> PortResult<Vec<Rights>> {
        self.rows(&item_pk(item_id), "RIGHTS#").await
    }

    async fn put_rights_request(&self, request: &RightsRequest) -> PortResult<()> {
        self.put(row(
            &item_pk(&request.item_id),
            &format!("RREQ#{}", request.id),
            request,
        )?)
        .await
    }

    async fn claim_rights_request_post(
        &self,
        item_id: &str,
        request_id: &str,
        now: i64,
    ) -> PortResult<bool> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(item_pk(item_id)))
            .key("sk", s(format!("RREQ#{request_id}")))
            .update_expression("SET posting_at = :now")
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(posting_at)")
            .expression_attribute_values(":now", AttributeValue::N(now.to_string()))
            .send()
            .await;
        match out {
            Ok(_) => Ok(true),
            Err(e) if table::condition_failed(&e) => Ok(false),
            Err(e) => Err(sdk_error("content.rights_request_claim", e)),
        }
    }

    async fn rights_requests(&self, item_id: &str) -> PortResult<Vec<RightsRequest>> {
        self.rows(&item_pk(item_id), "RREQ#").await
    }
}

impl MappingStore for DynamoContent {
    async fn put_mapping(&self, item_id: &str, mapping: &ProductMapping) -> PortResult<()> {
        let mut r = row(
            &item_pk(item_id),
            &format!("MAP#{}#{}", mapping.placement, mapping.sku),
            mapping,
        )?;
        r.insert("sku".into(), s(&mapping.sku));
        self.put(r).await
    }

    async fn delete_mapping(&self, item_id: &str, placement: &str, sku: &str) -> PortResult<bool> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(item_pk(item_id)))
            .key("sk", s(format!("MAP#{placement}#{sku}")))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| sdk_error("content.unmap", e))?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }

    async fn mappings(&self, item_id: &str) -> PortResult<Vec<ProductMapping>> {
        self.rows(&item_pk(item_id), "MAP#").await
    }
}

impl BlocklistStore for DynamoContent {
    async fn blocklist(&self) -> PortResult<Blocklist> {
        Ok(match self.get("CONFIG", "BLOCKLIST").await? {
            Some(r) => doc(r)?,
            None => Blocklist::default(),
        })
    }

    async fn put_blocklist(&self, blocklist: &Blocklist) -> PortResult<()> {
        self.put(row("CONFIG", "BLOCKLIST", blocklist)?).await
    }
}

impl HashtagBudgetStore for DynamoContent {
    async fn hashtag_budget(&self) -> PortResult<HashtagBudget> {
        Ok(match self.get("CONFIG", "HASHTAGS").await? {
            Some(r) => doc(r)?,
            None => HashtagBudget::default(),
        })
    }

    async fn put_hashtag_budget(&self, budget: &HashtagBudget) -> PortResult<()> {
        self.put(row("CONFIG", "HASHTAGS", budget)?).await
    }
}
