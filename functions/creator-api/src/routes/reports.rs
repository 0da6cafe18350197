//! The creator's `GET /v1/creators/me/dashboard` and `GET /v1/creators/me/payouts`, and the
//! brand's `GET /v1/creators/payouts` (JSON or CSV).

use super::invalid;
use crate::CreatorApi;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use reelcart_domain::attribution::CreditEntry;
use reelcart_domain::attribution::report::{
    By, CsvCell, chart_svg, csv_table, daily, funnel, money, num,
};
use reelcart_domain::attribution::{day_of, day_range};
use reelcart_domain::creator::Creator;
use reelcart_lambda::http::{ApiError, json};
use reelcart_ports::{AggRow, AnalyticsStore, CreatorStore};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Deserialize;
use serde_json::{Value, json as j};

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
    format: Option<String>,
}

impl PeriodQuery {
    fn csv(&self) -> bool {
        self.format.as_deref() == Some("csv")
    }
}

/// One creator's line of a payout report.
struct PayoutLine {
    orders_milli: i64,
    revenue_cents: i64,
    payout_cents: i64,
}

/// The figures of a payout line, as CSV columns.
const FIGURES: [&str; 4] = ["orders", "attributed_revenue", "commission_rate", "payout"];

impl PayoutLine {
    /// Orders credited (a share of an order under linear credit), exact: `1.5`, not `1.4999…`.
    fn orders(&self) -> Decimal {
        Decimal::new(self.orders_milli, 3).normalize()
    }

    /// [`FIGURES`] of creator `c`'s line.
    fn figures(&self, c: &Creator) -> [CsvCell; 4] {
        [
            num(self.orders()),
            num(money(self.revenue_cents)),
            num(c.commission_rate.normalize()),
            num(money(self.payout_cents)),
        ]
    }
}

/// Creator `c`'s line from the order ledger's entries (credits, and refunds' reversals).
fn payout_line<'a>(c: &Creator, entries: impl Iterator<Item = &'a CreditEntry>) -> PayoutLine {
    let (mut orders_milli, mut revenue_cents) = (0, 0);
    for e in entries.filter(|e| e.creator_id == c.id) {
        orders_milli += e.orders_milli;
        revenue_cents += e.revenue_cents;
    }
    PayoutLine {
        orders_milli,
        revenue_cents,
        payout_cents: commission_cents(revenue_cents, c.commission_rate),
    }
}

/// `revenue × rate` in whole cents, half away from zero, in exact decimal arithmetic (0.145 × 100
/// cents is 14.5, which rounds to 15; no binary fraction rounds it down).
pub(crate) fn commission_cents(revenue_cents: i64, rate: Decimal) -> i64 {
    (Decimal::from(revenue_cents) * rate)
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
        .unwrap_or(i64::MAX)
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
        let l = payout_line(&c, entries.iter());
        if query.csv() {
            let body = csv_table(
                &[&["creator_id", "from", "to"][..], &FIGURES].concat(),
                [[CsvCell::from(&c.id), num(&from), num(&to)]
                    .into_iter()
                    .chain(l.figures(&c))],
            );
            return Ok(reelcart_lambda::http::csv(
                body,
                &format!("payout-{from}-{to}.csv"),
            ));
        }
        Ok(json(
            StatusCode::OK,
            &j!({
                "from": from, "to": to, "orders": l.orders_milli as f64 / 1000.0,
                "attributed_revenue": money(l.revenue_cents), "commission_rate": c.commission_rate.to_f64(),
                "payout": money(l.payout_cents),
            }),
        ))
    }

    /// `GET /v1/creators/payouts`: every creator's attributed revenue × commission for a period.
    pub(crate) async fn payout_report(
        &self,
        query: PeriodQuery,
    ) -> Result<Response<Body>, ApiError> {
        let (from, to, days) = self.period(&query)?;
        let entries = self.analytics.credit_entries(&days).await?;
        let creators = self.creators.creators().await?;
        let lines: Vec<(&Creator, PayoutLine)> = creators
            .iter()
            .map(|c| (c, payout_line(c, entries.iter())))
            .collect();
        let total_revenue: i64 = lines.iter().map(|(_, l)| l.revenue_cents).sum();
        let total_payout: i64 = lines.iter().map(|(_, l)| l.payout_cents).sum();
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
                    .chain(l.figures(c))
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
                j!({
                    "creator_id": c.id, "display_name": c.display_name,
                    "orders": l.orders_milli as f64 / 1000.0,
                    "attributed_revenue": money(l.revenue_cents),
                    "commission_rate": c.commission_rate.to_f64(), "payout": money(l.payout_cents),
                })
            })
            .collect();
        Ok(json(
            StatusCode::OK,
            &j!({
                "from": from, "to": to, "rows": out,
                "totals": {"attributed_revenue": money(total_revenue), "payout": money(total_payout)},
            }),
        ))
    }
}
