//! Shopify's GraphQL Admin API, the subset the stack uses (spec §10): `POST
//! /admin/api/{version}/graphql.json` with `X-Shopify-Access-Token`, the cost-based throttle
//! (a 2,000-point bucket restoring 100 points a second; a query that does not fit answers
//! `THROTTLED` with `extensions.cost`), and bulk operations over the store's products:
//!
//! - `bulkOperationRunQuery(query:, groupObjects:)` → `bulkOperation {id status: CREATED}`; the
//!   query must read `products` (at most 5 connections, nested at most 2 deep);
//! - `currentBulkOperation(type: QUERY)` → `RUNNING` at the first poll, then `COMPLETED` with
//!   `objectCount` and a `url` to the JSON lines (`GET /_sim/shopify/bulk/{n}.jsonl`, no token —
//!   a signed storage URL in Shopify); grouped: each product's images and variants (with
//!   `__parentId`) right after it. A variant's `unit_cost` (or `cost`) in the seeded products is
//!   its `inventoryItem.unitCost`.
//!
//! - `discountCodeBasicCreate(basicCodeDiscount:)`: `title`, `code`, `startsAt` and `context`
//!   required, `customerGets.value.percentage` a fraction; a code the store has → `userErrors`
//!   `["basicCodeDiscount", "code"]` `TAKEN`; the codes are listed at
//!   `GET /_sim/shopify/discount_codes` with their end, usage limit and once-per-customer.
//! - `webhookSubscriptions(first:)`, `webhookSubscriptionCreate(topic:, webhookSubscription: {uri,
//!   format})` (a topic and address taken twice → `userErrors`), `webhookSubscriptionDelete(id:)`;
//!   `Sim::shopify_subscriptions` lists them.
//!
//! Calls count in `shopify-admin` (as REST's do); downloads in `shopify-bulk`.

use crate::Sim;
use crate::shopify::admin_gate;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

const BUCKET_MAX: f64 = 2000.0;
const RESTORE_PER_SEC: f64 = 100.0;

#[derive(Debug, Default)]
pub(crate) struct GraphqlState {
    /// Points left, and when they were counted (ms of the simulator's clock).
    available: Option<(f64, std::time::Instant)>,
    operations: u64,
    /// The current bulk query operation: its number and how many times it was polled.
    current: Option<(u64, u32)>,
    /// Webhook subscriptions: id, topic, uri.
    pub(crate) subscriptions: Vec<(String, String, String)>,
}

fn cost_extension(requested: f64, available: f64) -> Value {
    json!({"cost": {"requestedQueryCost": requested, "actualQueryCost": requested,
        "throttleStatus": {"maximumAvailable": BUCKET_MAX, "currentlyAvailable": available, "restoreRate": RESTORE_PER_SEC}}})
}

fn gql_error(message: &str) -> Response {
    Json(json!({"errors": [{"message": message, "extensions": {"code": "BAD_REQUEST"}}]}))
        .into_response()
}

pub(crate) async fn graphql(
    State(sim): State<Sim>,
    Path(_version): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if let Some(r) = admin_gate(&sim, &headers) {
        return r;
    }
    let query = body["query"].as_str().unwrap_or_default();
    let requested = if query.contains("currentBulkOperation") {
        1.0
    } else {
        10.0
    };
    // The bucket: refilled at the restore rate, spent by each query.
    let available = {
        let mut s = sim.lock();
        let now = std::time::Instant::now();
        let (left, at) = s.graphql.available.unwrap_or((BUCKET_MAX, now));
        let refilled =
            (left + now.duration_since(at).as_secs_f64() * RESTORE_PER_SEC).min(BUCKET_MAX);
        if refilled < requested {
            s.graphql.available = Some((refilled, now));
            return Json(json!({"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
                "extensions": cost_extension(requested, refilled)})).into_response();
        }
        s.graphql.available = Some((refilled - requested, now));
        refilled - requested
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let data = if query.contains("bulkOperationRunQuery") {
        let inner = body["variables"]["query"].as_str().unwrap_or_default();
        let connections = inner.matches("edges").count();
        if !inner.contains("products") || connections > 5 {
            return Json(json!({"data": {"bulkOperationRunQuery": {"bulkOperation": null,
                "userErrors": [{"field": ["query"], "message": "Bulk queries must contain at least one connection and at most five."}]}}})).into_response();
        }
        if !query.contains("groupObjects") {
            return gql_error("groupObjects must be given explicitly in this API version");
        }
        let mut s = sim.lock();
        if s.graphql.current.is_some_and(|(_, polls)| polls < 2) {
            return Json(json!({"data": {"bulkOperationRunQuery": {"bulkOperation": null,
                "userErrors": [{"field": null, "message": "A bulk query operation for this app and shop is already in progress."}]}}})).into_response();
        }
        s.graphql.operations += 1;
        let n = s.graphql.operations;
        s.graphql.current = Some((n, 0));
        json!({"bulkOperationRunQuery": {"bulkOperation": {"id": format!("gid://shopify/BulkOperation/{n}"), "status": "CREATED"}, "userErrors": []}})
    } else if query.contains("currentBulkOperation") {
        let mut s = sim.lock();
        let objects: usize = s
            .shopify_products
            .iter()
            .map(|p| {
                1 + p["images"].as_array().map_or(0, Vec::len)
                    + p["variants"].as_array().map_or(0, Vec::len)
            })
            .sum();
        match s.graphql.current.as_mut() {
            None => json!({"currentBulkOperation": null}),
            Some((n, polls)) => {
                *polls += 1;
                let id = format!("gid://shopify/BulkOperation/{n}");
                if *polls == 1 {
                    json!({"currentBulkOperation": {"id": id, "status": "RUNNING", "errorCode": null, "objectCount": "0", "url": null}})
                } else {
                    let url =
                        (objects > 0).then(|| format!("http://{host}/_sim/shopify/bulk/{n}.jsonl"));
                    json!({"currentBulkOperation": {"id": id, "status": "COMPLETED", "errorCode": null, "objectCount": objects.to_string(), "url": url}})
                }
            }
        }
    } else if query.contains("discountCodeBasicCreate") {
        let d = &body["variables"]["d"];
        let pct = d["customerGets"]["value"]["percentage"].as_f64();
        let missing: Vec<&str> = ["title", "code", "startsAt", "context"]
            .into_iter()
            .filter(|k| d[*k].is_null())
            .collect();
        if !missing.is_empty() || !pct.is_some_and(|p| (0.0..=1.0).contains(&p)) {
            return gql_error(&format!(
                "invalid DiscountCodeBasicInput: missing {missing:?} or a percentage outside 0-1"
            ));
        }
        let code = d["code"].as_str().unwrap_or_default().to_string();
        let mut s = sim.lock();
        let taken = s.shopify_discount_codes.iter().any(|c| {
            c["code"]
                .as_str()
                .is_some_and(|x| x.eq_ignore_ascii_case(&code))
        });
        if taken {
            json!({"discountCodeBasicCreate": {"codeDiscountNode": null, "userErrors": [{"field": ["basicCodeDiscount", "code"], "code": "TAKEN", "message": "Code must be unique. Please try a different code."}]}})
        } else {
            s.graphql.operations += 1;
            let id = format!("gid://shopify/DiscountCodeNode/{}", s.graphql.operations);
            s.shopify_discount_codes.push(json!({"id": id, "code": code,
                "ends_at": d["endsAt"], "usage_limit": d["usageLimit"], "applies_once_per_customer": d["appliesOncePerCustomer"],
                "percentage": pct, "title": d["title"], "starts_at": d["startsAt"]}));
            json!({"discountCodeBasicCreate": {"codeDiscountNode": {"id": id}, "userErrors": []}})
        }
    } else if query.contains("webhookSubscriptionCreate") {
        let v = &body["variables"];
        let (topic, uri) = (
            v["topic"].as_str().unwrap_or_default(),
            v["sub"]["uri"].as_str().unwrap_or_default(),
        );
        let mut s = sim.lock();
        if !uri.starts_with("https://") && !uri.starts_with("http://127.0.0.1") {
            json!({"webhookSubscriptionCreate": {"webhookSubscription": null, "userErrors": [{"field": ["webhookSubscription", "uri"], "message": "Address is invalid"}]}})
        } else if s
            .graphql
            .subscriptions
            .iter()
            .any(|(_, t, u)| t == topic && u == uri)
        {
            json!({"webhookSubscriptionCreate": {"webhookSubscription": null, "userErrors": [{"field": ["webhookSubscription", "callbackUrl"], "message": "Address for this topic has already been taken"}]}})
        } else {
            s.graphql.operations += 1;
            let id = format!("gid://shopify/WebhookSubscription/{}", s.graphql.operations);
            s.graphql
                .subscriptions
                .push((id.clone(), topic.to_string(), uri.to_string()));
            json!({"webhookSubscriptionCreate": {"webhookSubscription": {"id": id}, "userErrors": []}})
        }
    } else if query.contains("webhookSubscriptionDelete") {
        let id = body["variables"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let mut s = sim.lock();
        let before = s.graphql.subscriptions.len();
        s.graphql.subscriptions.retain(|(i, _, _)| *i != id);
        if s.graphql.subscriptions.len() == before {
            json!({"webhookSubscriptionDelete": {"deletedWebhookSubscriptionId": null, "userErrors": [{"field": ["id"], "message": "Webhook subscription does not exist"}]}})
        } else {
            json!({"webhookSubscriptionDelete": {"deletedWebhookSubscriptionId": id, "userErrors": []}})
        }
    } else if query.contains("webhookSubscriptions") {
        let s = sim.lock();
        let edges: Vec<Value> = s
            .graphql
            .subscriptions
            .iter()
            .map(|(id, t, u)| json!({"node": {"id": id, "topic": t, "uri": u}}))
            .collect();
        json!({"webhookSubscriptions": {"edges": edges}})
    } else {
        return gql_error("the simulator serves bulk operations and webhook subscriptions");
    };
    Json(json!({"data": data, "extensions": cost_extension(requested, available)})).into_response()
}

impl Sim {
    /// The app's webhook subscriptions at the store: `(topic, uri)`.
    pub fn shopify_subscriptions(&self) -> Vec<(String, String)> {
        self.lock()
            .graphql
            .subscriptions
            .iter()
            .map(|(_, t, u)| (t.clone(), u.clone()))
            .collect()
    }
}

/// The bulk result: JSON lines, each product followed by its images and variants.
pub(crate) async fn bulk_result(State(sim): State<Sim>, Path(_name): Path<String>) -> Response {
    sim.count_and_throttle("shopify-bulk");
    let s = sim.lock();
    let mut out = String::new();
    for p in &s.shopify_products {
        let pid = format!("gid://shopify/Product/{}", crate::scalar(&p["id"]));
        let tags: Vec<String> = p["tags"]
            .as_str()
            .map(|t| {
                t.split(',')
                    .map(|x| x.trim().to_string())
                    .filter(|x| !x.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let row = json!({"id": pid, "title": p["title"], "handle": p["handle"],
            "status": p["status"].as_str().unwrap_or("active").to_uppercase(),
            "descriptionHtml": p["body_html"], "vendor": p["vendor"], "tags": tags,
            "options": p["options"].as_array().map(|o| o.iter().map(|x| json!({"name": x["name"]})).collect::<Vec<_>>()).unwrap_or_default()});
        out.push_str(&row.to_string());
        out.push('\n');
        for (i, img) in p["images"].as_array().into_iter().flatten().enumerate() {
            let id = img
                .get("id")
                .map_or_else(|| format!("{}{i}", crate::scalar(&p["id"])), crate::scalar);
            out.push_str(
                &json!({"id": format!("gid://shopify/ProductImage/{id}"), "url": img["src"],
                "width": img["width"], "height": img["height"], "__parentId": pid})
                .to_string(),
            );
            out.push('\n');
        }
        for v in p["variants"].as_array().into_iter().flatten() {
            let options: Vec<Value> = ["option1", "option2", "option3"]
                .iter()
                .zip(p["options"].as_array().into_iter().flatten())
                .filter_map(|(k, o)| {
                    v[*k]
                        .as_str()
                        .map(|val| json!({"name": o["name"], "value": val}))
                })
                .collect();
            let cost = v
                .get("unit_cost")
                .or_else(|| v.get("cost"))
                .and_then(Value::as_str);
            out.push_str(&json!({"id": format!("gid://shopify/ProductVariant/{}", crate::scalar(&v["id"])),
                "sku": v["sku"], "price": v["price"], "compareAtPrice": v["compare_at_price"], "barcode": v["barcode"],
                "inventoryQuantity": v["inventory_quantity"],
                "inventoryPolicy": v["inventory_policy"].as_str().unwrap_or("deny").to_uppercase(),
                "selectedOptions": options,
                "image": (!v["image_id"].is_null()).then(|| json!({"id": format!("gid://shopify/ProductImage/{}", crate::scalar(&v["image_id"]))})),
                "inventoryItem": {"unitCost": cost.map(|c| json!({"amount": c, "currencyCode": "USD"})),
                    "measurement": {"weight": v["grams"].as_i64().map(|g| json!({"value": g as f64, "unit": "GRAMS"}))}},
                "__parentId": pid}).to_string());
            out.push('\n');
        }
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/jsonl")],
        out,
    )
        .into_response()
}
