//! Presigned S3 POST uploads (browser-based uploads, Signature Version 4): the browser sends a
//! multipart form straight to S3, and the signed policy fixes what it may send — the exact key,
//! the content type, a size range, and the metadata Reelcart reads back (who uploaded it, the
//! terms they accepted). The Rust SDK presigns only GET/PUT; a PUT cannot limit the size.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use reelcart_ports::{PortError, PortResult};
use serde_json::{Value, json};
use sha2::Sha256;
use std::collections::BTreeMap;
use time::UtcDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

/// What an upload may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostPolicy {
    pub bucket: String,
    pub key: String,
    pub content_type: String,
    pub min_bytes: u64,
    pub max_bytes: u64,
    /// `x-amz-meta-*` fields, fixed by the policy (names without the prefix).
    pub metadata: BTreeMap<String, String>,
    pub expires_in_secs: i64,
}

/// Credentials to sign with.
#[derive(Debug, Clone)]
pub struct Signer {
    pub access_key_id: String,
    pub secret_access_key: secrecy::SecretString,
    pub session_token: Option<String>,
    pub region: String,
}

/// The form to send: POST `url` as `multipart/form-data` with `fields`, then the `file` part.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PostUpload {
    pub url: String,
    pub fields: BTreeMap<String, String>,
    pub expires_at: i64,
    pub max_bytes: u64,
}

/// SigV4's credential scope date, `YYYYMMDD`.
const SCOPE_DATE: &[BorrowedFormatItem<'_>] = format_description!("[year][month][day]");
/// SigV4's `x-amz-date`, `YYYYMMDDTHHMMSSZ`.
const AMZ_DATE: &[BorrowedFormatItem<'_>] =
    format_description!("[year][month][day]T[hour][minute][second]Z");
/// The policy's `expiration` (ISO 8601, UTC, milliseconds).
const EXPIRATION: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// Unix time `ts` in UTC as `format` writes it (clamped to the years -9999..=9999).
fn utc(ts: i64, format: &[BorrowedFormatItem<'_>]) -> String {
    let at = UtcDateTime::from_unix_timestamp(ts).unwrap_or(if ts < 0 {
        UtcDateTime::MIN
    } else {
        UtcDateTime::MAX
    });
    at.format(format)
        .unwrap_or_else(|_| unreachable!("a UTC date-time has every component these formats use"))
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    // HMAC accepts keys of any length: this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// SigV4's signing key for `date` (`YYYYMMDD`), `region` and `service`.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k_date = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, b"aws4_request")
}

/// Sign `policy` at `now` for the bucket at `bucket_url`.
pub fn sign_post(policy: &PostPolicy, signer: &Signer, bucket_url: &str, now: i64) -> PostUpload {
    use secrecy::ExposeSecret;
    let date = utc(now, SCOPE_DATE);
    let amz_date = utc(now, AMZ_DATE);
    let expires_at = now + policy.expires_in_secs;
    let credential = format!(
        "{}/{date}/{}/s3/aws4_request",
        signer.access_key_id, signer.region
    );
    let mut fields = BTreeMap::from([
        ("key".to_string(), policy.key.clone()),
        ("Content-Type".to_string(), policy.content_type.clone()),
        (
            "x-amz-algorithm".to_string(),
            "AWS4-HMAC-SHA256".to_string(),
        ),
        ("x-amz-credential".to_string(), credential),
        ("x-amz-date".to_string(), amz_date),
    ]);
    if let Some(token) = &signer.session_token {
        fields.insert("x-amz-security-token".to_string(), token.clone());
    }
    for (k, v) in &policy.metadata {
        fields.insert(format!("x-amz-meta-{k}"), v.clone());
    }
    let mut conditions: Vec<Value> = vec![json!({"bucket": policy.bucket})];
    conditions.extend(fields.iter().map(|(k, v)| json!({ k: v })));
    conditions.push(json!([
        "content-length-range",
        policy.min_bytes,
        policy.max_bytes
    ]));
    let document = json!({
        "expiration": utc(expires_at, EXPIRATION),
        "conditions": conditions,
    });
    let encoded = base64::engine::general_purpose::STANDARD.encode(document.to_string());
    let key = signing_key(
        signer.secret_access_key.expose_secret(),
        &date,
        &signer.region,
        "s3",
    );
    let signature = hex::encode(hmac(&key, encoded.as_bytes()));
    fields.insert("policy".to_string(), encoded);
    fields.insert("x-amz-signature".to_string(), signature);
    PostUpload {
        url: bucket_url.to_string(),
        fields,
        expires_at,
        max_bytes: policy.max_bytes,
    }
}

/// The bucket's URL: path-style under a custom endpoint (the emulator), else virtual-hosted.
pub fn bucket_url(endpoint: Option<&str>, region: &str, bucket: &str) -> String {
    match endpoint {
        Some(e) => format!("{}/{bucket}", e.trim_end_matches('/')),
        None => format!("https://{bucket}.s3.{region}.amazonaws.com"),
    }
}

/// Presign with the SDK configuration's credentials, region and endpoint.
pub async fn presign_post(
    sdk: &aws_config::SdkConfig,
    policy: &PostPolicy,
    now: i64,
) -> PortResult<PostUpload> {
    use aws_credential_types::provider::ProvideCredentials;
    let provider = sdk
        .credentials_provider()
        .ok_or_else(|| PortError::denied("s3.presign_post", "no AWS credentials configured"))?;
    let creds = provider
        .provide_credentials()
        .await
        .map_err(|e| PortError::unavailable("s3.presign_post", e))?;
    let region = sdk
        .region()
        .map_or_else(|| "us-east-1".to_string(), ToString::to_string);
    let signer = Signer {
        access_key_id: creds.access_key_id().to_string(),
        secret_access_key: creds.secret_access_key().to_string().into(),
        session_token: creds.session_token().map(str::to_string),
        region: region.clone(),
    };
    let url = bucket_url(sdk.endpoint_url(), &region, &policy.bucket);
    Ok(sign_post(policy, &signer, &url, now))
}

/// The metadata an upload carries (fixed by its presigned policy, read back on arrival).
pub mod upload_meta {
    pub const TERMS_VERSION: &str = "terms-version";
    pub const ACCEPTED_AT: &str = "accepted-at";
    /// Percent-encoded (S3 metadata is ASCII).
    pub const CAPTION: &str = "caption";
}

/// The presigned POST a creator uploads with: the key names them and the upload, the type is
/// fixed, the size capped, and the terms they accepted travel as metadata the policy fixes.
#[allow(clippy::too_many_arguments)]
pub fn upload_policy(
    bucket: &str,
    creator_id: &str,
    upload_id: &str,
    content_type: &str,
    terms_version: &str,
    accepted_at: i64,
    caption: &str,
    max_bytes: u64,
) -> Result<PostPolicy, String> {
    let Some((_, ext)) = reelcart_domain::content::UPLOAD_TYPES
        .iter()
        .find(|(t, _)| *t == content_type)
    else {
        return Err(format!("`{content_type}` cannot be uploaded"));
    };
    let key = reelcart_domain::content::upload_key(creator_id, upload_id, ext);
    if reelcart_domain::content::parse_upload_key(&key).is_none() {
        return Err("creator and upload ids are 1-64 of [A-Za-z0-9_-]".into());
    }
    let caption: String =
        percent_encoding::utf8_percent_encode(caption, percent_encoding::NON_ALPHANUMERIC)
            .to_string();
    Ok(PostPolicy {
        bucket: bucket.to_string(),
        key,
        content_type: content_type.to_string(),
        min_bytes: 1,
        max_bytes,
        metadata: [
            (upload_meta::TERMS_VERSION, terms_version.to_string()),
            (upload_meta::ACCEPTED_AT, accepted_at.to_string()),
            (upload_meta::CAPTION, caption),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
        expires_in_secs: 900,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_signing_key_matches_awss_documented_example() {
        // "Deriving the signing key" in the SigV4 documentation.
        let key = signing_key(
            "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
            "20150830",
            "us-east-1",
            "iam",
        );
        assert_eq!(
            hex::encode(key),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
    }

    #[test]
    fn the_policy_fixes_key_type_size_and_metadata() {
        let policy = PostPolicy {
            bucket: "raw".into(),
            key: "uploads/cr_1/up_1.mp4".into(),
            content_type: "video/mp4".into(),
            min_bytes: 1,
            max_bytes: 500,
            metadata: BTreeMap::from([("creator-id".to_string(), "cr_1".to_string())]),
            expires_in_secs: 900,
        };
        let signer = Signer {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "secret".to_string().into(),
            session_token: None,
            region: "eu-west-1".into(),
        };
        let up = sign_post(
            &policy,
            &signer,
            "https://raw.s3.eu-west-1.amazonaws.com",
            1_795_676_400,
        );
        assert_eq!(up.fields["x-amz-date"], "20261126T070000Z");
        assert_eq!(
            up.fields["x-amz-credential"],
            "AKIDEXAMPLE/20261126/eu-west-1/s3/aws4_request"
        );
        assert_eq!(up.fields["x-amz-meta-creator-id"], "cr_1");
        let doc: Value = serde_json::from_slice(
            &base64::engine::general_purpose::STANDARD
                .decode(&up.fields["policy"])
                .unwrap(),
        )
        .unwrap();
        assert_eq!(doc["expiration"], "2026-11-26T07:15:00.000Z");
        let conditions = doc["conditions"].as_array().unwrap();
        assert!(conditions.contains(&json!({"key": "uploads/cr_1/up_1.mp4"})));
        assert!(conditions.contains(&json!({"Content-Type": "video/mp4"})));
        assert!(conditions.contains(&json!(["content-length-range", 1, 500])));
        assert!(conditions.contains(&json!({"x-amz-meta-creator-id": "cr_1"})));
        // The signature is HMAC(signing key, policy) in hex.
        let key = signing_key("secret", "20261126", "eu-west-1", "s3");
        assert_eq!(
            up.fields["x-amz-signature"],
            hex::encode(hmac(&key, up.fields["policy"].as_bytes()))
        );
        assert_eq!(utc(0, AMZ_DATE), "19700101T000000Z");
        assert_eq!(utc(951_782_400, AMZ_DATE), "20000229T000000Z");
    }

    #[test]
    fn sigv4_dates_are_utc_calendar_dates() {
        assert_eq!(utc(0, SCOPE_DATE), "19700101");
        assert_eq!(utc(-1, AMZ_DATE), "19691231T235959Z");
        assert_eq!(utc(1_795_676_400, AMZ_DATE), "20261126T070000Z");
        assert_eq!(utc(1_709_251_199, AMZ_DATE), "20240229T235959Z");
        assert_eq!(utc(1_709_251_200, SCOPE_DATE), "20240301");
        assert_eq!(utc(1_677_628_799, SCOPE_DATE), "20230228");
        assert_eq!(utc(1_677_628_800, SCOPE_DATE), "20230301");
        assert_eq!(utc(1_795_676_400, EXPIRATION), "2026-11-26T07:00:00.000Z");
        assert_eq!(utc(i64::MAX, SCOPE_DATE), "99991231");
    }

    #[test]
    fn a_policy_signed_just_before_a_leap_day_ends_expires_in_march() {
        let policy = PostPolicy {
            bucket: "raw".into(),
            key: "uploads/cr_1/up_1.mp4".into(),
            content_type: "video/mp4".into(),
            min_bytes: 1,
            max_bytes: 500,
            metadata: BTreeMap::new(),
            expires_in_secs: 900,
        };
        let signer = Signer {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: "secret".to_string().into(),
            session_token: None,
            region: "eu-west-1".into(),
        };
        // 2024-02-29T23:50:00Z
        let up = sign_post(&policy, &signer, "https://raw", 1_709_250_600);
        assert_eq!(up.fields["x-amz-date"], "20240229T235000Z");
        assert_eq!(
            up.fields["x-amz-credential"],
            "AKIDEXAMPLE/20240229/eu-west-1/s3/aws4_request"
        );
        let doc: Value = serde_json::from_slice(
            &base64::engine::general_purpose::STANDARD
                .decode(&up.fields["policy"])
                .unwrap(),
        )
        .unwrap();
        assert_eq!(doc["expiration"], "2024-03-01T00:05:00.000Z");
    }
}
