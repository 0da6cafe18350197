//! An order's ledger: what it credited, line by line, and what its refunds took back.
//!
//! Each write of a ledger (the order credited, then each refund) books one entry per creator and
//! line ([`CreditEntry`]): payouts and margins are summed from these, never from the display
//! counters. A refund names its lines and takes back exactly what was credited of those lines, in
//! proportion to the part of each line refunded (by the module's rounding rule, so any number of
//! partial refunds of a line take back exactly its credit); a cancellation takes back everything.

use super::model::{Credit, Order, OrderLine, prorate};
use super::{AggDelta, AggKey, day_of};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What one write of an order's ledger credited one creator for one line: the order's credits
/// when it is placed, or a refund's reversal (negative).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditEntry {
    pub order_id: String,
    /// The order's day (`YYYY-MM-DD`): refunds are booked on it too.
    pub day: String,
    pub creator_id: String,
    /// The line (empty: the whole order, which had no lines; entries written before lines).
    #[serde(default)]
    pub line_id: String,
    /// The order's currency (empty in entries written before currencies were kept: the store's).
    #[serde(default)]
    pub currency: String,
    /// The campaign of the link or code credited, if any (a commission may be set per campaign).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
    pub orders_milli: i64,
    pub revenue_cents: i64,
    /// The credited lines' cost, where known…
    #[serde(default)]
    pub cost_cents: i64,
    /// …and the revenue of those whose cost is not: it has no margin.
    #[serde(default)]
    pub uncosted_cents: i64,
}

impl CreditEntry {
    /// Revenue less cost, over the lines whose cost is known.
    pub fn margin_cents(&self) -> i64 {
        self.revenue_cents - self.uncosted_cents - self.cost_cents
    }
}

/// The creators' entries of `credits` (of `order`): one per creator, line and campaign, summed.
pub fn credit_entries(order: &Order, credits: &[Credit]) -> Vec<CreditEntry> {
    let day = day_of(order.placed_at);
    let mut by: BTreeMap<(String, String, Option<String>), CreditEntry> = BTreeMap::new();
    for c in credits {
        let Some(creator) = &c.creator_id else {
            continue;
        };
        let counters = c.counters();
        let e = by
            .entry((creator.clone(), c.line_id.clone(), c.campaign.clone()))
            .or_insert_with(|| CreditEntry {
                order_id: order.id.clone(),
                day: day.clone(),
                creator_id: creator.clone(),
                line_id: c.line_id.clone(),
                currency: order.currency.clone(),
                campaign: c.campaign.clone(),
                orders_milli: 0,
                revenue_cents: 0,
                cost_cents: 0,
                uncosted_cents: 0,
            });
        e.orders_milli += counters.orders_milli;
        e.revenue_cents += counters.revenue_cents;
        e.cost_cents += counters.cost_cents;
        e.uncosted_cents += counters.uncosted_cents;
    }
    by.into_values().collect()
}

/// The credits of `order` as aggregate deltas, on the order's day and in its currency.
pub fn deltas_of(order: &Order, credits: &[Credit]) -> Vec<AggDelta> {
    credits
        .iter()
        .map(|c| AggDelta {
            key: AggKey {
                day: day_of(order.placed_at),
                ugc_id: c.ugc_id.clone().unwrap_or_default(),
                placement: c.placement.clone(),
                campaign: c.campaign.clone().unwrap_or_default(),
                creator: c.creator_id.clone().unwrap_or_default(),
                currency: order.currency.clone(),
            },
            creator_id: c.creator_id.clone(),
            platform: c.platform.clone(),
            counters: c.counters(),
        })
        .collect()
}

/// What a refund takes back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refunded {
    /// These lines' subtotals (line id, hundredths; without tax).
    Lines(Vec<(String, i64)>),
    /// An amount of the order's lines that names no line: spread over the lines in proportion to
    /// what is left of each.
    Amount(i64),
    /// Everything left (a cancellation).
    Everything,
}

/// An order's credits and how much of each line has been refunded: what a refund reverses from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    pub order: Order,
    pub credits: Vec<Credit>,
    /// The sum of [`Ledger::refunded_lines`].
    pub refunded_cents: i64,
    /// Refund ids applied (each once).
    #[serde(default)]
    pub refunds: Vec<String>,
    /// Line id → hundredths of it refunded so far (the whole order's line is `""`).
    #[serde(default)]
    pub refunded_lines: BTreeMap<String, i64>,
    /// Cancelled: everything taken back.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cancelled: bool,
}

impl Ledger {
    pub fn new(order: Order, credits: Vec<Credit>) -> Self {
        Self {
            order,
            credits,
            refunded_cents: 0,
            refunds: Vec::new(),
            refunded_lines: BTreeMap::new(),
            cancelled: false,
        }
    }

    /// Hundredths of `line` refunded so far. A ledger written before lines were kept counted
    /// its refunds as a whole.
    pub(crate) fn refunded_of(&self, line: &OrderLine) -> i64 {
        match self.refunded_lines.get(&line.id) {
            Some(r) => *r,
            None if line.whole_order => self.refunded_cents,
            None => 0,
        }
    }

    /// How much of each line `what` refunds now (capped at what is left of it).
    fn refunds_of(&self, what: &Refunded) -> Vec<(OrderLine, i64)> {
        let lines = self.order.lines().into_owned();
        let left = |l: &OrderLine| (l.net_cents - self.refunded_of(l)).max(0);
        match what {
            Refunded::Everything => lines
                .into_iter()
                .map(|l| {
                    let n = left(&l);
                    (l, n)
                })
                .collect(),
            Refunded::Lines(named) if !self.order.lines.is_empty() => {
                let mut out: Vec<(OrderLine, i64)> = Vec::new();
                for (id, cents) in named {
                    if let Some(l) = lines.iter().find(|l| &l.id == id) {
                        match out.iter_mut().find(|(o, _)| &o.id == id) {
                            Some((_, n)) => *n += cents,
                            None => out.push((l.clone(), *cents)),
                        }
                    }
                }
                out.into_iter()
                    .map(|(l, n)| {
                        let n = n.clamp(0, left(&l));
                        (l, n)
                    })
                    .collect()
            }
            // Lines named of an order that kept none: their sum, over the whole order.
            Refunded::Lines(named) => {
                self.refunds_of(&Refunded::Amount(named.iter().map(|(_, c)| c).sum()))
            }
            Refunded::Amount(amount) => {
                let remaining: i64 = lines.iter().map(left).sum();
                let amount = (*amount).clamp(0, remaining);
                let mut running = 0i64;
                lines
                    .into_iter()
                    .map(|l| {
                        let before = prorate(amount, running, remaining);
                        running += left(&l);
                        let n = prorate(amount, running, remaining) - before;
                        (l, n)
                    })
                    .collect()
            }
        }
    }

    /// Apply refund `refund_id`: the negative credits to add to the aggregates (and book), and the
    /// updated ledger. A refund seen before, or one that refunds nothing left, gives nothing.
    pub fn refund(&mut self, refund_id: &str, what: &Refunded) -> Vec<Credit> {
        if self.refunds.iter().any(|r| r == refund_id) {
            return Vec::new();
        }
        let now = self.refunds_of(what);
        let everything = matches!(what, Refunded::Everything);
        if now.iter().all(|(_, n)| *n == 0) && !everything {
            return Vec::new();
        }
        let was_whole = self.fully_refunded();
        self.refunds.push(refund_id.to_string());
        let mut reversed = Vec::new();
        for (line, n) in &now {
            let before = self.refunded_of(line);
            let after = before + n;
            self.refunded_lines.insert(line.id.clone(), after);
            let net = line.net_cents;
            for c in self.credits.iter().filter(|c| c.line_id == line.id) {
                let back = |v: i64| -(prorate(v, after, net) - prorate(v, before, net));
                reversed.push(Credit {
                    revenue_cents: back(c.revenue_cents),
                    cost_cents: c.cost_cents.map(back),
                    orders_milli: 0,
                    ..c.clone()
                });
            }
        }
        self.refunded_cents = self.refunded_lines.values().sum();
        self.cancelled |= everything;
        // The order itself is taken back when nothing of it is left.
        if !was_whole && (everything || self.fully_refunded()) {
            let mut taken: Vec<Credit> = self
                .credits
                .iter()
                .map(|c| Credit {
                    revenue_cents: 0,
                    cost_cents: c.cost_cents.map(|_| 0),
                    orders_milli: -c.orders_milli,
                    ..c.clone()
                })
                .collect();
            // One reversal per credit: fold the order's share into the line's reversal.
            for t in taken.drain(..) {
                match reversed.iter_mut().find(|r| same_credit(r, &t)) {
                    Some(r) => r.orders_milli += t.orders_milli,
                    None => reversed.push(t),
                }
            }
        }
        reversed.retain(|c| c.revenue_cents != 0 || c.orders_milli != 0);
        reversed
    }

    /// Has everything been refunded (or the order cancelled)?
    fn fully_refunded(&self) -> bool {
        self.cancelled
            || (self.order.total_cents > 0
                && self
                    .order
                    .lines()
                    .iter()
                    .all(|l| self.refunded_of(l) >= l.net_cents))
    }
}

fn same_credit(a: &Credit, b: &Credit) -> bool {
    a.line_id == b.line_id
        && a.ugc_id == b.ugc_id
        && a.creator_id == b.creator_id
        && a.placement == b.placement
        && a.campaign == b.campaign
        && a.via == b.via
}
