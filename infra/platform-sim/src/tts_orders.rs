//! TikTok Shop orders (spec §12): Get Order Detail (`GET /order/202309/orders?ids=`, at most 50
//! ids) and Search Seller Affiliate Orders (`POST /affiliate_seller/202410/orders/search`, by
//! creation time, paged), both signed shop-scoped calls checked like every TikTok Shop API call.
//! Tests seed orders with `POST /_sim/tiktok-shop/orders {"order": …, "affiliate_skus": […]}`;
//! an order is visible only to the shop it was seeded for (`shop_id`, default the default shop).

use crate::Sim;
use crate::tiktok_shop::{tts_api_auth, tts_error};
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};
use std::collections::HashMap;

#[derive(Debug, Default)]
pub(crate) struct OrdersState {
    /// (shop id, order detail, affiliate SKUs)
    orders: Vec<(String, Value, Vec<Value>)>,
}

pub(crate) fn routes() -> Router<Sim> {
    Router::new()
        .route("/order/202309/orders", get(order_detail))
        .route(
            "/affiliate_seller/202410/orders/search",
            post(affiliate_search),
        )
        .route("/_sim/tiktok-shop/orders", post(seed))
}

async fn seed(State(sim): State<Sim>, Json(body): Json<Value>) -> StatusCode {
    let shop = body["shop_id"]
        .as_str()
        .unwrap_or(crate::default_account("tiktok-shop"))
        .to_string();
    let skus = body["affiliate_skus"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut s = sim.lock();
    let id = body["order"]["id"].clone();
    s.tts_orders
        .orders
        .retain(|(sh, o, _)| !(sh == &shop && o["id"] == id));
    s.tts_orders
        .orders
        .push((shop, body["order"].clone(), skus));
    StatusCode::NO_CONTENT
}

fn ok(data: Value) -> Response {
    Json(json!({"code": 0, "message": "Success", "request_id": crate::request_id(), "data": data}))
        .into_response()
}

async fn order_detail(
    State(sim): State<Sim>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    const PATH: &str = "/order/202309/orders";
    let shop = match tts_api_auth(&sim, "tiktok-shop-api", &headers, &q, PATH, b"") {
        Ok(shop) => shop,
        Err(r) => return r,
    };
    if q.get("shop_cipher") != Some(&crate::tiktok_shop::shop_cipher(&shop)) {
        return tts_error(StatusCode::BAD_REQUEST, 106011, "Invalid shop_cipher");
    }
    let ids: Vec<&str> = q
        .get("ids")
        .map(|i| i.split(',').collect())
        .unwrap_or_default();
    if ids.is_empty() || ids.len() > 50 {
        return tts_error(StatusCode::BAD_REQUEST, 36009003, "ids: 1 to 50 order ids");
    }
    let s = sim.lock();
    let orders: Vec<Value> = s
        .tts_orders
        .orders
        .iter()
        .filter(|(sh, o, _)| sh == &shop && o["id"].as_str().is_some_and(|id| ids.contains(&id)))
        .map(|(_, o, _)| o.clone())
        .collect();
    ok(json!({ "orders": orders }))
}

async fn affiliate_search(
    State(sim): State<Sim>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    const PATH: &str = "/affiliate_seller/202410/orders/search";
    let shop = match tts_api_auth(&sim, "tiktok-shop-affiliate", &headers, &q, PATH, &body) {
        Ok(shop) => shop,
        Err(r) => return r,
    };
    let page_size: usize = q.get("page_size").and_then(|p| p.parse().ok()).unwrap_or(0);
    if !(1..=100).contains(&page_size) {
        return tts_error(StatusCode::BAD_REQUEST, 36009003, "page_size: 1 to 100");
    }
    let filter: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let ge = filter["create_time_ge"].as_i64().unwrap_or(i64::MIN);
    let lt = filter["create_time_lt"].as_i64().unwrap_or(i64::MAX);
    let start: usize = q
        .get("page_token")
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let s = sim.lock();
    let matching: Vec<Value> = s
        .tts_orders
        .orders
        .iter()
        .filter(|(sh, o, skus)| {
            sh == &shop
                && !skus.is_empty()
                && o["create_time"].as_i64().is_some_and(|t| t >= ge && t < lt)
        })
        .map(|(_, o, skus)| {
            json!({"id": o["id"], "status": "PROCESSING", "create_time": o["create_time"], "skus": skus})
        })
        .collect();
    let page: Vec<Value> = matching
        .iter()
        .skip(start)
        .take(page_size)
        .cloned()
        .collect();
    let next = (start + page_size < matching.len()).then(|| (start + page_size).to_string());
    ok(
        json!({"orders": page, "next_page_token": next.unwrap_or_default(), "total_count": matching.len()}),
    )
}
