//! `POST /items/{id}/transitions`: one step of the state machine, with its audit entry.

use super::{client, internal, parse_status};
use crate::Api;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use reelcart_domain::content::{Status, TransitionError, transition};
use reelcart_lambda::http::{ApiError, json};
use reelcart_ports::{
    BlobStore, BlocklistStore, CatalogStore, ItemStore, MappingStore, MediaRecords, MessageQueue,
    PublishInputs, RightsStore,
};
use serde::Deserialize;
use serde_json::json as j;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TransitionBody {
    to: String,
    reason: Option<String>,
}

impl<
    S: ItemStore + RightsStore + MappingStore + BlocklistStore,
    C: CatalogStore,
    B: BlobStore,
    Q: MessageQueue,
    M: MediaRecords,
> Api<S, C, B, Q, M>
{
    pub(super) async fn transition(
        &self,
        id: &str,
        actor: &str,
        body: TransitionBody,
    ) -> Result<Response<Body>, ApiError> {
        let to = parse_status(&body.to)?;
        let item = self.existing(id).await?;
        let now = self.clock.now_unix();
        let inputs = if to == Status::Published {
            PublishInputs::load(&self.content, id)
                .await
                .map_err(internal)?
        } else {
            PublishInputs::default()
        };
        let check = inputs.check(&item, now);
        let entry = transition(
            id,
            item.status,
            to,
            actor,
            body.reason.as_deref(),
            Some(&check),
            now,
        )
        .map_err(|e| {
            let code = match e {
                TransitionError::Illegal { .. } => "illegal_transition",
                TransitionError::ReasonRequired => "reason_required",
                TransitionError::NoValidRights(_) => "no_valid_rights",
                TransitionError::NoMapping => "no_mapping",
            };
            let status = if e == TransitionError::ReasonRequired {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::CONFLICT
            };
            client(status, code, e.to_string())
        })?;
        let mut updated = item.clone();
        updated.status = to;
        updated.updated_at = now;
        if to == Status::Rejected {
            updated.rejection = entry.reason.clone();
        }
        if !self
            .content
            .record_transition(&updated, &entry)
            .await
            .map_err(internal)?
        {
            return Err(client(
                StatusCode::CONFLICT,
                "conflict",
                "the item changed meanwhile; reload it",
            ));
        }
        tracing::info!(item_id = %id, from = entry.from.as_str(), to = entry.to.as_str(), actor = %actor, "transition");
        Ok(json(
            StatusCode::OK,
            &j!({ "item": updated, "audit_entry": entry }),
        ))
    }
}
