//! Identify a verified delivery: its dedupe id (the platform's own delivery or event id where it
//! has one) and its topic. Runs only after [`super::verify`] succeeded.

use super::Platform;
use http::HeaderMap;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// What the receiver needs to dedupe and route a verified delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub platform: Platform,
    /// Standard Webhooks source name, or the Shopify shop domain; namespaces the dedupe key.
    pub source: Option<String>,
    /// The platform's id for this delivery (or a content hash where the platform has none).
    pub delivery_id: String,
    /// Event type as the platform names it (`orders/create`, `1`, `authorization.removed`, ...).
    pub topic: Option<String>,
}

impl Delivery {
    /// The key the receiver dedupes on: unique across platforms and sources.
    pub fn dedupe_key(&self) -> String {
        match &self.source {
            Some(source) => format!("wh#{}#{}#{}", self.platform, source, self.delivery_id),
            None => format!("wh#{}#{}", self.platform, self.delivery_id),
        }
    }
}

/// A verified delivery whose content is not what the platform sends. Maps to `400`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MalformedError {
    #[error("body is not a JSON object")]
    NotJson,
    #[error("body is missing `{0}`")]
    MissingField(&'static str),
    #[error("missing header `{0}`")]
    MissingHeader(&'static str),
    #[error("`{0}` is too long or contains control characters")]
    BadValue(&'static str),
    #[error("the topic does not fit the body (a signed body sent under another topic)")]
    TopicMismatch,
}

/// Does a Shopify body have the shape its topic sends? Only what every delivery of the topic
/// has is checked (a product has `title` and `variants`, a deleted product only its `id`, an
/// order is no product and no refund, a cancelled order has `cancelled_at`, a refund its
/// `order_id`, an uninstall the shop's `myshopify_domain`); other topics pass (the stack reads
/// them as unknown).
pub fn shopify_topic_fits(topic: &str, json: &Value) -> bool {
    let has = |k: &str| json.get(k).is_some_and(|v| !v.is_null());
    match topic {
        "products/create" | "products/update" => has("title") && json["variants"].is_array(),
        // A deleted product's payload is its id alone.
        "products/delete" => has("id") && json.as_object().is_some_and(|o| o.len() == 1),
        // A cancellation says when: an order body sent as `orders/cancelled` would undo credit.
        "orders/cancelled" => has("id") && has("cancelled_at") && !has("variants"),
        "orders/create" | "orders/updated" | "orders/paid" | "orders/fulfilled"
        | "orders/edited" => has("id") && !has("variants") && !has("order_id"),
        "refunds/create" => has("order_id") && !has("line_items"),
        "app/uninstalled" => has("myshopify_domain") && !has("line_items") && !has("variants"),
        _ => true,
    }
}

const MAX_ID_LEN: usize = 200;

/// Identify a verified delivery.
pub fn identify(
    platform: Platform,
    source: Option<&str>,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Delivery, MalformedError> {
    let json: Value = serde_json::from_slice(body).map_err(|_| MalformedError::NotJson)?;
    if !json.is_object() {
        return Err(MalformedError::NotJson);
    }
    let (source, delivery_id, topic) = match platform {
        Platform::Meta => {
            // Meta sends no delivery id; an identical redelivery has identical bytes. Each change
            // inside is deduped again by the processor (entry id + change).
            let object = str_field(&json, "object")?;
            if !json.get("entry").is_some_and(Value::is_array) {
                return Err(MalformedError::MissingField("entry"));
            }
            (None, sha256_of(body), Some(object.to_string()))
        }
        Platform::TiktokShop => {
            let id = str_field(&json, "tts_notification_id")?;
            let topic = json.get("type").map(scalar_text);
            (None, id.to_string(), topic)
        }
        Platform::Tiktok => {
            // No delivery id: the identifying body fields are the dedupe key.
            let event = str_field(&json, "event")?;
            let fields = [
                json.get("client_key").map(scalar_text).unwrap_or_default(),
                json.get("user_openid").map(scalar_text).unwrap_or_default(),
                event.to_string(),
                json.get("create_time").map(scalar_text).unwrap_or_default(),
                json.get("content").map(scalar_text).unwrap_or_default(),
            ];
            (
                None,
                sha256_of(fields.join("\n").as_bytes()),
                Some(event.to_string()),
            )
        }
        Platform::Shopify => {
            // Shopify's headers are not signed, only the body is. The topic must fit the body
            // (a captured product body resent as `products/delete` is refused), and the dedupe
            // key is the body's and topic's hash (a captured body under a new event id is the
            // same delivery); an event id is still required, as Shopify always sends one.
            header(headers, "x-shopify-event-id")
                .or_else(|| header(headers, "x-shopify-webhook-id"))
                .ok_or(MalformedError::MissingHeader("x-shopify-event-id"))?;
            let topic = header(headers, "x-shopify-topic")
                .ok_or(MalformedError::MissingHeader("x-shopify-topic"))?;
            if !shopify_topic_fits(topic, &json) {
                return Err(MalformedError::TopicMismatch);
            }
            let shop = header(headers, "x-shopify-shop-domain").map(str::to_string);
            let id = sha256_of(&[topic.as_bytes(), b"\n", body].concat());
            (shop, id, Some(topic.to_string()))
        }
        Platform::Standard => {
            let id =
                header(headers, "webhook-id").ok_or(MalformedError::MissingHeader("webhook-id"))?;
            let topic = json.get("type").and_then(Value::as_str).map(str::to_string);
            (source.map(str::to_string), id.to_string(), topic)
        }
    };
    check_id("delivery id", &delivery_id)?;
    if let Some(s) = &source {
        check_id("source", s)?;
    }
    Ok(Delivery {
        platform,
        source,
        delivery_id,
        topic,
    })
}

fn check_id(what: &'static str, id: &str) -> Result<(), MalformedError> {
    if id.is_empty() || id.chars().count() > MAX_ID_LEN || id.chars().any(char::is_control) {
        return Err(MalformedError::BadValue(what));
    }
    Ok(())
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

fn str_field<'j>(json: &'j Value, name: &'static str) -> Result<&'j str, MalformedError> {
    json.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or(MalformedError::MissingField(name))
}

/// A JSON scalar as text (`"a"` → `a`, `1` → `1`); other values as compact JSON.
pub fn scalar_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

pub fn sha256_of(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn h(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        m
    }

    #[test]
    fn shopify_dedupes_on_event_id_not_webhook_id() {
        let headers = h(&[
            ("x-shopify-event-id", "evt-1"),
            ("x-shopify-webhook-id", "delivery-9"),
            ("x-shopify-topic", "orders/create"),
            ("x-shopify-shop-domain", "acme.myshopify.com"),
        ]);
        let body = br#"{"id":1,"line_items":[]}"#;
        let d = identify(Platform::Shopify, None, &headers, body).unwrap();
        assert_eq!(
            d.dedupe_key(),
            format!(
                "wh#shopify#acme.myshopify.com#{}",
                sha256_of(&[&b"orders/create\n"[..], body].concat())
            )
        );
        assert_eq!(d.topic.as_deref(), Some("orders/create"));
        // The same body under a new event id: the same delivery.
        let again = h(&[
            ("x-shopify-event-id", "evt-2"),
            ("x-shopify-topic", "orders/create"),
            ("x-shopify-shop-domain", "acme.myshopify.com"),
        ]);
        assert_eq!(
            identify(Platform::Shopify, None, &again, body)
                .unwrap()
                .dedupe_key(),
            d.dedupe_key()
        );
    }

    /// A Shopify delivery of `topic` with `body`, as the receiver identifies it.
    fn delivery(topic: &str, body: &[u8]) -> Result<Delivery, MalformedError> {
        let headers = h(&[
            ("x-shopify-event-id", "e"),
            ("x-shopify-topic", topic),
            ("x-shopify-shop-domain", "acme.myshopify.com"),
        ]);
        identify(Platform::Shopify, None, &headers, body)
    }

    /// A captured, signed product body resent as `products/delete` (the headers are unsigned)
    /// is refused, and so is an order body under a product topic. Fails without the check: the
    /// product was deleted from the catalog and both channels.
    #[test]
    fn a_shopify_topic_must_fit_its_signed_body() {
        let product = br#"{"id":632910392,"title":"IPod Nano","handle":"ipod-nano","variants":[{"id":1,"price":"199.00"}]}"#;
        assert!(delivery("products/update", product).is_ok());
        assert_eq!(
            delivery("products/delete", product),
            Err(MalformedError::TopicMismatch)
        );
        assert!(delivery("products/delete", br#"{"id":632910392}"#).is_ok());
        assert_eq!(
            delivery("orders/create", product),
            Err(MalformedError::TopicMismatch)
        );
        assert_eq!(
            delivery("app/uninstalled", product),
            Err(MalformedError::TopicMismatch)
        );
        assert_eq!(
            delivery("refunds/create", br#"{"id":1,"line_items":[]}"#),
            Err(MalformedError::TopicMismatch)
        );
        assert!(
            delivery(
                "refunds/create",
                br#"{"id":1,"order_id":2,"refund_line_items":[]}"#
            )
            .is_ok()
        );
        assert!(
            delivery(
                "app/uninstalled",
                br#"{"id":1,"myshopify_domain":"acme.myshopify.com"}"#
            )
            .is_ok()
        );
        assert!(
            delivery(
                "bulk_operations/finish",
                br#"{"admin_graphql_api_id":"gid://shopify/BulkOperation/1"}"#
            )
            .is_ok()
        );
    }

    #[test]
    fn tiktok_shop_uses_notification_id() {
        let body = br#"{"type":1,"tts_notification_id":"7327","shop_id":"s","data":{}}"#;
        let d = identify(Platform::TiktokShop, None, &HeaderMap::new(), body).unwrap();
        assert_eq!(d.dedupe_key(), "wh#tiktok-shop#7327");
        assert_eq!(d.topic.as_deref(), Some("1"));
    }

    #[test]
    fn meta_identical_bytes_give_identical_keys() {
        let body = br#"{"object":"instagram","entry":[]}"#;
        let a = identify(Platform::Meta, None, &HeaderMap::new(), body).unwrap();
        let b = identify(Platform::Meta, None, &HeaderMap::new(), body).unwrap();
        assert_eq!(a, b);
        let c = identify(
            Platform::Meta,
            None,
            &HeaderMap::new(),
            br#"{"object":"page","entry":[]}"#,
        )
        .unwrap();
        assert_ne!(a.dedupe_key(), c.dedupe_key());
    }

    #[test]
    fn standard_is_namespaced_by_source() {
        let headers = h(&[("webhook-id", "msg_1")]);
        let a = identify(Platform::Standard, Some("a"), &headers, b"{}").unwrap();
        let b = identify(Platform::Standard, Some("b"), &headers, b"{}").unwrap();
        assert_ne!(a.dedupe_key(), b.dedupe_key());
    }

    #[test]
    fn malformed_bodies_are_named() {
        let none = HeaderMap::new();
        assert_eq!(
            identify(Platform::Meta, None, &none, b"not json"),
            Err(MalformedError::NotJson)
        );
        assert_eq!(
            identify(Platform::Meta, None, &none, b"[1]"),
            Err(MalformedError::NotJson)
        );
        assert_eq!(
            identify(Platform::TiktokShop, None, &none, br#"{"type":1}"#),
            Err(MalformedError::MissingField("tts_notification_id"))
        );
        assert_eq!(
            identify(Platform::Shopify, None, &none, b"{}"),
            Err(MalformedError::MissingHeader("x-shopify-event-id"))
        );
        let long = format!(r#"{{"tts_notification_id":"{}"}}"#, "x".repeat(500));
        assert_eq!(
            identify(Platform::TiktokShop, None, &none, long.as_bytes()),
            Err(MalformedError::BadValue("delivery id"))
        );
    }

    /// A signed order body resent as its cancellation would undo its credit: refused unless the
    /// body says when it was cancelled.
    #[test]
    fn an_order_is_not_its_own_cancellation() {
        let order = br#"{"id":450789469,"line_items":[],"cancelled_at":null}"#;
        assert!(delivery("orders/updated", order).is_ok());
        assert_eq!(
            delivery("orders/cancelled", order),
            Err(MalformedError::TopicMismatch)
        );
        assert!(
            delivery(
                "orders/cancelled",
                br#"{"id":450789469,"cancelled_at":"2026-12-05T10:00:00Z"}"#
            )
            .is_ok()
        );
        assert_eq!(
            delivery("products/delete", order),
            Err(MalformedError::TopicMismatch)
        );
    }
}
