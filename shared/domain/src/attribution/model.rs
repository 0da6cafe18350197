//! Crediting orders to content and creators, line by line.
//!
//! Each line of an order is credited from the touches of the shopper's session (the token the
//! widget put in the cart) within their window before the order (7 days after a click, 1 day
//! after a view, by default) whose content shows the line's product (a touch's `skus`: the
//! content's product mappings, or the link's product): the last such touch (default) or all of
//! them equally (linear). A line no touch is about is credited to a creator whose discount code
//! the order used, if the code's scope takes the line (a code without a scope takes every line).
//! A line nobody is about is credited to nobody.
//!
//! Money: every amount is an integer of hundredths of the order's currency, read exactly from its
//! decimal text. **Rounding rule**: wherever an amount is divided (a linear split, a partial
//! refund, an order's share, a commission), the exact result is rounded half away from zero, and
//! the parts of one whole are rounded cumulatively (each part is the rounded running total minus
//! the previous one), so they always sum exactly to the whole.

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
    /// The products (variant SKUs) the touch is about: the content's product mappings when it was
    /// seen, or the link's product. Only lines of these products are credited to it. `None`
    /// (touches recorded before products were kept) is about every line.
    #[serde(default)]
    pub skus: Option<Vec<String>>,
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
            skus: Some(Vec::new()),
        })
    }

    /// Is `line` a product this touch is about?
    pub fn is_about(&self, line: &OrderLine) -> bool {
        match &self.skus {
            None => true,
            Some(skus) => line.whole_order || skus.iter().any(|s| line.is_of(s)),
        }
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

/// A verified order, as the store's webhook (or the platform's order API) reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    /// `{platform}:{order id}`.
    pub id: String,
    pub placed_at: i64,
    /// What can be credited: the lines after discounts, without shipping or tax (the sum of
    /// [`Order::lines`] when there are lines).
    pub total_cents: i64,
    /// ISO 4217 code of every amount of the order.
    pub currency: String,
    /// The attribution token from the cart (note attribute), if any.
    pub token: Option<String>,
    pub discount_codes: Vec<String>,
    /// The order's lines. Empty for an order reduced to its total (and ledgers written before
    /// lines were kept): it is then one line of the whole order, which any touch is about.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lines: Vec<OrderLine>,
    /// Where the order was placed (`web`, `tiktok_shop`), reported apart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    /// The store's line id (Shopify `line_items[].id`): refunds name it.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    pub quantity: i64,
    /// `price × quantity − its discount allocations`, without tax.
    pub net_cents: i64,
    /// `unit cost × quantity`, where the catalog knows the variant's unit cost in the order's
    /// currency; `None`: unknown, so the line has no margin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_cents: Option<i64>,
    /// The SKUs of every variant of the line's product (from the catalog): content showing one
    /// colour of a shirt is about the shirt.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub product_skus: Vec<String>,
    /// The implied single line of an order without lines.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub whole_order: bool,
}

impl OrderLine {
    /// Is this a line of the product (variant SKU) `sku`?
    pub fn is_of(&self, sku: &str) -> bool {
        !sku.is_empty()
            && (self.sku.as_deref() == Some(sku) || self.product_skus.iter().any(|s| s == sku))
    }
}

impl Order {
    /// The order's lines, or the one line of the whole order when it has none.
    pub fn lines(&self) -> std::borrow::Cow<'_, [OrderLine]> {
        if self.lines.is_empty() {
            std::borrow::Cow::Owned(vec![OrderLine {
                id: String::new(),
                product_id: None,
                variant_id: None,
                sku: None,
                quantity: 1,
                net_cents: self.total_cents,
                cost_cents: None,
                product_skus: Vec::new(),
                whole_order: true,
            }])
        } else {
            std::borrow::Cow::Borrowed(&self.lines)
        }
    }
}

/// A creator's discount code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
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
    /// The products (variant SKUs) the code credits; empty: every line of the order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skus: Vec<String>,
    /// Requested by the creator, made in the store once the brand approves (or at once when the
    /// brand chose that), or declined. Codes kept before this existed are active.
    #[serde(default)]
    pub status: CodeStatus,
    /// When the code stops working in the store, and how many orders may use it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage_limit: Option<u32>,
    /// The brand's note on its decision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Where a creator's code stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeStatus {
    /// Asked for; not in the store until the brand approves it.
    Requested,
    /// In the store; orders using it credit its creator.
    #[default]
    Active,
    /// The brand said no.
    Declined,
}

impl CodeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CodeStatus::Requested => "requested",
            CodeStatus::Active => "active",
            CodeStatus::Declined => "declined",
        }
    }
}

impl CreatorCode {
    fn takes(&self, line: &OrderLine) -> bool {
        self.skus.is_empty() || line.whole_order || self.skus.iter().any(|s| line.is_of(s))
    }
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
    /// A TikTok Shop affiliate sale: the creator and content TikTok reports.
    Affiliate {
        creator_username: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content_id: Option<String>,
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

/// Part of an order line credited to content (or, by code, to a creator alone).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credit {
    pub ugc_id: Option<String>,
    pub creator_id: Option<String>,
    pub platform: Option<String>,
    pub placement: String,
    pub campaign: Option<String>,
    /// The line credited (empty: the whole order, which had no lines).
    #[serde(default)]
    pub line_id: String,
    /// Thousandths of the order: its share of the order's creditable total.
    pub orders_milli: i64,
    pub revenue_cents: i64,
    /// The credited part of the line's cost (`None`: the cost is unknown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_cents: Option<i64>,
    #[serde(flatten)]
    pub via: Via,
}

impl Credit {
    /// What the credit adds to its aggregate.
    pub fn counters(&self) -> Counters {
        Counters {
            orders_milli: self.orders_milli,
            revenue_cents: self.revenue_cents,
            cost_cents: self.cost_cents.unwrap_or(0),
            uncosted_cents: if self.cost_cents.is_none() {
                self.revenue_cents
            } else {
                0
            },
            ..Counters::default()
        }
    }
}

/// `(value × num) / den`, rounded half away from zero (0 when `den` is 0).
pub fn prorate(value: i64, num: i64, den: i64) -> i64 {
    if den == 0 {
        return 0;
    }
    let p = i128::from(value) * i128::from(num);
    let d = i128::from(den);
    let q = (p.signum() * d.signum()) * ((2 * p.abs() + d.abs()) / (2 * d.abs()));
    i64::try_from(q).unwrap_or(if q < 0 { i64::MIN } else { i64::MAX })
}

/// `whole` split into `n` equal parts by the rounding rule (cumulative, so they sum to `whole`).
fn split(whole: i64, n: usize) -> Vec<i64> {
    let n = i64::try_from(n).unwrap_or(i64::MAX).max(1);
    (1..=n)
        .map(|i| prorate(whole, i, n) - prorate(whole, i - 1, n))
        .collect()
}

/// The credits of `order`, line by line.
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
    let code = order.discount_codes.iter().find_map(|used| {
        codes
            .iter()
            .find(|c| c.code.eq_ignore_ascii_case(used.trim()))
    });
    let mut credits = Vec::new();
    for line in order.lines().iter() {
        let about: Vec<&Touch> = eligible
            .iter()
            .copied()
            .filter(|t| t.is_about(line))
            .collect();
        let chosen: Vec<&Touch> = match model {
            Model::LastTouch => about.last().copied().into_iter().collect(),
            Model::Linear => about,
        };
        if chosen.is_empty() {
            if let Some(c) = code.filter(|c| c.takes(line)) {
                credits.push(Credit {
                    ugc_id: None,
                    creator_id: Some(c.creator_id.clone()),
                    platform: None,
                    placement: "code".into(),
                    campaign: c.campaign.clone(),
                    line_id: line.id.clone(),
                    orders_milli: 0,
                    revenue_cents: line.net_cents,
                    cost_cents: line.cost_cents,
                    via: Via::Code {
                        code: c.code.clone(),
                    },
                });
            }
            continue;
        }
        let shared = u32::try_from(chosen.len()).unwrap_or(u32::MAX);
        let revenue = split(line.net_cents, chosen.len());
        let cost = line.cost_cents.map(|c| split(c, chosen.len()));
        for (i, t) in chosen.iter().enumerate() {
            credits.push(Credit {
                // A creator's link is a touch of no content: the creator alone is credited.
                ugc_id: (!t.ugc_id.is_empty()).then(|| t.ugc_id.clone()),
                creator_id: t.creator_id.clone(),
                platform: t.platform.clone(),
                placement: t.placement.clone(),
                campaign: t.campaign.clone(),
                line_id: line.id.clone(),
                orders_milli: 0,
                revenue_cents: revenue[i],
                cost_cents: cost.as_ref().map(|c| c[i]),
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
            });
        }
    }
    share_the_order(order, &mut credits);
    credits
}

/// Each credit's share of the order (thousandths): its revenue's share of the order's creditable
/// total, rounded cumulatively, so a fully credited order counts exactly one. An order of no value
/// is shared equally among its credits.
pub(crate) fn share_the_order(order: &Order, credits: &mut [Credit]) {
    let total = order.total_cents;
    if total <= 0 {
        let parts = split(1000, credits.len());
        for (c, part) in credits.iter_mut().zip(parts) {
            c.orders_milli = part;
        }
        return;
    }
    let mut running = 0i64;
    for c in credits.iter_mut() {
        let before = prorate(1000, running, total);
        running += c.revenue_cents;
        c.orders_milli = prorate(1000, running, total) - before;
    }
}
