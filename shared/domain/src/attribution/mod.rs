//! Measuring content: the storefront's beacons (impression, view, product click, add to cart),
//! their daily aggregates, and the crediting of purchases — only from verified order webhooks,
//! joined to the shopper's touches through the attribution token the widget puts in the cart, or
//! to a creator through their discount code. A browser can report what it saw; it cannot report a
//! purchase.
//!
//! Definitions (spec §7): impression = ≥ 50 % of the player visible for ≥ 1 s; view = ≥ 3 s
//! played; a purchase is credited to a click within 7 days and to a view within 1 day by default
//! ([`Windows`]).

pub mod conversions;
pub mod ledger;
pub mod model;
pub mod orders;
pub mod payout;
pub mod recompute;
pub mod report;
pub mod tiktok_shop;

pub use ledger::*;
pub use model::*;

use serde::{Deserialize, Serialize};
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::{Date, UtcDateTime};

/// What a beacon reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BeaconKind {
    Impression,
    View,
    ProductClick,
    AddToCart,
}

/// One storefront event, as the widget sends it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Beacon {
    /// Made by the client; the same event sent twice is counted once.
    pub event_id: String,
    #[serde(rename = "type")]
    pub kind: BeaconKind,
    pub session_id: String,
    pub ugc_id: String,
    /// What the client claims of the content's creator, platform and campaign. Accepted for the
    /// widget's sake and never believed: the collector resolves all three from the content item
    /// before anything is counted or credited.
    #[serde(default)]
    pub creator_id: Option<String>,
    /// Where the content came from (`instagram`, `tiktok`, `upload`, `review`).
    #[serde(default)]
    pub platform: Option<String>,
    /// `pdp`, `collection`, `home`.
    pub placement: String,
    #[serde(default)]
    pub campaign: Option<String>,
    #[serde(default)]
    pub sku: Option<String>,
    /// Client time, unix milliseconds (the server's time is used when it is more than
    /// [`MAX_CLOCK_SKEW_SECS`] away).
    #[serde(default, deserialize_with = "crate::json_int::opt")]
    pub ts: Option<i64>,
}

/// The largest client time a beacon may carry (JavaScript's largest safe integer).
pub const MAX_TS_MS: i64 = 9_007_199_254_740_991;

/// The most events one request may carry, and its largest body.
pub const MAX_EVENTS: usize = 50;
pub const MAX_BODY_BYTES: usize = 32 * 1024;
/// How far a beacon's time may be from the server's before the server's is used: five minutes
/// (a beacon sent at page hide arrives within seconds). A beacon dated tomorrow or last week is
/// counted now, so a client cannot choose the day, and so the row, it lands on.
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BeaconError {
    #[error("the body is larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
    #[error("the body is not a beacon batch: {0}")]
    Schema(String),
    #[error("a batch carries 1-{MAX_EVENTS} events")]
    Count,
    #[error("event {index}: {field} {problem}")]
    Field {
        index: usize,
        field: &'static str,
        problem: &'static str,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Batch {
    events: Vec<Beacon>,
}

fn token_ok(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

/// A beacon with its time settled (unix seconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub beacon: Beacon,
    pub at: i64,
}

/// The placements a beacon may name (the widget's `placement` attribute); `link` is the
/// collector's own, for creators' links.
pub const BEACON_PLACEMENTS: [&str; 3] = ["pdp", "collection", "home"];

/// Parse and check a batch (`{"events": [...]}`) received at `now`.
pub fn parse_batch(body: &[u8], now: i64) -> Result<Vec<Event>, BeaconError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(BeaconError::TooLarge);
    }
    let batch: Batch = serde_json::from_slice(body).map_err(|e| {
        // serde's message names the field and position, never echoes a value.
        BeaconError::Schema(e.to_string().chars().take(200).collect())
    })?;
    if batch.events.is_empty() || batch.events.len() > MAX_EVENTS {
        return Err(BeaconError::Count);
    }
    let mut out = Vec::with_capacity(batch.events.len());
    for (index, b) in batch.events.into_iter().enumerate() {
        let bad = |field, problem| BeaconError::Field {
            index,
            field,
            problem,
        };
        if !(8..=64).contains(&b.event_id.len()) || !token_ok(&b.event_id, 64) {
            return Err(bad("event_id", "must be 8-64 of [A-Za-z0-9_.-]"));
        }
        if !token_ok(&b.session_id, 64) {
            return Err(bad("session_id", "must be 1-64 of [A-Za-z0-9_.-]"));
        }
        if !token_ok(&b.ugc_id, 128) {
            return Err(bad("ugc_id", "must be 1-128 of [A-Za-z0-9_.-]"));
        }
        // One of the widget's placements: each is a row of the day's aggregates, so a free-form
        // value would let one request create rows without end.
        if !BEACON_PLACEMENTS.contains(&b.placement.as_str()) {
            return Err(bad("placement", "must be pdp, collection or home"));
        }
        for (field, v, max) in [
            ("creator_id", &b.creator_id, 64),
            ("platform", &b.platform, 32),
            ("campaign", &b.campaign, 64),
            ("sku", &b.sku, 64),
        ] {
            if v.as_deref().is_some_and(|v| !token_ok(v, max)) {
                return Err(bad(field, "has characters or a length not allowed"));
            }
        }
        if b.ts.is_some_and(|t| !(0..=MAX_TS_MS).contains(&t)) {
            return Err(bad("ts", "must be unix milliseconds from 0 to 2^53 - 1"));
        }
        if matches!(b.kind, BeaconKind::ProductClick | BeaconKind::AddToCart) && b.sku.is_none() {
            return Err(bad(
                "sku",
                "is required for product clicks and adds to cart",
            ));
        }
        let at =
            b.ts.map(|ms| ms.div_euclid(1000))
                .filter(|t| (now - t).abs() <= MAX_CLOCK_SKEW_SECS)
                .unwrap_or(now);
        out.push(Event { beacon: b, at });
    }
    Ok(out)
}

/// A calendar day as the aggregates key it.
const DAY: &[BorrowedFormatItem<'_>] = format_description!("[year]-[month]-[day]");

/// `YYYY-MM-DD` of `date`.
fn ymd(date: Date) -> String {
    date.format(DAY)
        .unwrap_or_else(|_| unreachable!("a date has a year, a month and a day"))
}

/// `YYYY-MM-DD` (UTC) of a unix time (clamped to the years -9999..=9999).
pub fn day_of(ts: i64) -> String {
    let at = UtcDateTime::from_unix_timestamp(ts).unwrap_or(if ts < 0 {
        UtcDateTime::MIN
    } else {
        UtcDateTime::MAX
    });
    ymd(at.date())
}

/// The days `from..=to` (`YYYY-MM-DD`), at most `max` of them.
pub fn day_range(from: &str, to: &str, max: usize) -> Result<Vec<String>, String> {
    // A day that does not exist (`2024-02-30`, `2023-02-29`) is an error, not the next month's.
    let parse = |d: &str| {
        Date::parse(d, DAY)
            .ok()
            .filter(|_| d.len() == 10) // no `+2026-…`
            .ok_or_else(|| format!("`{d}` is not a YYYY-MM-DD date"))
    };
    let (a, b) = (parse(from)?, parse(to)?);
    if b < a {
        return Err("`to` is before `from`".into());
    }
    let n = usize::try_from((b - a).whole_days()).map_or(usize::MAX, |d| d.saturating_add(1));
    if n > max {
        return Err(format!("at most {max} days at a time"));
    }
    Ok(std::iter::successors(Some(a), |d| d.next_day())
        .take(n)
        .map(ymd)
        .collect())
}

/// What one aggregate row counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Counters {
    pub impressions: i64,
    pub views: i64,
    pub clicks: i64,
    pub add_to_carts: i64,
    /// Orders credited, in thousandths (a linear split credits fractions).
    pub orders_milli: i64,
    pub revenue_cents: i64,
    /// The cost of the credited lines whose cost is known…
    #[serde(default)]
    pub cost_cents: i64,
    /// …and the revenue of those whose cost is not (margin = revenue − uncosted − cost).
    #[serde(default)]
    pub uncosted_cents: i64,
}

impl Counters {
    pub fn add(&mut self, o: &Counters) {
        self.impressions += o.impressions;
        self.views += o.views;
        self.clicks += o.clicks;
        self.add_to_carts += o.add_to_carts;
        self.orders_milli += o.orders_milli;
        self.revenue_cents += o.revenue_cents;
        self.cost_cents += o.cost_cents;
        self.uncosted_cents += o.uncosted_cents;
    }

    /// `self − o`, counter by counter.
    pub fn minus(&self, o: &Counters) -> Counters {
        Counters {
            impressions: self.impressions - o.impressions,
            views: self.views - o.views,
            clicks: self.clicks - o.clicks,
            add_to_carts: self.add_to_carts - o.add_to_carts,
            orders_milli: self.orders_milli - o.orders_milli,
            revenue_cents: self.revenue_cents - o.revenue_cents,
            cost_cents: self.cost_cents - o.cost_cents,
            uncosted_cents: self.uncosted_cents - o.uncosted_cents,
        }
    }

    /// Revenue less cost, over the lines whose cost is known.
    pub fn margin_cents(&self) -> i64 {
        self.revenue_cents - self.uncosted_cents - self.cost_cents
    }

    pub fn is_zero(&self) -> bool {
        *self == Counters::default()
    }

    fn of(kind: BeaconKind) -> Self {
        let mut c = Counters::default();
        match kind {
            BeaconKind::Impression => c.impressions = 1,
            BeaconKind::View => c.views = 1,
            BeaconKind::ProductClick => c.clicks = 1,
            BeaconKind::AddToCart => c.add_to_carts = 1,
        }
        c
    }
}

/// One aggregate: a piece of content (or a creator's link or code) in a placement and campaign, on
/// a day, for one creator. The platform follows from the content; it is kept on the row for the
/// reports.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AggKey {
    pub day: String,
    pub ugc_id: String,
    pub placement: String,
    /// Empty: no campaign.
    pub campaign: String,
    /// The creator credited (empty: none). Part of the key, so creators who share a day, a
    /// placement and a campaign (links, codes) never share a row.
    #[serde(default)]
    pub creator: String,
    /// The currency of the row's revenue (empty: a row of beacons, which has none). Orders in
    /// different currencies never share a row.
    #[serde(default)]
    pub currency: String,
}

/// One stored aggregate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AggRow {
    pub key: AggKey,
    pub creator_id: Option<String>,
    pub platform: Option<String>,
    pub counters: Counters,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AggDelta {
    pub key: AggKey,
    pub creator_id: Option<String>,
    pub platform: Option<String>,
    pub counters: Counters,
}

/// The aggregate an event is counted in.
pub fn agg_key(e: &Event) -> AggKey {
    let b = &e.beacon;
    AggKey {
        day: day_of(e.at),
        ugc_id: b.ugc_id.clone(),
        placement: b.placement.clone(),
        campaign: b.campaign.clone().unwrap_or_default(),
        creator: b.creator_id.clone().unwrap_or_default(),
        currency: String::new(),
    }
}

/// Sum events (already deduplicated) into one delta per key: one write per key, however many
/// events.
pub fn aggregate<'a>(events: impl IntoIterator<Item = &'a Event>) -> Vec<AggDelta> {
    let mut by_key: std::collections::BTreeMap<AggKey, AggDelta> = Default::default();
    for e in events {
        let b = &e.beacon;
        let key = agg_key(e);
        let d = by_key.entry(key.clone()).or_insert_with(|| AggDelta {
            key,
            creator_id: b.creator_id.clone(),
            platform: b.platform.clone(),
            counters: Counters::default(),
        });
        d.counters.add(&Counters::of(b.kind));
    }
    by_key.into_values().collect()
}

/// The same event once: the first occurrence of each (session, event id), in order — as the
/// sessions' records dedupe them across batches (event ids are the client's, unique per session).
pub fn dedupe(events: Vec<Event>) -> Vec<Event> {
    let mut seen = std::collections::HashSet::new();
    events
        .into_iter()
        .filter(|e| seen.insert((e.beacon.session_id.clone(), e.beacon.event_id.clone())))
        .collect()
}

#[cfg(test)]
mod lines_tests;
#[cfg(test)]
mod tests;
