//! `publisher` (scheduled): approved items whose `publish_at` has come are published — through
//! the same state machine and checks as a moderator's publish (rights valid for the site now, a
//! product mapping when shoppable), its media opened to the CDN as it is published. One that
//! fails a check stays approved, is reported (and logged) with why, and is tried again on the
//! next run.

use reelcart_domain::Clock;
use reelcart_domain::content::Status;
use reelcart_lambda::config::{ConfigError, Vars};
use reelcart_ports::{
    ItemStore, MappingStore, MediaVisibility, MoveError, Moved, PortError, RightsStore,
};
use serde::Serialize;
use std::sync::Arc;

/// The actor of the publisher's audit entries.
pub const ACTOR: &str = "publisher";

#[derive(Debug, thiserror::Error)]
#[error("store: {0}")]
pub struct Error(#[from] PortError);

/// What a run did.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Report {
    pub due: usize,
    pub published: Vec<String>,
    /// Items due but not publishable, with why.
    pub held: Vec<(String, String)>,
}

pub struct Publisher<S, V> {
    pub content: S,
    /// The media bucket's tags: an item's media is opened to the CDN as it is published.
    pub visibility: V,
    pub clock: Arc<dyn Clock>,
}

impl<S, V> std::fmt::Debug for Publisher<S, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher").finish_non_exhaustive()
    }
}

impl<S: ItemStore + RightsStore + MappingStore, V: MediaVisibility> Publisher<S, V> {
    pub async fn run(&self) -> Result<Report, Error> {
        let now = self.clock.now_unix();
        let mut report = Report::default();
        for item in reelcart_ports::all_by_status(&self.content, Status::Approved).await? {
            if item.publish_at.is_none_or(|t| t > now) {
                continue;
            }
            report.due += 1;
            match reelcart_ports::publish_item(&self.content, &self.visibility, &item, ACTOR, now)
                .await
            {
                Ok(Moved::Done { .. }) => {
                    tracing::info!(item_id = %item.id, "published on schedule");
                    report.published.push(item.id.clone());
                }
                // Moved by a moderator meanwhile: theirs stands.
                Ok(Moved::Raced) => {}
                Err(MoveError::Rule(why)) => {
                    tracing::warn!(item_id = %item.id, reason = %why, "due but not publishable; held");
                    report.held.push((item.id.clone(), why.to_string()));
                }
                Err(MoveError::Store(e)) => return Err(e.into()),
            }
        }
        Ok(report)
    }
}

/// Wire from settings: `CONTENT_TABLE`, `MEDIA_BUCKET`, `S3_FORCE_PATH_STYLE`.
pub fn from_aws<F: Fn(&str) -> Option<String>>(
    v: &Vars<F>,
    sdk: &reelcart_aws::SdkConfig,
    clock: Arc<dyn Clock>,
) -> Result<Publisher<reelcart_aws::DynamoContent, reelcart_aws::S3MediaVisibility>, ConfigError> {
    Ok(Publisher {
        visibility: reelcart_aws::S3MediaVisibility::new(
            reelcart_aws::s3_client(sdk, v.parse_or("S3_FORCE_PATH_STYLE", false)?),
            v.required("MEDIA_BUCKET")?,
        ),
        content: reelcart_aws::DynamoContent::new(
            aws_sdk_dynamodb::Client::new(sdk),
            v.required("CONTENT_TABLE")?,
        ),
        clock,
    })
}

#[cfg(test)]
mod tests;
