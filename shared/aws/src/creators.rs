//! Creators in the creators table (`pk` hash, `sk` range):
//!
//! | pk | sk | attributes |
//! |---|---|---|
//! | `CREATOR#{id}` | `PROFILE` | the creator's attributes (payout details included; the table is encrypted) |
//! | `CREATOR#{id}` | `LINK#{created_at:020}#{link id}` | the link's attributes (in creation order) |
//! | `LINK#{link id}` | `LINK` | the same link, for the redirect's lookup by id |
//! | `CREATOR#{id}` | `PREQ#{request id}` | the product request's attributes, `status` among them |
//! | `CREATOR#{id}` | `UPLOADS#{day}` | `uploads` started that day (a conditional `ADD`), `expires_at` (TTL) |
//!
//! The brand's lists (every creator, every product request) scan the table: it holds a brand's
//! creators, not its shoppers.

use crate::sdk_error;
use crate::table::{self, s};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::AttributeValue;
use reelcart_domain::creator::{Creator, Link, ProductRequest, RequestStatus};
use reelcart_ports::{CreatorStore, PortResult};
use serde::Serialize;
use serde::de::DeserializeOwned;

#[derive(Debug, Clone)]
pub struct DynamoCreators {
    client: Client,
    table: String,
}

fn decode<T: DeserializeOwned>(row: table::Row) -> PortResult<T> {
    table::decode("creators.decode", row)
}

impl DynamoCreators {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    async fn put<T: Serialize>(&self, pk: String, sk: String, value: &T) -> PortResult<()> {
        let row = table::encode("creators.encode", value, [("pk", s(pk)), ("sk", s(sk))])?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(row))
            .send()
            .await
            .map_err(|e| sdk_error("creators.put", e))?;
        Ok(())
    }

    /// Every row whose sort key starts with `prefix`, across partitions.
    async fn scan<T: DeserializeOwned>(&self, prefix: &str) -> PortResult<Vec<T>> {
        let scan = self
            .client
            .scan()
            .table_name(&self.table)
            .filter_expression("begins_with(sk, :p)")
            .expression_attribute_values(":p", s(prefix))
            .consistent_read(true);
        table::scan_all(scan, "creators.scan")
            .await?
            .into_iter()
            .map(decode)
            .collect()
    }

    /// Rows of one partition whose sort key starts with `prefix`, in sort-key order.
    async fn query<T: DeserializeOwned>(&self, pk: String, prefix: &str) -> PortResult<Vec<T>> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :p)")
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":p", s(prefix))
            .consistent_read(true);
        let mut rows = table::query_all(query, "creators.query").await?;
        // DynamoDB answers in sort-key order; emulators do not always.
        rows.sort_by(|a, b| match (a.get("sk"), b.get("sk")) {
            (Some(AttributeValue::S(x)), Some(AttributeValue::S(y))) => x.cmp(y),
            _ => std::cmp::Ordering::Equal,
        });
        rows.into_iter().map(decode).collect()
    }

    async fn get<T: DeserializeOwned>(&self, pk: String, sk: &str) -> PortResult<Option<T>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(pk))
            .key("sk", s(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("creators.get", e))?;
        out.item.map(decode).transpose()
    }
}

impl CreatorStore for DynamoCreators {
    async fn take_upload(
        &self,
        creator_id: &str,
        day: &str,
        limit: u32,
        expires_at: i64,
    ) -> PortResult<bool> {
        let out = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(format!("CREATOR#{creator_id}")))
            .key("sk", s(format!("UPLOADS#{day}")))
            .update_expression("ADD uploads :one SET expires_at = :exp")
            .condition_expression("attribute_not_exists(uploads) OR uploads < :limit")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":limit", AttributeValue::N(limit.to_string()))
            .expression_attribute_values(":exp", AttributeValue::N(expires_at.to_string()))
            .send()
            .await;
        match out {
            Ok(_) => Ok(true),
            Err(e) if table::condition_failed(&e) => Ok(false),
            Err(e) => Err(sdk_error("creators.uploads", e)),
        }
    }

    async fn creator(&self, id: &str) -> PortResult<Option<Creator>> {
        self.get(format!("CREATOR#{id}"), "PROFILE").await
    }

    async fn put_creator(&self, creator: &Creator) -> PortResult<()> {
        self.put(format!("CREATOR#{}", creator.id), "PROFILE".into(), creator)
            .await
    }

    async fn put_link(&self, link: &Link) -> PortResult<()> {
        // The lookup row first: a link listed for its creator always resolves.
        self.put(format!("LINK#{}", link.id), "LINK".into(), link)
            .await?;
        self.put(
            format!("CREATOR#{}", link.creator_id),
            format!("LINK#{:020}#{}", link.created_at.max(0), link.id),
            link,
        )
        .await
    }

    async fn link(&self, id: &str) -> PortResult<Option<Link>> {
        self.get(format!("LINK#{id}"), "LINK").await
    }

    async fn links(&self, creator_id: &str) -> PortResult<Vec<Link>> {
        self.query(format!("CREATOR#{creator_id}"), "LINK#").await
    }

    async fn creators(&self) -> PortResult<Vec<Creator>> {
        let mut v: Vec<Creator> = self.scan("PROFILE").await?;
        v.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(v)
    }

    async fn put_product_request(
        &self,
        request: &ProductRequest,
        expected: Option<RequestStatus>,
    ) -> PortResult<bool> {
        let row = table::encode(
            "creators.encode",
            request,
            [
                ("pk", s(format!("CREATOR#{}", request.creator_id))),
                ("sk", s(format!("PREQ#{}", request.id))),
                ("status", s(request.status.as_str())),
            ],
        )?;
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(row));
        let put = match expected {
            None => put.condition_expression("attribute_not_exists(pk)"),
            Some(st) => put
                .condition_expression("#st = :expected")
                .expression_attribute_names("#st", "status")
                .expression_attribute_values(":expected", s(st.as_str())),
        };
        match put.send().await {
            Ok(_) => Ok(true),
            Err(e) if table::condition_failed(&e) => Ok(false),
            Err(e) => Err(sdk_error("creators.put_request", e)),
        }
    }

    async fn product_request(
        &self,
        creator_id: &str,
        id: &str,
    ) -> PortResult<Option<ProductRequest>> {
        self.get(format!("CREATOR#{creator_id}"), &format!("PREQ#{id}"))
            .await
    }

    async fn product_requests(&self, creator_id: Option<&str>) -> PortResult<Vec<ProductRequest>> {
        let mut v: Vec<ProductRequest> = match creator_id {
            Some(c) => self.query(format!("CREATOR#{c}"), "PREQ#").await?,
            None => self.scan("PREQ#").await?,
        };
        v.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(v)
    }
}
