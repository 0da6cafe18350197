//! Product mappings: one on an item (`PUT`, `DELETE`), or many at once (JSON or CSV), all or
//! nothing.

use super::client;
use crate::Ports;
use crate::{Api, MAX_BULK};
use lambda_http::http::HeaderMap;
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};
use reelcart_domain::content::ProductMapping;
use reelcart_lambda::http::{ApiError, json};
use reelcart_lambda::router::from_json;
use reelcart_ports::{CatalogStore, ItemStore, MappingStore};
use serde::Deserialize;
use serde_json::json as j;
use std::collections::HashSet;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MappingBody {
    #[serde(default)]
    item_id: Option<String>,
    sku: String,
    placement: String,
    #[serde(default)]
    pinned: bool,
    #[serde(default)]
    confidence: Option<f64>,
}

const PLACEMENTS: [&str; 3] = ["pdp", "collection", "home"];

impl MappingBody {
    fn mapping(&self) -> Result<ProductMapping, String> {
        let sku = self.sku.trim();
        if sku.is_empty() || sku.len() > 100 {
            return Err("sku must be 1-100 characters".into());
        }
        if !PLACEMENTS.contains(&self.placement.as_str()) {
            return Err(format!(
                "placement must be one of {}",
                PLACEMENTS.join(", ")
            ));
        }
        let confidence = self.confidence.unwrap_or(1.0);
        if !(0.0..=1.0).contains(&confidence) {
            return Err("confidence must be between 0 and 1".into());
        }
        Ok(ProductMapping {
            sku: sku.to_string(),
            placement: self.placement.clone(),
            confidence,
            pinned: self.pinned,
        })
    }
}

impl<P: Ports> Api<P> {
    pub(super) async fn put_mapping(
        &self,
        id: &str,
        mut body: MappingBody,
    ) -> Result<Response<Body>, ApiError> {
        body.item_id = Some(id.to_string());
        self.map(vec![body]).await
    }

    pub(super) async fn delete_mapping(
        &self,
        id: &str,
        placement: &str,
        sku: &str,
    ) -> Result<Response<Body>, ApiError> {
        self.existing(id).await?;
        if self.content.delete_mapping(id, placement, sku).await? {
            Ok(json(StatusCode::OK, &j!({ "deleted": true })))
        } else {
            Err(client(
                StatusCode::NOT_FOUND,
                "not_found",
                "no such mapping",
            ))
        }
    }

    pub(super) async fn catalog_skus(&self) -> Result<HashSet<String>, ApiError> {
        Ok(self
            .catalog
            .products()
            .await?
            .into_iter()
            .flat_map(|p| p.variants.into_iter().map(|v| v.sku))
            .collect())
    }

    /// Validate every mapping (item exists, SKU in the catalog, fields) before writing any.
    pub(super) async fn map(&self, rows: Vec<MappingBody>) -> Result<Response<Body>, ApiError> {
        if rows.is_empty() || rows.len() > MAX_BULK {
            return Err(client(
                StatusCode::UNPROCESSABLE_ENTITY,
                "bad_count",
                format!("1-{MAX_BULK} mappings per request"),
            ));
        }
        let skus = self.catalog_skus().await?;
        let mut problems = Vec::new();
        let mut valid = Vec::new();
        for (i, row) in rows.iter().enumerate() {
            let item_id = row.item_id.clone().unwrap_or_default();
            let mapping = match row.mapping() {
                Ok(m) => m,
                Err(e) => {
                    problems.push(j!({"row": i, "code": "invalid", "message": e}));
                    continue;
                }
            };
            if !skus.contains(&mapping.sku) {
                problems.push(j!({"row": i, "code": "unknown_sku", "message": format!("SKU `{}` is not in the catalog", mapping.sku)}));
                continue;
            }
            if self.content.item(&item_id).await?.is_none() {
                problems.push(j!({"row": i, "code": "unknown_item", "message": format!("no item `{item_id}`")}));
                continue;
            }
            valid.push((item_id, mapping));
        }
        if !problems.is_empty() {
            let code = if problems.iter().all(|p| p["code"] == "unknown_sku") {
                "unknown_sku"
            } else {
                "invalid_mappings"
            };
            let body = j!({"error": {"code": code, "message": format!("{} of {} mappings refused; nothing was written", problems.len(), rows.len()), "problems": problems}});
            return Ok(json(StatusCode::UNPROCESSABLE_ENTITY, &body));
        }
        for (item_id, m) in &valid {
            self.content.put_mapping(item_id, m).await?;
        }
        Ok(json(StatusCode::OK, &j!({ "mapped": valid.len() })))
    }
}

/// A bulk body: a JSON array of mappings, or CSV with a header `item_id,sku,placement[,pinned]`.
pub(super) fn bulk(headers: &HeaderMap, bytes: &[u8]) -> Result<Vec<MappingBody>, ApiError> {
    let is_csv = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|c| c.starts_with("text/csv"));
    if !is_csv {
        return from_json(bytes);
    }
    #[derive(Deserialize)]
    struct Row {
        item_id: String,
        sku: String,
        placement: String,
        #[serde(default)]
        pinned: Option<String>,
    }
    let mut out = Vec::new();
    for (i, row) in csv::Reader::from_reader(bytes)
        .deserialize::<Row>()
        .enumerate()
    {
        let row = row.map_err(|e| {
            // Any text is a CSV body's schema: rows that do not read are refused on meaning.
            client(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_csv",
                format!("CSV row {}: {e}", i + 1),
            )
        })?;
        out.push(MappingBody {
            item_id: Some(row.item_id),
            sku: row.sku,
            placement: row.placement,
            pinned: matches!(
                row.pinned.as_deref().map(str::trim),
                Some("true" | "1" | "yes")
            ),
            confidence: None,
        });
    }
    Ok(out)
}
