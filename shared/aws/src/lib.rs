//! AWS adapters for Reelcart's ports. The same code talks to AWS and to a local emulator: the SDK
//! reads its endpoint from `AWS_ENDPOINT_URL`; nothing here knows which one it is.

mod analytics;
mod catalog;
mod cdn;
mod connections;
mod content;
mod creators;
mod dynamo;
mod events;
mod kms;
mod media;
mod pending;
pub mod presign;
mod s3;
mod secrets;
mod sqs;

pub use analytics::DynamoAnalytics;
pub use catalog::DynamoCatalog;
pub use cdn::{CloudFrontInvalidator, RecordedInvalidations};
pub use connections::DynamoConnections;
pub use content::DynamoContent;
pub use creators::DynamoCreators;
pub use dynamo::{DynamoEvents, DynamoIdempotency};
pub use events::EventBridgeBus;
pub use kms::KmsKeys;
pub use media::DynamoMediaRecords;
pub use pending::DynamoPendingAuthorizations;
pub use s3::S3Blobs;
pub use secrets::SecretsManager;
pub use sqs::SqsQueue;

pub use aws_config::SdkConfig;

use aws_sdk_dynamodb::error::DisplayErrorContext;
use reelcart_ports::PortError;

/// Load the SDK configuration from the environment (region, credentials, `AWS_ENDPOINT_URL`).
pub async fn load_sdk_config() -> SdkConfig {
    aws_config::load_from_env().await
}

/// Build an S3 client. `force_path_style` is a configuration flag for emulators (and buckets with
/// dots in their names); it is read from config at init, never decided in code.
pub fn s3_client(sdk: &SdkConfig, force_path_style: bool) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::config::Builder::from(sdk)
        .force_path_style(force_path_style)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

type DynamoItem = std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>;

/// Every item of a query or scan (a fluent builder with `set_exclusive_start_key`), page after
/// page.
macro_rules! all_pages {
    ($builder:expr, $operation:expr) => {{
        let mut out = Vec::new();
        let mut start = None;
        loop {
            let page = $builder
                .clone()
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| sdk_error($operation, e))?;
            out.extend(page.items.unwrap_or_default());
            match page.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break Ok(out),
            }
        }
    }};
}

/// Every item a query answers, page after page.
pub(crate) async fn query_all(
    query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
    operation: &'static str,
) -> Result<Vec<DynamoItem>, PortError> {
    all_pages!(query, operation)
}

/// Every item a scan answers, page after page.
pub(crate) async fn scan_all(
    scan: aws_sdk_dynamodb::operation::scan::builders::ScanFluentBuilder,
    operation: &'static str,
) -> Result<Vec<DynamoItem>, PortError> {
    all_pages!(scan, operation)
}

/// An SDK error as a port error, with the full error chain in the message (no request bodies).
pub(crate) fn sdk_error<E: std::error::Error>(operation: &'static str, err: E) -> PortError {
    PortError::new(operation, DisplayErrorContext(err))
}
