//! The diff: what the catalog projects now against what was last synced, per (channel, item).
//! Only real changes are sent; a quarantined item is held (neither sent nor deleted) until it is
//! fixed; an item the catalog no longer sells is deleted.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The hashes of an item's projection. Channels without dedicated price or stock endpoints (Meta)
/// put everything in `content`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hashes {
    pub content: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory: Option<String>,
}

/// What the catalog says of an item now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Now {
    /// Valid: these hashes.
    Valid(Hashes),
    /// Invalid: held back, and the remote copy (if any) left as it is.
    Quarantined,
}

/// What one item needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    /// Everything (content changed; prices and stock go with it).
    Update,
    /// Only prices changed.
    Price,
    /// Only stock changed.
    Inventory,
    /// Prices and stock changed, nothing else.
    PriceAndInventory,
    Delete,
}

/// The action for one item (`None`: in sync, or held).
pub fn action(now: Option<&Now>, synced: Option<&Hashes>) -> Option<Action> {
    match (now, synced) {
        (Some(Now::Valid(_)), None) => Some(Action::Create),
        (Some(Now::Valid(n)), Some(s)) => {
            if n.content != s.content {
                return Some(Action::Update);
            }
            match (n.price != s.price, n.inventory != s.inventory) {
                (true, true) => Some(Action::PriceAndInventory),
                (true, false) => Some(Action::Price),
                (false, true) => Some(Action::Inventory),
                (false, false) => None,
            }
        }
        (Some(Now::Quarantined), _) => None,
        (None, Some(_)) => Some(Action::Delete),
        (None, None) => None,
    }
}

/// Every item's action, in key order (deterministic: a resumed run plans the same order).
pub fn plan(
    now: &BTreeMap<String, Now>,
    synced: &BTreeMap<String, Hashes>,
) -> Vec<(String, Action)> {
    let keys: BTreeSet<&String> = now.keys().chain(synced.keys()).collect();
    keys.into_iter()
        .filter_map(|k| action(now.get(k), synced.get(k)).map(|a| (k.clone(), a)))
        .collect()
}
