//! The OAuth connect flow's own security: a signed, expiring `state` that binds the callback to the
//! admin who started it, and PKCE (RFC 7636 S256) where the platform supports it.
//!
//! The state is `base64url(claims JSON) "." base64url(HMAC-SHA256(key, first part))`. It is checked
//! before anything else happens in the callback (no store read for a forged one); the nonce it
//! carries is also stored server-side, single use, with the PKCE verifier.

use crate::connection::OAuthPlatform;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How long an authorization may take, start to callback. TikTok Shop's codes live 30 minutes;
/// a person at a consent screen needs far less.
pub const STATE_TTL_SECS: i64 = 15 * 60;

/// What the state vouches for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateClaims {
    /// The platform the authorization was started for.
    #[serde(rename = "p")]
    pub platform: OAuthPlatform,
    /// Random, single use: the key of the pending authorization (and its PKCE verifier).
    #[serde(rename = "n")]
    pub nonce: String,
    /// Who started it (the admin's subject).
    #[serde(rename = "s")]
    pub subject: String,
    /// Unix seconds after which the state is refused.
    #[serde(rename = "e")]
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    #[error("state is malformed")]
    Malformed,
    #[error("state signature does not match")]
    BadSignature,
    #[error("state has expired")]
    Expired,
    #[error("state was issued for {expected}, not {actual}")]
    WrongPlatform {
        expected: OAuthPlatform,
        actual: OAuthPlatform,
    },
}

/// Non-empty keys only: a state signed with an empty secret would be forgeable.
fn usable(keys: &[SecretString]) -> impl Iterator<Item = &[u8]> {
    keys.iter()
        .map(|k| k.expose_secret().as_bytes())
        .filter(|k| !k.is_empty())
}

/// Sign `claims` with the current state key; `None` when the key is empty.
pub fn sign_state(claims: &StateClaims, key: &SecretString) -> Option<String> {
    let key = usable(std::slice::from_ref(key)).next()?;
    let json = serde_json::to_vec(claims).ok()?;
    let body = URL_SAFE_NO_PAD.encode(json);
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).ok()?;
    mac.update(body.as_bytes());
    let sig = mac.finalize().into_bytes();
    Some(format!("{body}.{}", URL_SAFE_NO_PAD.encode(sig)))
}

/// Verify a state returned to the callback of `platform`: signature under any of `keys` (the
/// first is current; older ones verify during a rotation), then expiry, then platform.
pub fn verify_state(
    state: &str,
    keys: &[SecretString],
    platform: OAuthPlatform,
    now: i64,
) -> Result<StateClaims, StateError> {
    let (body, sig) = state.split_once('.').ok_or(StateError::Malformed)?;
    let sig = URL_SAFE_NO_PAD
        .decode(sig)
        .map_err(|_| StateError::Malformed)?;
    // Every key is tried, so timing does not tell which one matched.
    if !crate::webhook::any_key_matches(usable(keys), &[body.as_bytes()], &sig) {
        return Err(StateError::BadSignature);
    }
    let json = URL_SAFE_NO_PAD
        .decode(body)
        .map_err(|_| StateError::Malformed)?;
    let claims: StateClaims = serde_json::from_slice(&json).map_err(|_| StateError::Malformed)?;
    if now > claims.expires_at {
        return Err(StateError::Expired);
    }
    if claims.platform != platform {
        return Err(StateError::WrongPlatform {
            expected: claims.platform,
            actual: platform,
        });
    }
    Ok(claims)
}

/// RFC 7636 S256: `base64url(SHA-256(verifier))` without padding.
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Whether `verifier` is a valid RFC 7636 code verifier: 43–128 unreserved characters.
pub fn is_pkce_verifier(verifier: &str) -> bool {
    (43..=128).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> SecretString {
        SecretString::from(s.to_string())
    }

    fn claims() -> StateClaims {
        StateClaims {
            platform: OAuthPlatform::TiktokShop,
            nonce: "n0nce".into(),
            subject: "admin-1".into(),
            expires_at: 1_000,
        }
    }

    #[test]
    fn round_trip_under_current_and_previous_key() {
        let s = sign_state(&claims(), &key("old")).unwrap();
        let keys = [key("new"), key("old")];
        assert_eq!(
            verify_state(&s, &keys, OAuthPlatform::TiktokShop, 999),
            Ok(claims())
        );
        assert_eq!(
            verify_state(&s, &[key("new")], OAuthPlatform::TiktokShop, 999),
            Err(StateError::BadSignature)
        );
    }

    #[test]
    fn refuses_expired_wrong_platform_tampered_and_garbage() {
        let k = [key("k")];
        let s = sign_state(&claims(), &k[0]).unwrap();
        assert_eq!(sign_state(&claims(), &key("")), None);
        assert_eq!(
            verify_state(&s, &k, OAuthPlatform::TiktokShop, 1_001),
            Err(StateError::Expired)
        );
        assert!(matches!(
            verify_state(&s, &k, OAuthPlatform::Meta, 10),
            Err(StateError::WrongPlatform { .. })
        ));
        // Claims swapped for others (a longer expiry), signature kept.
        let (_, sig) = s.split_once('.').unwrap();
        let mut other = claims();
        other.expires_at = i64::MAX;
        let forged_body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&other).unwrap());
        assert_eq!(
            verify_state(
                &format!("{forged_body}.{sig}"),
                &k,
                OAuthPlatform::TiktokShop,
                10
            ),
            Err(StateError::BadSignature)
        );
        for junk in ["", ".", "abc", "a.b.c", "!!.??"] {
            assert!(verify_state(junk, &k, OAuthPlatform::TiktokShop, 10).is_err());
        }
    }

    #[test]
    fn pkce_matches_rfc7636_appendix_b() {
        // RFC 7636 Appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert!(is_pkce_verifier(verifier));
        assert_eq!(
            pkce_challenge(verifier),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(!is_pkce_verifier("short"));
        assert!(!is_pkce_verifier(&"a".repeat(129)));
        assert!(!is_pkce_verifier(&format!("{}+", "a".repeat(50))));
    }
}
