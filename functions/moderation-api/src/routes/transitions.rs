//! `POST /items/{id}/transitions`: one step of the state machine, with its audit entry.

use super::{client, parse_status};
use crate::Api;
use crate::Ports;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use reelcart_domain::content::TransitionError;
use reelcart_lambda::http::{ApiError, json};
use reelcart_ports::{MediaGate, MoveError, Moved, move_item_and_media};
use serde::Deserialize;
use serde_json::json as j;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TransitionBody {
    to: String,
    reason: Option<String>,
}

impl<P: Ports> Api<P> {
    pub(super) async fn transition(
        &self,
        id: &str,
        actor: &str,
        body: TransitionBody,
    ) -> Result<Response<Body>, ApiError> {
        let to = parse_status(&body.to)?;
        let item = self.existing(id).await?;
        let now = self.clock.now_unix();
        let (updated, entry) = match move_item_and_media(
            &self.content,
            MediaGate {
                visibility: &self.visibility,
                cdn: &self.cdn,
            },
            &item,
            to,
            actor,
            body.reason.as_deref(),
            now,
        )
        .await
        {
            Ok(Moved::Done { item, entry }) => (*item, entry),
            Ok(Moved::Raced) => {
                return Err(client(
                    StatusCode::CONFLICT,
                    "conflict",
                    "the item changed meanwhile; reload it",
                ));
            }
            Err(MoveError::Store(e)) => return Err(e.into()),
            Err(MoveError::Rule(e)) => {
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
                return Err(client(status, code, e.to_string()));
            }
        };
        tracing::info!(item_id = %id, from = entry.from.as_str(), to = entry.to.as_str(), actor = %actor, "transition");
        Ok(json(
            StatusCode::OK,
            &j!({ "item": updated, "audit_entry": entry }),
        ))
    }
}
