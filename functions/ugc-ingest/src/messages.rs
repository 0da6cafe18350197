//! The content queue's messages: S3 notifications of uploads, commands (`post_rights_request`)
//! and platform events (Instagram mentions, `review.created`).

use crate::{Error, Handler, RawMedia};
use reelcart_domain::content::rights_request::ContentCommand;
use reelcart_domain::event::{DomainEvent, EventKind};
use reelcart_lambda::events::S3Notification;
use reelcart_ports::{
    BlobStore, ConnectionStore, ContentStore, EventBus, KeyService, MessageQueue,
};
use serde_json::{Value, json};

/// What the content queue carries: S3's notifications of creators' uploads (`Records`), commands
/// (`command`), and normalized platform events; each body is exactly one of them.
#[derive(Debug, serde::Deserialize)]
#[serde(untagged)]
pub enum ContentMessage {
    Uploads(S3Notification),
    /// S3's test event, sent when the bucket's notification is configured: nothing to ingest.
    S3Test {
        #[serde(rename = "Event")]
        event: String,
    },
    Command(ContentCommand),
    Event(DomainEvent),
}

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
    /// One content-queue message: a platform event or a command.
    pub async fn on_message(&self, body: &str) -> Result<Value, Error> {
        let message: ContentMessage =
            serde_json::from_str(body).map_err(|e| Error::Malformed(e.to_string()))?;
        let event = match message {
            ContentMessage::Uploads(notification) => {
                let mut out = Vec::new();
                for r in &notification.records {
                    out.push(self.on_upload(r).await?);
                }
                return Ok(json!({ "uploads": out }));
            }
            ContentMessage::S3Test { event } if event == "s3:TestEvent" => {
                tracing::info!(event, "S3's test notification: nothing to ingest");
                return Ok(json!({ "ignored": event }));
            }
            ContentMessage::S3Test { event } => {
                return Err(Error::Malformed(format!(
                    "an `Event` of `{}` (only s3:TestEvent is known)",
                    event.chars().take(40).collect::<String>()
                )));
            }
            ContentMessage::Command(ContentCommand::PostRightsRequest {
                item_id,
                request_id,
            }) => return self.post_rights_request(&item_id, &request_id).await,
            ContentMessage::Event(event) => event,
        };
        match event.kind {
            EventKind::ContentMention => {
                let value = &event.data["value"];
                let text = |k: &str| {
                    value[k]
                        .as_str()
                        .map(str::to_string)
                        .or_else(|| value[k].as_u64().map(|n| n.to_string()))
                };
                match (text("comment_id"), text("media_id")) {
                    (Some(comment_id), _) => self.on_mention_comment(&comment_id).await,
                    (None, Some(media_id)) => self.on_mentioned_media(&media_id).await,
                    (None, None) => Err(Error::Malformed(
                        "a mention names neither media nor comment".into(),
                    )),
                }
            }
            EventKind::ReviewCreated => {
                let outcome = self.ingest(&self.review_candidate(&event.data)?).await?;
                Ok(json!(outcome))
            }
            other => {
                tracing::info!(kind = other.as_str(), event_id = %event.id, "not for ingest: acknowledged");
                Ok(json!({"ignored": other.as_str()}))
            }
        }
    }
}
