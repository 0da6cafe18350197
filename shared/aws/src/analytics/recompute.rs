//! `reelcart-recompute`: every aggregate and payout of a period, recomputed from the raw events
//! bucket (the events as counted) and the order ledgers, compared with what the collector added
//! online, and — with `write` — the aggregates that differ set to the recomputed values (each
//! content's all-time totals moved by the same difference).

use super::DynamoAnalytics;
use super::rows::{Item, agg_sk, n, s};
use crate::sdk_error;
use aws_sdk_dynamodb::types::AttributeValue;
use reelcart_domain::attribution::recompute::{self, per_creator};
use reelcart_domain::attribution::{AggKey, AggRow, Counters, Event, Ledger, day_of};
use reelcart_ports::{AnalyticsStore, PortError, PortResult};
use std::collections::{BTreeMap, BTreeSet};

/// An aggregate whose online value is not the recomputed one.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Difference {
    pub key: AggKey,
    pub online: Counters,
    pub recomputed: Counters,
}

/// What a recomputation found (and did).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Recomputation {
    pub days: Vec<String>,
    pub raw_files: usize,
    pub events: usize,
    pub ledgers: usize,
    pub aggregates: usize,
    pub differences: Vec<Difference>,
    /// (creator, currency) whose ledger entries do not sum to the ledgers' net credits:
    /// `[orders, revenue, cost, uncosted]` online and recomputed.
    pub payout_differences: Vec<(String, String, [i64; 4], [i64; 4])>,
    /// Aggregates set to the recomputed values.
    pub written: usize,
}

impl DynamoAnalytics {
    /// The order ids whose ledger booked entries on `day`.
    async fn orders_of(&self, day: &str) -> PortResult<BTreeSet<String>> {
        Ok(self
            .partition(&format!("CREDITS#{day}"), "analytics.credits")
            .await?
            .iter()
            .filter_map(|item| match item.get("sk") {
                Some(AttributeValue::S(sk)) => sk.rsplit_once('#').map(|(o, _)| o.to_string()),
                _ => None,
            })
            .collect())
    }

    /// Set the aggregate of `row.key` to `row` (absolute values, not added).
    async fn set_aggregate(&self, row: &AggRow) -> PortResult<()> {
        let k = &row.key;
        let mut item: Item = Item::from([
            ("pk".to_string(), s(format!("AGG#{}", k.day))),
            ("sk".to_string(), s(agg_sk(k))),
            ("ugc_id".to_string(), s(k.ugc_id.clone())),
            ("placement".to_string(), s(k.placement.clone())),
            ("campaign".to_string(), s(k.campaign.clone())),
            ("day".to_string(), s(k.day.clone())),
        ]);
        for (attr, v) in [
            ("creator_id", &row.creator_id),
            ("platform", &row.platform),
            (
                "currency",
                &Some(k.currency.clone()).filter(|c| !c.is_empty()),
            ),
        ] {
            if let Some(v) = v {
                item.insert(attr.to_string(), s(v.clone()));
            }
        }
        for (name, v) in super::rows::COUNTERS
            .iter()
            .zip(super::rows::values(&row.counters))
        {
            item.insert(name.to_string(), n(v));
        }
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(|e| sdk_error("analytics.recompute", e))?;
        Ok(())
    }

    /// Recompute the aggregates and payout entries of `days` from the raw events under
    /// `events/{day}/` of `bucket` (the days around them too: an event's time may fall on the
    /// next or previous day) and the ledgers of the orders of `days`; with `write`, set the
    /// aggregates that differ.
    pub async fn recompute(
        &self,
        s3: &aws_sdk_s3::Client,
        bucket: &str,
        days: &[String],
        write: bool,
    ) -> PortResult<Recomputation> {
        let mut out = Recomputation {
            days: days.to_vec(),
            ..Recomputation::default()
        };
        let wanted: BTreeSet<&str> = days.iter().map(String::as_str).collect();
        let mut around: BTreeSet<String> = BTreeSet::new();
        for d in days {
            let t = reelcart_domain::attribution::orders::rfc3339(&format!("{d}T12:00:00Z"))
                .ok_or_else(|| PortError::invalid("analytics.recompute", format!("day {d}")))?;
            for shift in [-86_400, 0, 86_400] {
                around.insert(day_of(t + shift));
            }
        }
        let mut events: Vec<Event> = Vec::new();
        for day in &around {
            let mut pages = s3
                .list_objects_v2()
                .bucket(bucket)
                .prefix(format!("events/{day}/"))
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| sdk_error("analytics.recompute.list", e))?;
                for obj in page.contents() {
                    let Some(key) = obj.key() else { continue };
                    let body = s3
                        .get_object()
                        .bucket(bucket)
                        .key(key)
                        .send()
                        .await
                        .map_err(|e| sdk_error("analytics.recompute.get", e))?
                        .body
                        .collect()
                        .await
                        .map_err(|e| PortError::unavailable("analytics.recompute.get", e))?
                        .into_bytes();
                    out.raw_files += 1;
                    for line in body.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                        let e: Event = serde_json::from_slice(line)
                            .map_err(|e| PortError::invalid("analytics.recompute.parse", e))?;
                        if wanted.contains(day_of(e.at).as_str()) {
                            events.push(e);
                        }
                    }
                }
            }
        }
        out.events = events.len();
        let mut ledgers: Vec<Ledger> = Vec::new();
        for day in days {
            for order in self.orders_of(day).await? {
                if let Some((ledger, _)) = self.ledger(&order).await? {
                    ledgers.push(ledger);
                }
            }
        }
        out.ledgers = ledgers.len();
        let recomputed = recompute::aggregates(&events, &ledgers);
        out.aggregates = recomputed.len();
        let mut online: BTreeMap<AggKey, AggRow> = BTreeMap::new();
        for row in self.aggregates(days).await? {
            online
                .entry(row.key.clone())
                .and_modify(|r| r.counters.add(&row.counters))
                .or_insert(row);
        }
        let keys: BTreeSet<&AggKey> = recomputed.keys().chain(online.keys()).collect();
        for key in keys {
            let o = online.get(key).map(|r| r.counters).unwrap_or_default();
            let r = recomputed.get(key).map(|r| r.counters).unwrap_or_default();
            if o != r {
                out.differences.push(Difference {
                    key: key.clone(),
                    online: o,
                    recomputed: r,
                });
            }
        }
        let mut online_pay = per_creator(&self.credit_entries(days).await?);
        online_pay.retain(|_, v| *v != [0; 4]);
        let mut recomputed_pay = per_creator(&recompute::entries(&ledgers));
        recomputed_pay.retain(|_, v| *v != [0; 4]);
        for k in online_pay
            .keys()
            .chain(recomputed_pay.keys())
            .collect::<BTreeSet<_>>()
        {
            let (a, b) = (
                online_pay.get(k).copied().unwrap_or_default(),
                recomputed_pay.get(k).copied().unwrap_or_default(),
            );
            if a != b {
                out.payout_differences
                    .push((k.0.clone(), k.1.clone(), a, b));
            }
        }
        if write {
            for d in &out.differences {
                let row = recomputed.get(&d.key).cloned().unwrap_or_else(|| AggRow {
                    key: d.key.clone(),
                    creator_id: online.get(&d.key).and_then(|r| r.creator_id.clone()),
                    platform: online.get(&d.key).and_then(|r| r.platform.clone()),
                    counters: Counters::default(),
                });
                self.set_aggregate(&row).await?;
                if !d.key.ugc_id.is_empty() {
                    let (k, p) = Self::total_update(&d.key.ugc_id, &d.recomputed.minus(&d.online));
                    self.update(k, p).await?;
                }
                out.written += 1;
            }
        }
        Ok(out)
    }
}
