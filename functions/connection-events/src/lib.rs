//! `connection-events`: applies the platforms' authorization webhooks to connections. Consumes the
//! `ConnectionsQueue` the webhook processor routes to: TikTok Shop type 6 (seller deauthorized) and
//! TikTok `authorization.removed` revoke the connection; TikTok Shop type 7 (authorization expiring)
//! caps its refresh horizon and flags it for re-authorization. Changes are made under the
//! connection's lease, so they never interleave with a refresh.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use reelcart_domain::Clock;
use reelcart_domain::connection::{Connection, OAuthPlatform};
use reelcart_domain::event::{DomainEvent, EventKind};
use reelcart_domain::webhook::Platform;
use reelcart_lambda::sqs::{MissingMessageId, process_batch};
use reelcart_ports::{ConnectionStore, EventBus, PortError};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("record is not a domain event: {0}")]
    NotAnEvent(String),
    #[error("connection {0} is being refreshed; retried later")]
    Busy(String),
    #[error(transparent)]
    Store(#[from] PortError),
}

/// Published when a platform webhook revoked a connection or announced its expiry.
pub const CONNECTION_CHANGED_EVENT: &str = "Connection Changed By Platform";

pub struct Handler<S, E> {
    pub store: S,
    /// Where `Connection Changed By Platform` events go (EventBridge in AWS).
    pub events: E,
    pub clock: Arc<dyn Clock>,
    pub owner: String,
}

impl<S, E> std::fmt::Debug for Handler<S, E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handler")
            .field("owner", &self.owner)
            .finish_non_exhaustive()
    }
}

/// What an event means for which connection.
#[derive(Debug, PartialEq, Eq)]
enum Change {
    Revoke,
    Expiring(i64),
}

/// What the event changes: `Ok(None)` for an event of no connection's (another kind or topic);
/// an error for a connection event missing what it must carry — dead-lettered, never dropped
/// (a revocation acknowledged unread would leave the connection in use).
fn change_of(event: &DomainEvent) -> Result<Option<(OAuthPlatform, String, Change)>, EventError> {
    let platform = match (event.platform, event.topic.as_deref()) {
        (Platform::TiktokShop, _) => OAuthPlatform::TiktokShop,
        (Platform::Tiktok, _) => OAuthPlatform::Tiktok,
        (Platform::Meta, Some("deauthorize")) => OAuthPlatform::Meta,
        (Platform::Meta, Some("instagram/deauthorize")) => OAuthPlatform::Instagram,
        (Platform::Shopify, Some("app/uninstalled")) => OAuthPlatform::Shopify,
        _ => return Ok(None),
    };
    if !matches!(
        event.kind,
        EventKind::ConnectionRevoked | EventKind::ConnectionExpiring
    ) {
        return Ok(None);
    }
    let missing = |what: &str| {
        EventError::NotAnEvent(format!("{} {} without {what}", event.platform, event.kind))
    };
    // Shopify's store: the signed body's `myshopify_domain` (the shop object), not the unsigned
    // `X-Shopify-Shop-Domain` header.
    let account = match platform {
        OAuthPlatform::Shopify => event.data["myshopify_domain"]
            .as_str()
            .ok_or_else(|| missing("myshopify_domain"))?
            .to_string(),
        _ => event.account.clone().ok_or_else(|| missing("an account"))?,
    };
    let change = match event.kind {
        EventKind::ConnectionExpiring => Change::Expiring(
            event.data["data"]["expiration_time"]
                .as_i64()
                .ok_or_else(|| missing("data.expiration_time"))?,
        ),
        _ => Change::Revoke,
    };
    Ok(Some((platform, account, change)))
}

impl<S: ConnectionStore, E: EventBus> Handler<S, E> {
    pub async fn handle(&self, event: SqsEvent) -> Result<SqsBatchResponse, MissingMessageId> {
        process_batch(event, 4, |m| self.process(m)).await
    }

    async fn process(&self, msg: SqsMessage) -> Result<(), EventError> {
        let event: DomainEvent = serde_json::from_str(msg.body.as_deref().unwrap_or_default())
            .map_err(|e| {
                EventError::NotAnEvent(reelcart_domain::webhook::redacted_json_error(&e))
            })?;
        let Some((platform, account, change)) = change_of(&event)? else {
            tracing::info!(event_id = %event.id, kind = %event.kind, platform = %event.platform, "not a connection change; ignored");
            return Ok(());
        };
        let id = Connection::id_for(platform, &account);
        let now = self.clock.now_unix();
        let Some(mut rec) = self.store.acquire_lease(&id, &self.owner, now, 30).await? else {
            return match self.store.get(&id).await? {
                // Held by a refresher: fail the record, SQS redelivers it after the refresh.
                Some(_) => Err(EventError::Busy(id)),
                None => {
                    tracing::warn!(connection = %id, event_id = %event.id, "authorization event for an unknown connection");
                    Ok(())
                }
            };
        };
        match change {
            Change::Revoke => rec.connection.revoked(
                now,
                &format!(
                    "{} webhook {}",
                    event.platform,
                    event.topic.unwrap_or_default()
                ),
            ),
            Change::Expiring(at) => rec.connection.authorization_expiring(now, at),
        }
        if !self.store.finish(&rec, &self.owner).await? {
            return Err(EventError::Busy(id));
        }
        let remediation = rec
            .connection
            .last_error
            .as_ref()
            .map(|e| e.remediation.as_str())
            .unwrap_or_default();
        tracing::warn!(connection = %id, status = ?rec.connection.status, remediation, "connection changed by a platform webhook");
        let detail = serde_json::json!({
            "connection_id": id,
            "platform": platform.as_str(),
            "account_id": account,
            "status": rec.connection.status,
            "refresh_expires_at": rec.connection.refresh_expires_at,
            "remediation": remediation,
            "event_id": event.id,
        });
        // The change is stored; a lost notification is logged, not retried (SQS would re-apply).
        if let Err(e) = self.events.publish(CONNECTION_CHANGED_EVENT, &detail).await {
            tracing::error!(connection = %id, error = %e, "could not publish the connection event");
        }
        Ok(())
    }
}

/// Build the handler (`CONNECTIONS_TABLE`, `EVENT_BUS_NAME`): the one wiring `main` and the local
/// stack share.
pub fn from_aws<F: Fn(&str) -> Option<String>>(
    v: &reelcart_lambda::config::Vars<F>,
    sdk: &reelcart_aws::SdkConfig,
    clock: Arc<dyn Clock>,
) -> Result<
    Handler<reelcart_aws::DynamoConnections, reelcart_aws::EventBridgeBus>,
    reelcart_lambda::config::ConfigError,
> {
    Ok(Handler {
        store: reelcart_aws::DynamoConnections::new(
            aws_sdk_dynamodb::Client::new(sdk),
            v.required("CONNECTIONS_TABLE")?,
        ),
        events: reelcart_aws::EventBridgeBus::new(
            aws_sdk_eventbridge::Client::new(sdk),
            v.required("EVENT_BUS_NAME")?,
            "reelcart.connections",
        ),
        clock,
        owner: format!("connection-events-{:016x}", rand::random::<u64>()),
    })
}

#[cfg(test)]
mod tests;
