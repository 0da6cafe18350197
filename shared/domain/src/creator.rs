//! Creators: their profile, the terms they accept (the consent record for their uploads), and
//! their trackable links — short codes signed with the brand's key, so a code cannot be guessed or
//! altered into someone else's.

use hmac::{Hmac, KeyInit, Mac};
use rust_decimal::Decimal;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::BTreeMap;

/// Payout details: kept, never printed (`Debug` redacts them) and never logged.
#[derive(Clone, Default, Serialize, Deserialize)]
pub struct PayoutDetails(pub BTreeMap<String, String>);

impl std::fmt::Debug for PayoutDetails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PayoutDetails([{} fields redacted])", self.0.len())
    }
}

impl PartialEq for PayoutDetails {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

/// The terms a creator accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcceptedTerms {
    pub version: String,
    pub accepted_at: i64,
}

/// A creator (the id is the subject of their sign-in token).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Creator {
    pub id: String,
    pub display_name: String,
    /// Platform → handle (`instagram` → `maya.makes`).
    #[serde(default)]
    pub handles: BTreeMap<String, String>,
    /// Share of attributed revenue paid out (0–1), set by the brand: exact (a JSON number on the
    /// wire, read through its decimal text, so `0.145` is 0.145, never 0.14499…).
    #[serde(with = "rate_as_number")]
    pub commission_rate: Decimal,
    /// What the rate is a share of: the credited lines' revenue (default) or their margin.
    #[serde(default)]
    pub commission_basis: crate::attribution::payout::Basis,
    /// Campaign → the commission of the creator's links and codes of that campaign.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub campaign_commissions: BTreeMap<String, crate::attribution::payout::Commission>,
    #[serde(default)]
    pub terms: Option<AcceptedTerms>,
    #[serde(default)]
    pub payout: PayoutDetails,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Creator {
    /// The commission of an entry of `campaign`: the campaign's, else the creator's.
    pub fn commission(&self, campaign: Option<&str>) -> crate::attribution::payout::Commission {
        campaign
            .and_then(|c| self.campaign_commissions.get(c))
            .copied()
            .unwrap_or(crate::attribution::payout::Commission {
                rate: self.commission_rate,
                basis: self.commission_basis,
            })
    }
}

/// A creator's trackable link to a product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    /// Random, 10 characters of [A-Za-z0-9].
    pub id: String,
    pub creator_id: String,
    pub sku: String,
    /// The product page it leads to.
    pub target: String,
    pub campaign: Option<String>,
    pub created_at: i64,
}

const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// Characters of signature in a code: 62⁸ ≈ 2·10¹⁴ guesses per link.
const SIG_LEN: usize = 8;

fn base62(bytes: &[u8], len: usize) -> String {
    bytes
        .iter()
        .take(len)
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

/// A new random link id.
pub fn new_link_id() -> String {
    base62(uuid::Uuid::new_v4().as_bytes(), 10)
}

fn signature(key: &SecretString, link_id: &str) -> Option<String> {
    mac62(key, b"reelcart-link:", link_id, SIG_LEN)
}

/// `len` base-62 characters of HMAC-SHA256(`key`, `purpose` ‖ `data`).
fn mac62(key: &SecretString, purpose: &[u8], data: &str, len: usize) -> Option<String> {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.expose_secret().as_bytes()).ok()?;
    mac.update(purpose);
    mac.update(data.as_bytes());
    Some(base62(&mac.finalize().into_bytes(), len))
}

/// Characters of a session token's signature: 62²² ≈ 2¹³¹.
const SESSION_SIG_LEN: usize = 22;

/// A shopper's session token, signed by Reelcart: `rc1.{id}.{signature}`. Only a token that
/// verifies ([`verify_session`]) records touches or credits an order, so a session id made up by a
/// client (or copied from another shop) credits nobody. `id` is 16–40 of `[A-Za-z0-9]`.
pub fn session_token(key: &SecretString, id: &str) -> Option<String> {
    let ok = (16..=40).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric());
    ok.then_some(())?;
    Some(format!(
        "rc1.{id}.{}",
        mac62(key, b"reelcart-session:", id, SESSION_SIG_LEN)?
    ))
}

/// A new session token with a random id (32 characters from 32 random bytes).
pub fn new_session_token(key: &SecretString) -> Option<String> {
    let mut bytes = uuid::Uuid::new_v4().as_bytes().to_vec();
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    session_token(key, &base62(&bytes, 32))
}

/// Whether `token` is a session token signed with any of `keys` (rotation), checked in constant
/// time.
pub fn verify_session(keys: &[SecretString], token: &str) -> bool {
    use subtle::ConstantTimeEq;
    let mut parts = token.split('.');
    let (Some("rc1"), Some(id), Some(sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    keys.iter()
        .filter_map(|k| session_token(k, id))
        .any(|expected| {
            let want = expected.rsplit('.').next().unwrap_or_default();
            bool::from(want.as_bytes().ct_eq(sig.as_bytes()))
        })
}

/// The short code of a link: `{link id}{signature}`.
pub fn sign_code(key: &SecretString, link_id: &str) -> Option<String> {
    Some(format!("{link_id}{}", signature(key, link_id)?))
}

/// The link id of a code signed with any of `keys` (rotation), checked in constant time.
pub fn verify_code(keys: &[SecretString], code: &str) -> Option<String> {
    use subtle::ConstantTimeEq;
    if code.len() <= SIG_LEN || code.len() > 64 || !code.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return None;
    }
    let (id, sig) = code.split_at(code.len() - SIG_LEN);
    keys.iter()
        .filter_map(|k| signature(k, id))
        .any(|expected| bool::from(expected.as_bytes().ct_eq(sig.as_bytes())))
        .then(|| id.to_string())
}

/// Where a link sends the shopper: the product page with UTM parameters and the attribution token
/// the storefront's widget adopts (`rc_token`).
pub fn landing_url(link: &Link, token: &str) -> String {
    let sep = if link.target.contains('?') { '&' } else { '?' };
    let enc = |s: &str| {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect::<String>()
    };
    let mut url = format!(
        "{}{sep}utm_source=reelcart&utm_medium=creator&utm_content={}",
        link.target,
        enc(&link.creator_id)
    );
    if let Some(c) = &link.campaign {
        url.push_str(&format!("&utm_campaign={}", enc(c)));
    }
    url.push_str(&format!("&rc_token={}", enc(token)));
    url
}

/// The link-signing keys of a secret: `{"link_keys": [...]}` (current first) or `{"link_key"}`;
/// each at least 32 characters.
pub fn link_keys(secret: &str) -> Result<Vec<SecretString>, String> {
    #[derive(Deserialize)]
    struct Doc {
        #[serde(default)]
        link_keys: Vec<String>,
        #[serde(default)]
        link_key: Option<String>,
    }
    let doc: Doc = serde_json::from_str(secret).map_err(|_| "not a JSON document".to_string())?;
    let keys: Vec<String> = doc.link_keys.into_iter().chain(doc.link_key).collect();
    if keys.is_empty() || keys.iter().any(|k| k.len() < 32) {
        return Err("link keys are at least 32 characters, and there is at least one".into());
    }
    Ok(keys.into_iter().map(SecretString::from).collect())
}

/// Where a creator's product request stands. `requested` → `approved` | `declined`;
/// `approved` → `shipped`. Declined and shipped are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Requested,
    Approved,
    Declined,
    Shipped,
}

impl RequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Requested => "requested",
            Self::Approved => "approved",
            Self::Declined => "declined",
            Self::Shipped => "shipped",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Requested,
            Self::Approved,
            Self::Declined,
            Self::Shipped,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }

    /// Whether the brand may move a request from `self` to `to`.
    pub fn can_become(self, to: Self) -> bool {
        matches!(
            (self, to),
            (Self::Requested, Self::Approved | Self::Declined) | (Self::Approved, Self::Shipped)
        )
    }
}

/// A creator asking the brand for a product to make content with (a sample).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductRequest {
    /// `pr{created_at}{random}`: sorts by time.
    pub id: String,
    pub creator_id: String,
    pub sku: String,
    pub product_title: String,
    #[serde(default)]
    pub note: String,
    pub status: RequestStatus,
    /// The brand's note on its decision (tracking number, why declined).
    #[serde(default)]
    pub decision_note: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A new product request id (time-ordered).
pub fn new_request_id(now: i64) -> String {
    format!(
        "pr{:010}{}",
        now.max(0),
        base62(uuid::Uuid::new_v4().as_bytes(), 6)
    )
}

/// Characters of discount codes: no 0/O, 1/I/L (codes are typed by shoppers).
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// A discount code for a creator: up to 8 letters of their name, the percentage, and 4 random
/// characters (`MAYA10-K7QX`) — readable, and not guessable from the name alone.
pub fn new_discount_code(display_name: &str, percent: u32) -> String {
    let stem: String = display_name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .take(8)
        .collect();
    let stem = if stem.is_empty() {
        "CREATOR".into()
    } else {
        stem
    };
    let tail: String = uuid::Uuid::new_v4()
        .as_bytes()
        .iter()
        .take(4)
        .map(|b| CODE_ALPHABET[usize::from(*b) % CODE_ALPHABET.len()] as char)
        .collect();
    format!("{stem}{percent}-{tail}")
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_rate_is_read_exactly_and_rounds_only_below_decimals_places() {
        use rust_decimal::Decimal;
        assert_eq!(super::rate_from_text("0.145"), Some(Decimal::new(145, 3)));
        assert_eq!(super::rate_from_text("1e-1"), Some(Decimal::new(1, 1)));
        assert_eq!(
            super::rate_from_text("1.1125369292536007e-308"),
            Some(Decimal::ZERO)
        );
        assert_eq!(super::rate_from_text("1e300"), None);
        assert_eq!(super::rate_from_text("NaN"), None);
    }

    #[test]
    fn commission_rates_are_exact_decimals_and_numbers_on_the_wire() {
        let json = |rate: &str| {
            serde_json::from_str::<Creator>(&format!(
                r#"{{"id":"c","display_name":"C","commission_rate":{rate},"created_at":0,"updated_at":0}}"#
            ))
        };
        let c = json("0.145").unwrap();
        assert_eq!(c.commission_rate, Decimal::new(145, 3), "not 0.14499…");
        assert_eq!(
            json("\"0.29\"").unwrap().commission_rate,
            Decimal::new(29, 2)
        );
        assert_eq!(json("1e-1").unwrap().commission_rate, Decimal::new(1, 1));
        assert!(json("true").is_err());
        assert!(json("\"ten percent\"").is_err());
        let out = serde_json::to_value(&c).unwrap();
        assert_eq!(out["commission_rate"], serde_json::json!(0.145));
        assert_eq!(
            serde_json::from_value::<Creator>(out).unwrap(),
            c,
            "round trip"
        );
    }

    fn key(s: &str) -> SecretString {
        SecretString::from(s.to_string())
    }

    #[test]
    fn codes_verify_and_tampered_ones_do_not() {
        let k = key("a-long-enough-link-signing-key-000000");
        let id = new_link_id();
        assert_eq!(id.len(), 10);
        let code = sign_code(&k, &id).unwrap();
        assert_eq!(code.len(), 18);
        assert_eq!(
            verify_code(std::slice::from_ref(&k), &code),
            Some(id.clone())
        );
        // Another id with the same signature, a changed signature, another key, junk.
        let mut other = code.clone().into_bytes();
        other[0] = if other[0] == b'A' { b'B' } else { b'A' };
        assert_eq!(
            verify_code(
                std::slice::from_ref(&k),
                std::str::from_utf8(&other).unwrap()
            ),
            None
        );
        let mut sig = code.clone().into_bytes();
        let last = sig.len() - 1;
        sig[last] = if sig[last] == b'z' { b'y' } else { b'z' };
        assert_eq!(
            verify_code(std::slice::from_ref(&k), std::str::from_utf8(&sig).unwrap()),
            None
        );
        assert_eq!(
            verify_code(&[key("another-key-entirely-0000000000000")], &code),
            None
        );
        for junk in ["", "short", "../../etc/passwd", &"a".repeat(80)] {
            assert_eq!(verify_code(std::slice::from_ref(&k), junk), None);
        }
        // Rotation: the old key still verifies while it is listed.
        let new = key("the-next-link-signing-key-1111111111");
        assert_eq!(verify_code(&[new, k], &code), Some(id));
    }

    #[test]
    fn session_tokens_are_signed_and_a_made_up_or_altered_one_is_refused() {
        let k = key("a-link-signing-key-of-enough-length!!");
        let t = new_session_token(&k).unwrap();
        assert!(t.starts_with("rc1.") && t.len() == 4 + 32 + 1 + 22, "{t}");
        assert!(verify_session(std::slice::from_ref(&k), &t));
        assert_ne!(new_session_token(&k).unwrap(), t, "random ids");
        let fixed = session_token(&k, "buyer0000000000000").unwrap();
        assert!(verify_session(std::slice::from_ref(&k), &fixed));
        let (head, sig) = t.rsplit_once('.').unwrap();
        let flipped = format!(
            "{head}.{}{}",
            if sig.starts_with('A') { "B" } else { "A" },
            &sig[1..]
        );
        let other_id = format!("rc1.{}.{sig}", "x".repeat(32));
        for forged in [
            flipped.as_str(),
            other_id.as_str(),
            "rc_0f8fad5bd9cb469fa16570867728950e",
            "rc1.short.sig",
            "",
            &format!("{t}.extra"),
        ] {
            assert!(
                !verify_session(std::slice::from_ref(&k), forged),
                "{forged}"
            );
        }
        assert!(!verify_session(
            &[key("another-key-entirely-0000000000000")],
            &t
        ));
        // Rotation: the old key still verifies while it is listed.
        assert!(verify_session(
            &[key("the-next-link-signing-key-1111111111"), k],
            &t
        ));
        assert!(session_token(&key("k".repeat(32).as_str()), "bad id!").is_none());
    }

    #[test]
    fn the_landing_url_carries_utm_and_the_token() {
        let link = Link {
            id: "abc".into(),
            creator_id: "cr 1".into(),
            sku: "TEE".into(),
            target: "https://shop.example/products/tee?variant=2".into(),
            campaign: Some("fall/26".into()),
            created_at: 0,
        };
        assert_eq!(
            landing_url(&link, "rc_x"),
            "https://shop.example/products/tee?variant=2&utm_source=reelcart&utm_medium=creator&utm_content=cr%201&utm_campaign=fall%2F26&rc_token=rc_x"
        );
    }

    #[test]
    fn payout_details_never_print() {
        let p = PayoutDetails([("iban".to_string(), "DE89370400440532013000".to_string())].into());
        assert!(!format!("{p:?}").contains("DE89"));
    }

    #[test]
    fn discount_codes_are_readable_and_differ() {
        let a = new_discount_code("Maya Makes!", 10);
        let b = new_discount_code("Maya Makes!", 10);
        assert!(a.starts_with("MAYAMAKE10-"), "{a}");
        assert_eq!(a.len(), "MAYAMAKE10-".len() + 4);
        assert_ne!(a, b);
        assert!(new_discount_code("  ", 15).starts_with("CREATOR15-"));
        assert!(
            a.bytes()
                .all(|c| c == b'-' || c.is_ascii_digit() || c.is_ascii_uppercase())
        );
    }

    #[test]
    fn product_requests_move_forward_only() {
        use RequestStatus::*;
        let all = [Requested, Approved, Declined, Shipped];
        let allowed: Vec<_> = all
            .iter()
            .flat_map(|a| all.iter().map(move |b| (*a, *b)))
            .filter(|(a, b)| a.can_become(*b))
            .collect();
        assert_eq!(
            allowed,
            [
                (Requested, Approved),
                (Requested, Declined),
                (Approved, Shipped)
            ]
        );
        for s in all {
            assert_eq!(RequestStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(RequestStatus::parse("lost"), None);
        assert!(new_request_id(5) < new_request_id(6));
    }
}

/// A rate as a JSON number, read exactly: the number's shortest decimal text, parsed as a
/// [`Decimal`] (a string holding a decimal is accepted too).
pub(crate) mod rate_as_number {
    use rust_decimal::Decimal;
    use rust_decimal::prelude::ToPrimitive;
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(rate: &Decimal, s: S) -> Result<S::Ok, S::Error> {
        match rate.to_f64() {
            Some(f) => s.serialize_f64(f),
            None => Err(serde::ser::Error::custom("rate out of range")),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
        let text = match serde_json::Value::deserialize(d)? {
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::String(s) => s,
            other => return Err(D::Error::custom(format!("a rate is a number, not {other}"))),
        };
        super::rate_from_text(&text)
            .ok_or_else(|| D::Error::custom(format!("rate `{text}` is not a number")))
    }
}

/// A rate from its decimal text, exactly: `0.145` is 0.145, and `1e-1` (a number JSON allows) is
/// read in scientific form. Below Decimal's 28 places (`1e-300`) it rounds to 0 there.
pub fn rate_from_text(text: &str) -> Option<Decimal> {
    text.parse::<Decimal>()
        .or_else(|_| Decimal::from_scientific(text))
        .ok()
        .or_else(|| {
            text.parse::<f64>()
                .ok()
                .filter(|f| f.is_finite() && f.abs() < 1e-28)
                .map(|_| Decimal::ZERO)
        })
}
