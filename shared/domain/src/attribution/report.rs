//! Reports over the daily aggregates: the funnel by one dimension, as rows or CSV.

use super::{AggRow, Counters};
use serde::Serialize;
use std::collections::BTreeMap;

/// Group keys of the funnel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Content,
    Creator,
    Platform,
    Placement,
    Campaign,
    Day,
}

impl By {
    pub fn parse(s: &str) -> Option<By> {
        Some(match s {
            "content" => By::Content,
            "creator" => By::Creator,
            "platform" => By::Platform,
            "placement" => By::Placement,
            "campaign" => By::Campaign,
            "day" => By::Day,
            _ => return None,
        })
    }

    fn key(self, r: &AggRow) -> String {
        match self {
            By::Content => r.key.ugc_id.clone(),
            By::Creator => r.creator_id.clone().unwrap_or_default(),
            By::Platform => r.platform.clone().unwrap_or_default(),
            By::Placement => r.key.placement.clone(),
            By::Campaign => r.key.campaign.clone(),
            By::Day => r.key.day.clone(),
        }
    }
}

/// One funnel row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunnelRow {
    pub key: String,
    pub impressions: i64,
    pub views: i64,
    pub product_clicks: i64,
    pub add_to_carts: i64,
    pub orders: f64,
    pub revenue: String,
    /// views / impressions, clicks / views, adds / clicks, orders / adds.
    pub view_rate: Option<f64>,
    pub click_rate: Option<f64>,
    pub cart_rate: Option<f64>,
    pub purchase_rate: Option<f64>,
    /// orders / views.
    pub conversion_rate: Option<f64>,
}

fn rate(num: f64, den: i64) -> Option<f64> {
    (den > 0).then(|| ((num / den as f64) * 10_000.0).round() / 10_000.0)
}

/// Sum aggregates into funnel rows by `by`, largest revenue first.
pub fn funnel(rows: &[AggRow], by: By) -> Vec<FunnelRow> {
    let mut groups: BTreeMap<String, Counters> = BTreeMap::new();
    for r in rows {
        groups.entry(by.key(r)).or_default().add(&r.counters);
    }
    let mut out: Vec<FunnelRow> = groups
        .into_iter()
        .map(|(key, c)| {
            let orders = c.orders_milli as f64 / 1000.0;
            FunnelRow {
                key,
                impressions: c.impressions,
                views: c.views,
                product_clicks: c.clicks,
                add_to_carts: c.add_to_carts,
                orders,
                revenue: format!(
                    "{}{}.{:02}",
                    if c.revenue_cents < 0 { "-" } else { "" },
                    c.revenue_cents.abs() / 100,
                    c.revenue_cents.abs() % 100
                ),
                view_rate: rate(c.views as f64, c.impressions),
                click_rate: rate(c.clicks as f64, c.views),
                cart_rate: rate(c.add_to_carts as f64, c.clicks),
                purchase_rate: rate(orders, c.add_to_carts),
                conversion_rate: rate(orders, c.views),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        let rev = |r: &FunnelRow| r.revenue.parse::<f64>().unwrap_or(0.0);
        rev(b)
            .total_cmp(&rev(a))
            .then_with(|| b.views.cmp(&a.views))
            .then_with(|| a.key.cmp(&b.key))
    });
    out
}

/// The funnel as CSV (RFC 4180 quoting).
pub fn funnel_csv(by: &str, rows: &[FunnelRow]) -> String {
    let q = |s: &str| {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let f = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    let mut out = format!(
        "{by},impressions,views,product_clicks,add_to_carts,orders,revenue,view_rate,click_rate,cart_rate,purchase_rate,conversion_rate\r\n"
    );
    for r in rows {
        out.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{}\r\n",
            q(&r.key),
            r.impressions,
            r.views,
            r.product_clicks,
            r.add_to_carts,
            r.orders,
            r.revenue,
            f(r.view_rate),
            f(r.click_rate),
            f(r.cart_rate),
            f(r.purchase_rate),
            f(r.conversion_rate)
        ));
    }
    out
}
