//! Reviews with media (`review.created`): the review's product is mapped, and the review form's
//! terms are the consent.

use crate::{Candidate, Error, Granted, Handler, MediaSource};
use reelcart_domain::content::{Author, Consent, MediaType, ProductMapping, Source};
use serde_json::Value;

impl<S, Q, B, R, CS, K, E> Handler<S, Q, B, R, CS, K, E> {
    /// A `review.created` Standard Webhooks body: `data` is `{id, sku, rating, title, body,
    /// reviewer: {name}, media: [{type, url}], consent: {terms_version, accepted_at}}`.
    pub fn review_candidate(&self, body: &Value) -> Result<Candidate, Error> {
        let d = &body["data"];
        let s = |p: &str| d.pointer(p).and_then(Value::as_str).map(str::to_string);
        let id = s("/id").ok_or_else(|| Error::Malformed("a review without an id".into()))?;
        let media = d["media"].as_array().cloned().unwrap_or_default();
        // A video if there is one, else the first image.
        let pick = media
            .iter()
            .find(|m| m["type"] == "video")
            .or_else(|| media.first());
        let (media, media_type) = match pick.and_then(|m| Some((m["url"].as_str()?, m))) {
            Some((url, m)) => (
                MediaSource::Url {
                    url: url.to_string(),
                    cover: false,
                },
                if m["type"] == "video" {
                    MediaType::Video
                } else {
                    MediaType::Image
                },
            ),
            None => (MediaSource::None, MediaType::Image),
        };
        let reviewer = s("/reviewer/name").unwrap_or_else(|| "a customer".into());
        let caption = [s("/title"), s("/body")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("\n");
        let granted = match (
            s("/consent/terms_version"),
            d.pointer("/consent/accepted_at").and_then(Value::as_i64),
        ) {
            (Some(terms_version), Some(accepted_at)) => Some(Granted {
                license: format!("review terms {terms_version}"),
                channels: self.config.review_channels.clone(),
                expires_at: None,
                consent: Consent::ReviewTerms {
                    review_id: id.clone(),
                    reviewer: reviewer.clone(),
                    terms_version,
                    accepted_at,
                },
            }),
            _ => None,
        };
        let mappings = s("/sku")
            .map(|sku| ProductMapping {
                sku,
                placement: "pdp".into(),
                // The reviewer reviewed that product.
                confidence: 1.0,
                pinned: false,
            })
            .into_iter()
            .collect();
        Ok(Candidate {
            source: Source::Review,
            external_id: id,
            media_type,
            media,
            permalink: None,
            caption,
            author: Author {
                handle: Some(reviewer),
                creator_id: None,
            },
            granted,
            mappings,
        })
    }
}
