use crate::Limits;
use reelcart_lambda::config::{ConfigError, Vars};

/// The receiver's settings. Names of resources come from template.yaml (`!Ref`), never code.
#[derive(Debug, Clone)]
pub struct Config {
    /// `IDEMPOTENCY_TABLE`
    pub idempotency_table: String,
    /// `EVENT_QUEUE_URL`
    pub event_queue_url: String,
    /// `PAYLOAD_BUCKET`: where bodies too large for one queue message are kept.
    pub payload_bucket: String,
    /// `PLATFORM_SECRETS_ID`: Secrets Manager id of the webhook secrets document.
    pub secrets_id: String,
    /// `SECRETS_REFRESH_SECS` (default 300): how often rotated secrets are picked up.
    pub secrets_refresh_secs: i64,
    /// `S3_FORCE_PATH_STYLE` (default false; true for emulators).
    pub s3_force_path_style: bool,
    /// `MAX_BODY_BYTES`, `DEDUPE_TTL_SECS`, `CLAIM_LEASE_SECS`.
    pub limits: Limits,
}

/// The brand's store: `SHOPIFY_SHOP_DOMAIN`, else the host of `SHOPIFY_ADMIN_URL`
/// (`https://<shop>.myshopify.com`); none when neither names a store.
fn pinned_shop<F: Fn(&str) -> Option<String>>(v: &Vars<F>) -> Result<Option<String>, ConfigError> {
    use reelcart_domain::connection::shopify::valid_shop_domain;
    if let Some(shop) = v.optional("SHOPIFY_SHOP_DOMAIN").filter(|s| !s.is_empty()) {
        return if valid_shop_domain(&shop) {
            Ok(Some(shop))
        } else {
            Err(ConfigError::Invalid {
                name: "SHOPIFY_SHOP_DOMAIN",
                reason: "not a *.myshopify.com domain".into(),
            })
        };
    }
    Ok(v.optional("SHOPIFY_ADMIN_URL").and_then(|u| {
        let host = u.split("://").nth(1)?.split(['/', ':']).next()?.to_string();
        valid_shop_domain(&host).then_some(host)
    }))
}

impl Config {
    pub fn from_vars<F: Fn(&str) -> Option<String>>(v: &Vars<F>) -> Result<Self, ConfigError> {
        let defaults = Limits::default();
        let limits = Limits {
            max_body_bytes: v.parse_or("MAX_BODY_BYTES", defaults.max_body_bytes)?,
            max_inline_bytes: defaults.max_inline_bytes,
            dedupe_ttl_secs: v.parse_or("DEDUPE_TTL_SECS", defaults.dedupe_ttl_secs)?,
            claim_lease_secs: v.parse_or("CLAIM_LEASE_SECS", defaults.claim_lease_secs)?,
            shopify_shop: pinned_shop(v)?,
        };
        if limits.dedupe_ttl_secs < 24 * 3600 {
            return Err(ConfigError::Invalid {
                name: "DEDUPE_TTL_SECS",
                reason: "must cover platform retry schedules (at least 86400)".into(),
            });
        }
        Ok(Self {
            idempotency_table: v.required("IDEMPOTENCY_TABLE")?,
            event_queue_url: v.required("EVENT_QUEUE_URL")?,
            payload_bucket: v.required("PAYLOAD_BUCKET")?,
            secrets_id: v.required("PLATFORM_SECRETS_ID")?,
            secrets_refresh_secs: v.parse_or("SECRETS_REFRESH_SECS", 300)?,
            s3_force_path_style: v.flag("S3_FORCE_PATH_STYLE")?,
            limits,
        })
    }
}
