//! Blocklists of words and handles: a caption or author that hits one is rejected with the reason,
//! or flagged for a person to look at, as configured.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnHit {
    /// Reject the item automatically, with the hit as the reason.
    Reject,
    /// Leave it queued, flagged with the hit.
    #[default]
    Flag,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Blocklist {
    #[serde(default)]
    pub words: Vec<String>,
    #[serde(default)]
    pub handles: Vec<String>,
    #[serde(default)]
    pub on_hit: OnHit,
}

/// What matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Hit {
    Word(String),
    Handle(String),
}

impl std::fmt::Display for Hit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Hit::Word(w) => write!(f, "blocked word `{w}`"),
            Hit::Handle(h) => write!(f, "blocked handle @{h}"),
        }
    }
}

fn handle(h: &str) -> String {
    h.trim().trim_start_matches('@').to_lowercase()
}

/// The caption's words, lowercased, split on anything that is not a letter, digit or `'`.
fn words(text: &str) -> Vec<String> {
    text.to_lowercase()
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

impl Blocklist {
    /// Every hit in `caption` (whole words or phrases, case-insensitive, so `class` never hits
    /// `ass`) and the author's `handle`.
    pub fn check(&self, caption: &str, author: Option<&str>) -> Vec<Hit> {
        let text = words(caption);
        let mut hits = Vec::new();
        for entry in &self.words {
            let phrase = words(entry);
            if !phrase.is_empty() && text.windows(phrase.len()).any(|w| w == phrase.as_slice()) {
                hits.push(Hit::Word(phrase.join(" ")));
            }
        }
        if let Some(a) = author {
            let a = handle(a);
            if self.handles.iter().any(|h| handle(h) == a) {
                hits.push(Hit::Handle(a));
            }
        }
        hits
    }
}
