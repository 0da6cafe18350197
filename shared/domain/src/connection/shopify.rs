//! Shopify's OAuth install callback (spec §8.5): the shop domain and the query's HMAC are checked
//! before anything in it is trusted.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// How far the callback's `timestamp` may be from now (Shopify's library allows ±90 s).
pub const CALLBACK_SKEW_SECS: i64 = 90;

/// Is `shop` a store's permanent domain (`^[a-zA-Z0-9][a-zA-Z0-9-]*\.myshopify\.com$`, Shopify's
/// own check)? Nothing else is ever used as a shop to call.
pub fn valid_shop_domain(shop: &str) -> bool {
    let Some(name) = shop.strip_suffix(".myshopify.com") else {
        return false;
    };
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// Why a callback was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    #[error("the callback has no hmac")]
    MissingHmac,
    #[error("the callback's hmac does not match")]
    BadHmac,
    #[error("the callback's timestamp is missing or more than 90 s from now")]
    Stale,
    #[error("the callback names no valid *.myshopify.com shop")]
    BadShop,
}

/// The message Shopify signs: every parameter but `hmac` and `signature`, sorted by key, as a
/// query string with spaces as `%20` (and array values, already joined, as they came).
pub fn callback_message(params: &[(String, String)]) -> String {
    let mut kept: Vec<&(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "hmac" && k != "signature")
        .collect();
    kept.sort_by(|a, b| a.0.cmp(&b.0));
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in kept {
        q.append_pair(k, v);
    }
    q.finish().replace('+', "%20")
}

/// Check an install callback's query (as received, decoded): its `hmac` (hex HMAC-SHA256 with
/// the app's client secret, in constant time, against each secret given: the current first),
/// its `timestamp`, and its `shop`. Returns the shop.
pub fn verify_callback<'a>(
    params: &'a [(String, String)],
    secrets: &[&[u8]],
    now: i64,
) -> Result<&'a str, CallbackError> {
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let given = get("hmac").ok_or(CallbackError::MissingHmac)?;
    let given = hex::decode(given).map_err(|_| CallbackError::BadHmac)?;
    let message = callback_message(params);
    let ok = secrets.iter().filter(|s| !s.is_empty()).any(|secret| {
        <Hmac<Sha256> as KeyInit>::new_from_slice(secret).is_ok_and(|mut mac| {
            mac.update(message.as_bytes());
            // `verify_slice` compares in constant time.
            mac.verify_slice(&given).is_ok()
        })
    });
    if !ok {
        return Err(CallbackError::BadHmac);
    }
    let ts: i64 = get("timestamp")
        .and_then(|t| t.parse().ok())
        .ok_or(CallbackError::Stale)?;
    if (now - ts).abs() > CALLBACK_SKEW_SECS {
        return Err(CallbackError::Stale);
    }
    get("shop")
        .filter(|s| valid_shop_domain(s))
        .ok_or(CallbackError::BadShop)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn shop_domains_are_permanent_myshopify_domains_only() {
        for ok in [
            "acme.myshopify.com",
            "a.myshopify.com",
            "acme-2.myshopify.com",
            "9x.myshopify.com",
        ] {
            assert!(valid_shop_domain(ok), "{ok}");
        }
        for bad in [
            "myshopify.com",
            ".myshopify.com",
            "-acme.myshopify.com",
            "acme.myshopify.com.evil.com",
            "evil.com/acme.myshopify.com",
            "acme_x.myshopify.com",
            "acme.shopify.com",
            "acme.myshopify.io",
            "https://acme.myshopify.com",
            "ac me.myshopify.com",
        ] {
            assert!(!valid_shop_domain(bad), "{bad}");
        }
    }

    /// Shopify's documented example: `code=0907a61c0c8d55e99db179b68161bc00&shop=some-shop.myshopify.com&state=0.6784241404160823&timestamp=1337178173`
    /// signed with `hush` → `700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf`.
    #[test]
    fn the_documented_example_verifies() {
        let q = p(&[
            ("code", "0907a61c0c8d55e99db179b68161bc00"),
            (
                "hmac",
                "700e2dadb827fcc8609e9d5ce208b2e9cdaab9df07390d2cbca10d7c328fc4bf",
            ),
            ("shop", "some-shop.myshopify.com"),
            ("state", "0.6784241404160823"),
            ("timestamp", "1337178173"),
        ]);
        assert_eq!(
            verify_callback(&q, &[b"hush"], 1_337_178_173 + 30),
            Ok("some-shop.myshopify.com")
        );
        assert_eq!(
            verify_callback(&q, &[b"old", b"hush"], 1_337_178_173),
            Ok("some-shop.myshopify.com")
        );
        assert_eq!(
            verify_callback(&q, &[b"wrong"], 1_337_178_173),
            Err(CallbackError::BadHmac)
        );
        assert_eq!(
            verify_callback(&q, &[b"hush"], 1_337_178_173 + 91),
            Err(CallbackError::Stale)
        );
        // Any parameter changed, added or dropped breaks the signature.
        let mut changed = q.clone();
        changed[2].1 = "evil.myshopify.com".into();
        assert_eq!(
            verify_callback(&changed, &[b"hush"], 1_337_178_173),
            Err(CallbackError::BadHmac)
        );
        let mut added = q.clone();
        added.push(("host".into(), "x".into()));
        assert_eq!(
            verify_callback(&added, &[b"hush"], 1_337_178_173),
            Err(CallbackError::BadHmac)
        );
        assert_eq!(
            verify_callback(&q[1..], &[b"hush"], 1_337_178_173),
            Err(CallbackError::BadHmac)
        );
        let no_hmac: Vec<_> = q.iter().filter(|(k, _)| k != "hmac").cloned().collect();
        assert_eq!(
            verify_callback(&no_hmac, &[b"hush"], 1_337_178_173),
            Err(CallbackError::MissingHmac)
        );
        // An empty secret verifies nothing.
        assert_eq!(
            verify_callback(&q, &[b""], 1_337_178_173),
            Err(CallbackError::BadHmac)
        );
    }

    #[test]
    fn the_message_is_sorted_and_spaces_are_percent_20() {
        let q = p(&[
            ("z", "a b"),
            ("hmac", "x"),
            ("a", "1&2"),
            ("signature", "s"),
        ]);
        assert_eq!(callback_message(&q), "a=1%262&z=a%20b");
    }
}
