//! The analytics table's rows: attribute values, counters, sort keys and update expressions.

use aws_sdk_dynamodb::types::AttributeValue;
use reelcart_domain::attribution::{AggDelta, AggKey, Counters, CreditEntry};
use std::collections::{BTreeMap, HashMap};

pub(super) type Item = HashMap<String, AttributeValue>;

pub(super) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(super) fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(super) const COUNTERS: [&str; 8] = [
    "impressions",
    "views",
    "clicks",
    "add_to_carts",
    "orders_milli",
    "revenue_cents",
    "cost_cents",
    "uncosted_cents",
];

pub(super) fn values(c: &Counters) -> [i64; 8] {
    [
        c.impressions,
        c.views,
        c.clicks,
        c.add_to_carts,
        c.orders_milli,
        c.revenue_cents,
        c.cost_cents,
        c.uncosted_cents,
    ]
}

pub(super) fn counters_of(item: &Item) -> Counters {
    let get = |k: &str| match item.get(k) {
        Some(AttributeValue::N(v)) => v.parse::<i64>().unwrap_or(0),
        _ => 0,
    };
    Counters {
        impressions: get("impressions"),
        views: get("views"),
        clicks: get("clicks"),
        add_to_carts: get("add_to_carts"),
        orders_milli: get("orders_milli"),
        revenue_cents: get("revenue_cents"),
        cost_cents: get("cost_cents"),
        uncosted_cents: get("uncosted_cents"),
    }
}

pub(super) fn text(item: &Item, k: &str) -> Option<String> {
    match item.get(k) {
        Some(AttributeValue::S(v)) => Some(v.clone()),
        _ => None,
    }
}

/// The creators' entries of one ledger write on one day (`CREDITS#{day}`, `{order}#{version}`).
#[derive(serde::Serialize)]
pub(super) struct EntriesRow<'a> {
    pub(super) entries: Vec<&'a CreditEntry>,
}

#[derive(serde::Deserialize)]
pub(super) struct OwnedEntriesRow {
    pub(super) entries: Vec<CreditEntry>,
}

/// The row of a key: `{ugc}#{placement}#{campaign}#{creator}`, and `#{currency}` for an order's
/// row (rows of beacons have no currency). Rows written before the creator was part of the key end
/// at the campaign; they are still read (the creator then comes from the row's attribute).
pub(super) fn agg_sk(k: &AggKey) -> String {
    let mut sk = format!("{}#{}#{}#{}", k.ugc_id, k.placement, k.campaign, k.creator);
    if !k.currency.is_empty() {
        sk.push('#');
        sk.push_str(&k.currency);
    }
    sk
}

/// An `UpdateItem`'s parts: expression, names, values.
pub(super) struct UpdateParts {
    pub(super) expression: String,
    pub(super) names: HashMap<String, String>,
    pub(super) values: Item,
}

/// `ADD` the counters (non-zero ones), and `SET` the row's descriptive attributes.
pub(super) fn counter_update(c: &Counters, set: &[(&str, Option<&str>)]) -> UpdateParts {
    let mut names = HashMap::new();
    let mut vals = Item::new();
    let mut sets = Vec::new();
    for (i, (attr, v)) in set.iter().enumerate() {
        if let Some(v) = v {
            names.insert(format!("#s{i}"), attr.to_string());
            vals.insert(format!(":s{i}"), s(*v));
            sets.push(format!("#s{i} = if_not_exists(#s{i}, :s{i})"));
        }
    }
    let mut adds = Vec::new();
    for (i, (name, v)) in COUNTERS.iter().zip(values(c)).enumerate() {
        // Every counter is added (zero too) so a row always has all of them.
        names.insert(format!("#c{i}"), name.to_string());
        vals.insert(format!(":c{i}"), n(v));
        adds.push(format!("#c{i} :c{i}"));
    }
    let mut expression = format!("ADD {}", adds.join(", "));
    if !sets.is_empty() {
        expression = format!("SET {} {expression}", sets.join(", "));
    }
    UpdateParts {
        expression,
        names,
        values: vals,
    }
}

/// Deltas of one key summed (a transaction may not touch an item twice).
pub(super) fn merged(deltas: &[AggDelta]) -> Vec<AggDelta> {
    let mut by: BTreeMap<AggKey, AggDelta> = BTreeMap::new();
    for d in deltas {
        by.entry(d.key.clone())
            .and_modify(|m| m.counters.add(&d.counters))
            .or_insert_with(|| d.clone());
    }
    by.into_values().collect()
}

/// The per-content totals of deltas (content credited by code alone has no id: no total).
pub(super) fn totals_of(deltas: &[AggDelta]) -> BTreeMap<String, Counters> {
    let mut out: BTreeMap<String, Counters> = BTreeMap::new();
    for d in deltas.iter().filter(|d| !d.key.ugc_id.is_empty()) {
        out.entry(d.key.ugc_id.clone())
            .or_default()
            .add(&d.counters);
    }
    out
}
