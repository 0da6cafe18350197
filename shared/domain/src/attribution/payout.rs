//! What a creator is owed: their commission on the order ledger's entries — a share of the
//! revenue of the lines credited to them, or of those lines' margin (revenue less unit cost),
//! set per creator and, where a link or code belongs to a campaign, per campaign.
//!
//! Rounding: each entry's base × rate is summed exactly (`Decimal`) per currency, and the sum is
//! rounded once, half away from zero, to the hundredth. Lines whose cost is unknown have no margin:
//! a commission on margin pays nothing on them (their revenue is reported as `uncosted`). Amounts
//! in different currencies are never added: a creator paid in two currencies has two lines.

use super::CreditEntry;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a commission is a share of.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The credited lines' revenue (after discounts, without tax and shipping).
    #[default]
    Revenue,
    /// Their gross margin: revenue less unit cost × quantity.
    Margin,
}

/// A commission: `rate` (0–1, exact) of the `basis`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commission {
    #[serde(with = "crate::creator::rate_as_number")]
    pub rate: Decimal,
    #[serde(default)]
    pub basis: Basis,
}

impl Commission {
    /// Is the rate a share (0–1)?
    pub fn valid(&self) -> bool {
        (Decimal::ZERO..=Decimal::ONE).contains(&self.rate)
    }

    fn base_cents(&self, e: &CreditEntry) -> i64 {
        match self.basis {
            Basis::Revenue => e.revenue_cents,
            Basis::Margin => e.margin_cents(),
        }
    }
}

/// A creator's figures in one currency over a period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Payout {
    /// Empty: entries written before currencies were kept (the store's currency).
    pub currency: String,
    pub orders_milli: i64,
    pub revenue_cents: i64,
    pub cost_cents: i64,
    pub uncosted_cents: i64,
    pub payout_cents: i64,
}

impl Payout {
    pub fn margin_cents(&self) -> i64 {
        self.revenue_cents - self.uncosted_cents - self.cost_cents
    }
}

/// Creator `creator_id`'s payouts, one per currency, from the ledger's `entries` (credits and
/// refunds' reversals), each entry under `commission(campaign)`.
pub fn payouts<'a>(
    creator_id: &str,
    entries: impl IntoIterator<Item = &'a CreditEntry>,
    commission: impl Fn(Option<&str>) -> Commission,
) -> Vec<Payout> {
    let mut by: BTreeMap<&str, (Payout, Decimal)> = BTreeMap::new();
    for e in entries.into_iter().filter(|e| e.creator_id == creator_id) {
        let c = commission(e.campaign.as_deref());
        let (p, owed) = by.entry(e.currency.as_str()).or_insert_with(|| {
            (
                Payout {
                    currency: e.currency.clone(),
                    ..Payout::default()
                },
                Decimal::ZERO,
            )
        });
        p.orders_milli += e.orders_milli;
        p.revenue_cents += e.revenue_cents;
        p.cost_cents += e.cost_cents;
        p.uncosted_cents += e.uncosted_cents;
        *owed += Decimal::from(c.base_cents(e)) * c.rate;
    }
    by.into_values()
        .map(|(mut p, owed)| {
            p.payout_cents = round_cents(owed);
            p
        })
        .collect()
}

/// Hundredths, half away from zero (0.145 × 100 is 14.5, which rounds to 15).
pub fn round_cents(d: Decimal) -> i64 {
    d.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
        .unwrap_or(if d.is_sign_negative() {
            i64::MIN
        } else {
            i64::MAX
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(
        creator: &str,
        currency: &str,
        campaign: Option<&str>,
        rev: i64,
        cost: i64,
        uncosted: i64,
    ) -> CreditEntry {
        CreditEntry {
            order_id: "o".into(),
            day: "2026-12-01".into(),
            creator_id: creator.into(),
            line_id: "l".into(),
            currency: currency.into(),
            campaign: campaign.map(str::to_string),
            orders_milli: 500,
            revenue_cents: rev,
            cost_cents: cost,
            uncosted_cents: uncosted,
        }
    }

    #[test]
    fn commissions_on_revenue_or_margin_per_campaign_and_currency() {
        let entries = [
            entry("maya", "USD", None, 10_000, 4_000, 0),
            entry("maya", "USD", Some("fall"), 5_000, 0, 5_000),
            entry("maya", "USD", Some("fall"), 2_000, 1_000, 0),
            entry("maya", "EUR", None, 3_333, 1_000, 0),
            entry("jon", "USD", None, 99_999, 0, 0),
        ];
        let on = |basis, rate: i64| Commission {
            rate: Decimal::new(rate, 2),
            basis,
        };
        let p = payouts("maya", &entries, |campaign| match campaign {
            Some("fall") => on(Basis::Margin, 20),
            _ => on(Basis::Revenue, 10),
        });
        assert_eq!(p.len(), 2, "one line per currency");
        let eur = &p[0];
        assert_eq!(
            (eur.currency.as_str(), eur.payout_cents),
            ("EUR", 333),
            "333.3 → 333"
        );
        let usd = &p[1];
        // 10 % of 100.00 revenue, plus 20 % of the fall margin: 0 on the uncosted 50.00, and
        // 20 % of (20.00 − 10.00).
        assert_eq!(usd.payout_cents, 1_000 + 200);
        assert_eq!(
            (usd.revenue_cents, usd.margin_cents()),
            (17_000, 17_000 - 5_000 - 5_000)
        );
    }

    #[test]
    fn the_sum_is_rounded_once_half_away_from_zero() {
        // Three entries of 0.05 × 10 % = 0.5 cent each: 1.5 → 2, not 3 × round(0.5) = 3.
        let entries = [
            entry("m", "USD", None, 5, 0, 0),
            entry("m", "USD", None, 5, 0, 0),
            entry("m", "USD", None, 5, 0, 0),
        ];
        let p = payouts("m", &entries, |_| Commission {
            rate: Decimal::new(1, 1),
            basis: Basis::Revenue,
        });
        assert_eq!(p[0].payout_cents, 2);
        assert_eq!(round_cents(Decimal::new(-145, 1)), -15);
    }
}
