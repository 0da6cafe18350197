//! `creator-api`: the creator portal's API (JWT, role `creator`; the token's subject is the
//! creator, and every route is `/v1/creators/me/…`, so a creator can only ever reach their own
//! data — there is no route that takes another creator's id).
//!
//! - `GET /v1/creators/me` — the profile (payout details are never returned: only which fields are
//!   set), and the current terms with whether they were accepted. `404 not_onboarded` before
//!   `PUT`.
//! - `PUT /v1/creators/me` `{"display_name", "handles": {platform: handle}, "payout": {field: value}}`
//!   — onboarding and profile. The commission rate is the brand's, not the creator's.
//! - `POST /v1/creators/me/terms` `{"version"}` — accept the current content terms (the consent
//!   record of every upload).
//! - `POST /v1/creators/me/links` `{"sku", "campaign"?}` — a trackable link to a catalog product:
//!   a signed short code and its URL (`{LINK_BASE_URL}/r/{code}`); `GET` lists them.
//! - `POST /v1/creators/me/uploads` `{"content_type", "caption"?}` — a presigned S3 POST (type,
//!   size range and the accepted terms fixed by the policy); `403 terms_required` until the terms
//!   are accepted.
//! - `GET /v1/creators/me/dashboard?days=30` — impressions, views, clicks, adds to cart, orders,
//!   revenue and conversion: in total, by content, by campaign, per day, and an SVG chart.
//! - `GET /v1/creators/me/payouts?from&to[&format=csv]` — attributed revenue × commission rate.
//! - `POST /v1/creators/me/codes` `{"campaign"?}` — a discount code, created in the store (Shopify
//!   Admin API) and matched on orders; `GET` lists them. `503 codes_unavailable` without a store.
//! - `GET /v1/creators/me/submissions` — each of the creator's items with its moderation status
//!   and transcoding state.
//! - `GET /v1/creators/me/calendar?month=YYYY-MM` — scheduled and published items by day.
//! - `POST /v1/creators/me/product-requests` `{"sku", "note"?}` — ask for a product to make content
//!   with; `GET` lists them.
//!
//! The brand's side (role `admin`):
//! - `GET /v1/creators` — every creator (no payout details).
//! - `GET /v1/creators/payouts?from&to[&format=csv]` — the payout report of every creator.
//! - `GET /v1/creators/product-requests[?status]` and
//!   `POST /v1/creators/product-requests/{creator_id}/{request_id}` `{"status", "note"?}` —
//!   approve, decline, mark shipped.
//!
//! Layout: `routes` holds the router (each route once, with its role; [`routes()`] lists them)
//! and the handlers, a module per resource; `discounts` makes discount codes in the store (Shopify
//! Admin API) and `presign` signs upload policies.

mod discounts;
mod presign;
mod routes;

pub use discounts::{DiscountError, NewCode, ShopifyDiscounts, StoreDiscounts};
pub use presign::{Presigner, SdkPresigner};
pub use reelcart_domain::creator::link_keys;
pub use routes::routes;

use reelcart_domain::Clock;
use std::sync::Arc;

// What the unit tests (`use super::*`) find here besides the above.
#[cfg(test)]
use {
    reelcart_aws::presign::{PostPolicy, PostUpload},
    reelcart_domain::catalog::ProductStatus,
    reelcart_ports::{AnalyticsStore, CatalogStore, MediaRecords, PortResult},
    serde_json::Value,
};

/// Settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// `CREATOR_TERMS_VERSION`, `CREATOR_TERMS_URL`.
    pub terms_version: String,
    pub terms_url: String,
    /// `DEFAULT_COMMISSION` (0.10).
    pub default_commission: rust_decimal::Decimal,
    /// The link-signing keys (current first), from `LINK_SECRET_ID`, read again every few
    /// minutes (a rotation reaches warm instances).
    pub link_keys: Arc<reelcart_lambda::keyring::KeyRing>,
    /// `LINK_BASE_URL`: where `/r/{code}` is served.
    pub link_base: String,
    /// `RAW_MEDIA_BUCKET` and `MAX_VIDEO_MB`.
    pub raw_bucket: String,
    pub max_upload_bytes: u64,
    /// `CREATOR_UPLOADS_PER_DAY` (20): uploads one creator may start a day.
    pub uploads_per_day: u32,
    /// `CREATOR_DISCOUNT_PERCENT` (10): what a creator's code takes off.
    pub discount_percent: u32,
    /// The brand's rules for codes: approval, lifetime, usage limit.
    pub codes: CodeRules,
}

/// How creators' discount codes are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeRules {
    /// `CREATOR_CODE_APPROVAL`: `required` (default: a code is made in the store once the brand
    /// approves it) or `auto` (at once).
    pub approval: bool,
    /// `CREATOR_CODE_DAYS` (90): how long a code works from when it is made; 0: no end.
    pub days: u32,
    /// `CREATOR_CODE_USAGE_LIMIT` (1000): orders that may use a code in all; 0: no limit.
    pub usage_limit: u32,
}

pub struct CreatorApi<S, C, P, A, K, M, D> {
    pub creators: S,
    pub catalog: C,
    /// The daily aggregates (dashboard, payouts) and the discount codes orders are matched on.
    pub analytics: A,
    pub presigner: P,
    /// Items and their transcoding (submissions, calendar).
    pub content: K,
    pub media: M,
    pub discounts: D,
    pub config: Config,
    pub clock: Arc<dyn Clock>,
}

impl<S, C, P, A, K, M, D> std::fmt::Debug for CreatorApi<S, C, P, A, K, M, D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatorApi").finish_non_exhaustive()
    }
}

/// The deployed API.
pub type AwsCreatorApi = CreatorApi<
    reelcart_aws::DynamoCreators,
    reelcart_aws::DynamoCatalog,
    SdkPresigner,
    reelcart_aws::DynamoAnalytics,
    reelcart_aws::DynamoContent,
    reelcart_aws::DynamoMediaRecords,
    ShopifyDiscounts,
>;

/// Build from settings: `CREATORS_TABLE`, `CATALOG_TABLE`, `CONTENT_TABLE`, `ANALYTICS_TABLE`,
/// `RAW_MEDIA_BUCKET`, `MEDIA_BUCKET`, `LINK_SECRET_ID`, `LINK_BASE_URL`, `CREATOR_TERMS_VERSION`,
/// `CREATOR_TERMS_URL`, `DEFAULT_COMMISSION`, `CREATOR_DISCOUNT_PERCENT`, `MAX_VIDEO_MB`, and for
/// discount codes `SHOPIFY_ADMIN_URL` with `PLATFORM_SECRETS_ID`.
pub async fn from_aws<F: Fn(&str) -> Option<String>>(
    v: &reelcart_lambda::config::Vars<F>,
    sdk: &reelcart_aws::SdkConfig,
    clock: Arc<dyn Clock>,
) -> Result<AwsCreatorApi, String> {
    let secrets = reelcart_aws::SecretsManager::new(aws_sdk_secretsmanager::Client::new(sdk));
    let secret_id = v.required("LINK_SECRET_ID").map_err(|e| e.to_string())?;
    let link_keys = Arc::new(
        reelcart_lambda::keyring::KeyRing::load(
            secrets.key_loader(secret_id, link_keys),
            300,
            clock.now_unix(),
        )
        .await
        .map_err(|e| format!("LINK_SECRET_ID: {e}"))?,
    );
    let discounts = ShopifyDiscounts::from_vars(v, &secrets, sdk, clock.clone());
    let dynamo = aws_sdk_dynamodb::Client::new(sdk);
    let commission: rust_decimal::Decimal = v
        .parse_or("DEFAULT_COMMISSION", rust_decimal::Decimal::new(10, 2))
        .map_err(|e| e.to_string())?;
    if !(rust_decimal::Decimal::ZERO..=rust_decimal::Decimal::ONE).contains(&commission) {
        return Err("DEFAULT_COMMISSION is between 0 and 1".into());
    }
    let discount_percent: u32 = v
        .parse_or("CREATOR_DISCOUNT_PERCENT", 10u32)
        .map_err(|e| e.to_string())?;
    if !(1..=100).contains(&discount_percent) {
        return Err("CREATOR_DISCOUNT_PERCENT is between 1 and 100".into());
    }
    let approval = match v.optional("CREATOR_CODE_APPROVAL").as_deref() {
        None | Some("") | Some("required") => true,
        Some("auto") => false,
        Some(_) => return Err("CREATOR_CODE_APPROVAL is required or auto".into()),
    };
    let codes = CodeRules {
        approval,
        days: v
            .parse_or("CREATOR_CODE_DAYS", 90u32)
            .map_err(|e| e.to_string())?,
        usage_limit: v
            .parse_or("CREATOR_CODE_USAGE_LIMIT", 1000u32)
            .map_err(|e| e.to_string())?,
    };
    let req = |n: &'static str| v.required(n).map_err(|e| e.to_string());
    let content_table = req("CONTENT_TABLE")?;
    Ok(CreatorApi {
        creators: reelcart_aws::DynamoCreators::new(dynamo.clone(), req("CREATORS_TABLE")?),
        catalog: reelcart_aws::DynamoCatalog::new(dynamo.clone(), req("CATALOG_TABLE")?),
        analytics: reelcart_aws::DynamoAnalytics::new(dynamo.clone(), req("ANALYTICS_TABLE")?),
        content: reelcart_aws::DynamoContent::new(dynamo.clone(), content_table.clone()),
        media: reelcart_aws::DynamoMediaRecords::new(dynamo, content_table),
        discounts,
        presigner: SdkPresigner {
            sdk: sdk.clone(),
            media: reelcart_aws::S3Blobs::new(
                reelcart_aws::s3_client(
                    sdk,
                    v.parse_or("S3_FORCE_PATH_STYLE", false)
                        .map_err(|e| e.to_string())?,
                ),
                req("MEDIA_BUCKET")?,
            ),
        },
        config: Config {
            terms_version: req("CREATOR_TERMS_VERSION")?,
            terms_url: req("CREATOR_TERMS_URL")?,
            default_commission: commission,
            link_keys,
            link_base: req("LINK_BASE_URL")?,
            raw_bucket: req("RAW_MEDIA_BUCKET")?,
            max_upload_bytes: v
                .parse_or("MAX_VIDEO_MB", 300u64)
                .map_err(|e| e.to_string())?
                * 1024
                * 1024,
            uploads_per_day: v
                .parse_or("CREATOR_UPLOADS_PER_DAY", 20u32)
                .map_err(|e| e.to_string())?,
            discount_percent,
            codes,
        },
        clock,
    })
}

#[cfg(test)]
mod tests;
