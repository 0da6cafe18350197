//! The creator's `GET /v1/creators/me/dashboard` and `GET /v1/creators/me/payouts`, and the
//! brand's `GET /v1/creators/payouts` (JSON or CSV).

use super::invalid;
use crate::CreatorApi;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use reelcart_domain::attribution::CreditEntry;
use reelcart_domain::attribution::payout::{Basis, Commission, Payout, payouts};
use reelcart_domain::attribution::report::{
    By, CsvCell, chart_svg, csv_table, daily, funnel, money, num,
};
use reelcart_domain::attribution::{day_of, day_range};
use reelcart_domain::creator::Creator;
use reelcart_lambda::http::{ApiError, json};
use reelcart_ports::{AggRow, AnalyticsStore, CreatorStore};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Deserialize;
use serde_json::{Value, json as j};
use std::collections::BTreeMap;

/// `?days=` of the dashboard (1–92, default 30).
#[derive(Debug, Deserialize)]
pub(crate) struct DashboardQuery {
    days: Option<String>,
}

/// `?from=&to=` (days, default today; `from` defaults to `to`) and `format=csv` of a payout report.
#[derive(Debug, Deserialize)]
pub(crate) struct PeriodQuery {
    from: Option<String>,
    to: Option<String>,
    format: Option<Format>,
}

/// A report's `format` (any other value is `400 malformed`).
#[derive(Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Format {
    Json,
    Csv,
}

impl PeriodQuery {
    fn csv(&self) -> bool {
        self.format == Some(Format::Csv)
    }
}

/// The figures of a payout line, as CSV columns.
const FIGURES: [&str; 9] = [
    "currency",
    "orders",
    "attributed_revenue",
    "cost",
    "margin",
    "uncosted_revenue",
    "commission_rate",
    "commission_basis",
    "payout",
];

/// Orders credited (a share of an order under linear or line credit), exact: `1.5`, not
/// `1.4999…`.
fn orders(p: &Payout) -> Decimal {
    Decimal::new(p.orders_milli, 3).normalize()
}

fn basis(c: &Creator) -> &'static str {
    match c.commission_basis {
        Basis::Revenue => "revenue",
        Basis::Margin => "margin",
    }
}

/// [`FIGURES`] of creator `c`'s line `p`.
fn figures(c: &Creator, p: &Payout) -> [CsvCell; 9] {
    [
        CsvCell::from(&p.currency),
        num(orders(p)),
        num(money(p.revenue_cents)),
        num(money(p.cost_cents)),
        num(money(p.margin_cents())),
        num(money(p.uncosted_cents)),
        num(c.commission_rate.normalize()),
        CsvCell::from(basis(c)),
        num(money(p.payout_cents)),
    ]
}

/// Creator `c`'s payouts from the order ledger's entries (credits, and refunds' reversals): one
/// per currency, at least one (of nothing, in no currency).
fn payout_lines(c: &Creator, entries: &[CreditEntry]) -> Vec<Payout> {
    let lines = payouts(&c.id, entries, |campaign| c.commission(campaign));
    if lines.is_empty() {
        vec![Payout::default()]
    } else {
        lines
    }
}

/// A payout line as JSON.
fn line_json(p: &Payout) -> Value {
    j!({
        "currency": Some(&p.currency).filter(|c| !c.is_empty()),
        "orders": p.orders_milli as f64 / 1000.0,
        "attributed_revenue": money(p.revenue_cents),
        "cost": money(p.cost_cents),
        "margin": money(p.margin_cents()),
        "uncosted_revenue": money(p.uncosted_cents),
        "payout": money(p.payout_cents),
    })
}

/// The creator's commission as JSON.
fn commission_json(c: &Creator) -> Value {
    j!({
        "commission_rate": c.commission_rate.to_f64(),
        "commission_basis": basis(c),
        "campaign_commissions": c.campaign_commissions,
    })
}

impl<S: CreatorStore, C, P, A: AnalyticsStore, K, M, D> CreatorApi<S, C, P, A, K, M, D> {
    /// Period `from`..`to` from the query (default: today), at most a year.
    fn period(&self, q: &PeriodQuery) -> Result<(String, String, Vec<String>), ApiError> {
        let to =
            q.to.clone()
                .unwrap_or_else(|| day_of(self.clock.now_unix()));
        let from = q.from.clone().unwrap_or_else(|| to.clone());
        let days = day_range(&from, &to, 366).map_err(invalid)?;
        Ok((from, to, days))
    }

    /// The creator's aggregates over `days` (their rows only).
    async fn mine(&self, id: &str, days: &[String]) -> Result<Vec<AggRow>, ApiError> {
        Ok(self
            .analytics
            .aggregates(days)
            .await?
            .into_iter()
            .filter(|r| r.creator_id.as_deref() == Some(id))
            .collect())
    }

    /// `GET /v1/creators/me/dashboard?days=30`: totals, by content and by campaign, every day,
    /// and a chart of the period.
    pub(crate) async fn dashboard(
        &self,
        id: &str,
        query: DashboardQuery,
    ) -> Result<Response<Body>, ApiError> {
        self.me(id).await?;
        let n: i64 = match query.days {
            None => 30,
            Some(d) => d
                .parse()
                .ok()
                .filter(|d| (1..=92).contains(d))
                .ok_or_else(|| invalid("days is 1-92"))?,
        };
        let now = self.clock.now_unix();
        let days = day_range(&day_of(now - (n - 1) * 86_400), &day_of(now), 92).map_err(invalid)?;
        let rows = self.mine(id, &days).await?;
        let series = daily(&rows, &days);
        Ok(json(
            StatusCode::OK,
            &j!({
                "from": days.first(),
                "to": days.last(),
                "totals": funnel(&rows, By::Creator).into_iter().next(),
                "by_content": funnel(&rows, By::Content),
                "by_campaign": funnel(&rows, By::Campaign),
                "daily": series,
                "chart_svg": chart_svg(&series),
            }),
        ))
    }

    /// `GET /v1/creators/me/payouts?from&to[&format=csv]`: attributed revenue × commission for a
    /// period (payouts themselves are made outside Reelcart).
    pub(crate) async fn payouts(
        &self,
        id: &str,
        query: PeriodQuery,
    ) -> Result<Response<Body>, ApiError> {
        let c = self.me(id).await?;
        let (from, to, days) = self.period(&query)?;
        // From the order ledger, never the display counters.
        let entries = self.analytics.credit_entries(&days).await?;
        let lines = payout_lines(&c, &entries);
        if query.csv() {
            let body = csv_table(
                &[&["creator_id", "from", "to"][..], &FIGURES].concat(),
                lines.iter().map(|l| {
                    [CsvCell::from(&c.id), num(&from), num(&to)]
                        .into_iter()
                        .chain(figures(&c, l))
                }),
            );
            return Ok(reelcart_lambda::http::csv(
                body,
                &format!("payout-{from}-{to}.csv"),
            ));
        }
        // The figures at the top when there is one currency; every currency's in `by_currency`.
        let mut out = match lines.as_slice() {
            [one] => line_json(one),
            _ => j!({"currency": null, "orders": null, "attributed_revenue": null, "cost": null,
                     "margin": null, "uncosted_revenue": null, "payout": null}),
        };
        out["from"] = j!(from);
        out["to"] = j!(to);
        out["by_currency"] = lines.iter().map(line_json).collect();
        if let (Some(o), Value::Object(m)) = (out.as_object_mut(), commission_json(&c)) {
            o.extend(m);
        }
        Ok(json(StatusCode::OK, &out))
    }

    /// `GET /v1/creators/payouts`: every creator's attributed revenue × commission for a period.
    pub(crate) async fn payout_report(
        &self,
        query: PeriodQuery,
    ) -> Result<Response<Body>, ApiError> {
        let (from, to, days) = self.period(&query)?;
        let entries = self.analytics.credit_entries(&days).await?;
        let creators = self.creators.creators().await?;
        let lines: Vec<(&Creator, Payout)> = creators
            .iter()
            .flat_map(|c| payout_lines(c, &entries).into_iter().map(move |l| (c, l)))
            .collect();
        // Totals per currency: amounts in different currencies are never added.
        let mut totals: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
        for (_, l) in lines
            .iter()
            .filter(|(_, l)| !l.currency.is_empty() || l.revenue_cents != 0)
        {
            let t = totals.entry(l.currency.as_str()).or_default();
            t.0 += l.revenue_cents;
            t.1 += l.payout_cents;
        }
        if query.csv() {
            let body = csv_table(
                &[&["creator_id", "display_name", "from", "to"][..], &FIGURES].concat(),
                lines.iter().map(|(c, l)| {
                    [
                        CsvCell::from(&c.id),
                        CsvCell::from(&c.display_name),
                        num(&from),
                        num(&to),
                    ]
                    .into_iter()
                    .chain(figures(c, l))
                }),
            );
            return Ok(reelcart_lambda::http::csv(
                body,
                &format!("payouts-{from}-{to}.csv"),
            ));
        }
        let out: Vec<Value> = lines
            .iter()
            .map(|(c, l)| {
                let mut row = line_json(l);
                row["creator_id"] = j!(c.id);
                row["display_name"] = j!(c.display_name);
                if let (Some(o), Value::Object(m)) = (row.as_object_mut(), commission_json(c)) {
                    o.extend(m);
                }
                row
            })
            .collect();
        let by_currency: Vec<Value> = totals
            .iter()
            .map(|(cur, (rev, pay))| {
                j!({"currency": Some(cur).filter(|c| !c.is_empty()),
                    "attributed_revenue": money(*rev), "payout": money(*pay)})
            })
            .collect();
        // One currency (or none): its totals at the top, as before currencies were kept.
        let single = (totals.len() <= 1).then(|| totals.values().next().copied().unwrap_or((0, 0)));
        Ok(json(
            StatusCode::OK,
            &j!({
                "from": from, "to": to, "rows": out,
                "totals": {
                    "attributed_revenue": single.map(|(r, _)| money(r)),
                    "payout": single.map(|(_, p)| money(p)),
                },
                "totals_by_currency": by_currency,
            }),
        ))
    }
}

/// `PUT /v1/creators/{creator_id}/commission`: the brand sets a creator's commission — a share
/// (0–1) of the revenue or of the margin of the lines credited to them — and, per campaign, the
/// commission of their links and codes of that campaign (replacing the campaigns set before).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CommissionBody {
    /// A number (read exactly from its decimal text).
    rate: serde_json::Number,
    #[serde(default)]
    basis: Basis,
    #[serde(default)]
    campaigns: BTreeMap<String, Commission>,
}

impl<S: CreatorStore, C, P, A, K, M, D> CreatorApi<S, C, P, A, K, M, D> {
    pub(crate) async fn set_commission(
        &self,
        creator_id: &str,
        by: &str,
        body: CommissionBody,
    ) -> Result<Response<Body>, ApiError> {
        let commission = Commission {
            rate: reelcart_domain::creator::rate_from_text(&body.rate.to_string())
                .ok_or_else(|| invalid("rate is a number"))?,
            basis: body.basis,
        };
        let all = std::iter::once(&commission).chain(body.campaigns.values());
        if all.into_iter().any(|c| !c.valid()) {
            return Err(invalid("a commission rate is a share from 0 to 1"));
        }
        if body.campaigns.len() > 100 || body.campaigns.keys().any(|k| k.is_empty() || k.len() > 64)
        {
            return Err(invalid(
                "up to 100 campaigns, each named in 1-64 characters",
            ));
        }
        let mut c = self.creators.creator(creator_id).await?.ok_or_else(|| {
            ApiError::client(StatusCode::NOT_FOUND, "not_found", "no such creator")
        })?;
        c.commission_rate = commission.rate;
        c.commission_basis = commission.basis;
        c.campaign_commissions = body.campaigns;
        c.updated_at = self.clock.now_unix();
        self.creators.put_creator(&c).await?;
        tracing::info!(creator = %c.id, by, rate = %c.commission_rate, basis = basis(&c), campaigns = c.campaign_commissions.len(), "commission set");
        let mut out = commission_json(&c);
        out["creator_id"] = j!(c.id);
        Ok(json(StatusCode::OK, &out))
    }
}
