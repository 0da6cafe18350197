//! Signature verification over the raw body bytes, before anything is parsed.

use super::{Platform, WebhookSecrets};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use hmac::{Hmac, KeyInit, Mac};
use http::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use subtle::ConstantTimeEq;

type HmacSha256 = Hmac<Sha256>;

/// Why a delivery was not accepted as authentic. Every variant maps to `401`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("missing header `{0}`")]
    MissingHeader(&'static str),
    #[error("malformed header `{0}`")]
    MalformedHeader(&'static str),
    #[error("malformed field `{0}`")]
    MalformedField(&'static str),
    #[error("no signature matched")]
    InvalidSignature,
    #[error("signed timestamp is older than the tolerance")]
    TimestampTooOld,
    #[error("signed timestamp is further in the future than the tolerance")]
    TimestampTooNew,
    #[error("no secret is configured for this sender")]
    NotConfigured,
}

/// Verify a delivery of `platform` (`source` names the sender for Standard Webhooks).
pub fn verify(
    platform: Platform,
    source: Option<&str>,
    secrets: &WebhookSecrets,
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
) -> Result<(), VerifyError> {
    let tolerance = secrets.timestamp_tolerance_secs;
    match platform {
        Platform::Meta => verify_meta(&secrets.meta_app_secrets, headers, body),
        Platform::TiktokShop => verify_tiktok_shop(
            &secrets.tiktok_shop_app_key,
            &secrets.tiktok_shop_app_secrets,
            headers,
            body,
        ),
        Platform::Tiktok => verify_tiktok(
            &secrets.tiktok_client_secrets,
            headers,
            body,
            now,
            tolerance,
        ),
        Platform::Shopify => verify_shopify(&secrets.shopify_webhook_secrets, headers, body),
        Platform::Standard => {
            let keys = source
                .and_then(|s| secrets.standard.get(s))
                .ok_or(VerifyError::NotConfigured)?;
            let keys: Vec<&[u8]> = keys.iter().map(|k| k.bytes()).collect();
            verify_standard(&keys, headers, body, now, tolerance)
        }
    }
}

/// Meta's subscription handshake: the challenge to echo back, only when the token matches.
pub fn meta_handshake<'a>(
    secrets: &WebhookSecrets,
    mode: Option<&str>,
    verify_token: Option<&str>,
    challenge: Option<&'a str>,
) -> Option<&'a str> {
    let expected = secrets.meta_verify_token.as_ref()?;
    let (Some("subscribe"), Some(token), Some(challenge)) = (mode, verify_token, challenge) else {
        return None;
    };
    let matches: bool = token
        .as_bytes()
        .ct_eq(expected.expose_secret().as_bytes())
        .into();
    matches.then_some(challenge)
}

fn header<'h>(headers: &'h HeaderMap, name: &'static str) -> Result<&'h str, VerifyError> {
    let value = headers.get(name).ok_or(VerifyError::MissingHeader(name))?;
    value
        .to_str()
        .map(str::trim)
        .map_err(|_| VerifyError::MalformedHeader(name))
}

/// HMAC-SHA256 over `parts`. HMAC accepts keys of any length, so `None` never happens in practice;
/// callers treat it as "no match".
fn mac(key: &[u8], parts: &[&[u8]]) -> Option<HmacSha256> {
    let mut mac = HmacSha256::new_from_slice(key).ok()?;
    for p in parts {
        mac.update(p);
    }
    Some(mac)
}

/// True when any of `keys` signs `parts` to `signature` (constant-time per comparison).
pub(crate) fn any_key_matches<'k>(
    keys: impl IntoIterator<Item = &'k [u8]>,
    parts: &[&[u8]],
    signature: &[u8],
) -> bool {
    // Evaluate every key so timing does not reveal which one matched.
    keys.into_iter().fold(false, |found, key| {
        mac(key, parts).is_some_and(|m| m.verify_slice(signature).is_ok()) | found
    })
}

fn secret_bytes(secrets: &[SecretString]) -> impl Iterator<Item = &[u8]> {
    secrets.iter().map(|s| s.expose_secret().as_bytes())
}

/// Verify Meta's `signed_request` (the deauthorize and data-deletion callbacks of Facebook Login
/// and Instagram Login): `base64url(signature) "." base64url(payload)`, the signature being
/// HMAC-SHA256 under the app secret of the payload part exactly as sent; the payload is JSON with
/// `"algorithm": "HMAC-SHA256"`, `user_id` and `issued_at`. Returns the payload.
pub fn verify_signed_request(
    signed_request: &str,
    secrets: &[SecretString],
) -> Result<serde_json::Value, VerifyError> {
    use base64::alphabet::URL_SAFE;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const F: &str = "signed_request";
    // Meta sends base64url without padding; accept it either way.
    const B64URL: GeneralPurpose = GeneralPurpose::new(
        &URL_SAFE,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    if secrets.is_empty() {
        return Err(VerifyError::NotConfigured);
    }
    let (sig, payload) = signed_request
        .trim()
        .split_once('.')
        .ok_or(VerifyError::MalformedField(F))?;
    let sig = B64URL
        .decode(sig)
        .map_err(|_| VerifyError::MalformedField(F))?;
    if !any_key_matches(secret_bytes(secrets), &[payload.as_bytes()], &sig) {
        return Err(VerifyError::InvalidSignature);
    }
    let json = B64URL
        .decode(payload)
        .map_err(|_| VerifyError::MalformedField(F))?;
    let value: serde_json::Value =
        serde_json::from_slice(&json).map_err(|_| VerifyError::MalformedField(F))?;
    let algorithm = value.get("algorithm").and_then(serde_json::Value::as_str);
    if !algorithm.is_some_and(|a| a.eq_ignore_ascii_case("HMAC-SHA256")) {
        return Err(VerifyError::MalformedField(F));
    }
    Ok(value)
}

/// Lowercase hex HMAC-SHA256, as Meta, TikTok Shop and TikTok send it (also used to sign in tests
/// and in the demo's platform simulator).
pub fn sign_hex(key: &[u8], parts: &[&[u8]]) -> String {
    mac(key, parts)
        .map(|m| hex::encode(m.finalize().into_bytes()))
        .unwrap_or_default()
}

fn verify_meta(
    secrets: &[SecretString],
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), VerifyError> {
    const H: &str = "x-hub-signature-256";
    if secrets.is_empty() {
        return Err(VerifyError::NotConfigured);
    }
    let value = header(headers, H)?;
    let hex_sig = value
        .strip_prefix("sha256=")
        .ok_or(VerifyError::MalformedHeader(H))?;
    let sig = decode_hex32(hex_sig).ok_or(VerifyError::MalformedHeader(H))?;
    if any_key_matches(secret_bytes(secrets), &[body], &sig) {
        Ok(())
    } else {
        Err(VerifyError::InvalidSignature)
    }
}

fn verify_tiktok_shop(
    app_key: &str,
    secrets: &[SecretString],
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), VerifyError> {
    const H: &str = "authorization";
    if secrets.is_empty() || app_key.is_empty() {
        return Err(VerifyError::NotConfigured);
    }
    let sig = decode_hex32(header(headers, H)?).ok_or(VerifyError::MalformedHeader(H))?;
    if any_key_matches(secret_bytes(secrets), &[app_key.as_bytes(), body], &sig) {
        Ok(())
    } else {
        Err(VerifyError::InvalidSignature)
    }
}

fn verify_tiktok(
    secrets: &[SecretString],
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
    tolerance: i64,
) -> Result<(), VerifyError> {
    const H: &str = "tiktok-signature";
    if secrets.is_empty() {
        return Err(VerifyError::NotConfigured);
    }
    let value = header(headers, H)?;
    let mut t = None;
    let mut s = None;
    for part in value.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = Some(v),
            Some(("s", v)) => s = Some(v),
            _ => {}
        }
    }
    let (Some(t), Some(s)) = (t, s) else {
        return Err(VerifyError::MalformedHeader(H));
    };
    let ts: i64 = t.parse().map_err(|_| VerifyError::MalformedHeader(H))?;
    let sig = decode_hex32(s).ok_or(VerifyError::MalformedHeader(H))?;
    // Authenticate first, so the timestamp we judge is one the sender really signed.
    if !any_key_matches(secret_bytes(secrets), &[t.as_bytes(), b".", body], &sig) {
        return Err(VerifyError::InvalidSignature);
    }
    check_timestamp(ts, now, tolerance)
}

fn verify_shopify(
    secrets: &[SecretString],
    headers: &HeaderMap,
    body: &[u8],
) -> Result<(), VerifyError> {
    const H: &str = "x-shopify-hmac-sha256";
    const H_EVENTS: &str = "shopify-hmac-sha256";
    if secrets.is_empty() {
        return Err(VerifyError::NotConfigured);
    }
    let value = header(headers, H).or_else(|_| header(headers, H_EVENTS))?;
    let sig = B64
        .decode(value)
        .map_err(|_| VerifyError::MalformedHeader(H))?;
    if any_key_matches(secret_bytes(secrets), &[body], &sig) {
        Ok(())
    } else {
        Err(VerifyError::InvalidSignature)
    }
}

fn verify_standard(
    keys: &[&[u8]],
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
    tolerance: i64,
) -> Result<(), VerifyError> {
    const ID: &str = "webhook-id";
    const TS: &str = "webhook-timestamp";
    const SIG: &str = "webhook-signature";
    if keys.is_empty() {
        return Err(VerifyError::NotConfigured);
    }
    let id = header(headers, ID)?;
    let ts_str = header(headers, TS)?;
    let sigs = header(headers, SIG)?;
    let ts: i64 = ts_str
        .parse()
        .map_err(|_| VerifyError::MalformedHeader(TS))?;
    check_timestamp(ts, now, tolerance)?;
    let parts: [&[u8]; 5] = [id.as_bytes(), b".", ts_str.as_bytes(), b".", body];
    let mut found = false;
    for candidate in sigs.split_whitespace() {
        let Some(b64) = candidate.strip_prefix("v1,") else {
            continue; // other schemes (e.g. v1a asymmetric) are not ours to check
        };
        let Ok(sig) = B64.decode(b64) else {
            continue;
        };
        found |= any_key_matches(keys.iter().copied(), &parts, &sig);
    }
    if found {
        Ok(())
    } else {
        Err(VerifyError::InvalidSignature)
    }
}

fn check_timestamp(ts: i64, now: i64, tolerance: i64) -> Result<(), VerifyError> {
    if now.saturating_sub(ts) > tolerance {
        Err(VerifyError::TimestampTooOld)
    } else if ts.saturating_sub(now) > tolerance {
        Err(VerifyError::TimestampTooNew)
    } else {
        Ok(())
    }
}

fn decode_hex32(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s, &mut out).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests;
