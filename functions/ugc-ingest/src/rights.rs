//! Rights requests on Instagram: the request's comment posted on the creator's post, and the
//! creator's reply (with the approval hashtag) recorded as consent.

use crate::{ACTOR, Error, Handler, RawMedia};
use reelcart_catalog::PushError;
use reelcart_domain::content::rights_request::{Delivery, Reply, RequestState, consent_from};
use reelcart_domain::content::{RightsGrant, Source, UgcItem};
use reelcart_platforms::ugc::graph_time;
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
    /// A comment mentioning the brand: consent, if it answers a pending rights request.
    pub(crate) async fn on_mention_comment(&self, comment_id: &str) -> Result<Value, Error> {
        let ig = self.instagram_required().await?;
        let comment = ig.mentioned_comment(comment_id).await?;
        let media_id = comment.media.id.clone();
        let now = self.clock.now_unix();
        let reply = Reply {
            comment_id: comment.id.clone(),
            media_id: media_id.clone(),
            author: comment.username.clone().unwrap_or_default(),
            text: comment.text.clone(),
            permalink: comment
                .media
                .permalink
                .clone()
                .unwrap_or_else(|| format!("instagram:media:{media_id}")),
            at: comment
                .timestamp
                .as_deref()
                .and_then(graph_time)
                .unwrap_or(now),
        };
        for source in [
            Source::InstagramHashtag,
            Source::InstagramMention,
            Source::InstagramTag,
        ] {
            let item_id = UgcItem::id_for(source, &media_id);
            let Some(item) = self.content.item(&item_id).await? else {
                continue;
            };
            for mut request in self.content.rights_requests(&item_id).await? {
                let consent = match consent_from(&request, &reply, item.author.handle.as_deref()) {
                    Ok(c) => c,
                    Err(why) => {
                        tracing::info!(%item_id, request_id = %request.id, comment_id = %reply.comment_id, reason = %why, "comment is not consent");
                        continue;
                    }
                };
                let grant = RightsGrant {
                    item_id: item_id.clone(),
                    license: request.terms.license.clone(),
                    channels: request.terms.channels.clone(),
                    starts_at: reply.at,
                    expires_at: request
                        .terms
                        .duration_days
                        .map(|d| reply.at + i64::from(d) * 86_400),
                    consent,
                };
                // Once per reply, even if this message is redelivered after the rights were
                // written but before the request was marked.
                let rights = reelcart_ports::record_rights_once(
                    &self.content,
                    &self.consent,
                    grant,
                    ACTOR,
                    now,
                )
                .await?;
                request.state = RequestState::Granted {
                    rights_id: rights.id.clone(),
                    at: now,
                };
                self.content.put_rights_request(&request).await?;
                tracing::info!(%item_id, request_id = %request.id, rights_id = %rights.id, "consent recorded from the creator's reply");
                return Ok(json!({"granted": rights.id, "item_id": item_id}));
            }
        }
        tracing::info!(comment_id, %media_id, "a mention in a comment that answers no request");
        Ok(json!({"granted": null}))
    }

    pub(crate) async fn post_rights_request(
        &self,
        item_id: &str,
        request_id: &str,
    ) -> Result<Value, Error> {
        let Some(mut request) = self
            .content
            .rights_requests(item_id)
            .await?
            .into_iter()
            .find(|r| r.id == request_id)
        else {
            return Err(Error::Malformed(format!(
                "no rights request {request_id} on {item_id}"
            )));
        };
        if request.state != RequestState::Pending
            || !matches!(request.delivery, Delivery::Api { comment_id: None })
        {
            return Ok(json!({"posted": false, "reason": "already posted or settled"}));
        }
        // One poster: a redelivery, or a second delivery of the same command, finds the claim
        // taken and posts nothing (the claim is only given back below, when nothing was posted).
        let now = self.clock.now_unix();
        if !self
            .content
            .claim_rights_request_post(item_id, request_id, now)
            .await?
        {
            tracing::info!(%item_id, %request_id, "rights request already being posted (or posted)");
            return Ok(json!({"posted": false, "reason": "already being posted"}));
        }
        let ig = match self.instagram_required().await {
            Ok(ig) => ig,
            Err(e) => {
                self.content.put_rights_request(&request).await?;
                return Err(e);
            }
        };
        match ig
            .comment_on_mention(&request.media_id, &request.text)
            .await
        {
            Ok(comment_id) => {
                request.delivery = Delivery::Api {
                    comment_id: Some(comment_id.clone()),
                };
                self.content.put_rights_request(&request).await?;
                tracing::info!(%item_id, %request_id, %comment_id, "rights request posted");
                Ok(json!({"posted": true, "comment_id": comment_id}))
            }
            Err(PushError::Fatal(reason)) => {
                request.state = RequestState::Failed {
                    reason: reason.clone(),
                };
                self.content.put_rights_request(&request).await?;
                tracing::warn!(%item_id, %request_id, %reason, "rights request could not be posted");
                Ok(json!({"posted": false, "reason": reason}))
            }
            // Throttled or the token refused (nothing posted), or a platform failure (the comment
            // may have been posted before it): the claim is given back and the command retried —
            // at worst a second comment, rather than a request never asked.
            Err(e) => {
                self.content.put_rights_request(&request).await?;
                Err(e.into())
            }
        }
    }
}
