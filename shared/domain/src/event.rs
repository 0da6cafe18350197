//! Domain events: what a verified platform delivery means to Reelcart, and where it goes.

use crate::webhook::{Platform, WebhookEnvelope};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// What happened, in Reelcart's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    OrderCreated,
    OrderUpdated,
    ProductChanged,
    ProductDeleted,
    ContentMention,
    ContentComment,
    /// A review with media from the store's review app (Standard Webhooks, `review.created`).
    ReviewCreated,
    ConnectionRevoked,
    ConnectionExpiring,
    /// Verified, but of a type Reelcart does not handle (yet). Recorded, never dropped.
    Unknown,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::OrderCreated => "order_created",
            EventKind::OrderUpdated => "order_updated",
            EventKind::ProductChanged => "product_changed",
            EventKind::ProductDeleted => "product_deleted",
            EventKind::ContentMention => "content_mention",
            EventKind::ContentComment => "content_comment",
            EventKind::ReviewCreated => "review_created",
            EventKind::ConnectionRevoked => "connection_revoked",
            EventKind::ConnectionExpiring => "connection_expiring",
            EventKind::Unknown => "unknown",
        }
    }

    /// The capability that consumes this kind of event.
    pub fn route(self) -> Route {
        match self {
            EventKind::OrderCreated | EventKind::OrderUpdated => Route::Orders,
            EventKind::ProductChanged | EventKind::ProductDeleted => Route::Catalog,
            EventKind::ContentMention | EventKind::ContentComment | EventKind::ReviewCreated => {
                Route::Content
            }
            EventKind::ConnectionRevoked | EventKind::ConnectionExpiring => Route::Connections,
            EventKind::Unknown => Route::Unrouted,
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Each capability's inbound queue, or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    Orders,
    Catalog,
    Content,
    Connections,
    /// Kept in the events table only, for an operator to look at.
    Unrouted,
}

impl Route {
    pub fn as_str(self) -> &'static str {
        match self {
            Route::Orders => "orders",
            Route::Catalog => "catalog",
            Route::Content => "content",
            Route::Connections => "connections",
            Route::Unrouted => "unrouted",
        }
    }
}

/// A normalized platform event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainEvent {
    /// Stable across redeliveries: derived from the platform's delivery id (and, for Meta, the change).
    pub id: String,
    pub kind: EventKind,
    pub platform: Platform,
    /// The platform's name for the event (`orders/create`, `1`, `mentions`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// Shop, page or account the event belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The thing the event is about: order id, product id, media id, user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    pub received_at: i64,
    /// The platform's payload for this event (one change, for Meta).
    pub data: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NormalizeError {
    #[error("envelope has no body")]
    NoBody,
    #[error("body is not JSON: {0}")]
    NotJson(String),
    #[error("unsupported envelope version {0}")]
    Version(u8),
}

/// Turn one verified delivery into the events it carries (a Meta delivery may batch many changes).
pub fn normalize(env: &WebhookEnvelope, body: &str) -> Result<Vec<DomainEvent>, NormalizeError> {
    if env.v != WebhookEnvelope::VERSION {
        return Err(NormalizeError::Version(env.v));
    }
    let json: Value = serde_json::from_str(body)
        .map_err(|e| NormalizeError::NotJson(crate::webhook::redacted_json_error(&e)))?;
    let base = |kind, account: Option<String>, subject: Option<String>, data: Value| DomainEvent {
        id: env.dedupe_key.clone(),
        kind,
        platform: env.platform,
        topic: env.topic.clone(),
        account,
        subject,
        received_at: env.received_at,
        data,
    };
    let topic = env.topic.as_deref().unwrap_or_default();
    let events = match env.platform {
        Platform::Shopify => {
            let kind = match topic {
                "orders/create" => EventKind::OrderCreated,
                "orders/updated" | "orders/paid" | "orders/cancelled" | "orders/fulfilled"
                | "orders/edited" | "refunds/create" => EventKind::OrderUpdated,
                "products/create" | "products/update" => EventKind::ProductChanged,
                "products/delete" => EventKind::ProductDeleted,
                "app/uninstalled" => EventKind::ConnectionRevoked,
                _ => EventKind::Unknown,
            };
            let subject = json.get("id").map(text);
            vec![base(kind, env.source.clone(), subject, json)]
        }
        Platform::TiktokShop => {
            let data = json.get("data").cloned().unwrap_or(Value::Null);
            let (kind, subject) = match topic {
                "1" => (EventKind::OrderUpdated, data.get("order_id").map(text)),
                "5" | "37" => (EventKind::ProductChanged, data.get("product_id").map(text)),
                "6" => (EventKind::ConnectionRevoked, None),
                "7" => (EventKind::ConnectionExpiring, None),
                _ => (EventKind::Unknown, None),
            };
            let account = json.get("shop_id").map(text);
            vec![base(kind, account, subject, json)]
        }
        Platform::Tiktok => {
            let kind = match topic {
                "authorization.removed" => EventKind::ConnectionRevoked,
                _ => EventKind::Unknown,
            };
            let account = json.get("user_openid").map(text);
            vec![base(kind, account, None, json)]
        }
        // Deauthorize callbacks (the receiver verified the `signed_request` and kept its payload).
        Platform::Meta if matches!(topic, "deauthorize" | "instagram/deauthorize") => {
            let account = json.get("user_id").map(text);
            vec![base(EventKind::ConnectionRevoked, account, None, json)]
        }
        // A delivery with no change in it (no `entry`, or empty ones) is still kept, whole, as
        // one unknown event: a verified delivery is never acknowledged unrecorded.
        Platform::Meta => match meta_changes(env, &json) {
            changes if changes.is_empty() => vec![base(EventKind::Unknown, None, None, json)],
            changes => changes,
        },
        // Standard Webhooks bodies are `{"type", "timestamp", "data"}`.
        Platform::Standard => {
            let kind = match json.get("type").and_then(Value::as_str) {
                Some("review.created") => EventKind::ReviewCreated,
                _ => EventKind::Unknown,
            };
            let subject = (kind != EventKind::Unknown)
                .then(|| json.pointer("/data/id").map(text))
                .flatten();
            vec![base(kind, env.source.clone(), subject, json)]
        }
    };
    Ok(events)
}

/// One event per change of every entry; ids combine the entry, the field and the change content,
/// so the same change redelivered inside a different batch is still recognised.
fn meta_changes(env: &WebhookEnvelope, json: &Value) -> Vec<DomainEvent> {
    let mut out = Vec::new();
    let entries = json
        .get("entry")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for entry in entries {
        let account = entry.get("id").map(text);
        let changes = entry.get("changes").and_then(Value::as_array);
        let Some(changes) = changes else {
            // Messaging and other entry shapes: keep the whole entry as one unknown event.
            out.push(meta_event(
                env,
                EventKind::Unknown,
                account.clone(),
                None,
                "entry",
                entry.clone(),
            ));
            continue;
        };
        for change in changes {
            let field = change
                .get("field")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let value = change.get("value");
            let (kind, subject) = match field {
                "mentions" => (
                    EventKind::ContentMention,
                    value
                        .and_then(|v| v.get("media_id").or_else(|| v.get("comment_id")))
                        .map(text),
                ),
                "comments" | "live_comments" => (
                    EventKind::ContentComment,
                    value.and_then(|v| v.get("id")).map(text),
                ),
                _ => (EventKind::Unknown, None),
            };
            out.push(meta_event(
                env,
                kind,
                account.clone(),
                subject,
                field,
                change.clone(),
            ));
        }
    }
    out
}

fn meta_event(
    env: &WebhookEnvelope,
    kind: EventKind,
    account: Option<String>,
    subject: Option<String>,
    field: &str,
    data: Value,
) -> DomainEvent {
    let digest = crate::webhook::sha256_of(data.to_string().as_bytes());
    DomainEvent {
        id: format!(
            "meta#{}#{}#{}",
            account.as_deref().unwrap_or("-"),
            if field.is_empty() { "-" } else { field },
            &digest[..32]
        ),
        kind,
        platform: Platform::Meta,
        topic: Some(field.to_string())
            .filter(|f| !f.is_empty())
            .or_else(|| env.topic.clone()),
        account,
        subject,
        received_at: env.received_at,
        data,
    }
}

fn text(v: &Value) -> String {
    crate::webhook::scalar_text(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhook::Delivery;

    fn envelope(
        platform: Platform,
        topic: Option<&str>,
        source: Option<&str>,
        body: &str,
    ) -> WebhookEnvelope {
        let d = Delivery {
            platform,
            source: source.map(str::to_string),
            delivery_id: "d1".into(),
            topic: topic.map(str::to_string),
        };
        WebhookEnvelope::new(&d, 1_700_000_000, body.to_string())
    }

    /// A verified Meta delivery carrying no change (no `entry`, or an empty one) is kept whole
    /// as one unknown event, not acknowledged with nothing recorded.
    #[test]
    fn a_meta_delivery_without_changes_is_kept_as_one_unknown_event() {
        for body in [
            r#"{"object":"instagram"}"#,
            r#"{"object":"instagram","entry":[]}"#,
        ] {
            let env = envelope(Platform::Meta, None, Some("instagram"), body);
            let events = normalize(&env, body).unwrap();
            assert_eq!(events.len(), 1, "{body}");
            assert_eq!(events[0].kind, EventKind::Unknown);
            assert_eq!(events[0].data["object"], "instagram");
        }
    }

    #[test]
    fn given_a_shopify_order_create_then_one_order_created_event_for_the_orders_queue() {
        let env = envelope(
            Platform::Shopify,
            Some("orders/create"),
            Some("acme.myshopify.com"),
            r#"{"id":820982911946154508}"#,
        );
        let events = normalize(&env, env.body.as_deref().unwrap()).unwrap();
        assert_eq!(events.len(), 1);
        let e = &events[0];
        assert_eq!(e.kind, EventKind::OrderCreated);
        assert_eq!(e.kind.route(), Route::Orders);
        assert_eq!(e.subject.as_deref(), Some("820982911946154508"));
        assert_eq!(e.account.as_deref(), Some("acme.myshopify.com"));
        assert_eq!(e.id, "wh#shopify#acme.myshopify.com#d1");
    }

    #[test]
    fn given_tiktok_shop_types_then_kinds_follow_the_spec() {
        let cases = [
            (
                "1",
                r#"{"data":{"order_id":"576"}}"#,
                EventKind::OrderUpdated,
                Some("576"),
            ),
            (
                "5",
                r#"{"data":{"product_id":"17"}}"#,
                EventKind::ProductChanged,
                Some("17"),
            ),
            (
                "37",
                r#"{"data":{"product_id":"18"}}"#,
                EventKind::ProductChanged,
                Some("18"),
            ),
            ("6", r#"{"data":{}}"#, EventKind::ConnectionRevoked, None),
            (
                "7",
                r#"{"data":{"expiration_time":1700000000}}"#,
                EventKind::ConnectionExpiring,
                None,
            ),
            ("99", r#"{"data":{}}"#, EventKind::Unknown, None),
        ];
        for (topic, body, kind, subject) in cases {
            let env = envelope(Platform::TiktokShop, Some(topic), None, body);
            let e = normalize(&env, body).unwrap().remove(0);
            assert_eq!(
                (e.kind, e.subject.as_deref()),
                (kind, subject),
                "type {topic}"
            );
        }
    }

    #[test]
    fn given_a_meta_batch_then_one_event_per_change_with_stable_ids() {
        let body = r#"{"object":"instagram","entry":[
            {"id":"17841","time":1,"changes":[{"field":"mentions","value":{"media_id":"m1"}},{"field":"comments","value":{"id":"c1"}}]},
            {"id":"17842","time":1,"changes":[{"field":"story_insights","value":{}}]}]}"#;
        let env = envelope(Platform::Meta, Some("instagram"), None, body);
        let events = normalize(&env, body).unwrap();
        let kinds: Vec<_> = events.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                EventKind::ContentMention,
                EventKind::ContentComment,
                EventKind::Unknown
            ]
        );
        assert_eq!(events[0].subject.as_deref(), Some("m1"));
        // Same change in a different delivery → same id.
        let other = r#"{"object":"instagram","entry":[{"id":"17841","time":2,"changes":[{"field":"mentions","value":{"media_id":"m1"}}]}]}"#;
        let again = normalize(
            &envelope(Platform::Meta, Some("instagram"), None, other),
            other,
        )
        .unwrap();
        assert_eq!(again[0].id, events[0].id);
        assert_ne!(events[0].id, events[1].id);
    }

    #[test]
    fn given_unknown_types_then_they_are_kept_as_unknown_not_dropped() {
        let env = envelope(
            Platform::Standard,
            Some("invoice.paid"),
            Some("billing"),
            r#"{"type":"invoice.paid"}"#,
        );
        let e = normalize(&env, r#"{"type":"invoice.paid"}"#).unwrap();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].kind.route(), Route::Unrouted);
        let review = r#"{"type":"review.created","data":{"id":"rv_1"}}"#;
        let e = normalize(&env, review).unwrap();
        assert_eq!(e[0].kind, EventKind::ReviewCreated);
        assert_eq!(e[0].kind.route(), Route::Content);
        assert_eq!(e[0].subject.as_deref(), Some("rv_1"));
    }

    #[test]
    fn given_a_bad_body_or_version_then_an_error() {
        let mut env = envelope(Platform::Shopify, None, None, "{}");
        assert!(matches!(
            normalize(&env, "nope"),
            Err(NormalizeError::NotJson(_))
        ));
        env.v = 9;
        assert_eq!(normalize(&env, "{}"), Err(NormalizeError::Version(9)));
    }
}
