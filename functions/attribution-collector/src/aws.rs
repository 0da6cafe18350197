//! The deployed collector: its adapters, built from the function's settings.

use crate::{Collector, Config};
use reelcart_domain::Clock;
use reelcart_domain::attribution::{Model, Windows};
use reelcart_lambda::http::Cors;
use std::sync::Arc;

/// The deployed collector.
pub type AwsCollector = Collector<
    reelcart_aws::DynamoAnalytics,
    reelcart_aws::SqsQueue,
    reelcart_aws::S3Blobs,
    reelcart_aws::DynamoCreators,
    reelcart_aws::DynamoContent,
    reelcart_aws::DynamoCatalog,
>;

/// Build from settings: `ANALYTICS_TABLE`, `BEACON_QUEUE_URL`, `RAW_EVENTS_BUCKET`,
/// `ALLOWED_ORIGINS`, `ATTRIBUTION_CLICK_WINDOW_HOURS`, `ATTRIBUTION_VIEW_WINDOW_HOURS`,
/// `ATTRIBUTION_MODEL`, `CREATORS_TABLE`, `CONTENT_TABLE`, `CATALOG_TABLE`,
/// `LINK_SECRET_ID`, `CONVERSIONS_QUEUE_URL` and `SHOP_ORDERS_QUEUE_URL` (optional),
/// `S3_FORCE_PATH_STYLE`.
/// How often the link-signing keys are read again (a rotation reaches warm instances).
pub const KEY_REFRESH_SECS: i64 = 300;

pub async fn from_aws<F: Fn(&str) -> Option<String>>(
    v: &reelcart_lambda::config::Vars<F>,
    sdk: &reelcart_aws::SdkConfig,
    clock: Arc<dyn Clock>,
) -> Result<AwsCollector, reelcart_lambda::config::ConfigError> {
    use reelcart_lambda::config::ConfigError;
    let loader = reelcart_aws::SecretsManager::new(aws_sdk_secretsmanager::Client::new(sdk))
        .key_loader(
            v.required("LINK_SECRET_ID")?,
            reelcart_domain::creator::link_keys,
        );
    let link_keys = Arc::new(
        reelcart_lambda::keyring::KeyRing::load(loader, KEY_REFRESH_SECS, clock.now_unix())
            .await
            .map_err(|reason| ConfigError::Invalid {
                name: "LINK_SECRET_ID",
                reason,
            })?,
    );
    let hours = |name: &'static str, default: i64| -> Result<i64, ConfigError> {
        let h: i64 = v.parse_or(name, default)?;
        if (1..=24 * 90).contains(&h) {
            Ok(h * 3600)
        } else {
            Err(ConfigError::Invalid {
                name,
                reason: "1 to 2160 hours (90 days)".into(),
            })
        }
    };
    let windows = Windows {
        click_secs: hours("ATTRIBUTION_CLICK_WINDOW_HOURS", 7 * 24)?,
        view_secs: hours("ATTRIBUTION_VIEW_WINDOW_HOURS", 24)?,
    };
    let model = match v.optional("ATTRIBUTION_MODEL").as_deref() {
        None | Some("") | Some("last_touch") => Model::LastTouch,
        Some("linear") => Model::Linear,
        Some(_) => {
            return Err(ConfigError::Invalid {
                name: "ATTRIBUTION_MODEL",
                reason: "last_touch or linear".into(),
            });
        }
    };
    let dynamo = aws_sdk_dynamodb::Client::new(sdk);
    Ok(Collector {
        analytics: reelcart_aws::DynamoAnalytics::new(
            dynamo.clone(),
            v.required("ANALYTICS_TABLE")?,
        ),
        links: reelcart_aws::DynamoCreators::new(dynamo.clone(), v.required("CREATORS_TABLE")?),
        content: reelcart_aws::DynamoContent::new(dynamo.clone(), v.required("CONTENT_TABLE")?),
        catalog: reelcart_aws::DynamoCatalog::new(dynamo, v.required("CATALOG_TABLE")?),
        beacons: reelcart_aws::SqsQueue::new(
            aws_sdk_sqs::Client::new(sdk),
            v.required("BEACON_QUEUE_URL")?,
        ),
        conversions: v
            .optional("CONVERSIONS_QUEUE_URL")
            .filter(|u| !u.is_empty())
            .map(|u| reelcart_aws::SqsQueue::new(aws_sdk_sqs::Client::new(sdk), u)),
        shop_orders: v
            .optional("SHOP_ORDERS_QUEUE_URL")
            .filter(|u| !u.is_empty())
            .map(|u| reelcart_aws::SqsQueue::new(aws_sdk_sqs::Client::new(sdk), u)),
        raw: reelcart_aws::S3Blobs::new(
            reelcart_aws::s3_client(sdk, v.parse_or("S3_FORCE_PATH_STYLE", false)?),
            v.required("RAW_EVENTS_BUCKET")?,
        ),
        config: Config {
            cors: Cors::parse(&v.optional("ALLOWED_ORIGINS").unwrap_or_default()),
            windows,
            model,
            link_keys,
        },
        clock,
    })
}
