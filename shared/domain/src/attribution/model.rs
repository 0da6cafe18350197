//! Crediting orders to content and creators.
//!
//! An order is credited from the touches of the shopper's session (the token the widget put in
//! the cart) within their window before the order (7 days after a click, 1 day after a view, by
//! default): the last one (default) or all of them equally
//! (linear). Without touches, a creator's discount code credits that creator. Refunds and
//! cancellations take back what was credited, in proportion, exactly to the cent over any number
//! of partial refunds.

use super::{BeaconKind, Counters, Event};
use serde::{Deserialize, Serialize};

/// What a shopper did with a piece of content (impressions are not touches).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Touch {
    pub event_id: String,
    pub at: i64,
    pub kind: BeaconKind,
    pub ugc_id: String,
    pub creator_id: Option<String>,
    pub platform: Option<String>,
    pub placement: String,
    pub campaign: Option<String>,
    pub sku: Option<String>,
}

impl Touch {
    /// The touch an event is, if it is one.
    pub fn from_event(e: &Event) -> Option<Touch> {
        let b = &e.beacon;
        (b.kind != BeaconKind::Impression).then(|| Touch {
            event_id: b.event_id.clone(),
            at: e.at,
            kind: b.kind,
            ugc_id: b.ugc_id.clone(),
            creator_id: b.creator_id.clone(),
            platform: b.platform.clone(),
            placement: b.placement.clone(),
            campaign: b.campaign.clone(),
            sku: b.sku.clone(),
        })
    }

    /// Later touches win; at the same second, the stronger intent, then the event id.
    fn rank(&self) -> (i64, u8, &str) {
        let intent = match self.kind {
            BeaconKind::AddToCart => 3,
            BeaconKind::ProductClick => 2,
            BeaconKind::View => 1,
            BeaconKind::Impression => 0,
        };
        (self.at, intent, self.event_id.as_str())
    }
}

/// How long after a touch an order may be credited to it: clicks (product clicks, adds to cart,
/// creators' links) and views have windows of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Windows {
    pub click_secs: i64,
    pub view_secs: i64,
}

impl Default for Windows {
    /// 7 days after a click, 1 day after a view.
    fn default() -> Self {
        Self {
            click_secs: 7 * 86_400,
            view_secs: 86_400,
        }
    }
}

impl Windows {
    /// One window for both.
    pub fn both(secs: i64) -> Self {
        Self {
            click_secs: secs,
            view_secs: secs,
        }
    }

    /// The window of a touch of `kind`.
    pub fn of(&self, kind: BeaconKind) -> i64 {
        match kind {
            BeaconKind::View | BeaconKind::Impression => self.view_secs,
            BeaconKind::ProductClick | BeaconKind::AddToCart => self.click_secs,
        }
    }

    /// The longer of the two: how long a session's touches are kept.
    pub fn longest(&self) -> i64 {
        self.click_secs.max(self.view_secs)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Model {
    #[default]
    LastTouch,
    Linear,
}

/// A verified order, as the store's webhook reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// `{platform}:{order id}`.
    pub id: String,
    pub placed_at: i64,
    /// What can be credited: the lines after discounts, without shipping or tax.
    pub total_cents: i64,
    pub currency: String,
    /// The attribution token from the cart (note attribute), if any.
    pub token: Option<String>,
    pub discount_codes: Vec<String>,
}

/// A creator's discount code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatorCode {
    pub code: String,
    pub creator_id: String,
    pub campaign: Option<String>,
    /// The discount it gives, in percent (0: not recorded).
    #[serde(default)]
    pub percent: u32,
    /// The store's id of the discount (Shopify price rule), when created there.
    #[serde(default)]
    pub store_id: Option<String>,
    #[serde(default)]
    pub created_at: i64,
}

/// How a credit was earned: the touch (which event, what kind, when, under which model and
/// window, shared with how many touches) or the code. Ledgers written before a field existed
/// read it as absent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "via", rename_all = "snake_case")]
pub enum Via {
    Touch {
        event_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kind: Option<BeaconKind>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        touched_at: Option<i64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rule: Option<Rule>,
    },
    Code {
        code: String,
    },
}

/// The rule a touch was credited under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub model: Model,
    /// `click` (7 days by default) or `view` (1 day).
    pub window: WindowKind,
    pub window_secs: i64,
    /// How many touches shared the order (1 under last touch).
    pub touches: u32,
}

/// Which window a touch is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowKind {
    Click,
    View,
}

/// Part of an order credited to content (or, by code, to a creator alone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credit {
    pub ugc_id: Option<String>,
    pub creator_id: Option<String>,
    pub platform: Option<String>,
    pub placement: String,
    pub campaign: Option<String>,
    /// Thousandths of the order.
    pub orders_milli: i64,
    pub revenue_cents: i64,
    #[serde(flatten)]
    pub via: Via,
}

impl Credit {
    /// What the credit adds to its aggregate.
    pub fn counters(&self) -> Counters {
        Counters {
            orders_milli: self.orders_milli,
            revenue_cents: self.revenue_cents,
            ..Counters::default()
        }
    }
}

/// The credits of `order`.
pub fn attribute(
    order: &Order,
    touches: &[Touch],
    codes: &[CreatorCode],
    windows: Windows,
    model: Model,
) -> Vec<Credit> {
    let mut eligible: Vec<&Touch> = touches
        .iter()
        .filter(|t| {
            t.kind != BeaconKind::Impression
                && t.at <= order.placed_at
                && order.placed_at - t.at <= windows.of(t.kind)
        })
        .collect();
    eligible.sort_by(|a, b| a.rank().cmp(&b.rank()));
    // Several touches of one event id (a duplicate) count once.
    eligible.dedup_by(|a, b| a.event_id == b.event_id);
    let shared = match model {
        Model::LastTouch => 1,
        Model::Linear => u32::try_from(eligible.len()).unwrap_or(u32::MAX),
    };
    let credit = |t: &Touch, orders_milli: i64, revenue_cents: i64| Credit {
        // A creator's link is a touch of no content: the creator alone is credited.
        ugc_id: (!t.ugc_id.is_empty()).then(|| t.ugc_id.clone()),
        creator_id: t.creator_id.clone(),
        platform: t.platform.clone(),
        placement: t.placement.clone(),
        campaign: t.campaign.clone(),
        orders_milli,
        revenue_cents,
        via: Via::Touch {
            event_id: t.event_id.clone(),
            kind: Some(t.kind),
            touched_at: Some(t.at),
            rule: Some(Rule {
                model,
                window: match t.kind {
                    BeaconKind::View | BeaconKind::Impression => WindowKind::View,
                    BeaconKind::ProductClick | BeaconKind::AddToCart => WindowKind::Click,
                },
                window_secs: windows.of(t.kind),
                touches: shared,
            }),
        },
    };
    if let Some(last) = eligible.last() {
        return match model {
            Model::LastTouch => vec![credit(last, 1000, order.total_cents)],
            Model::Linear => {
                let n = eligible.len() as i64;
                let (rev, rev_rest) = (order.total_cents / n, order.total_cents % n);
                let (ord, ord_rest) = (1000 / n, 1000 % n);
                eligible
                    .iter()
                    .enumerate()
                    .map(|(i, t)| {
                        // The remainders go to the latest touch: the shares sum exactly.
                        let last = i as i64 == n - 1;
                        credit(
                            t,
                            ord + if last { ord_rest } else { 0 },
                            rev + if last { rev_rest } else { 0 },
                        )
                    })
                    .collect()
            }
        };
    }
    let code = order.discount_codes.iter().find_map(|used| {
        codes
            .iter()
            .find(|c| c.code.eq_ignore_ascii_case(used.trim()))
    });
    match code {
        Some(c) => vec![Credit {
            ugc_id: None,
            creator_id: Some(c.creator_id.clone()),
            platform: None,
            placement: "code".into(),
            campaign: c.campaign.clone(),
            orders_milli: 1000,
            revenue_cents: order.total_cents,
            via: Via::Code {
                code: c.code.clone(),
            },
        }],
        None => Vec::new(),
    }
}

/// What one write of an order's ledger credited one creator: the order's credits when it is
/// placed, or a refund's reversal (negative). Payouts sum these, never the display counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditEntry {
    pub order_id: String,
    /// The order's day (`YYYY-MM-DD`): refunds are booked on it too.
    pub day: String,
    pub creator_id: String,
    pub orders_milli: i64,
    pub revenue_cents: i64,
}

/// The creators' entries of an order's deltas on `day`: one per creator, summed.
pub fn credit_entries(order_id: &str, deltas: &[super::AggDelta]) -> Vec<CreditEntry> {
    let mut by: std::collections::BTreeMap<(String, String), CreditEntry> = Default::default();
    for d in deltas {
        let Some(creator) = &d.creator_id else {
            continue;
        };
        let e = by
            .entry((d.key.day.clone(), creator.clone()))
            .or_insert_with(|| CreditEntry {
                order_id: order_id.to_string(),
                day: d.key.day.clone(),
                creator_id: creator.clone(),
                orders_milli: 0,
                revenue_cents: 0,
            });
        e.orders_milli += d.counters.orders_milli;
        e.revenue_cents += d.counters.revenue_cents;
    }
    by.into_values().collect()
}

/// An order's credits and how much of it has been refunded: what a refund reverses from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    pub order: Order,
    pub credits: Vec<Credit>,
    pub refunded_cents: i64,
    /// Refund ids applied (each once).
    #[serde(default)]
    pub refunds: Vec<String>,
}

/// `(value × num) / den`, rounded half away from zero.
fn prorate(value: i64, num: i64, den: i64) -> i64 {
    if den == 0 {
        return 0;
    }
    let p = i128::from(value) * i128::from(num);
    let d = i128::from(den);
    let q = (2 * p + d * p.signum()) / (2 * d);
    q as i64
}

impl Ledger {
    pub fn new(order: Order, credits: Vec<Credit>) -> Self {
        Self {
            order,
            credits,
            refunded_cents: 0,
            refunds: Vec::new(),
        }
    }

    /// Apply refund `refund_id` of `amount_cents` (a cancellation refunds the rest): the
    /// negative credits to add to the aggregates, and the updated ledger. A refund seen before,
    /// or nothing left to refund, gives nothing.
    pub fn refund(&mut self, refund_id: &str, amount_cents: i64) -> Vec<Credit> {
        if self.refunds.iter().any(|r| r == refund_id) || amount_cents <= 0 {
            return Vec::new();
        }
        self.refunds.push(refund_id.to_string());
        let total = self.order.total_cents;
        let before = self.refunded_cents;
        let after = (before + amount_cents).min(total);
        if after == before {
            return Vec::new();
        }
        self.refunded_cents = after;
        let whole = after == total;
        self.credits
            .iter()
            .map(|c| Credit {
                revenue_cents: -(prorate(c.revenue_cents, after, total)
                    - prorate(c.revenue_cents, before, total)),
                // The order itself is taken back when nothing of it is left.
                orders_milli: if whole { -c.orders_milli } else { 0 },
                ..c.clone()
            })
            .collect()
    }
}
