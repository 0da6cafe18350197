//! CDN invalidations: CloudFront in AWS; where there is no CloudFront (the local stack), a log of
//! the invalidations that would have been made, in the content table (`pk = INVALIDATION`,
//! `sk = {at:020}#{uuid}`, `paths`), so tests and the demo can see them.

use crate::sdk_error;
use aws_sdk_dynamodb::types::AttributeValue;
use reelcart_ports::{CdnInvalidator, PortError, PortResult};

#[derive(Debug, Clone)]
pub struct CloudFrontInvalidator {
    client: aws_sdk_cloudfront::Client,
    distribution_id: String,
}

impl CloudFrontInvalidator {
    pub fn new(client: aws_sdk_cloudfront::Client, distribution_id: impl Into<String>) -> Self {
        Self {
            client,
            distribution_id: distribution_id.into(),
        }
    }
}

impl CdnInvalidator for CloudFrontInvalidator {
    async fn invalidate(&self, paths: &[String]) -> PortResult<String> {
        reelcart_ports::cdn::check_paths(paths)?;
        let batch = aws_sdk_cloudfront::types::InvalidationBatch::builder()
            .paths(
                aws_sdk_cloudfront::types::Paths::builder()
                    .quantity(i32::try_from(paths.len()).unwrap_or(i32::MAX))
                    .set_items(Some(paths.to_vec()))
                    .build()
                    .map_err(|e| PortError::invalid("cdn.encode", e))?,
            )
            // Unique per call: the same paths again are a new invalidation.
            .caller_reference(uuid::Uuid::new_v4().to_string())
            .build()
            .map_err(|e| PortError::invalid("cdn.encode", e))?;
        let out = self
            .client
            .create_invalidation()
            .distribution_id(&self.distribution_id)
            .invalidation_batch(batch)
            .send()
            .await
            .map_err(|e| sdk_error("cdn.invalidate", e))?;
        Ok(out
            .invalidation()
            .map(|i| i.id().to_string())
            .unwrap_or_default())
    }
}

/// Records invalidations in a table instead of making them (no CDN).
#[derive(Debug, Clone)]
pub struct RecordedInvalidations {
    client: aws_sdk_dynamodb::Client,
    table: String,
}

impl RecordedInvalidations {
    pub fn new(client: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Every recorded invalidation's paths, oldest first.
    pub async fn recorded(&self) -> PortResult<Vec<Vec<String>>> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S("INVALIDATION".into()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| sdk_error("cdn.recorded", e))?;
        Ok(out
            .items()
            .iter()
            .filter_map(|i| match i.get("paths") {
                Some(AttributeValue::L(l)) => {
                    Some(l.iter().filter_map(|p| p.as_s().ok().cloned()).collect())
                }
                _ => None,
            })
            .collect())
    }
}

impl CdnInvalidator for RecordedInvalidations {
    async fn invalidate(&self, paths: &[String]) -> PortResult<String> {
        reelcart_ports::cdn::check_paths(paths)?;
        let id = uuid::Uuid::new_v4().simple().to_string();
        let at = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", AttributeValue::S("INVALIDATION".into()))
            .item("sk", AttributeValue::S(format!("{at:020}#{id}")))
            .item(
                "paths",
                AttributeValue::L(paths.iter().cloned().map(AttributeValue::S).collect()),
            )
            .send()
            .await
            .map_err(|e| sdk_error("cdn.record", e))?;
        tracing::info!(paths = ?paths, "CDN invalidation recorded (no CDN here)");
        Ok(format!("recorded-{id}"))
    }
}

/// The CDN a deployment has: CloudFront (`CDN_DISTRIBUTION_ID`), or, with
/// `CDN_INVALIDATIONS=record` (the local stack), a log of what would have been invalidated.
#[derive(Debug, Clone)]
pub enum Cdn {
    CloudFront(CloudFrontInvalidator),
    Recorded(RecordedInvalidations),
}

impl Cdn {
    /// From `CDN_INVALIDATIONS` (`mode`: `cloudfront`, the default, or `record`, into `table`)
    /// and `CDN_DISTRIBUTION_ID` (`distribution`, needed for CloudFront); the error names the
    /// setting at fault.
    pub fn from_settings(
        mode: Option<&str>,
        distribution: Option<String>,
        sdk: &aws_config::SdkConfig,
        table: &str,
    ) -> Result<Self, (&'static str, String)> {
        match mode.unwrap_or("cloudfront") {
            "cloudfront" => Ok(Cdn::CloudFront(CloudFrontInvalidator::new(
                aws_sdk_cloudfront::Client::new(sdk),
                distribution.ok_or(("CDN_DISTRIBUTION_ID", "required".to_string()))?,
            ))),
            "record" => Ok(Cdn::Recorded(RecordedInvalidations::new(
                aws_sdk_dynamodb::Client::new(sdk),
                table,
            ))),
            other => Err((
                "CDN_INVALIDATIONS",
                format!("`{other}`: expected cloudfront or record"),
            )),
        }
    }
}

impl CdnInvalidator for Cdn {
    async fn invalidate(&self, paths: &[String]) -> PortResult<String> {
        match self {
            Cdn::CloudFront(c) => c.invalidate(paths).await,
            Cdn::Recorded(r) => r.invalidate(paths).await,
        }
    }
}
