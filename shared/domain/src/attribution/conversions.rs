//! Purchases sent back to the ad platforms — Meta's Conversions API and TikTok's Events API —
//! so content-driven sales feed ad optimisation (spec §7).
//!
//! - **Consent first.** A purchase is sent only when the order carries the shopper's consent
//!   signal: the cart attribute `reelcart_consent = granted`, which the widget writes (next to the
//!   attribution token) once the host page reports consent. No signal, nothing sent.
//! - **Deduplicated with the pixel.** The event id is `shopify:{order id}` — what the widget's
//!   `purchase()` helper gives the storefront's Meta and TikTok pixels as `eventID`/`event_id` on
//!   the thank-you page — so the platforms count the browser's and the server's event once.
//! - **Identifiers normalised, then SHA-256** (lowercase hex): email trimmed and lowercased; names
//!   lowercased without punctuation; city lowercased without digits, spaces or punctuation; state
//!   and country as lowercase letters; postal code lowercased without spaces, before any `-`.
//!   Phone numbers keep their digits with the country code: Meta hashes the digits alone
//!   (`12345678901`), TikTok the E.164 form with `+` (`+12345678901`). A number with no country
//!   code (no `+` or `00`) is completed only where the order's country makes it certain (NANP:
//!   10 digits in the US or Canada), else left out rather than sent wrong. The IP address, user
//!   agent and click ids (`fbp`, `fbc`, `ttp`, `ttclid`) are never hashed.

use super::report::money;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The cart attribute that carries the shopper's consent to share the purchase with ad platforms.
pub const CONSENT_ATTRIBUTE: &str = "reelcart_consent";

/// Meta's limit: events older than 7 days are refused.
pub const MAX_EVENT_AGE_SECS: i64 = 7 * 86_400;

/// Which ad platform a conversion goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdPlatform {
    Meta,
    Tiktok,
}

/// One item bought.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// The SKU (the catalog's retailer id), else the variant id.
    pub id: String,
    pub quantity: i64,
    /// Unit price after the line's discounts, in hundredths.
    pub price_cents: i64,
}

/// The shopper, as the order reports them (raw: normalised and hashed when sent).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shopper {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub city: Option<String>,
    /// Province or state code (`CA`).
    pub state: Option<String>,
    pub zip: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// The store's customer id.
    pub external_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub fbp: Option<String>,
    pub fbc: Option<String>,
    pub ttp: Option<String>,
    pub ttclid: Option<String>,
}

/// A purchase to report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purchase {
    /// Shared with the storefront pixel's event (deduplication).
    pub event_id: String,
    pub order_id: String,
    /// Unix seconds.
    pub event_time: i64,
    pub currency: String,
    /// What was bought, net of discounts, without tax and shipping (hundredths).
    pub value_cents: i64,
    pub items: Vec<Item>,
    pub source_url: Option<String>,
    pub shopper: Shopper,
}

/// What the conversions queue carries: one purchase for one platform (each retried apart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversionMessage {
    pub platform: AdPlatform,
    pub purchase: Purchase,
}

fn text(v: &Value) -> Option<String> {
    v.as_str()
        .map(str::to_string)
        .or_else(|| v.as_u64().map(|n| n.to_string()))
        .or_else(|| v.as_i64().map(|n| n.to_string()))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn attribute<'a>(payload: &'a Value, name: &str) -> Option<&'a str> {
    payload["note_attributes"]
        .as_array()?
        .iter()
        .find(|a| a["name"] == name)?["value"]
        .as_str()
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// The purchase a Shopify order reports, if the shopper gave their consent signal (else `None`:
/// nothing is sent). `placed_at` and `value_cents` are the order's as credited.
pub fn shopify_purchase(payload: &Value, order: &super::Order) -> Option<Purchase> {
    if attribute(payload, CONSENT_ATTRIBUTE) != Some("granted") {
        return None;
    }
    let id = text(&payload["id"])?;
    let address = [&payload["billing_address"], &payload["shipping_address"]]
        .into_iter()
        .find(|a| a.is_object())
        .cloned()
        .unwrap_or(Value::Null);
    let customer = &payload["customer"];
    let first = |paths: &[&Value]| paths.iter().find_map(|v| text(v));
    let items = order
        .lines
        .iter()
        .filter(|l| l.quantity > 0)
        .filter_map(|l| {
            Some(Item {
                id: l.sku.clone().or_else(|| l.variant_id.clone())?,
                quantity: l.quantity,
                price_cents: super::model::prorate(l.net_cents, 1, l.quantity),
            })
        })
        .collect();
    let landing = payload["landing_site"]
        .as_str()
        .filter(|s| s.starts_with("http"));
    Some(Purchase {
        event_id: format!("shopify:{id}"),
        order_id: id,
        event_time: order.placed_at,
        currency: order.currency.clone(),
        value_cents: order.total_cents,
        items,
        source_url: landing
            .map(str::to_string)
            .or_else(|| text(&payload["order_status_url"])),
        shopper: Shopper {
            email: first(&[
                &payload["email"],
                &payload["contact_email"],
                &customer["email"],
            ]),
            phone: first(&[&payload["phone"], &customer["phone"], &address["phone"]]),
            first_name: first(&[&customer["first_name"], &address["first_name"]]),
            last_name: first(&[&customer["last_name"], &address["last_name"]]),
            city: text(&address["city"]),
            state: text(&address["province_code"]),
            zip: text(&address["zip"]),
            country: text(&address["country_code"]),
            external_id: text(&customer["id"]),
            ip: text(&payload["browser_ip"])
                .or_else(|| text(&payload["client_details"]["browser_ip"])),
            user_agent: text(&payload["client_details"]["user_agent"]),
            fbp: attribute(payload, "_fbp").map(str::to_string),
            fbc: attribute(payload, "_fbc").map(str::to_string),
            ttp: attribute(payload, "_ttp").map(str::to_string),
            ttclid: attribute(payload, "ttclid").map(str::to_string),
        },
    })
}

/// SHA-256, lowercase hex.
pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// `Person@Example.com ` → `person@example.com` (`None` if it is not an address).
pub fn normalize_email(s: &str) -> Option<String> {
    let e = s.trim().to_lowercase();
    let (local, domain) = e.split_once('@')?;
    (!local.is_empty() && domain.contains('.') && !e.contains(char::is_whitespace)).then_some(e)
}

/// A phone number as digits with its country code (`+1 (234) 567-8901` → `12345678901`): `+` or
/// `00` mark the country code; without one, a 10-digit number in the US or Canada is NANP (`1`);
/// anything else is `None` (not sent rather than sent wrong).
pub fn normalize_phone(s: &str, country: Option<&str>) -> Option<String> {
    let s = s.trim();
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    let full = if s.starts_with('+') {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_string()
    } else if digits.len() == 10
        && country.is_some_and(|c| c.eq_ignore_ascii_case("US") || c.eq_ignore_ascii_case("CA"))
    {
        format!("1{digits}")
    } else {
        return None;
    };
    // E.164: at most 15 digits, the country code never starting with 0.
    (8..=15)
        .contains(&full.len())
        .then_some(full)
        .filter(|d| !d.starts_with('0'))
}

/// Lowercase, letters (any script) only: names, cities, states, countries.
fn letters(s: &str) -> Option<String> {
    let out: String = s
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphabetic())
        .collect();
    (!out.is_empty()).then_some(out)
}

fn normalize_zip(s: &str) -> Option<String> {
    let z: String = s
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let z = z.split('-').next().unwrap_or("").to_string();
    (!z.is_empty()).then_some(z)
}

/// `[sha256(normalised)]`, or nothing.
fn hashed(v: Option<String>) -> Option<Value> {
    v.map(|v| json!([sha256_hex(&v)]))
}

/// The amount as a JSON number (`59.98`), from hundredths.
fn amount(cents: i64) -> Value {
    money(cents)
        .parse::<f64>()
        .map(Value::from)
        .unwrap_or(Value::Null)
}

fn insert(map: &mut serde_json::Map<String, Value>, key: &str, v: Option<Value>) {
    if let Some(v) = v {
        map.insert(key.to_string(), v);
    }
}

/// One Meta Conversions API event (`data[0]` of `POST /{pixel_id}/events`).
pub fn meta_event(p: &Purchase) -> Value {
    let s = &p.shopper;
    let country = s.country.as_deref();
    let mut user = serde_json::Map::new();
    insert(
        &mut user,
        "em",
        hashed(s.email.as_deref().and_then(normalize_email)),
    );
    insert(
        &mut user,
        "ph",
        hashed(
            s.phone
                .as_deref()
                .and_then(|ph| normalize_phone(ph, country)),
        ),
    );
    insert(
        &mut user,
        "fn",
        hashed(s.first_name.as_deref().and_then(letters)),
    );
    insert(
        &mut user,
        "ln",
        hashed(s.last_name.as_deref().and_then(letters)),
    );
    insert(&mut user, "ct", hashed(s.city.as_deref().and_then(letters)));
    insert(
        &mut user,
        "st",
        hashed(s.state.as_deref().and_then(letters)),
    );
    insert(
        &mut user,
        "zp",
        hashed(s.zip.as_deref().and_then(normalize_zip)),
    );
    insert(
        &mut user,
        "country",
        hashed(s.country.as_deref().and_then(letters)),
    );
    insert(&mut user, "external_id", hashed(s.external_id.clone()));
    insert(
        &mut user,
        "client_ip_address",
        s.ip.clone().map(Value::from),
    );
    insert(
        &mut user,
        "client_user_agent",
        s.user_agent.clone().map(Value::from),
    );
    insert(&mut user, "fbp", s.fbp.clone().map(Value::from));
    insert(&mut user, "fbc", s.fbc.clone().map(Value::from));
    let mut event = json!({
        "event_name": "Purchase",
        "event_time": p.event_time,
        "event_id": p.event_id,
        // A website event needs the browser's user agent; without one it is reported as `other`.
        "action_source": if s.user_agent.is_some() { "website" } else { "other" },
        "user_data": user,
        "custom_data": {
            "currency": p.currency.to_lowercase(),
            "value": amount(p.value_cents),
            "order_id": p.order_id,
            "content_type": "product",
            "content_ids": p.items.iter().map(|i| i.id.clone()).collect::<Vec<_>>(),
            "contents": p.items.iter().map(|i| json!({"id": i.id, "quantity": i.quantity, "item_price": amount(i.price_cents)})).collect::<Vec<_>>(),
            "num_items": p.items.iter().map(|i| i.quantity).sum::<i64>(),
        },
    });
    if let Some(url) = &p.source_url {
        event["event_source_url"] = json!(url);
    }
    event
}

/// One TikTok Events API event (`data[0]` of `POST /open_api/v1.3/event/track/`).
pub fn tiktok_event(p: &Purchase) -> Value {
    let s = &p.shopper;
    let mut user = serde_json::Map::new();
    insert(
        &mut user,
        "email",
        hashed(s.email.as_deref().and_then(normalize_email)),
    );
    insert(
        &mut user,
        "phone",
        hashed(
            s.phone
                .as_deref()
                .and_then(|ph| normalize_phone(ph, s.country.as_deref()))
                .map(|d| format!("+{d}")),
        ),
    );
    insert(&mut user, "external_id", hashed(s.external_id.clone()));
    insert(&mut user, "ip", s.ip.clone().map(Value::from));
    insert(
        &mut user,
        "user_agent",
        s.user_agent.clone().map(Value::from),
    );
    insert(&mut user, "ttp", s.ttp.clone().map(Value::from));
    insert(&mut user, "ttclid", s.ttclid.clone().map(Value::from));
    let mut event = json!({
        "event": "Purchase",
        "event_time": p.event_time,
        "event_id": p.event_id,
        "user": user,
        "properties": {
            "currency": p.currency.to_uppercase(),
            "value": amount(p.value_cents),
            "order_id": p.order_id,
            "content_type": "product",
            "contents": p.items.iter().map(|i| json!({"content_id": i.id, "quantity": i.quantity, "price": amount(i.price_cents)})).collect::<Vec<_>>(),
        },
    });
    if let Some(url) = &p.source_url {
        event["page"] = json!({ "url": url });
    }
    event
}

/// Is the purchase still young enough to send (Meta refuses events over 7 days old)?
pub fn fresh(p: &Purchase, now: i64) -> bool {
    now - p.event_time <= MAX_EVENT_AGE_SECS
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_spec_vector_and_each_platforms_phone_form() {
        assert_eq!(
            sha256_hex("12345678901"),
            "254aa248acb47dd654ca3ea53f48c2c26d641d23d7e2e93a1ec56258df7674c4"
        );
        assert_eq!(
            normalize_phone("+1 (234) 567-8901", None).as_deref(),
            Some("12345678901")
        );
        assert_eq!(
            normalize_phone("001 234 567 8901", None).as_deref(),
            Some("12345678901")
        );
        assert_eq!(
            normalize_phone("(234) 567-8901", Some("US")).as_deref(),
            Some("12345678901")
        );
        // No country code and no country that settles it: left out.
        assert_eq!(normalize_phone("0844 412 4653", Some("GB")), None);
        assert_eq!(normalize_phone("12", None), None);
        assert_eq!(
            normalize_email(" Person@Example.COM ").as_deref(),
            Some("person@example.com")
        );
        assert_eq!(normalize_email("not an email"), None);
        assert_eq!(normalize_zip("SW1A 1AA").as_deref(), Some("sw1a1aa"));
        assert_eq!(normalize_zip("94107-1234").as_deref(), Some("94107"));
        assert_eq!(letters("St. John's").as_deref(), Some("stjohns"));
    }

    fn purchase() -> Purchase {
        Purchase {
            event_id: "shopify:1".into(),
            order_id: "1".into(),
            event_time: 1_795_676_400,
            currency: "USD".into(),
            value_cents: 5998,
            items: vec![Item {
                id: "TEE-M".into(),
                quantity: 2,
                price_cents: 2999,
            }],
            source_url: Some("https://shop.example/products/tee".into()),
            shopper: Shopper {
                email: Some(" Maya@Example.com".into()),
                phone: Some("+1 234 567 8901".into()),
                first_name: Some("Maya".into()),
                country: Some("US".into()),
                ip: Some("203.0.113.9".into()),
                user_agent: Some("Mozilla/5.0".into()),
                fbp: Some("fb.1.1596403881668.1116446470".into()),
                ..Shopper::default()
            },
        }
    }

    #[test]
    fn meta_hashes_contact_details_and_never_the_ip_agent_or_click_ids() {
        let e = meta_event(&purchase());
        let u = &e["user_data"];
        assert_eq!(u["em"][0], sha256_hex("maya@example.com"));
        assert_eq!(
            u["ph"][0],
            "254aa248acb47dd654ca3ea53f48c2c26d641d23d7e2e93a1ec56258df7674c4"
        );
        assert_eq!(u["fn"][0], sha256_hex("maya"));
        assert_eq!(u["country"][0], sha256_hex("us"));
        assert_eq!(
            (u["client_ip_address"].as_str(), u["fbp"].as_str()),
            (Some("203.0.113.9"), Some("fb.1.1596403881668.1116446470"))
        );
        assert_eq!(
            (e["event_id"].as_str(), e["action_source"].as_str()),
            (Some("shopify:1"), Some("website"))
        );
        assert_eq!(e["custom_data"]["value"], 59.98);
        assert!(
            u.get("ln").is_none(),
            "absent fields are left out, not hashed empty"
        );
    }

    #[test]
    fn tiktok_hashes_the_phone_in_e164_with_its_plus() {
        let e = tiktok_event(&purchase());
        assert_eq!(e["user"]["phone"][0], sha256_hex("+12345678901"));
        assert_eq!(e["user"]["email"][0], sha256_hex("maya@example.com"));
        assert_eq!(e["user"]["ip"], "203.0.113.9");
        assert_eq!(e["properties"]["contents"][0]["content_id"], "TEE-M");
    }

    #[test]
    fn no_consent_signal_no_purchase() {
        let order = super::super::Order {
            id: "shopify:1".into(),
            placed_at: 0,
            total_cents: 100,
            currency: "USD".into(),
            token: None,
            discount_codes: vec![],
            lines: vec![],
            channel: None,
        };
        let mut payload = json!({"id": 1, "email": "a@b.co", "note_attributes": []});
        assert!(shopify_purchase(&payload, &order).is_none());
        payload["note_attributes"] = json!([{"name": "reelcart_consent", "value": "denied"}]);
        assert!(shopify_purchase(&payload, &order).is_none());
        payload["note_attributes"] = json!([{"name": "reelcart_consent", "value": "granted"}]);
        let p = shopify_purchase(&payload, &order).unwrap();
        assert_eq!(
            (p.event_id.as_str(), p.shopper.email.as_deref()),
            ("shopify:1", Some("a@b.co"))
        );
    }
}
