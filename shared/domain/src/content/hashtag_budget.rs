//! Instagram lets an account query at most 30 unique hashtags in a rolling 7 days (spec §6); a
//! hashtag counts for 7 days from its first query. The budget is kept by Reelcart so a 31st is
//! never asked for, and the hashtags' ids are remembered with it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const WINDOW_SECS: i64 = 7 * 24 * 3600;
pub const MAX_UNIQUE: usize = 30;

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HashtagBudget {
    /// Lowercased hashtag → when it was first queried in the current window.
    #[serde(default)]
    pub queried: BTreeMap<String, i64>,
    /// Lowercased hashtag → Instagram's hashtag id.
    #[serde(default)]
    pub ids: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("hashtag #{hashtag} would be the {}th unique hashtag in 7 days (Instagram allows {}); the oldest frees up at {frees_at}", MAX_UNIQUE + 1, MAX_UNIQUE)]
pub struct OverBudget {
    pub hashtag: String,
    pub frees_at: i64,
}

/// `#Acme ` → `acme`.
pub fn normalize(hashtag: &str) -> String {
    hashtag.trim().trim_start_matches('#').to_lowercase()
}

impl HashtagBudget {
    /// May `hashtag` be queried at `now`? Counts it if so.
    pub fn admit(&mut self, hashtag: &str, now: i64) -> Result<(), OverBudget> {
        self.queried.retain(|_, at| now - *at < WINDOW_SECS);
        let tag = normalize(hashtag);
        if self.queried.contains_key(&tag) {
            return Ok(());
        }
        if self.queried.len() >= MAX_UNIQUE {
            let oldest = self.queried.values().min().copied().unwrap_or(now);
            return Err(OverBudget {
                hashtag: tag,
                frees_at: oldest + WINDOW_SECS,
            });
        }
        self.queried.insert(tag, now);
        Ok(())
    }

    /// Unique hashtags counted at `now`.
    pub fn used(&self, now: i64) -> usize {
        self.queried
            .values()
            .filter(|at| now - **at < WINDOW_SECS)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_unique_hashtags_a_rolling_week() {
        let mut b = HashtagBudget::default();
        for i in 0..30 {
            b.admit(&format!("#Tag{i}"), 1000 + i).unwrap();
        }
        // Asking again for a counted one is free, in any case.
        b.admit("tag3", 2000).unwrap();
        b.admit("#TAG3", 2000).unwrap();
        let e = b.admit("#new", 3000).unwrap_err();
        assert_eq!(e.frees_at, 1000 + WINDOW_SECS);
        assert_eq!(b.used(3000), 30);
        // A week after the first, one frees up.
        b.admit("#new", 1000 + WINDOW_SECS).unwrap();
        assert!(b.admit("#newer", 1000 + WINDOW_SECS).is_err());
        assert_eq!(b.used(1000 + WINDOW_SECS), 30);
    }
}
