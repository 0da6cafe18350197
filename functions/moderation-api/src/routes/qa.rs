//! `GET /qa`: what needs fixing before (or after) it shows.

use crate::Api;
use crate::Ports;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use reelcart_domain::content::Status;
use reelcart_lambda::http::{ApiError, json};
use reelcart_ports::MappingStore;
use serde_json::json as j;

impl<P: Ports> Api<P> {
    /// Published shoppable items without a mapping; shown or showable items mapped to a SKU that
    /// left the catalog.
    pub(super) async fn qa(&self) -> Result<Response<Body>, ApiError> {
        let skus = self.catalog_skus().await?;
        let mut unmapped = Vec::new();
        let mut missing = Vec::new();
        for status in [Status::Approved, Status::Published] {
            for item in reelcart_ports::all_by_status(&self.content, status).await? {
                let mappings = self.content.mappings(&item.id).await?;
                if status == Status::Published && item.shoppable && mappings.is_empty() {
                    unmapped.push(j!({"item_id": item.id}));
                }
                for m in mappings.iter().filter(|m| !skus.contains(&m.sku)) {
                    missing.push(j!({"item_id": item.id, "status": status.as_str(), "sku": m.sku, "placement": m.placement}));
                }
            }
        }
        Ok(json(
            StatusCode::OK,
            &j!({ "published_without_mapping": unmapped, "mapped_to_missing_sku": missing }),
        ))
    }
}
