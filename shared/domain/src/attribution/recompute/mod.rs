//! Every aggregate and payout entry, recomputed from what they are made of: the counted beacon
//! events (kept raw, as counted, in the raw events bucket) and the order ledgers. What the
//! collector adds online, one batch and one order event at a time, must equal this for any
//! stream — duplicates, reordering, refunds and late events included (the property test below).
//!
//! Refunds need no history: by the rounding rule (cumulative), the reversals of a line sum to
//! `prorate(credit, refunded, net)` however the refunds were split, so a ledger's state is enough.

use super::ledger::{Ledger, credit_entries, deltas_of};
use super::model::{Credit, prorate};
use super::{AggKey, AggRow, Counters, CreditEntry, Event, aggregate};
use std::collections::{BTreeMap, HashSet};

impl Ledger {
    /// The credits net of every refund so far: what the ledger's writes have added up to.
    pub fn net_credits(&self) -> Vec<Credit> {
        let lines = self.order.lines();
        let whole = self.cancelled
            || (self.order.total_cents > 0
                && lines.iter().all(|l| self.refunded_of(l) >= l.net_cents));
        self.credits
            .iter()
            .map(|c| {
                let line = lines.iter().find(|l| l.id == c.line_id);
                let (refunded, net) = line.map_or((0, 0), |l| {
                    (self.refunded_of(l).min(l.net_cents), l.net_cents)
                });
                let back = |v: i64| prorate(v, refunded, net);
                Credit {
                    revenue_cents: c.revenue_cents - back(c.revenue_cents),
                    cost_cents: c.cost_cents.map(|v| v - back(v)),
                    orders_milli: if whole { 0 } else { c.orders_milli },
                    ..c.clone()
                }
            })
            .collect()
    }
}

/// The aggregate rows of `events` — each (session, event id) counted once, as the sessions
/// dedupe them — and of the `ledgers`' net credits.
pub fn aggregates(events: &[Event], ledgers: &[Ledger]) -> BTreeMap<AggKey, AggRow> {
    let mut seen = HashSet::new();
    let counted: Vec<&Event> = events
        .iter()
        .filter(|e| seen.insert((e.beacon.session_id.as_str(), e.beacon.event_id.as_str())))
        .collect();
    let mut deltas = aggregate(counted);
    for l in ledgers {
        deltas.extend(deltas_of(&l.order, &l.net_credits()));
    }
    let mut out: BTreeMap<AggKey, AggRow> = BTreeMap::new();
    for d in deltas {
        let row = out.entry(d.key.clone()).or_insert_with(|| AggRow {
            key: d.key,
            creator_id: d.creator_id,
            platform: None,
            counters: Counters::default(),
        });
        row.platform = row.platform.take().or(d.platform);
        row.counters.add(&d.counters);
    }
    out.retain(|_, r| !r.counters.is_zero());
    out
}

/// The creators' ledger entries of the `ledgers`, net of refunds: what payouts sum.
pub fn entries(ledgers: &[Ledger]) -> Vec<CreditEntry> {
    ledgers
        .iter()
        .flat_map(|l| credit_entries(&l.order, &l.net_credits()))
        .collect()
}

/// Entries summed per (creator, currency): `(orders, revenue, cost, uncosted)`.
pub fn per_creator(entries: &[CreditEntry]) -> BTreeMap<(String, String), [i64; 4]> {
    let mut out: BTreeMap<(String, String), [i64; 4]> = BTreeMap::new();
    for e in entries {
        let t = out
            .entry((e.creator_id.clone(), e.currency.clone()))
            .or_default();
        t[0] += e.orders_milli;
        t[1] += e.revenue_cents;
        t[2] += e.cost_cents;
        t[3] += e.uncosted_cents;
    }
    out
}

#[cfg(test)]
mod tests;
