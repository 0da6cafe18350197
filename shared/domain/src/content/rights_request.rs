//! Asking a creator for rights on social content (spec §6): the brand comments on the post with
//! its approval hashtag, and the creator's reply carrying that hashtag is the consent proof.
//!
//! Instagram lets the brand comment through the API only on media that mentions or tags it
//! (`POST /{ig-user-id}/mentions`); on media found by hashtag search the comment is posted by a
//! person from the app ([`Delivery::Manual`]). Either way the comment asks the creator to reply
//! with the hashtag *and* `@brand`, so the reply reaches Reelcart as a `mentions` webhook.

use super::{Channel, Consent, Source};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// How the rights-request comment reaches the post.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Delivery {
    /// Posted through the platform's API; `comment_id` once it is.
    Api { comment_id: Option<String> },
    /// The platform does not allow it by API: a person posts `text` on the permalink.
    Manual,
}

/// Where a request stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RequestState {
    /// Waiting for the creator's reply.
    Pending,
    /// The creator replied with the hashtag: these rights were recorded.
    Granted { rights_id: String, at: i64 },
    /// Posting the comment failed for good (the reason, for the moderator).
    Failed { reason: String },
}

/// What the brand asks for: the license, channels and how long, from the reply on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    pub license: String,
    pub channels: BTreeSet<Channel>,
    /// Rights run this many days from the reply; `None`: no end date.
    pub duration_days: Option<u32>,
}

impl Terms {
    /// Why these terms cannot be asked for, if they cannot.
    pub fn problem(&self) -> Option<&'static str> {
        let license = self.license.trim();
        if license.is_empty() || license.len() > 200 {
            return Some("license must be 1-200 characters");
        }
        if self.channels.is_empty() {
            return Some("rights name at least one channel");
        }
        if self.duration_days.is_some_and(|d| d == 0 || d > 3650) {
            return Some("duration_days must be 1-3650");
        }
        None
    }
}

/// A rights request on one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RightsRequest {
    pub id: String,
    pub item_id: String,
    /// The platform's media id the comment goes on.
    pub media_id: String,
    pub permalink: Option<String>,
    /// The approval hashtag, with its `#` (`#YesAcme`).
    pub hashtag: String,
    /// The brand's handle the reply must mention, without `@`.
    pub brand_handle: String,
    /// The comment, as posted.
    pub text: String,
    pub terms: Terms,
    pub delivery: Delivery,
    pub state: RequestState,
    pub requested_by: String,
    pub requested_at: i64,
}

/// Work for `ugc-ingest` on the content queue, besides the platforms' events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case")]
pub enum ContentCommand {
    /// Post the request's comment through the platform's API.
    PostRightsRequest { item_id: String, request_id: String },
}

/// The brand's side of rights requests (configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrandRights {
    /// `#YesAcme`.
    pub hashtag: String,
    /// `acme`: the brand's Instagram handle, which the reply mentions.
    pub handle: String,
    /// Where the terms the creator agrees to are published.
    pub terms_url: String,
}

impl BrandRights {
    /// From configuration: the handle (`acme` or `@acme`), the hashtag (default `#Yes{Handle}`),
    /// and the terms' URL.
    pub fn new(handle: &str, hashtag: Option<&str>, terms_url: &str) -> Result<Self, String> {
        let handle = handle.trim().trim_start_matches('@').to_string();
        let word = |w: &str| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
        };
        if !word(&handle) {
            return Err(format!(
                "brand handle `{handle}` is not an Instagram handle"
            ));
        }
        let hashtag = match hashtag.map(str::trim).filter(|h| !h.is_empty()) {
            Some(h) => format!("#{}", h.trim_start_matches('#')),
            None => {
                let mut chars = handle.chars();
                let capital: String = chars
                    .next()
                    .into_iter()
                    .flat_map(char::to_uppercase)
                    .collect();
                format!("#Yes{capital}{}", chars.as_str()).replace('.', "")
            }
        };
        if !word(&hashtag[1..]) {
            return Err(format!("approval hashtag `{hashtag}` is not a hashtag"));
        }
        if !terms_url.starts_with("https://") && !terms_url.starts_with("http://") {
            return Err("the rights terms URL must be an http(s) URL".into());
        }
        Ok(Self {
            hashtag,
            handle,
            terms_url: terms_url.to_string(),
        })
    }
}

/// Only Instagram posts can be asked in a comment; TikTok rights are obtained off-platform (the
/// creator portal's terms), uploads and reviews carry consent when they arrive.
pub fn delivery_for(source: Source) -> Option<Delivery> {
    match source {
        Source::InstagramMention | Source::InstagramTag => Some(Delivery::Api { comment_id: None }),
        Source::InstagramHashtag => Some(Delivery::Manual),
        Source::Tiktok | Source::Upload | Source::Review => None,
    }
}

/// The rights-request comment.
pub fn comment_text(hashtag: &str, brand_handle: &str, terms: &Terms, terms_url: &str) -> String {
    let period = match terms.duration_days {
        Some(d) => format!("for {d} days"),
        None => "with no end date".to_string(),
    };
    let channels = terms
        .channels
        .iter()
        .map(|c| format!("{c:?}").to_lowercase())
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "We love this! May we share it on our {channels} channels {period}? Reply {hashtag} @{brand_handle} to agree to our terms: {terms_url}"
    )
}

/// The tokens of a text: `#tag` and `@handle` words, lowercased, without trailing punctuation.
fn tokens(text: &str, sigil: char) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .filter_map(move |w| w.strip_prefix(sigil))
        .map(|w| {
            w.chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '.')
                .collect::<String>()
                .trim_end_matches('.')
                .to_lowercase()
        })
        .filter(|w| !w.is_empty())
}

/// Does `text` carry the approval `hashtag` as a whole tag (`#YesAcme`, not `#YesAcmeNot`)?
pub fn carries_hashtag(text: &str, hashtag: &str) -> bool {
    let want = hashtag.trim_start_matches('#').to_lowercase();
    !want.is_empty() && tokens(text, '#').any(|t| t == want)
}

/// Does `text` mention `@handle`?
pub fn mentions(text: &str, handle: &str) -> bool {
    let want = handle.trim_start_matches('@').to_lowercase();
    !want.is_empty() && tokens(text, '@').any(|t| t == want)
}

/// A reply to the brand's comment, as the platform reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub comment_id: String,
    pub media_id: String,
    pub author: String,
    pub text: String,
    pub permalink: String,
    pub at: i64,
}

/// Why a reply is not consent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotConsent {
    #[error("the request is not pending")]
    NotPending,
    #[error("the reply is on another post")]
    OtherMedia,
    #[error("the reply does not carry {0}")]
    NoHashtag(String),
    #[error("the reply is by @{replier}, not the post's author @{author}")]
    NotTheAuthor { replier: String, author: String },
    #[error("the reply predates the request")]
    BeforeRequest,
    /// The brand's own comment carries the hashtag too: never consent.
    #[error("the comment is the brand's own")]
    ByTheBrand,
}

/// Is `reply` the creator's consent to `request`? `author` is the post's author when the
/// platform told us (mentions and tags do; hashtag search does not — then the replier is taken
/// as the author, and the moderator sees it in the artifact).
pub fn consent_from(
    request: &RightsRequest,
    reply: &Reply,
    author: Option<&str>,
) -> Result<Consent, NotConsent> {
    if request.state != RequestState::Pending {
        return Err(NotConsent::NotPending);
    }
    if reply.media_id != request.media_id {
        return Err(NotConsent::OtherMedia);
    }
    if reply
        .author
        .trim_start_matches('@')
        .eq_ignore_ascii_case(&request.brand_handle)
    {
        return Err(NotConsent::ByTheBrand);
    }
    if !carries_hashtag(&reply.text, &request.hashtag) {
        return Err(NotConsent::NoHashtag(request.hashtag.clone()));
    }
    if let Some(author) = author
        && !author.eq_ignore_ascii_case(reply.author.trim_start_matches('@'))
    {
        return Err(NotConsent::NotTheAuthor {
            replier: reply.author.clone(),
            author: author.to_string(),
        });
    }
    if reply.at < request.requested_at {
        return Err(NotConsent::BeforeRequest);
    }
    Ok(Consent::CommentReply {
        comment_id: reply.comment_id.clone(),
        author: reply.author.clone(),
        text: reply.text.clone(),
        permalink: reply.permalink.clone(),
        replied_at: reply.at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> RightsRequest {
        RightsRequest {
            id: "rq1".into(),
            item_id: "ugc_1".into(),
            media_id: "m1".into(),
            permalink: Some("https://www.instagram.com/p/x/".into()),
            hashtag: "#YesAcme".into(),
            brand_handle: "acme".into(),
            text: String::new(),
            terms: Terms {
                license: "perpetual social".into(),
                channels: [Channel::Site].into(),
                duration_days: Some(365),
            },
            delivery: Delivery::Manual,
            state: RequestState::Pending,
            requested_by: "mod".into(),
            requested_at: 100,
        }
    }

    fn reply(text: &str, author: &str) -> Reply {
        Reply {
            comment_id: "c1".into(),
            media_id: "m1".into(),
            author: author.into(),
            text: text.into(),
            permalink: "https://www.instagram.com/p/x/".into(),
            at: 200,
        }
    }

    #[test]
    fn hashtags_and_mentions_are_whole_tokens() {
        assert!(carries_hashtag("#yesacme @acme", "#YesAcme"));
        assert!(carries_hashtag("Sure! #YesAcme.", "#YesAcme"));
        assert!(carries_hashtag("ok,#YesAcme", "YesAcme"));
        assert!(!carries_hashtag("#YesAcmeNot", "#YesAcme"));
        assert!(!carries_hashtag("YesAcme", "#YesAcme"));
        assert!(!carries_hashtag("#NoAcme", "#YesAcme"));
        assert!(!carries_hashtag("#anything", "#"));
        assert!(mentions("thanks @Acme!", "acme"));
        assert!(!mentions("thanks @acmeshop", "@acme"));
        assert!(!mentions("acme", "acme"));
    }

    #[test]
    fn only_the_authors_reply_with_the_hashtag_is_consent() {
        let r = request();
        let ok = consent_from(&r, &reply("#YesAcme @acme", "maya"), Some("maya")).unwrap();
        assert!(
            matches!(ok, Consent::CommentReply { ref author, replied_at: 200, .. } if author == "maya")
        );
        // Hashtag search gives no author: the replier is taken.
        assert!(consent_from(&r, &reply("#YesAcme @acme", "maya"), None).is_ok());
        assert_eq!(
            consent_from(&r, &reply("#YesAcme", "troll"), Some("maya")),
            Err(NotConsent::NotTheAuthor {
                replier: "troll".into(),
                author: "maya".into()
            })
        );
        assert!(matches!(
            consent_from(&r, &reply("yes please @acme", "maya"), Some("maya")),
            Err(NotConsent::NoHashtag(_))
        ));
        // The request itself carries the hashtag: the brand's comment is never consent.
        assert_eq!(
            consent_from(&r, &reply("Reply #YesAcme @acme to agree", "acme"), None),
            Err(NotConsent::ByTheBrand)
        );
        let mut other = reply("#YesAcme", "maya");
        other.media_id = "m2".into();
        assert_eq!(consent_from(&r, &other, None), Err(NotConsent::OtherMedia));
        let mut early = reply("#YesAcme", "maya");
        early.at = 99;
        assert_eq!(
            consent_from(&r, &early, None),
            Err(NotConsent::BeforeRequest)
        );
        let mut granted = request();
        granted.state = RequestState::Granted {
            rights_id: "r".into(),
            at: 1,
        };
        assert_eq!(
            consent_from(&granted, &reply("#YesAcme", "maya"), None),
            Err(NotConsent::NotPending)
        );
    }

    #[test]
    fn comment_asks_for_the_hashtag_and_the_mention() {
        let t = comment_text(
            "#YesAcme",
            "acme",
            &request().terms,
            "https://acme.example/ugc-terms",
        );
        assert!(carries_hashtag(&t, "#YesAcme"));
        assert!(mentions(&t, "acme"));
        assert!(t.contains("for 365 days"));
        assert!(t.contains("site"));
    }

    #[test]
    fn delivery_follows_what_the_platform_allows() {
        assert_eq!(
            delivery_for(Source::InstagramHashtag),
            Some(Delivery::Manual)
        );
        assert!(matches!(
            delivery_for(Source::InstagramMention),
            Some(Delivery::Api { comment_id: None })
        ));
        assert_eq!(delivery_for(Source::Tiktok), None);
    }

    #[test]
    fn brand_configuration() {
        let b = BrandRights::new("@acme", None, "https://acme.example/terms").unwrap();
        assert_eq!(
            (b.handle.as_str(), b.hashtag.as_str()),
            ("acme", "#YesAcme")
        );
        let b = BrandRights::new("acme", Some("OkAcme"), "https://a.example").unwrap();
        assert_eq!(b.hashtag, "#OkAcme");
        assert!(BrandRights::new("a cme", None, "https://a.example").is_err());
        assert!(BrandRights::new("acme", Some("#ok acme"), "https://a.example").is_err());
        assert!(BrandRights::new("acme", None, "ftp://a.example").is_err());
    }

    #[test]
    fn terms_are_checked() {
        let mut t = request().terms;
        assert_eq!(t.problem(), None);
        t.duration_days = Some(0);
        assert!(t.problem().is_some());
        t.duration_days = None;
        t.channels.clear();
        assert!(t.problem().is_some());
    }
}
