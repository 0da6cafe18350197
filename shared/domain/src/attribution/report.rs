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
    /// The attributed revenue as an exact decimal amount (`12.05`) in [`FunnelRow::currency`];
    /// `null` when the row's orders were in several currencies (see `by_currency`).
    pub revenue: Option<String>,
    /// Revenue less the credited lines' unit costs, over the lines whose cost is known…
    pub margin: Option<String>,
    /// …and the revenue of lines whose cost is not known (no margin).
    pub uncosted_revenue: Option<String>,
    /// The currency of `revenue` and `margin` (`null`: none, or several).
    pub currency: Option<String>,
    /// Revenue, margin and uncosted revenue per currency: amounts are never summed across
    /// currencies.
    pub by_currency: BTreeMap<String, Amounts>,
    /// Revenue in hundredths summed over currencies, which orders the rows (not reported).
    #[serde(skip)]
    pub revenue_cents: i64,
    /// views / impressions, clicks / views, adds / clicks, orders / adds.
    pub view_rate: Option<f64>,
    pub click_rate: Option<f64>,
    pub cart_rate: Option<f64>,
    pub purchase_rate: Option<f64>,
    /// orders / views.
    pub conversion_rate: Option<f64>,
}

/// The money of a row in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Amounts {
    pub revenue: String,
    pub margin: String,
    pub uncosted_revenue: String,
}

impl Amounts {
    fn of(c: &Counters) -> Self {
        Self {
            revenue: money(c.revenue_cents),
            margin: money(c.margin_cents()),
            uncosted_revenue: money(c.uncosted_cents),
        }
    }
}

fn rate(num: f64, den: i64) -> Option<f64> {
    (den > 0).then(|| ((num / den as f64) * 10_000.0).round() / 10_000.0)
}

/// Sum aggregates into funnel rows by `by`, largest revenue first.
pub fn funnel(rows: &[AggRow], by: By) -> Vec<FunnelRow> {
    let mut groups: BTreeMap<String, (Counters, BTreeMap<String, Counters>)> = BTreeMap::new();
    for r in rows {
        let g = groups.entry(by.key(r)).or_default();
        g.0.add(&r.counters);
        let money = &r.counters;
        if money.revenue_cents != 0 || money.cost_cents != 0 || !r.key.currency.is_empty() {
            g.1.entry(r.key.currency.clone()).or_default().add(money);
        }
    }
    let mut out: Vec<FunnelRow> = groups
        .into_iter()
        .map(|(key, (c, currencies))| {
            let orders = c.orders_milli as f64 / 1000.0;
            let single = match currencies.len() {
                0 => Some((None, Counters::default())),
                1 => currencies
                    .iter()
                    .next()
                    .map(|(k, v)| ((!k.is_empty()).then(|| k.clone()), *v)),
                _ => None,
            };
            FunnelRow {
                key,
                impressions: c.impressions,
                views: c.views,
                product_clicks: c.clicks,
                add_to_carts: c.add_to_carts,
                orders,
                revenue: single.as_ref().map(|(_, m)| money(m.revenue_cents)),
                margin: single.as_ref().map(|(_, m)| money(m.margin_cents())),
                uncosted_revenue: single.as_ref().map(|(_, m)| money(m.uncosted_cents)),
                currency: single.and_then(|(cur, _)| cur),
                by_currency: currencies
                    .iter()
                    .map(|(k, v)| (k.clone(), Amounts::of(v)))
                    .collect(),
                revenue_cents: c.revenue_cents,
                view_rate: rate(c.views as f64, c.impressions),
                click_rate: rate(c.clicks as f64, c.views),
                cart_rate: rate(c.add_to_carts as f64, c.clicks),
                purchase_rate: rate(orders, c.add_to_carts),
                conversion_rate: rate(orders, c.views),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.revenue_cents
            .cmp(&a.revenue_cents)
            .then_with(|| b.views.cmp(&a.views))
            .then_with(|| a.key.cmp(&b.key))
    });
    out
}

/// Cents as a decimal amount (`-12.05`).
pub fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

/// A CSV field defused for spreadsheets: a leading `=`, `+`, `-`, `@`, tab or CR (a formula to
/// Excel or Sheets) gets a `'`. Keys come from beacons and names people type, so any of them may
/// be crafted. Quoting is the writer's ([`csv_table`]).
pub fn csv_field(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    }
}

/// A CSV document (RFC 4180: CRLF, fields quoted when they must be) of `header` and `rows`, each
/// text field defused ([`csv_field`]); amounts and counts are written as they are.
pub fn csv_table<R, F>(header: &[&str], rows: impl IntoIterator<Item = R>) -> String
where
    R: IntoIterator<Item = F>,
    F: Into<CsvCell>,
{
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    // Writing to memory cannot fail; a record of another width can, and is a bug caught by tests.
    let mut ok = w.write_record(header).is_ok();
    for row in rows {
        let cells: Vec<String> = row
            .into_iter()
            .map(|c| match c.into() {
                CsvCell::Text(t) => csv_field(&t),
                CsvCell::Number(n) => n,
            })
            .collect();
        ok &= w.write_record(&cells).is_ok();
    }
    debug_assert!(ok, "every CSV row has the header's width");
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// A CSV cell: text (defused) or a number (as written).
#[derive(Debug, Clone, PartialEq)]
pub enum CsvCell {
    Text(String),
    Number(String),
}

impl From<&str> for CsvCell {
    fn from(s: &str) -> Self {
        CsvCell::Text(s.to_string())
    }
}

impl From<&String> for CsvCell {
    fn from(s: &String) -> Self {
        CsvCell::Text(s.clone())
    }
}

/// A number for a CSV cell.
pub fn num(n: impl std::fmt::Display) -> CsvCell {
    CsvCell::Number(n.to_string())
}

/// The funnel as CSV.
/// An amount of a row in CSV: the amount of its one currency, or each currency's
/// (`12.00 USD; 3.50 EUR`) when several.
fn amounts(r: &FunnelRow, of: impl Fn(&Amounts) -> &String) -> String {
    if r.by_currency.len() <= 1 {
        return r
            .by_currency
            .values()
            .next()
            .map(|a| of(a).clone())
            .unwrap_or_else(|| money(0));
    }
    r.by_currency
        .iter()
        .map(|(cur, a)| format!("{} {cur}", of(a)))
        .collect::<Vec<_>>()
        .join("; ")
}

fn currencies(r: &FunnelRow) -> String {
    r.by_currency
        .keys()
        .filter(|k| !k.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join(";")
}

pub fn funnel_csv(by: &str, rows: &[FunnelRow]) -> String {
    let f = |v: Option<f64>| num(v.map(|x| x.to_string()).unwrap_or_default());
    csv_table(
        &[
            by,
            "impressions",
            "views",
            "product_clicks",
            "add_to_carts",
            "orders",
            "revenue",
            "margin",
            "uncosted_revenue",
            "currency",
            "view_rate",
            "click_rate",
            "cart_rate",
            "purchase_rate",
            "conversion_rate",
        ],
        rows.iter().map(|r| {
            [
                CsvCell::from(&r.key),
                num(r.impressions),
                num(r.views),
                num(r.product_clicks),
                num(r.add_to_carts),
                num(r.orders),
                num(amounts(r, |a| &a.revenue)),
                num(amounts(r, |a| &a.margin)),
                num(amounts(r, |a| &a.uncosted_revenue)),
                CsvCell::from(&currencies(r)),
                f(r.view_rate),
                f(r.click_rate),
                f(r.cart_rate),
                f(r.purchase_rate),
                f(r.conversion_rate),
            ]
        }),
    )
}

/// One day of a creator's series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayPoint {
    pub day: String,
    pub impressions: i64,
    pub views: i64,
    pub clicks: i64,
    pub add_to_carts: i64,
    pub orders: f64,
    pub revenue_cents: i64,
}

/// Every day of `days` (zeros where nothing happened), from `rows`.
pub fn daily(rows: &[AggRow], days: &[String]) -> Vec<DayPoint> {
    let mut by: BTreeMap<&str, Counters> = BTreeMap::new();
    for r in rows {
        by.entry(r.key.day.as_str()).or_default().add(&r.counters);
    }
    days.iter()
        .map(|d| {
            let c = by.get(d.as_str()).copied().unwrap_or_default();
            DayPoint {
                day: d.clone(),
                impressions: c.impressions,
                views: c.views,
                clicks: c.clicks,
                add_to_carts: c.add_to_carts,
                orders: c.orders_milli as f64 / 1000.0,
                revenue_cents: c.revenue_cents,
            }
        })
        .collect()
}

/// A small SVG chart of a series: views as a line, orders as bars, one column per day.
pub fn chart_svg(points: &[DayPoint]) -> String {
    const W: f64 = 600.0;
    const H: f64 = 160.0;
    const PAD: f64 = 20.0;
    let n = points.len().max(1) as f64;
    let step = (W - 2.0 * PAD) / n;
    let max_views = points.iter().map(|p| p.views).max().unwrap_or(0).max(1) as f64;
    let max_orders = points
        .iter()
        .map(|p| p.orders)
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let y = |v: f64, max: f64| H - PAD - (v / max) * (H - 2.0 * PAD);
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"Views (line) and orders (bars), last {} days\">",
        points.len()
    );
    svg.push_str(&format!(
        "<line x1=\"{PAD}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"#ccc\"/>",
        H - PAD,
        W - PAD
    ));
    for (i, p) in points.iter().enumerate() {
        if p.orders > 0.0 {
            let x = PAD + i as f64 * step + step * 0.2;
            let top = y(p.orders, max_orders);
            svg.push_str(&format!(
                "<rect x=\"{x:.1}\" y=\"{top:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"#f4a261\"><title>{}: {} orders</title></rect>",
                step * 0.6,
                H - PAD - top,
                p.day,
                p.orders
            ));
        }
    }
    let line: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                "{:.1},{:.1}",
                PAD + i as f64 * step + step / 2.0,
                y(p.views as f64, max_views)
            )
        })
        .collect();
    svg.push_str(&format!(
        "<polyline fill=\"none\" stroke=\"#264653\" stroke-width=\"2\" points=\"{}\"/>",
        line.join(" ")
    ));
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribution::AggKey;

    fn row(day: &str, views: i64, orders_milli: i64) -> AggRow {
        AggRow {
            key: AggKey {
                day: day.into(),
                ugc_id: "u".into(),
                placement: "pdp".into(),
                campaign: String::new(),
                creator: "cr".into(),
                currency: String::new(),
            },
            creator_id: Some("cr".into()),
            platform: None,
            counters: Counters {
                views,
                orders_milli,
                ..Counters::default()
            },
        }
    }

    #[test]
    fn a_series_has_every_day_and_a_chart() {
        let days: Vec<String> = ["2026-11-24", "2026-11-25", "2026-11-26"]
            .iter()
            .map(|d| d.to_string())
            .collect();
        let pts = daily(
            &[
                row("2026-11-24", 10, 0),
                row("2026-11-26", 4, 1000),
                row("2026-11-26", 6, 0),
            ],
            &days,
        );
        assert_eq!(pts.iter().map(|p| p.views).collect::<Vec<_>>(), [10, 0, 10]);
        assert_eq!(pts[2].orders, 1.0);
        let svg = chart_svg(&pts);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<rect").count(), 1);
        assert!(svg.contains("<polyline"));
        assert!(svg.contains("last 3 days"));
    }
}
