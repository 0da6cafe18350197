//! Shopify Admin REST products, for the catalog's full pull: `GET
//! /admin/api/{version}/products.json?limit=` with `X-Shopify-Access-Token`, cursor pagination in
//! the `Link` header (`<…?page_info=…>; rel="next"`), the leaky-bucket header
//! `X-Shopify-Shop-Api-Call-Limit: n/40`, and `429` + `Retry-After` when throttled. Products are
//! seeded with `POST /_sim/shopify/products` (a JSON array of Shopify products).
//!
//! Discounts: `POST /admin/api/{version}/price_rules.json` (`{"price_rule": {...}}` → `201`) and
//! `POST /admin/api/{version}/price_rules/{id}/discount_codes.json` (`{"discount_code": {"code"}}`
//! → `201`; a code already in the store → `422 {"errors": {"code": ["must be unique"]}}`). The
//! codes created are listed at `GET /_sim/shopify/discount_codes`;
//! `DELETE /admin/api/{version}/price_rules/{id}.json` removes a rule and its codes (`204`).

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

/// Throttling and the access token, as every Admin call checks them.
pub(crate) fn admin_gate(sim: &Sim, headers: &HeaderMap) -> Option<Response> {
    if let Some(retry) = sim.count_and_throttle("shopify-admin") {
        let mut r = error(
            StatusCode::TOO_MANY_REQUESTS,
            "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service.",
        );
        r.headers_mut()
            .insert("retry-after", HeaderValue::from(retry));
        return Some(r);
    }
    // The legacy custom app's static token, or a token the store granted and still accepts.
    let token = headers
        .get("x-shopify-access-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if token != SHOPIFY_ADMIN_TOKEN && !sim.shopify_token_valid(token) {
        return Some(error(
            StatusCode::UNAUTHORIZED,
            "[API] Invalid API key or access token (unrecognized login or wrong password)",
        ));
    }
    None
}

pub(crate) async fn products(
    State(sim): State<Sim>,
    Path(_version): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Some(r) = admin_gate(&sim, &headers) {
        return r;
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

fn unprocessable(field: &str, message: &str) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({ "errors": { field: [message] } })),
    )
        .into_response()
}

pub(crate) async fn create_price_rule(
    State(sim): State<Sim>,
    Path(_version): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Some(r) = admin_gate(&sim, &headers) {
        return r;
    }
    let rule = &body["price_rule"];
    for field in [
        "title",
        "target_type",
        "target_selection",
        "allocation_method",
        "value_type",
        "value",
        "customer_selection",
        "starts_at",
    ] {
        if rule[field].as_str().is_none_or(str::is_empty) {
            return unprocessable(field, "can't be blank");
        }
    }
    if !matches!(
        rule["value_type"].as_str(),
        Some("percentage" | "fixed_amount")
    ) {
        return unprocessable("value_type", "is not included in the list");
    }
    let value: f64 = rule["value"]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1.0);
    if value >= 0.0 || (rule["value_type"] == "percentage" && value < -100.0) {
        return unprocessable("value", "must be less than 0");
    }
    let mut s = sim.lock();
    let id = 507_328_175 + s.shopify_price_rules.len() as u64;
    let mut stored = rule.clone();
    stored["id"] = json!(id);
    s.shopify_price_rules.push(stored.clone());
    (StatusCode::CREATED, Json(json!({ "price_rule": stored }))).into_response()
}

pub(crate) async fn create_discount_code(
    State(sim): State<Sim>,
    Path((_version, rule_id)): Path<(String, u64)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Some(r) = admin_gate(&sim, &headers) {
        return r;
    }
    let Some(code) = body["discount_code"]["code"]
        .as_str()
        .filter(|c| !c.is_empty())
    else {
        return unprocessable("code", "can't be blank");
    };
    let now = sim.now();
    let mut s = sim.lock();
    if !s.shopify_price_rules.iter().any(|r| r["id"] == rule_id) {
        return error(StatusCode::NOT_FOUND, "Not Found");
    }
    if s.shopify_discount_codes.iter().any(|d| {
        d["code"]
            .as_str()
            .is_some_and(|c| c.eq_ignore_ascii_case(code))
    }) {
        return unprocessable("code", "must be unique");
    }
    let id = 1_054_381_139 + s.shopify_discount_codes.len() as u64;
    let stored = json!({
        "id": id,
        "price_rule_id": rule_id,
        "code": code,
        "usage_count": 0,
        "created_at": now,
    });
    s.shopify_discount_codes.push(stored.clone());
    (
        StatusCode::CREATED,
        Json(json!({ "discount_code": stored })),
    )
        .into_response()
}

/// Control: every discount code created, each with its price rule.
pub(crate) async fn discount_codes(State(sim): State<Sim>) -> Json<Value> {
    let s = sim.lock();
    let codes: Vec<Value> = s
        .shopify_discount_codes
        .iter()
        .map(|d| {
            let rule = s
                .shopify_price_rules
                .iter()
                .find(|r| r["id"] == d["price_rule_id"])
                .cloned()
                .unwrap_or_default();
            json!({ "discount_code": d, "price_rule": rule })
        })
        .collect();
    Json(json!({ "discount_codes": codes }))
}

/// `DELETE /admin/api/{version}/price_rules/{id}.json`: the rule and its codes; `204`.
pub(crate) async fn delete_price_rule(
    State(sim): State<Sim>,
    Path((_version, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = admin_gate(&sim, &headers) {
        return r;
    }
    let Some(id) = file
        .strip_suffix(".json")
        .and_then(|i| i.parse::<u64>().ok())
    else {
        return error(StatusCode::NOT_FOUND, "Not Found");
    };
    let mut s = sim.lock();
    let before = s.shopify_price_rules.len();
    s.shopify_price_rules.retain(|r| r["id"] != id);
    if s.shopify_price_rules.len() == before {
        return error(StatusCode::NOT_FOUND, "Not Found");
    }
    s.shopify_discount_codes
        .retain(|d| d["price_rule_id"] != id);
    StatusCode::NO_CONTENT.into_response()
}
