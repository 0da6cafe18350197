//! The storefront feed: which items a placement shows and in what order.
//!
//! Only items that may be shown on the site now (published, rights valid for the site today) and,
//! for product and collection pages, mapped there. Pinned items first; then a score from measured
//! performance — the conversion rate of views into orders, with a prior so a new item starts at
//! 2 % instead of 0 or 100 % — weighted by recency (half-life 14 days); then the id, so the order
//! is total and pages never overlap.

use crate::content::ProductMapping;
use serde::{Deserialize, Serialize};

/// Where the feed is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// A product page: items mapped to this SKU for `pdp`.
    Pdp { sku: String },
    /// A collection page: items mapped for `collection:{handle}`.
    Collection { handle: String },
    /// The home feed: every showable item.
    Home,
}

/// A SKU or collection handle as the feed takes it: 1-64 of `[A-Za-z0-9_.-]`.
pub fn token_ok(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
}

impl Placement {
    /// From the query's `placement`, `sku` and `collection`.
    pub fn parse(
        placement: Option<&str>,
        sku: Option<&str>,
        collection: Option<&str>,
    ) -> Result<Self, String> {
        match placement {
            Some("pdp") => match sku {
                Some(s) if token_ok(s) => Ok(Placement::Pdp { sku: s.to_string() }),
                _ => Err("placement=pdp needs sku (1-64 of [A-Za-z0-9_.-])".into()),
            },
            Some("collection") => match collection {
                Some(c) if token_ok(c) => Ok(Placement::Collection {
                    handle: c.to_string(),
                }),
                _ => Err("placement=collection needs collection (1-64 of [A-Za-z0-9_.-])".into()),
            },
            Some("home") => Ok(Placement::Home),
            _ => Err("placement is pdp, collection or home".into()),
        }
    }

    /// The placement's name in mappings and beacons.
    pub fn name(&self) -> &'static str {
        match self {
            Placement::Pdp { .. } => "pdp",
            Placement::Collection { .. } => "collection",
            Placement::Home => "home",
        }
    }

    /// The mappings of an item that place it here (`None`: it does not belong here).
    pub fn matching<'a>(&self, mappings: &'a [ProductMapping]) -> Option<Vec<&'a ProductMapping>> {
        let hits: Vec<&ProductMapping> = match self {
            Placement::Pdp { sku } => mappings
                .iter()
                .filter(|m| m.placement == "pdp" && m.sku == *sku)
                .collect(),
            Placement::Collection { handle } => {
                let want = format!("collection:{handle}");
                mappings.iter().filter(|m| m.placement == want).collect()
            }
            Placement::Home => return Some(mappings.iter().collect()),
        };
        (!hits.is_empty()).then_some(hits)
    }
}

/// A conversion-rate prior: one order in fifty views.
pub const PRIOR_ORDERS: f64 = 1.0;
pub const PRIOR_VIEWS: f64 = 50.0;
pub const HALF_LIFE_DAYS: f64 = 14.0;

/// The score of an item with `views` and `orders_milli` measured, published at `published_at`.
pub fn score(views: i64, orders_milli: i64, published_at: i64, now: i64) -> f64 {
    let orders = orders_milli.max(0) as f64 / 1000.0;
    let rate = (orders + PRIOR_ORDERS) / (views.max(0) as f64 + PRIOR_VIEWS);
    let age_days = (now - published_at).max(0) as f64 / 86_400.0;
    let recency = 0.5f64.powf(age_days / HALF_LIFE_DAYS);
    rate * (0.5 + 0.5 * recency)
}

/// An item's place in the order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Position {
    pub pinned: bool,
    pub score: f64,
    pub id: String,
}

impl Position {
    /// Pinned first, higher score first, then the id.
    pub fn order(&self, other: &Position) -> std::cmp::Ordering {
        other
            .pinned
            .cmp(&self.pinned)
            .then_with(|| other.score.total_cmp(&self.score))
            .then_with(|| self.id.cmp(&other.id))
    }

    /// The cursor after this item: opaque, URL-safe.
    pub fn cursor(&self) -> String {
        format!(
            "{}.{:016x}.{}",
            u8::from(self.pinned),
            self.score.to_bits(),
            self.id
        )
    }

    pub fn from_cursor(c: &str) -> Option<Position> {
        let mut parts = c.splitn(3, '.');
        let pinned = match parts.next()? {
            "1" => true,
            "0" => false,
            _ => return None,
        };
        let bits = parts.next()?;
        if bits.len() != 16 {
            return None;
        }
        let score = f64::from_bits(u64::from_str_radix(bits, 16).ok()?);
        let id = parts.next()?.to_string();
        (!score.is_nan() && token_ok(&id)).then_some(Position { pinned, score, id })
    }
}

/// Sort `items` and take the page after `cursor`: `(page, next cursor)`.
pub fn page<T>(
    mut items: Vec<(Position, T)>,
    cursor: Option<&Position>,
    limit: usize,
) -> (Vec<(Position, T)>, Option<String>) {
    items.sort_by(|a, b| a.0.order(&b.0));
    let start = match cursor {
        Some(c) => items.partition_point(|(p, _)| p.order(c) != std::cmp::Ordering::Greater),
        None => 0,
    };
    let rest: Vec<(Position, T)> = items.into_iter().skip(start).collect();
    let more = rest.len() > limit;
    let page: Vec<(Position, T)> = rest.into_iter().take(limit).collect();
    let next = if more {
        page.last().map(|(p, _)| p.cursor())
    } else {
        None
    };
    (page, next)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn m(sku: &str, placement: &str) -> ProductMapping {
        ProductMapping {
            sku: sku.into(),
            placement: placement.into(),
            confidence: 1.0,
            pinned: false,
        }
    }

    #[test]
    fn placements_select_their_mappings() {
        let maps = [m("TEE-1", "pdp"), m("TEE-2", "collection:summer")];
        let pdp = Placement::parse(Some("pdp"), Some("TEE-1"), None).unwrap();
        assert_eq!(pdp.matching(&maps).unwrap().len(), 1);
        let other = Placement::parse(Some("pdp"), Some("TEE-2"), None).unwrap();
        assert!(
            other.matching(&maps).is_none(),
            "TEE-2 is mapped for a collection only"
        );
        let coll = Placement::parse(Some("collection"), None, Some("summer")).unwrap();
        assert_eq!(coll.matching(&maps).unwrap()[0].sku, "TEE-2");
        assert_eq!(Placement::Home.matching(&[]).unwrap().len(), 0);
        assert!(Placement::parse(Some("pdp"), None, None).is_err());
        assert!(Placement::parse(Some("pdp"), Some("a b"), None).is_err());
        assert!(Placement::parse(Some("checkout"), None, None).is_err());
    }

    #[test]
    fn measured_conversion_beats_the_prior_and_age_fades() {
        let now = 1_800_000_000;
        let fresh = score(0, 0, now, now);
        assert!((fresh - PRIOR_ORDERS / PRIOR_VIEWS).abs() < 1e-12);
        // 10 orders in 100 views beats an unmeasured item; 0 in 1000 falls below it.
        assert!(score(100, 10_000, now, now) > fresh);
        assert!(score(1000, 0, now, now) < fresh);
        // Two half-lives old: weight 0.5 + 0.5/4.
        let old = score(0, 0, now - 28 * 86_400, now);
        assert!((old / fresh - 0.625).abs() < 1e-9);
    }

    #[test]
    fn pages_follow_the_order_and_never_overlap() {
        let items: Vec<(Position, usize)> = (0..25)
            .map(|i| {
                (
                    Position {
                        pinned: i % 10 == 0,
                        score: (i % 7) as f64,
                        id: format!("ugc_{i:02}"),
                    },
                    i,
                )
            })
            .collect();
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let c = cursor.as_deref().and_then(Position::from_cursor);
            let (p, next) = page(items.clone(), c.as_ref(), 10);
            seen.extend(p.iter().map(|(_, i)| *i));
            match next {
                Some(n) => cursor = Some(n),
                None => break,
            }
        }
        assert_eq!(seen.len(), 25);
        let mut dedup = seen.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(dedup.len(), 25);
        // Pinned ones (0, 10, 20) lead.
        assert!(seen[..3].iter().all(|i| i % 10 == 0));
        assert!(Position::from_cursor("2.0000000000000000.x").is_none());
        assert!(Position::from_cursor("garbage").is_none());
    }
}
