//! The webhook secrets, as stored in Secrets Manager (one JSON document) or seeded locally.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use serde::Deserialize;
use std::collections::BTreeMap;

/// Secrets for every platform. Each list holds the secrets currently accepted, so a secret can be
/// rotated by adding the new one before removing the old one.
///
/// JSON shape (all fields optional; a platform without secrets rejects every delivery):
/// ```json
/// { "meta_app_secrets": ["..."], "meta_verify_token": "...",
///   "tiktok_shop_app_key": "...", "tiktok_shop_app_secrets": ["..."],
///   "tiktok_client_secrets": ["..."], "shopify_webhook_secrets": ["..."],
///   "standard_webhook_secrets": { "source": ["whsec_..."] },
///   "timestamp_tolerance_secs": 300 }
/// ```
#[derive(Debug, Default)]
pub struct WebhookSecrets {
    pub meta_app_secrets: Vec<SecretString>,
    pub meta_verify_token: Option<SecretString>,
    pub tiktok_shop_app_key: String,
    pub tiktok_shop_app_secrets: Vec<SecretString>,
    pub tiktok_client_secrets: Vec<SecretString>,
    pub shopify_webhook_secrets: Vec<SecretString>,
    pub standard: BTreeMap<String, Vec<StandardKey>>,
    /// Accepted clock skew for signed timestamps (TikTok, Standard Webhooks), both ways.
    pub timestamp_tolerance_secs: i64,
    /// Secrets left out because they are empty or shorter than [`MIN_SECRET_BYTES`] (anyone could
    /// sign with `""`): where they were (`shopify_webhook_secrets[0]`), never what.
    pub refused: Vec<String>,
}

/// The shortest secret used to verify a signature. The platforms' are 32 bytes or more; a
/// shorter one is a mistake (an empty string, a placeholder) that would let anyone sign.
pub const MIN_SECRET_BYTES: usize = 16;

/// `secrets` without the ones too short to verify anything; their places in `refused`.
fn usable(name: &str, secrets: Vec<SecretString>, refused: &mut Vec<String>) -> Vec<SecretString> {
    let mut kept = Vec::with_capacity(secrets.len());
    for (i, s) in secrets.into_iter().enumerate() {
        if s.expose_secret().trim().len() < MIN_SECRET_BYTES {
            refused.push(format!("{name}[{i}]"));
        } else {
            kept.push(s);
        }
    }
    kept
}

/// Default tolerance for signed timestamps: five minutes, both ways.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

#[derive(Deserialize)]
struct Raw {
    #[serde(default)]
    meta_app_secrets: Vec<SecretString>,
    #[serde(default)]
    meta_verify_token: Option<SecretString>,
    #[serde(default)]
    tiktok_shop_app_key: String,
    #[serde(default)]
    tiktok_shop_app_secrets: Vec<SecretString>,
    #[serde(default)]
    tiktok_client_secrets: Vec<SecretString>,
    #[serde(default)]
    shopify_webhook_secrets: Vec<SecretString>,
    #[serde(default)]
    standard_webhook_secrets: BTreeMap<String, Vec<SecretString>>,
    #[serde(default)]
    timestamp_tolerance_secs: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("webhook secrets are not valid JSON of the expected shape: {0}")]
    Json(String),
    #[error("standard webhook secret for source `{source_name}` must be `whsec_` + base64")]
    BadStandardSecret { source_name: String },
    #[error("timestamp_tolerance_secs must be between 1 and 3600")]
    BadTolerance,
}

/// Where a secrets document is malformed, without its content: serde_json's messages quote the
/// offending value ("invalid type: string \"…\""), which here would be a secret.
pub fn redacted_json_error(e: &serde_json::Error) -> String {
    let what = match e.classify() {
        serde_json::error::Category::Io => "unreadable",
        serde_json::error::Category::Syntax => "not valid JSON",
        serde_json::error::Category::Data => "a field has the wrong type",
        serde_json::error::Category::Eof => "truncated",
    };
    format!("{what} at line {} column {}", e.line(), e.column())
}

/// A Standard Webhooks signing key: the base64-decoded bytes after `whsec_`.
#[derive(Debug)]
pub struct StandardKey(SecretSlice<u8>);

impl StandardKey {
    pub fn parse(secret: &str) -> Option<Self> {
        let b64 = secret.strip_prefix("whsec_").unwrap_or(secret);
        let bytes = B64.decode(b64).ok()?;
        if bytes.is_empty() {
            return None;
        }
        Some(Self(SecretSlice::from(bytes)))
    }
    pub fn bytes(&self) -> &[u8] {
        self.0.expose_secret()
    }
}

impl WebhookSecrets {
    /// Parse the JSON document kept in Secrets Manager.
    pub fn from_json(json: &str) -> Result<Self, SecretsError> {
        let raw: Raw =
            serde_json::from_str(json).map_err(|e| SecretsError::Json(redacted_json_error(&e)))?;
        let mut refused = Vec::new();
        let mut standard = BTreeMap::new();
        for (source, secrets) in raw.standard_webhook_secrets {
            let mut keys = Vec::with_capacity(secrets.len());
            for (i, s) in secrets.iter().enumerate() {
                let key = StandardKey::parse(s.expose_secret()).ok_or_else(|| {
                    SecretsError::BadStandardSecret {
                        source_name: source.clone(),
                    }
                })?;
                if key.bytes().len() < MIN_SECRET_BYTES {
                    refused.push(format!("standard_webhook_secrets.{source}[{i}]"));
                } else {
                    keys.push(key);
                }
            }
            standard.insert(source, keys);
        }
        let tolerance = raw
            .timestamp_tolerance_secs
            .unwrap_or(DEFAULT_TOLERANCE_SECS);
        if !(1..=3600).contains(&tolerance) {
            return Err(SecretsError::BadTolerance);
        }
        let meta_verify_token = match raw.meta_verify_token {
            Some(t) if t.expose_secret().trim().is_empty() => {
                refused.push("meta_verify_token".into());
                None
            }
            other => other,
        };
        Ok(Self {
            meta_app_secrets: usable("meta_app_secrets", raw.meta_app_secrets, &mut refused),
            meta_verify_token,
            tiktok_shop_app_key: raw.tiktok_shop_app_key,
            tiktok_shop_app_secrets: usable(
                "tiktok_shop_app_secrets",
                raw.tiktok_shop_app_secrets,
                &mut refused,
            ),
            tiktok_client_secrets: usable(
                "tiktok_client_secrets",
                raw.tiktok_client_secrets,
                &mut refused,
            ),
            shopify_webhook_secrets: usable(
                "shopify_webhook_secrets",
                raw.shopify_webhook_secrets,
                &mut refused,
            ),
            standard,
            timestamp_tolerance_secs: tolerance,
            refused,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_document_and_never_prints_secrets() {
        let s = WebhookSecrets::from_json(
            r#"{"meta_app_secrets":["m1-0123456789abcdef","m2-0123456789abcdef"],"meta_verify_token":"vt","tiktok_shop_app_key":"key",
                "tiktok_shop_app_secrets":["ts-0123456789abcdef"],"tiktok_client_secrets":["tc-0123456789abcdef"],
                "shopify_webhook_secrets":["sh-0123456789abcdef"],
                "standard_webhook_secrets":{"acme":["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]}}"#,
        )
        .unwrap();
        assert_eq!(s.meta_app_secrets.len(), 2);
        assert_eq!(s.standard["acme"].len(), 1);
        assert_eq!(s.timestamp_tolerance_secs, DEFAULT_TOLERANCE_SECS);
        let debug = format!("{s:?}");
        assert!(s.refused.is_empty());
        for secret in ["m1-", "m2-", "\"vt\"", "ts-0", "tc-0", "sh-0", "MfKQ9r8"] {
            assert!(
                !debug.contains(secret),
                "{secret} leaked into Debug: {debug}"
            );
        }
    }

    /// `[""]` (or a placeholder) would let anyone sign: such secrets are left out, and where
    /// they were is said (never what they were). Fails without the check: `""` was accepted.
    #[test]
    fn empty_and_short_secrets_are_refused_when_loaded() {
        let s = WebhookSecrets::from_json(
            r#"{"shopify_webhook_secrets":["", "shpss_0123456789abcdef0123"],"meta_app_secrets":["short"],
                "tiktok_client_secrets":["   "],"meta_verify_token":"",
                "standard_webhook_secrets":{"acme":["whsec_c2hvcnQ="]}}"#,
        )
        .unwrap();
        assert_eq!(
            s.shopify_webhook_secrets.len(),
            1,
            "only the real one is kept"
        );
        assert!(s.meta_app_secrets.is_empty() && s.tiktok_client_secrets.is_empty());
        assert!(s.meta_verify_token.is_none() && s.standard["acme"].is_empty());
        assert_eq!(
            s.refused,
            [
                "standard_webhook_secrets.acme[0]",
                "meta_verify_token",
                "meta_app_secrets[0]",
                "tiktok_client_secrets[0]",
                "shopify_webhook_secrets[0]",
            ]
        );
        // An empty secret signs nothing: a body "signed" with it is refused.
        let body = b"{}";
        let hex_sig = crate::webhook::verify::sign_hex(b"", &[body]);
        let sig = B64.encode(hex::decode(hex_sig).unwrap());
        let mut h = http::HeaderMap::new();
        h.insert("x-shopify-hmac-sha256", sig.parse().unwrap());
        let forged = crate::webhook::verify::verify(
            crate::webhook::Platform::Shopify,
            None,
            &WebhookSecrets::from_json(r#"{"shopify_webhook_secrets":[""]}"#).unwrap(),
            &h,
            body,
            0,
        );
        assert!(forged.is_err(), "signed with an empty secret: {forged:?}");
    }

    #[test]
    fn empty_document_means_nothing_configured() {
        let s = WebhookSecrets::from_json("{}").unwrap();
        assert!(s.meta_app_secrets.is_empty() && s.standard.is_empty());
    }

    #[test]
    fn rejects_bad_standard_secret_without_echoing_it() {
        let err = WebhookSecrets::from_json(
            r#"{"standard_webhook_secrets":{"acme":["whsec_not base64!"]}}"#,
        )
        .unwrap_err();
        assert!(matches!(err, SecretsError::BadStandardSecret { .. }));
        assert!(!err.to_string().contains("not base64"));
    }

    #[test]
    fn a_wrongly_typed_secret_is_not_echoed_in_the_error() {
        let err = WebhookSecrets::from_json(r#"{"shopify_webhook_secrets":"shpss_very_secret"}"#)
            .unwrap_err();
        assert!(matches!(err, SecretsError::Json(_)));
        assert!(!err.to_string().contains("shpss_very_secret"), "{err}");
        assert!(err.to_string().contains("line 1"), "{err}");
    }

    #[test]
    fn rejects_out_of_range_tolerance() {
        let err = WebhookSecrets::from_json(r#"{"timestamp_tolerance_secs":0}"#).unwrap_err();
        assert!(matches!(err, SecretsError::BadTolerance));
    }
}
