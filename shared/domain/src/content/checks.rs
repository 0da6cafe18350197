//! Automated checks an item goes through before a person sees it: each gives a verdict, the
//! strictest wins. Text against the blocklists, media sanity from the transcoder's probe; an
//! image/video moderation service can be one more [`Check`].

use super::UgcItem;
use super::blocklist::{Blocklist, OnHit};
use crate::video::{MediaRecord, MediaStatus};
use serde::{Deserialize, Serialize};

/// What a check says. Ordered: `Pass` < `Flag` < `Reject`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "verdict", content = "reason", rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    /// Keep it queued with this note for the moderator.
    Flag(String),
    /// Reject it automatically with this reason.
    Reject(String),
}

/// What a check may look at.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub item: &'a UgcItem,
    /// The transcoder's record, for videos once transcoded.
    pub media: Option<&'a MediaRecord>,
}

pub trait Check: Send + Sync {
    fn name(&self) -> &'static str;
    fn check(&self, subject: &Subject<'_>) -> Verdict;
}

/// The caption and author against the blocklists.
#[derive(Debug, Clone)]
pub struct TextCheck(pub Blocklist);

impl Check for TextCheck {
    fn name(&self) -> &'static str {
        "blocklist"
    }

    fn check(&self, s: &Subject<'_>) -> Verdict {
        let hits = self
            .0
            .check(&s.item.caption, s.item.author.handle.as_deref());
        if hits.is_empty() {
            return Verdict::Pass;
        }
        let reason = hits
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        match self.0.on_hit {
            OnHit::Reject => Verdict::Reject(reason),
            OnHit::Flag => Verdict::Flag(reason),
        }
    }
}

/// A shoppable vertical feed wants short, sharp, audible video.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaSanity {
    /// Longer is flagged (the feed shows the first seconds anyway).
    pub flag_longer_than_secs: f64,
    /// A short side below this is flagged as low resolution.
    pub flag_short_side_below: u32,
    /// Silent video is flagged (it may be fine; a person decides).
    pub flag_silent: bool,
}

impl Default for MediaSanity {
    fn default() -> Self {
        Self {
            flag_longer_than_secs: 90.0,
            flag_short_side_below: 540,
            flag_silent: true,
        }
    }
}

impl Check for MediaSanity {
    fn name(&self) -> &'static str {
        "media"
    }

    fn check(&self, s: &Subject<'_>) -> Verdict {
        let Some(media) = s.media else {
            return Verdict::Pass;
        };
        if media.status == MediaStatus::Failed {
            let why = media
                .failure
                .as_ref()
                .map_or_else(|| "transcoding failed".to_string(), ToString::to_string);
            return Verdict::Reject(format!("unusable video: {why}"));
        }
        let Some(p) = &media.probe else {
            return Verdict::Pass;
        };
        let mut notes = Vec::new();
        if p.duration_secs > self.flag_longer_than_secs {
            notes.push(format!("long video ({:.0} s)", p.duration_secs));
        }
        let (short, _) = p.short_long();
        if short < self.flag_short_side_below {
            notes.push(format!(
                "low resolution ({}×{})",
                p.display_width, p.display_height
            ));
        }
        if self.flag_silent && !p.has_audio {
            notes.push("no audio".to_string());
        }
        if notes.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Flag(notes.join(", "))
        }
    }
}

/// Run every check; the strictest verdict, with every reason of that severity.
pub fn run_checks(checks: &[&dyn Check], subject: &Subject<'_>) -> Verdict {
    let verdicts: Vec<(&'static str, Verdict)> = checks
        .iter()
        .map(|c| (c.name(), c.check(subject)))
        .collect();
    let Some(worst) = verdicts.iter().map(|(_, v)| v).max().cloned() else {
        return Verdict::Pass;
    };
    let reasons = |reject: bool| -> String {
        verdicts
            .iter()
            .filter_map(|(name, v)| match (v, reject) {
                (Verdict::Reject(r), true) | (Verdict::Flag(r), false) => {
                    Some(format!("{name}: {r}"))
                }
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    match worst {
        Verdict::Pass => Verdict::Pass,
        Verdict::Flag(_) => Verdict::Flag(reasons(false)),
        Verdict::Reject(_) => Verdict::Reject(reasons(true)),
    }
}
