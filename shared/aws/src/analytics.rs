//! Storefront measurement in the analytics table (`pk` hash, `sk` range, TTL on `expires_at`):
//!
//! | pk | sk | attributes |
//! |---|---|---|
//! | `SESSION#{session}` | `SESSION` | `seen` (string set of event ids), `touches` (list of JSON touches), `expires_at` |
//! | `AGG#{day}` | `{ugc}#{placement}#{campaign}#{creator}[#{currency}]` | `ugc_id`, `placement`, `campaign`, `day`, `creator_id`, `platform`, `currency` (orders' rows), counters |
//! | `UGC#{ugc}` | `TOTAL` | counters (all days) |
//! | `ORDER#{order id}` | `LEDGER` | the ledger's attributes, `version` |
//! | `CREDITS#{day}` | `{order id}#{version}` | `entries`: each creator's orders, revenue and cost per line of that write of the ledger, in the order's currency (negative for a refund) |
//! | `CODES` | `{CODE}` | the code's attributes (creator, campaign, percent) |
//!
//! A session's update is one `UpdateItem` (`ADD seen`, `UPDATED_OLD`): which ids were new is
//! decided atomically. Counters are `ADD`ed, one write per aggregate key. An order's ledger, its
//! creators' entries and its counters go in one transaction, conditional on the ledger's version.

use crate::sdk_error;
use crate::table;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeValue, KeysAndAttributes, Put, ReturnValue, TransactWriteItem, Update,
};
use futures::StreamExt;
use reelcart_domain::attribution::{
    AggDelta, AggKey, Counters, CreatorCode, Credit, CreditEntry, Ledger, Touch,
};
use reelcart_ports::{
    AggRow, AnalyticsStore, PortError, PortResult, SESSION_MAX_EVENTS, SESSION_MAX_TOUCHES,
};
use std::collections::{BTreeMap, HashMap, HashSet};

#[derive(Debug, Clone)]
pub struct DynamoAnalytics {
    client: Client,
    table: String,
}

mod rows;
use rows::*;

mod recompute;
pub use recompute::{Difference, Recomputation};

impl DynamoAnalytics {
    async fn partition_of_day(&self, day: &str) -> PortResult<Vec<Item>> {
        self.partition(&format!("AGG#{day}"), "analytics.aggregates")
            .await
    }

    /// Write a code; `only_new`: unless it exists (`false` then).
    async fn code_put(&self, code: &CreatorCode, only_new: bool) -> PortResult<bool> {
        let row = table::encode(
            "analytics.encode",
            code,
            [("pk", s("CODES")), ("sk", s(code.code.to_uppercase()))],
        )?;
        let mut put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(row));
        if only_new {
            put = put.condition_expression("attribute_not_exists(sk)");
        }
        match put.send().await {
            Ok(_) => Ok(true),
            Err(e) if table::condition_failed(&e) => Ok(false),
            Err(e) => Err(sdk_error("analytics.codes", e)),
        }
    }

    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    fn agg_update(&self, d: &AggDelta) -> (Item, UpdateParts) {
        let key = Item::from([
            ("pk".to_string(), s(format!("AGG#{}", d.key.day))),
            ("sk".to_string(), s(agg_sk(&d.key))),
        ]);
        let parts = counter_update(
            &d.counters,
            &[
                ("ugc_id", Some(&d.key.ugc_id)),
                ("placement", Some(&d.key.placement)),
                ("campaign", Some(&d.key.campaign)),
                ("day", Some(&d.key.day)),
                ("creator_id", d.creator_id.as_deref()),
                ("platform", d.platform.as_deref()),
                (
                    "currency",
                    Some(d.key.currency.as_str()).filter(|c| !c.is_empty()),
                ),
            ],
        );
        (key, parts)
    }

    fn total_update(ugc: &str, c: &Counters) -> (Item, UpdateParts) {
        let key = Item::from([
            ("pk".to_string(), s(format!("UGC#{ugc}"))),
            ("sk".to_string(), s("TOTAL")),
        ]);
        (key, counter_update(c, &[]))
    }

    /// Every row of partition `pk`, a page at a time.
    async fn partition(&self, pk: &str, operation: &'static str) -> PortResult<Vec<Item>> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(pk));
        table::query_all(query, operation).await
    }

    async fn update(&self, key: Item, p: UpdateParts) -> PortResult<()> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression(p.expression)
            .set_expression_attribute_names(Some(p.names))
            .set_expression_attribute_values(Some(p.values))
            .send()
            .await
            .map_err(|e| sdk_error("analytics.add", e))?;
        Ok(())
    }

    fn transact_update(&self, key: Item, p: UpdateParts) -> PortResult<TransactWriteItem> {
        let u = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression(p.expression)
            .set_expression_attribute_names(Some(p.names))
            .set_expression_attribute_values(Some(p.values))
            .build()
            .map_err(|e| PortError::invalid("analytics.order", e))?;
        Ok(TransactWriteItem::builder().update(u).build())
    }
}

impl AnalyticsStore for DynamoAnalytics {
    async fn record_session(
        &self,
        session: &str,
        event_ids: &[String],
        touches: &[Touch],
        expires_at: i64,
    ) -> PortResult<Vec<String>> {
        if event_ids.is_empty() && touches.is_empty() {
            return Ok(Vec::new());
        }
        let encoded: Vec<AttributeValue> = touches
            .iter()
            .map(|t| serde_json::to_string(t).map(s))
            .collect::<Result<_, _>>()
            .map_err(|e| PortError::invalid("analytics.encode", e))?;
        let mut expression =
            "SET touches = list_append(if_not_exists(touches, :empty), :t), expires_at = :exp"
                .to_string();
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(format!("SESSION#{session}")))
            .key("sk", s("SESSION"))
            .expression_attribute_values(":empty", AttributeValue::L(Vec::new()))
            .expression_attribute_values(":t", AttributeValue::L(encoded))
            .expression_attribute_values(":exp", n(expires_at))
            .condition_expression(
                "(attribute_not_exists(seen) OR size(seen) <= :max_seen) AND \
                 (attribute_not_exists(touches) OR size(touches) <= :max_touches)",
            )
            .expression_attribute_values(":max_seen", n(SESSION_MAX_EVENTS as i64))
            .expression_attribute_values(":max_touches", n(SESSION_MAX_TOUCHES as i64))
            .return_values(ReturnValue::UpdatedOld);
        if !event_ids.is_empty() {
            expression.push_str(" ADD seen :ids");
            req = req.expression_attribute_values(":ids", AttributeValue::Ss(event_ids.to_vec()));
        }
        let out = match req.update_expression(expression).send().await {
            Ok(out) => out,
            Err(e) if table::condition_failed(&e) => {
                tracing::warn!(
                    events = event_ids.len(),
                    "a session over its limits: its events are not counted"
                );
                return Ok(Vec::new());
            }
            Err(e) => return Err(sdk_error("analytics.session", e)),
        };
        let old: HashSet<String> = match out.attributes.as_ref().and_then(|a| a.get("seen")) {
            Some(AttributeValue::Ss(v)) => v.iter().cloned().collect(),
            _ => HashSet::new(),
        };
        let mut fresh = Vec::new();
        for id in event_ids {
            if !old.contains(id) && !fresh.contains(id) {
                fresh.push(id.clone());
            }
        }
        Ok(fresh)
    }

    async fn forget_events(&self, session: &str, event_ids: &[String]) -> PortResult<()> {
        if event_ids.is_empty() {
            return Ok(());
        }
        self.client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(format!("SESSION#{session}")))
            .key("sk", s("SESSION"))
            .update_expression("DELETE seen :ids")
            .expression_attribute_values(":ids", AttributeValue::Ss(event_ids.to_vec()))
            .send()
            .await
            .map_err(|e| sdk_error("analytics.forget", e))?;
        Ok(())
    }

    async fn touches(&self, session: &str, now: i64) -> PortResult<Vec<Touch>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(format!("SESSION#{session}")))
            .key("sk", s("SESSION"))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("analytics.touches", e))?;
        let Some(item) = out.item else {
            return Ok(Vec::new());
        };
        // TTL deletion lags: an expired session is absent whether or not it was removed yet.
        let expires = match item.get("expires_at") {
            Some(AttributeValue::N(v)) => v.parse::<i64>().unwrap_or(0),
            _ => 0,
        };
        if expires <= now {
            return Ok(Vec::new());
        }
        let mut touches = Vec::new();
        if let Some(AttributeValue::L(list)) = item.get("touches") {
            for v in list {
                if let AttributeValue::S(json) = v {
                    touches.push(
                        serde_json::from_str::<Touch>(json)
                            .map_err(|e| PortError::invalid("analytics.decode", e))?,
                    );
                }
            }
        }
        touches.sort_by_key(|t| t.at);
        Ok(touches)
    }

    async fn add(&self, deltas: &[AggDelta]) -> PortResult<()> {
        let deltas = merged(deltas);
        let mut updates: Vec<(Item, UpdateParts)> =
            deltas.iter().map(|d| self.agg_update(d)).collect();
        updates.extend(
            totals_of(&deltas)
                .iter()
                .map(|(ugc, c)| Self::total_update(ugc, c)),
        );
        let results: Vec<PortResult<()>> = futures::stream::iter(updates)
            .map(|(k, p)| self.update(k, p))
            .buffer_unordered(16)
            .collect()
            .await;
        results.into_iter().collect()
    }

    async fn add_each(&self, deltas: &[AggDelta]) -> Vec<(AggKey, PortError)> {
        // One transaction per key: its aggregate row and its content's total, together.
        let writes = merged(deltas).into_iter().map(|d| async move {
            let (agg_key, agg) = self.agg_update(&d);
            let (total_key, total) = Self::total_update(&d.key.ugc_id, &d.counters);
            let items = self
                .transact_update(agg_key, agg)
                .and_then(|a| Ok(vec![a, self.transact_update(total_key, total)?]));
            let result = match items {
                Ok(items) => self
                    .client
                    .transact_write_items()
                    .set_transact_items(Some(items))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| sdk_error("analytics.add", e)),
                Err(e) => Err(e),
            };
            result.err().map(|e| (d.key, e))
        });
        futures::stream::iter(writes)
            .buffer_unordered(16)
            .filter_map(|failed| async move { failed })
            .collect()
            .await
    }

    async fn aggregates(&self, days: &[String]) -> PortResult<Vec<AggRow>> {
        use futures::{StreamExt, TryStreamExt};
        // One partition per day, eight days at a time (a year's report is 366 queries).
        let mut reads = Vec::with_capacity(days.len());
        for day in days {
            reads.push(self.partition_of_day(day));
        }
        let partitions: Vec<Vec<Item>> = futures::stream::iter(reads)
            .buffered(8)
            .try_collect()
            .await?;
        let mut out = Vec::new();
        for (day, items) in days.iter().zip(partitions) {
            for item in items {
                out.push(AggRow {
                    key: AggKey {
                        day: text(&item, "day").unwrap_or_else(|| day.clone()),
                        ugc_id: text(&item, "ugc_id").unwrap_or_default(),
                        placement: text(&item, "placement").unwrap_or_default(),
                        campaign: text(&item, "campaign").unwrap_or_default(),
                        creator: text(&item, "creator_id").unwrap_or_default(),
                        currency: text(&item, "currency").unwrap_or_default(),
                    },
                    creator_id: text(&item, "creator_id"),
                    platform: text(&item, "platform"),
                    counters: counters_of(&item),
                });
            }
        }
        Ok(out)
    }

    async fn totals(&self, ugc_ids: &[String]) -> PortResult<HashMap<String, Counters>> {
        let mut out = HashMap::new();
        let unique: Vec<&String> = ugc_ids.iter().collect::<HashSet<_>>().into_iter().collect();
        for chunk in unique.chunks(100) {
            let keys: Vec<Item> = chunk
                .iter()
                .map(|id| {
                    Item::from([
                        ("pk".to_string(), s(format!("UGC#{id}"))),
                        ("sk".to_string(), s("TOTAL")),
                    ])
                })
                .collect();
            let mut pending = Some(
                KeysAndAttributes::builder()
                    .set_keys(Some(keys))
                    .build()
                    .map_err(|e| PortError::invalid("analytics.totals", e))?,
            );
            let mut attempts = 0;
            while let Some(req) = pending.take() {
                attempts += 1;
                let got = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, req)
                    .send()
                    .await
                    .map_err(|e| sdk_error("analytics.totals", e))?;
                for item in got
                    .responses
                    .and_then(|mut r| r.remove(&self.table))
                    .unwrap_or_default()
                {
                    if let Some(id) =
                        text(&item, "pk").and_then(|p| p.strip_prefix("UGC#").map(str::to_string))
                    {
                        out.insert(id, counters_of(&item));
                    }
                }
                pending = got
                    .unprocessed_keys
                    .and_then(|mut u| u.remove(&self.table))
                    .filter(|k| !k.keys.is_empty());
                if pending.is_some() {
                    if attempts >= 8 {
                        return Err(PortError::throttled(
                            "analytics.totals",
                            "keys left unprocessed",
                        ));
                    }
                    tokio::time::sleep(crate::UNPROCESSED_RETRY.delay(attempts, rand::random()))
                        .await;
                }
            }
        }
        Ok(out)
    }

    async fn ledger(&self, order_id: &str) -> PortResult<Option<(Ledger, u64)>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key("pk", s(format!("ORDER#{order_id}")))
            .key("sk", s("LEDGER"))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("analytics.ledger", e))?;
        let Some(item) = out.item else {
            return Ok(None);
        };
        let version = match item.get("version") {
            Some(AttributeValue::N(v)) => v.parse().unwrap_or(0),
            _ => 0,
        };
        let ledger: Ledger = table::decode("analytics.decode", item)?;
        Ok(Some((ledger, version)))
    }

    async fn apply_order(
        &self,
        ledger: &Ledger,
        version: u64,
        credits: &[Credit],
    ) -> PortResult<bool> {
        let row = table::encode(
            "analytics.encode",
            ledger,
            [
                ("pk", s(format!("ORDER#{}", ledger.order.id))),
                ("sk", s("LEDGER")),
                ("version", n(version as i64 + 1)),
            ],
        )?;
        let mut put = Put::builder().table_name(&self.table).set_item(Some(row));
        put = if version == 0 {
            put.condition_expression("attribute_not_exists(pk)")
        } else {
            put.condition_expression("version = :v")
                .expression_attribute_values(":v", n(version as i64))
        };
        let mut items = vec![
            TransactWriteItem::builder()
                .put(
                    put.build()
                        .map_err(|e| PortError::invalid("analytics.order", e))?,
                )
                .build(),
        ];
        // The creators' ledger entries of this write, one item per day (payouts read these).
        let entries = reelcart_domain::attribution::credit_entries(&ledger.order, credits);
        let mut days: BTreeMap<&str, Vec<&CreditEntry>> = BTreeMap::new();
        for e in &entries {
            days.entry(e.day.as_str()).or_default().push(e);
        }
        for (day, of_day) in days {
            let row = table::encode(
                "analytics.encode",
                &EntriesRow { entries: of_day },
                [
                    ("pk", s(format!("CREDITS#{day}"))),
                    ("sk", s(format!("{}#{}", ledger.order.id, version + 1))),
                ],
            )?;
            items.push(
                TransactWriteItem::builder()
                    .put(
                        Put::builder()
                            .table_name(&self.table)
                            .set_item(Some(row))
                            .build()
                            .map_err(|e| PortError::invalid("analytics.order", e))?,
                    )
                    .build(),
            );
        }
        let deltas = merged(&reelcart_domain::attribution::deltas_of(
            &ledger.order,
            credits,
        ));
        for d in &deltas {
            let (k, p) = self.agg_update(d);
            items.push(self.transact_update(k, p)?);
        }
        for (ugc, c) in totals_of(&deltas) {
            let (k, p) = Self::total_update(&ugc, &c);
            items.push(self.transact_update(k, p)?);
        }
        if items.len() > 100 {
            return Err(PortError::invalid(
                "analytics.order",
                "an order touching more than 99 aggregates",
            ));
        }
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(e) if table::transaction_condition_failed(&e) => Ok(false),
            Err(e) => Err(sdk_error("analytics.order", e)),
        }
    }

    async fn credit_entries(&self, days: &[String]) -> PortResult<Vec<CreditEntry>> {
        let mut out = Vec::new();
        for day in days {
            for item in self
                .partition(&format!("CREDITS#{day}"), "analytics.credits")
                .await?
            {
                let row: OwnedEntriesRow = table::decode("analytics.credits", item)?;
                out.extend(row.entries);
            }
        }
        Ok(out)
    }

    async fn creator_codes(&self) -> PortResult<Vec<CreatorCode>> {
        self.partition("CODES", "analytics.codes")
            .await?
            .into_iter()
            .map(|item| table::decode("analytics.decode", item))
            .collect()
    }

    async fn put_creator_code(&self, code: &CreatorCode) -> PortResult<()> {
        self.code_put(code, false).await.map(|_| ())
    }

    async fn insert_creator_code(&self, code: &CreatorCode) -> PortResult<bool> {
        self.code_put(code, true).await
    }

    async fn delete_creator_code(&self, code: &str) -> PortResult<()> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s("CODES"))
            .key("sk", s(code.to_uppercase()))
            .send()
            .await
            .map_err(|e| sdk_error("analytics.codes.delete", e))?;
        Ok(())
    }
}
