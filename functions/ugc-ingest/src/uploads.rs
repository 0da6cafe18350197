//! Creators' uploads through the portal: the object is already in the raw bucket, with the
//! portal's terms (the consent) in its metadata.

use crate::{Candidate, Error, Granted, Handler, Ingested, MediaSource, RawMedia, upload_meta};
use reelcart_domain::content::{Author, Consent, MediaType, Source};
use reelcart_lambda::events::S3Record;
use reelcart_ports::{
    BlobStore, ConnectionStore, ContentStore, EventBus, KeyService, MessageQueue,
};
use serde_json::{Value, json};

impl<S, Q, B, R, CS, K, E> Handler<S, Q, B, R, CS, K, E>
where
    S: ContentStore,
    Q: MessageQueue,
    B: BlobStore,
    R: RawMedia,
    CS: ConnectionStore,
    K: KeyService,
    E: EventBus,
{
    /// A creator's upload landed in the raw bucket (an S3 notification record).
    pub(crate) async fn on_upload(&self, record: &S3Record) -> Result<Value, Error> {
        let bucket = record.s3.bucket.name.as_str();
        if bucket != self.raw.bucket() {
            return Err(Error::Malformed(format!(
                "uploads are read from the raw bucket only, not {bucket:?}"
            )));
        }
        let key = record
            .s3
            .object
            .decoded_key()
            .map_err(|e| Error::Malformed(e.to_string()))?;
        let Some((creator_id, upload_id)) = reelcart_domain::content::parse_upload_key(&key) else {
            return Err(Error::Malformed(format!("`{key}` is not an upload key")));
        };
        let Some(head) = self.raw.head(&key).await.map_err(Error::Raw)? else {
            // Deleted since: nothing to ingest.
            return Ok(json!({"key": key, "outcome": "gone"}));
        };
        let meta = |k: &str| head.metadata.get(k).cloned();
        let media_type = if head.content_type.starts_with("video/") {
            MediaType::Video
        } else if head.content_type.starts_with("image/") {
            MediaType::Image
        } else {
            return Ok(json!(Ingested::Refused {
                external_id: key,
                reason: format!("`{}` is not video or an image", head.content_type),
            }));
        };
        if head.size > self.config.max_upload_bytes {
            return Ok(json!(Ingested::Refused {
                external_id: key,
                reason: format!("larger than {} bytes", self.config.max_upload_bytes),
            }));
        }
        let (Some(terms_version), Some(accepted_at)) = (
            meta(upload_meta::TERMS_VERSION),
            meta(upload_meta::ACCEPTED_AT).and_then(|a| a.parse::<i64>().ok()),
        ) else {
            return Ok(json!(Ingested::Refused {
                external_id: key,
                reason: "an upload without accepted terms (not made through the portal)".into(),
            }));
        };
        let caption = meta(upload_meta::CAPTION)
            .map(|c| {
                percent_encoding::percent_decode_str(&c)
                    .decode_utf8_lossy()
                    .to_string()
            })
            .unwrap_or_default();
        let candidate = Candidate {
            source: Source::Upload,
            external_id: format!("{creator_id}/{upload_id}"),
            media_type,
            media: MediaSource::Stored {
                key: key.clone(),
                content_type: head.content_type.clone(),
            },
            permalink: None,
            caption,
            author: Author {
                handle: None,
                creator_id: Some(creator_id.to_string()),
            },
            granted: Some(Granted {
                license: format!("creator portal terms {terms_version}"),
                channels: self.config.upload_channels.clone(),
                expires_at: None,
                consent: Consent::PortalTerms {
                    creator_id: creator_id.to_string(),
                    terms_version,
                    accepted_at,
                },
            }),
            mappings: Vec::new(),
        };
        Ok(json!(self.ingest(&candidate).await?))
    }
}
