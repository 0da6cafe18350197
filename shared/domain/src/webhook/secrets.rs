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
        let mut standard = BTreeMap::new();
        for (source, secrets) in raw.standard_webhook_secrets {
            let mut keys = Vec::with_capacity(secrets.len());
            for s in &secrets {
                let key = StandardKey::parse(s.expose_secret()).ok_or_else(|| {
                    SecretsError::BadStandardSecret {
                        source_name: source.clone(),
                    }
                })?;
                keys.push(key);
            }
            standard.insert(source, keys);
        }
        let tolerance = raw
            .timestamp_tolerance_secs
            .unwrap_or(DEFAULT_TOLERANCE_SECS);
        if !(1..=3600).contains(&tolerance) {
            return Err(SecretsError::BadTolerance);
        }
        Ok(Self {
            meta_app_secrets: raw.meta_app_secrets,
            meta_verify_token: raw.meta_verify_token,
            tiktok_shop_app_key: raw.tiktok_shop_app_key,
            tiktok_shop_app_secrets: raw.tiktok_shop_app_secrets,
            tiktok_client_secrets: raw.tiktok_client_secrets,
            shopify_webhook_secrets: raw.shopify_webhook_secrets,
            standard,
            timestamp_tolerance_secs: tolerance,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_document_and_never_prints_secrets() {
        let s = WebhookSecrets::from_json(
            r#"{"meta_app_secrets":["m1","m2"],"meta_verify_token":"vt","tiktok_shop_app_key":"key",
                "tiktok_shop_app_secrets":["ts"],"tiktok_client_secrets":["tc"],
                "shopify_webhook_secrets":["sh"],
                "standard_webhook_secrets":{"acme":["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]}}"#,
        )
        .unwrap();
        assert_eq!(s.meta_app_secrets.len(), 2);
        assert_eq!(s.standard["acme"].len(), 1);
        assert_eq!(s.timestamp_tolerance_secs, DEFAULT_TOLERANCE_SECS);
        let debug = format!("{s:?}");
        for secret in [
            "m1", "m2", "\"vt\"", "\"ts\"", "\"tc\"", "\"sh\"", "MfKQ9r8",
        ] {
            assert!(
                !debug.contains(secret),
                "{secret} leaked into Debug: {debug}"
            );
        }
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
