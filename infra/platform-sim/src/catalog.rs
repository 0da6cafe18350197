//! Catalog endpoints, holding remote state that tests compare with the store's catalog:
//!
//! - Meta Catalog Batch API: `POST /{catalog_id}/items_batch` (form `item_type=PRODUCT_ITEM`,
//!   `requests=[{method, data}]`; at most 5000 requests) answers `handles`;
//!   `GET /{catalog_id}/check_batch_request_status?handle=` answers `in_progress` once, then
//!   `finished` with per-item `errors`. Items with a malformed `price` (`9.99 USD`) or no `title`,
//!   `link` or `image_link` are refused there, as Meta does. Usage headers
//!   (`X-Business-Use-Case-Usage`, `X-App-Usage`) follow `POST /_sim/usage`; throttling answers
//!   code 80014 with `estimated_time_to_regain_access`.
//! - TikTok Shop products 202309 (signed, like every TikTok Shop API call, with `shop_cipher`;
//!   throttled apart from the other APIs, bucket `tiktok-shop-products`):
//!   `POST /product/202309/images/upload` (multipart `data`), `POST /product/202309/products`
//!   (with `idempotency_key`: a repeated key returns the first product instead of a duplicate),
//!   `PUT /product/202309/products/{id}`, `POST /product/202309/products/{id}/prices/update`,
//!   `POST /product/202309/products/{id}/inventory/update`, `DELETE /product/202309/products`.
//!   A malformed request answers 40006 (the simulator's choice; the spec names no code for it —
//!   36009003 is the spec's internal error, which clients retry).
//! - `GET /_sim/catalog` (remote state and call counts), `GET /_sim/cdn/{name}` (the store's
//!   product pictures: real JPEGs drawn by FFmpeg), `POST /_sim/usage`.

use crate::meta::graph_error;
use crate::tiktok_shop::{shop_cipher, tts_api_auth, tts_error};
use crate::{Sim, request_id};
use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};

/// Remote catalog state and counts.
#[derive(Debug, Default)]
pub(crate) struct CatalogState {
    /// catalog id → retailer id → item data.
    meta_items: BTreeMap<String, BTreeMap<String, Value>>,
    /// handle → (polled once, per-item errors).
    meta_handles: HashMap<String, (bool, Vec<Value>)>,
    /// product id → product.
    tts_products: BTreeMap<String, Value>,
    tts_idempotency: HashMap<String, String>,
    tts_images: u64,
    counter: u64,
    /// What was called, and how many items each call carried.
    counts: BTreeMap<String, u64>,
    /// Percent reported in the usage headers.
    usage_percent: u64,
}

impl CatalogState {
    fn count(&mut self, what: &str, n: u64) {
        *self.counts.entry(what.to_string()).or_default() += n;
    }

    fn next_id(&mut self) -> u64 {
        self.counter += 1;
        1_729_000_000_000_000_000 + self.counter
    }
}

pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
}

/// The live Meta grant a token belongs to, or Graph's error.
pub(crate) fn meta_account(sim: &Sim, token: Option<&str>) -> Result<String, Response> {
    let now = sim.now();
    let s = sim.lock();
    match s
        .grants
        .iter()
        .find(|g| g.platform == "meta" && Some(g.access_token.as_str()) == token)
    {
        Some(g) if !g.revoked && g.access_expires_at > now => Ok(g.account_id.clone()),
        Some(_) => Err(graph_error(
            190,
            Some(463),
            "Error validating access token: Session has expired.",
        )),
        None => Err(graph_error(
            190,
            None,
            "Invalid OAuth access token - Cannot parse access token",
        )),
    }
}

fn usage_headers(mut r: Response, percent: u64, regain_minutes: u64) -> Response {
    let app =
        json!({"call_count": percent, "total_cputime": percent / 2, "total_time": percent / 2});
    let buc = json!({"0": [{"type": "catalog_management", "call_count": percent,
        "total_cputime": percent / 2, "total_time": percent / 2,
        "estimated_time_to_regain_access": regain_minutes}]});
    for (name, v) in [
        ("x-app-usage", app.to_string()),
        ("x-business-use-case-usage", buc.to_string()),
    ] {
        if let Ok(v) = HeaderValue::from_str(&v) {
            r.headers_mut().insert(name, v);
        }
    }
    r
}

fn meta_item_errors(data: &Value) -> Vec<&'static str> {
    let mut errors = Vec::new();
    let price_ok = data["price"].as_str().is_some_and(|p| {
        let mut parts = p.split(' ');
        let (Some(amount), Some(cur), None) = (parts.next(), parts.next(), parts.next()) else {
            return false;
        };
        let amount_ok = amount.split_once('.').map_or_else(
            || amount.bytes().all(|b| b.is_ascii_digit()),
            |(i, f)| {
                !i.is_empty()
                    && i.bytes().all(|b| b.is_ascii_digit())
                    && f.len() <= 2
                    && f.bytes().all(|b| b.is_ascii_digit())
            },
        );
        amount_ok && cur.len() == 3 && cur.bytes().all(|b| b.is_ascii_uppercase())
    });
    if !price_ok {
        errors.push("price: Invalid price format; use an amount and an ISO 4217 code");
    }
    for f in ["title", "link", "image_link"] {
        if data[f].as_str().is_none_or(str::is_empty) {
            errors.push(match f {
                "title" => "title: Required field is missing",
                "link" => "link: Required field is missing",
                _ => "image_link: Required field is missing",
            });
        }
    }
    errors
}

pub(crate) async fn meta_items_batch(
    State(sim): State<Sim>,
    Path(catalog_id): Path<String>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> Response {
    let usage = sim.lock().catalog.usage_percent;
    if let Some(retry) = sim.count_and_throttle("meta-catalog") {
        let minutes = ((retry + 59) / 60).max(0) as u64;
        let r = graph_error(
            80014,
            None,
            "There have been too many calls for this catalog.",
        );
        return usage_headers(r, 100, minutes);
    }
    let token = bearer(&headers).or(f.get("access_token").map(String::as_str));
    if let Err(r) = meta_account(&sim, token) {
        return r;
    }
    if f.get("item_type").map(String::as_str) != Some("PRODUCT_ITEM") {
        return graph_error(100, None, "(#100) item_type must be PRODUCT_ITEM");
    }
    let Some(requests) = f
        .get("requests")
        .and_then(|r| serde_json::from_str::<Vec<Value>>(r).ok())
    else {
        return graph_error(100, None, "(#100) requests must be a JSON array");
    };
    if requests.len() > 5000 {
        return graph_error(
            1,
            None,
            "Please reduce the amount of data you're asking for",
        );
    }
    let mut s = sim.lock();
    let st = &mut s.catalog;
    let mut errors = Vec::new();
    for r in &requests {
        let method = r["method"].as_str().unwrap_or_default();
        let data = &r["data"];
        let Some(id) = data["id"].as_str().map(str::to_string) else {
            errors.push(json!({"id": null, "message": "id: Required field is missing"}));
            continue;
        };
        match method {
            "CREATE" | "UPDATE" => {
                let problems = meta_item_errors(data);
                if problems.is_empty() {
                    st.meta_items
                        .entry(catalog_id.clone())
                        .or_default()
                        .insert(id, data.clone());
                } else {
                    for p in problems {
                        errors.push(json!({"id": id, "message": p}));
                    }
                }
            }
            "DELETE" => {
                st.meta_items
                    .entry(catalog_id.clone())
                    .or_default()
                    .remove(&id);
            }
            _ => errors
                .push(json!({"id": id, "message": "method: must be CREATE, UPDATE or DELETE"})),
        }
        st.count(&format!("meta.{}", method.to_lowercase()), 1);
    }
    st.count("meta.batches", 1);
    let handle = format!("AC{}", st.next_id());
    st.meta_handles.insert(handle.clone(), (false, errors));
    drop(s);
    let r = Json(json!({"handles": [handle], "validation_status": []})).into_response();
    usage_headers(r, usage, 0)
}

#[derive(Deserialize)]
pub(crate) struct HandleQuery {
    handle: String,
}

pub(crate) async fn meta_batch_status(
    State(sim): State<Sim>,
    Path(_catalog_id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HandleQuery>,
) -> Response {
    if let Err(r) = meta_account(&sim, bearer(&headers)) {
        return r;
    }
    let mut s = sim.lock();
    let Some((polled, errors)) = s.catalog.meta_handles.get_mut(&q.handle) else {
        return graph_error(100, None, "(#100) Invalid handle");
    };
    if !*polled {
        *polled = true;
        return Json(json!({"data": [{"handle": q.handle, "status": "in_progress"}]}))
            .into_response();
    }
    Json(json!({"data": [{
        "handle": q.handle,
        "status": "finished",
        "errors_total_count": errors.len(),
        "errors": errors,
        "warnings": [],
    }]}))
    .into_response()
}

// ---------------------------------------------------------------- TikTok Shop products

fn tts_ok(data: Value) -> Response {
    Json(json!({"code": 0, "message": "Success", "request_id": request_id(), "data": data}))
        .into_response()
}

/// Auth plus the shop cipher; the shop id.
fn tts_shop(
    sim: &Sim,
    headers: &HeaderMap,
    q: &HashMap<String, String>,
    path: &str,
    body: &[u8],
) -> Result<String, Response> {
    let shop = tts_api_auth(sim, "tiktok-shop-products", headers, q, path, body)?;
    if q.get("shop_cipher") != Some(&shop_cipher(&shop)) {
        return Err(tts_error(
            StatusCode::BAD_REQUEST,
            40006,
            "Invalid shop_cipher",
        ));
    }
    Ok(shop)
}

pub(crate) async fn tts_image_upload(
    State(sim): State<Sim>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    mut form: Multipart,
) -> Response {
    // Multipart bodies are not part of the signature.
    if let Err(r) = tts_shop(&sim, &headers, &q, "/product/202309/images/upload", b"") {
        return r;
    }
    let mut size = 0usize;
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some("data") {
            size = field.bytes().await.map(|b| b.len()).unwrap_or(0);
        }
    }
    if size == 0 {
        return tts_error(
            StatusCode::BAD_REQUEST,
            12052023,
            "data (the image file) is required",
        );
    }
    let mut s = sim.lock();
    s.catalog.tts_images += 1;
    s.catalog.count("tts.images", 1);
    let n = s.catalog.tts_images;
    tts_ok(
        json!({"uri": format!("tos-maliva-i-o3syd03w52-us/{n:012}"), "url": format!("https://p16-oec-va.ibyteimg.com/{n}"), "width": 1000, "height": 1000, "use_case": "MAIN_IMAGE"}),
    )
}

/// A product body's problems as TikTok Shop reports them (the first one).
fn tts_product_error(p: &Value) -> Option<&'static str> {
    let title = p["title"].as_str().unwrap_or_default().chars().count();
    if !(1..=255).contains(&title) {
        return Some("title length is invalid");
    }
    if p["main_images"].as_array().is_none_or(|a| a.is_empty()) {
        return Some("main_images is required");
    }
    if p["package_weight"]["value"]
        .as_str()
        .is_none_or(str::is_empty)
    {
        return Some("package_weight is required");
    }
    let skus = p["skus"].as_array()?;
    if skus.is_empty() {
        return Some("skus is required");
    }
    for sku in skus {
        let seller_sku = sku["seller_sku"].as_str().unwrap_or_default();
        if seller_sku.len() > 50 || seller_sku.contains(' ') {
            return Some("seller_sku is invalid");
        }
    }
    None
}

/// Give every SKU of `p` an id (keeping the ids of SKUs it already had).
fn with_sku_ids(st: &mut CatalogState, mut p: Value, old: Option<&Value>) -> Value {
    let existing: HashMap<String, String> = old
        .and_then(|o| o["skus"].as_array())
        .map(|skus| {
            skus.iter()
                .filter_map(|s| {
                    Some((
                        s["seller_sku"].as_str()?.to_string(),
                        s["id"].as_str()?.to_string(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    if let Some(skus) = p["skus"].as_array_mut() {
        for sku in skus {
            let seller_sku = sku["seller_sku"].as_str().unwrap_or_default().to_string();
            let id = existing
                .get(&seller_sku)
                .cloned()
                .unwrap_or_else(|| st.next_id().to_string());
            sku["id"] = json!(id);
        }
    }
    p
}

fn sku_ids(p: &Value) -> Value {
    let skus: Vec<Value> = p["skus"]
        .as_array()
        .map(|skus| {
            skus.iter()
                .map(|s| json!({"id": s["id"], "seller_sku": s["seller_sku"]}))
                .collect()
        })
        .unwrap_or_default();
    json!(skus)
}

pub(crate) async fn tts_create(
    State(sim): State<Sim>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let shop = match tts_shop(&sim, &headers, &q, "/product/202309/products", &body) {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Ok(p) = serde_json::from_slice::<Value>(&body) else {
        return tts_error(StatusCode::BAD_REQUEST, 40006, "body is not JSON");
    };
    if let Some(e) = tts_product_error(&p) {
        return tts_error(StatusCode::BAD_REQUEST, 12019010, e);
    }
    let mut s = sim.lock();
    let st = &mut s.catalog;
    st.count("tts.create_calls", 1);
    let key = p["idempotency_key"].as_str().map(|k| format!("{shop}/{k}"));
    if let Some(id) = key
        .as_ref()
        .and_then(|k| st.tts_idempotency.get(k))
        .cloned()
        && let Some(existing) = st.tts_products.get(&id)
    {
        // The same request again: the first answer, no second product.
        return tts_ok(json!({"product_id": id, "skus": sku_ids(existing)}));
    }
    let id = st.next_id().to_string();
    let mut stored = with_sku_ids(st, p, None);
    stored["shop_id"] = json!(shop);
    let skus = sku_ids(&stored);
    st.tts_products.insert(id.clone(), stored);
    if let Some(k) = key {
        st.tts_idempotency.insert(k, id.clone());
    }
    st.count("tts.create", 1);
    tts_ok(json!({"product_id": id, "skus": skus}))
}

pub(crate) async fn tts_edit(
    State(sim): State<Sim>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let path = format!("/product/202309/products/{id}");
    if let Err(r) = tts_shop(&sim, &headers, &q, &path, &body) {
        return r;
    }
    let Ok(p) = serde_json::from_slice::<Value>(&body) else {
        return tts_error(StatusCode::BAD_REQUEST, 40006, "body is not JSON");
    };
    if let Some(e) = tts_product_error(&p) {
        return tts_error(StatusCode::BAD_REQUEST, 12019010, e);
    }
    let mut s = sim.lock();
    let st = &mut s.catalog;
    let Some(old) = st.tts_products.get(&id).cloned() else {
        return tts_error(StatusCode::NOT_FOUND, 12052048, "product not found");
    };
    let mut stored = with_sku_ids(st, p, Some(&old));
    stored["shop_id"] = old["shop_id"].clone();
    let skus = sku_ids(&stored);
    st.tts_products.insert(id.clone(), stored);
    st.count("tts.edit", 1);
    tts_ok(json!({"product_id": id, "skus": skus}))
}

/// Apply `f` to each SKU of product `id` named in the body's `skus[].id`.
fn tts_sku_update(
    sim: &Sim,
    headers: &HeaderMap,
    q: &HashMap<String, String>,
    id: &str,
    what: &str,
    body: &[u8],
    field: &str,
) -> Response {
    let path = format!("/product/202309/products/{id}/{what}/update");
    if let Err(r) = tts_shop(sim, headers, q, &path, body) {
        return r;
    }
    let Ok(req) = serde_json::from_slice::<Value>(body) else {
        return tts_error(StatusCode::BAD_REQUEST, 40006, "body is not JSON");
    };
    let mut s = sim.lock();
    let st = &mut s.catalog;
    let Some(product) = st.tts_products.get_mut(id) else {
        return tts_error(StatusCode::NOT_FOUND, 12052048, "product not found");
    };
    let updates = req["skus"].as_array().cloned().unwrap_or_default();
    for u in &updates {
        let Some(sku) = product["skus"]
            .as_array_mut()
            .and_then(|skus| skus.iter_mut().find(|s| s["id"] == u["id"]))
        else {
            return tts_error(
                StatusCode::BAD_REQUEST,
                12052700,
                "sku not found in product",
            );
        };
        sku[field] = u[field].clone();
    }
    st.count(&format!("tts.{what}"), 1);
    tts_ok(json!({}))
}

pub(crate) async fn tts_prices(
    State(sim): State<Sim>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    tts_sku_update(&sim, &headers, &q, &id, "prices", &body, "price")
}

pub(crate) async fn tts_inventory(
    State(sim): State<Sim>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    tts_sku_update(&sim, &headers, &q, &id, "inventory", &body, "inventory")
}

pub(crate) async fn tts_delete(
    State(sim): State<Sim>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    if let Err(r) = tts_shop(&sim, &headers, &q, "/product/202309/products", &body) {
        return r;
    }
    let ids: Vec<String> = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| serde_json::from_value(v["product_ids"].clone()).ok())
        .unwrap_or_default();
    if ids.is_empty() || ids.len() > 20 {
        return tts_error(
            StatusCode::BAD_REQUEST,
            40006,
            "product_ids takes 1 to 20 ids",
        );
    }
    let mut s = sim.lock();
    let st = &mut s.catalog;
    let mut errors = Vec::new();
    for id in &ids {
        if st.tts_products.remove(id).is_none() {
            errors.push(json!({"code": 12052048, "message": "product not found", "detail": {"product_id": id}}));
        }
    }
    st.count("tts.delete", ids.len() as u64);
    tts_ok(json!({"errors": errors}))
}

// ---------------------------------------------------------------- control

/// Remote state and counts, for tests and the demo.
pub(crate) async fn catalog_state(State(sim): State<Sim>) -> Json<Value> {
    Json(sim.catalog_json())
}

#[derive(Deserialize)]
pub(crate) struct UsageReq {
    percent: u64,
}

pub(crate) async fn set_usage(State(sim): State<Sim>, Json(r): Json<UsageReq>) -> StatusCode {
    sim.set_meta_usage(r.percent);
    StatusCode::NO_CONTENT
}

/// Image bytes for any name (a store's CDN, as far as the sync can tell).
/// A product picture: a real JPEG (600×600, a tee in a colour of its own) drawn once per name by
/// FFmpeg (`FFMPEG_PATH`, or `ffmpeg` on the `PATH`), then served from memory.
pub(crate) async fn cdn(Path(name): Path<String>) -> Response {
    static PICTURES: std::sync::OnceLock<tokio::sync::Mutex<HashMap<String, Bytes>>> =
        std::sync::OnceLock::new();
    let pictures = PICTURES.get_or_init(Default::default);
    let mut cache = pictures.lock().await;
    if let Some(bytes) = cache.get(&name) {
        return ([("content-type", "image/jpeg")], bytes.clone()).into_response();
    }
    match draw_tee(&name).await {
        Ok(bytes) => {
            cache.insert(name, bytes.clone());
            ([("content-type", "image/jpeg")], bytes).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "drawing a product picture");
            (StatusCode::SERVICE_UNAVAILABLE, "no picture: FFmpeg failed").into_response()
        }
    }
}

async fn draw_tee(name: &str) -> anyhow::Result<Bytes> {
    // A colour of the name's own (FNV-1a), dark enough to stand out on the light background.
    let h = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let channel = |shift: u32| 40 + ((h >> shift) & 0xff) * 150 / 255;
    let colour = format!("0x{:02X}{:02X}{:02X}", channel(0), channel(8), channel(16));
    let tee = [
        (170, 150, 260, 330), // body
        (90, 150, 420, 110),  // sleeves
        (250, 130, 100, 40),  // collar
    ]
    .iter()
    .map(|(x, y, w, h)| format!("drawbox=x={x}:y={y}:w={w}:h={h}:color={colour}:t=fill"))
    .collect::<Vec<_>>()
    .join(",");
    let ffmpeg = std::env::var_os("FFMPEG_PATH").unwrap_or_else(|| "ffmpeg".into());
    let out = tokio::process::Command::new(ffmpeg)
        .args([
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "color=c=0xF4F1EC:s=600x600",
            "-vf",
        ])
        .arg(tee)
        .args(["-frames:v", "1", "-f", "mjpeg", "pipe:1"])
        .kill_on_drop(true)
        .output()
        .await?;
    anyhow::ensure!(
        out.status.success() && out.stdout.starts_with(&[0xFF, 0xD8]),
        "ffmpeg: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(Bytes::from(out.stdout))
}

impl Sim {
    /// The remote catalogs and call counts (what `GET /_sim/catalog` answers).
    pub fn catalog_json(&self) -> Value {
        let s = self.lock();
        let st = &s.catalog;
        json!({
            "meta": st.meta_items,
            "tiktok_shop": st.tts_products,
            "counts": st.counts,
        })
    }
}

impl Sim {
    /// The usage percentage Meta's catalog answers report (`X-App-Usage`,
    /// `X-Business-Use-Case-Usage`).
    pub fn set_meta_usage(&self, percent: u64) {
        self.lock().catalog.usage_percent = percent;
    }
}
