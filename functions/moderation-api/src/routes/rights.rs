//! Rights recorded by an admin (with their consent artifact) and revoked; rights requests asked
//! of the creator in a comment.

use super::client;
use crate::Api;
use crate::Ports;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use reelcart_domain::content::Channel;
use reelcart_domain::content::rights_request::{
    ContentCommand, Delivery, RequestState, RightsRequest, Terms, comment_text, delivery_for,
};
use reelcart_lambda::http::{ApiError, json};
use reelcart_ports::{MessageQueue, RightsStore};
use serde::Deserialize;
use serde_json::json as j;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RightsBody {
    license: String,
    channels: std::collections::BTreeSet<Channel>,
    #[serde(deserialize_with = "reelcart_domain::json_int::int")]
    starts_at: i64,
    #[serde(default, deserialize_with = "reelcart_domain::json_int::opt")]
    expires_at: Option<i64>,
    consent: reelcart_domain::content::Consent,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RequestBody {
    license: String,
    channels: std::collections::BTreeSet<Channel>,
    #[serde(default, deserialize_with = "reelcart_domain::json_int::opt")]
    duration_days: Option<u32>,
}

impl<P: Ports> Api<P> {
    pub(super) async fn record_rights(
        &self,
        id: &str,
        actor: &str,
        body: RightsBody,
    ) -> Result<Response<Body>, ApiError> {
        self.existing(id).await?;
        let now = self.clock.now_unix();
        let grant = reelcart_domain::content::RightsGrant {
            item_id: id.to_string(),
            license: body.license,
            channels: body.channels,
            starts_at: body.starts_at,
            expires_at: body.expires_at,
            consent: body.consent,
        };
        if let Some(problem) = grant.problem() {
            return Err(client(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_rights",
                problem,
            ));
        }
        let rights =
            reelcart_ports::record_rights(&self.content, &self.consent, grant, actor, now).await?;
        tracing::info!(item_id = %id, rights_id = %rights.id, actor = %actor, "rights recorded");
        Ok(json(StatusCode::CREATED, &j!({ "rights": rights })))
    }

    pub(super) async fn request_rights(
        &self,
        id: &str,
        actor: &str,
        body: RequestBody,
    ) -> Result<Response<Body>, ApiError> {
        let item = self.existing(id).await?;
        let terms = Terms {
            license: body.license.trim().to_string(),
            channels: body.channels,
            duration_days: body.duration_days,
        };
        if let Some(problem) = terms.problem() {
            return Err(client(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_rights",
                problem,
            ));
        }
        let Some(delivery) = delivery_for(item.source) else {
            return Err(client(
                StatusCode::UNPROCESSABLE_ENTITY,
                "no_comment_channel",
                "only Instagram posts are asked in a comment: TikTok videos, uploads and reviews carry consent through the creator portal's terms or a recorded agreement",
            ));
        };
        let existing = self.content.rights_requests(id).await?;
        if existing.iter().any(|r| r.state == RequestState::Pending) {
            return Err(client(
                StatusCode::CONFLICT,
                "request_pending",
                "a rights request for this item is still waiting for the creator's reply",
            ));
        }
        let request = RightsRequest {
            id: format!("rq{}", uuid::Uuid::new_v4().simple()),
            item_id: id.to_string(),
            media_id: item.external_id.clone(),
            permalink: item.permalink.clone(),
            hashtag: self.brand.hashtag.clone(),
            brand_handle: self.brand.handle.clone(),
            text: comment_text(
                &self.brand.hashtag,
                &self.brand.handle,
                &terms,
                &self.brand.terms_url,
            ),
            terms,
            delivery,
            state: RequestState::Pending,
            requested_by: actor.to_string(),
            requested_at: self.clock.now_unix(),
        };
        self.content.put_rights_request(&request).await?;
        let next = match request.delivery {
            Delivery::Api { .. } => {
                let command = ContentCommand::PostRightsRequest {
                    item_id: id.to_string(),
                    request_id: request.id.clone(),
                };
                self.commands
                    .send(&serde_json::to_string(&command).map_err(ApiError::internal)?)
                    .await?;
                "the comment is being posted on the creator's post".to_string()
            }
            Delivery::Manual => format!(
                "Instagram allows no API comment on media found by hashtag: post the text as the brand on {}",
                request.permalink.as_deref().unwrap_or("the post")
            ),
        };
        tracing::info!(item_id = %id, request_id = %request.id, actor = %actor, "rights requested");
        Ok(json(
            StatusCode::CREATED,
            &j!({ "request": request, "next": next }),
        ))
    }

    pub(super) async fn revoke(
        &self,
        id: &str,
        rights_id: &str,
        actor: &str,
    ) -> Result<Response<Body>, ApiError> {
        let mut rights = self
            .content
            .rights(id)
            .await?
            .into_iter()
            .find(|r| r.id == rights_id)
            .ok_or_else(|| client(StatusCode::NOT_FOUND, "not_found", "no such rights"))?;
        let now = self.clock.now_unix();
        if rights.revoked_at.is_none_or(|t| t > now) {
            rights.revoked_at = Some(now);
            self.content.put_rights(&rights).await?;
            tracing::warn!(item_id = %id, rights_id = %rights_id, actor = %actor, "rights revoked");
        }
        Ok(json(StatusCode::OK, &j!({ "rights": rights })))
    }

    pub(super) async fn rights_requests(&self, id: &str) -> Result<Response<Body>, ApiError> {
        self.existing(id).await?;
        let requests = self.content.rights_requests(id).await?;
        Ok(json(StatusCode::OK, &j!({ "requests": requests })))
    }
}
