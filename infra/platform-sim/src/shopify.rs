//! Shopify Admin REST products, for the catalog's full pull: `GET
//! /admin/api/{version}/products.json?limit=` with `X-Shopify-Access-Token`, cursor pagination in
//! the `Link` header (`<…?page_info=…>; rel="next"`), the leaky-bucket header
//! `X-Shopify-Shop-Api-Call-Limit: n/40`, and `429` + `Retry-After` when throttled. Products are
//! seeded with `POST /_sim/shopify/products` (a JSON array of Shopify products).

use crate::{Sim, request_id};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::HashMap;

/// The Admin API access token of the demo store's custom app.
pub const SHOPIFY_ADMIN_TOKEN: &str = "shpat_demo_admin_token";

impl Sim {
    /// Replace the store's products (Shopify's JSON shape).
    pub fn set_shopify_products(&self, products: Vec<Value>) {
        self.lock().shopify_products = products;
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "errors": message }))).into_response()
}

pub(crate) async fn products(
    State(sim): State<Sim>,
    Path(_version): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(retry) = sim.count_and_throttle("shopify-admin") {
        let mut r = error(
            StatusCode::TOO_MANY_REQUESTS,
            "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.",
        );
        r.headers_mut()
            .insert("retry-after", HeaderValue::from(retry));
        return r;
    }
    if headers
        .get("x-shopify-access-token")
        .and_then(|v| v.to_str().ok())
        != Some(SHOPIFY_ADMIN_TOKEN)
    {
        return error(
            StatusCode::UNAUTHORIZED,
            "[API] Invalid API key or access token (unrecognized login or wrong password)",
        );
    }
    let limit = q
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(50)
        .clamp(1, 250);
    let start = q
        .get("page_info")
        .and_then(|p| p.strip_prefix("p"))
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(0);
    let s = sim.lock();
    let page: Vec<Value> = s
        .shopify_products
        .iter()
        .skip(start)
        .take(limit)
        .cloned()
        .collect();
    let more = start + limit < s.shopify_products.len();
    drop(s);
    let mut r = Json(json!({ "products": page })).into_response();
    let h = r.headers_mut();
    h.insert(
        "x-shopify-shop-api-call-limit",
        HeaderValue::from_static("1/40"),
    );
    if let Ok(v) = HeaderValue::from_str(&request_id()) {
        h.insert("x-request-id", v);
    }
    if more {
        let host = headers
            .get("host")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("127.0.0.1");
        let link = format!(
            "<http://{host}/admin/api/2025-10/products.json?limit={limit}&page_info=p{}>; rel=\"next\"",
            start + limit
        );
        if let Ok(v) = HeaderValue::from_str(&link) {
            h.insert("link", v);
        }
    }
    r
}

pub(crate) async fn seed(State(sim): State<Sim>, Json(products): Json<Vec<Value>>) -> StatusCode {
    sim.set_shopify_products(products);
    StatusCode::NO_CONTENT
}
