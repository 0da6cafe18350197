//! The simulated store's storefront (spec §9), shaped like a standard Online Store 2.0 theme:
//!
//! - `GET /products/{handle}`: a product page with the header's cart count, the theme's own
//!   add-to-cart form, the Reelcart **app embed** (the widget's script, once, in the head) and the
//!   **app block** (`<reelcart-feed cart="shopify" product-id variant-ids …>`) where the merchant
//!   placed it; `window.Shopify.routes.root`, and the standard storefront actions runtime
//!   (`Shopify.actions.getCart/updateCart/openCart`, which this theme "configures" to refresh its
//!   cart count; `?actions=0` leaves them out, as on a theme or page without them) — its
//!   `updateCart` adds through the Ajax cart.
//! - The Ajax Cart API: `POST /cart/add.js` (`{"items": [{"id": <variant id>, "quantity",
//!   "properties"}]}`; an unknown variant `404`, a sold-out one `422`, both `{"status",
//!   "message": "Cart Error", "description"}`), `POST /cart/update.js` (`attributes` merged, an
//!   empty value removes one; `note`), `GET /cart.js` (`token`, `note`, `attributes`,
//!   `item_count`, `items`, `total_price` in cents). The cart is the `cart` cookie's.
//! - `POST /cart/checkout`: checkout completes at once and the store sends the signed
//!   `orders/create` webhook (REST order JSON: `note_attributes` from the cart's attributes,
//!   `line_items` with variant, product, SKU, price and quantity, `cart_token`) to where
//!   `POST /_sim/shopify/webhooks {"url", "secret"}` said (the app's subscription).
//! - `POST /_sim/shopify/theme {"widget_url", "feed_url", "events_url"}`: the app embed's
//!   settings, as the merchant fills them in the theme editor. `GET /_sim/shopify/orders`: the
//!   orders placed.

use crate::{Sim, scalar};
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Map, Value, json};
use sha2::Sha256;
use std::collections::HashMap;

#[derive(Debug, Default)]
pub(crate) struct StorefrontState {
    carts: HashMap<String, Cart>,
    theme: Option<Value>,
    webhook: Option<(String, String)>,
    orders: Vec<Value>,
}

#[derive(Debug, Default, Clone)]
struct Cart {
    lines: Vec<Value>,
    attributes: Map<String, Value>,
    note: String,
}

fn cart_error(status: StatusCode, description: &str) -> Response {
    (
        status,
        Json(
            json!({"status": status.as_u16(), "message": "Cart Error", "description": description}),
        ),
    )
        .into_response()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The shopper's cart token (the `cart` cookie), and whether it is new.
fn cart_token(headers: &HeaderMap) -> (String, bool) {
    let found = headers
        .get(header::COOKIE)
        .and_then(|c| c.to_str().ok())
        .and_then(|c| c.split("; ").find_map(|kv| kv.strip_prefix("cart=")))
        .filter(|t| !t.is_empty())
        .map(str::to_string);
    match found {
        Some(t) => (t, false),
        None => (format!("c1-{:032x}", rand::random::<u128>()), true),
    }
}

fn with_cookie(mut r: Response, token: &str, new: bool) -> Response {
    if new && let Ok(v) = HeaderValue::from_str(&format!("cart={token}; Path=/; SameSite=Lax")) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

fn cart_json(token: &str, c: &Cart) -> Value {
    let total: i64 = c
        .lines
        .iter()
        .map(|l| l["final_line_price"].as_i64().unwrap_or(0))
        .sum();
    json!({"token": token, "note": c.note, "attributes": c.attributes,
        "item_count": c.lines.iter().map(|l| l["quantity"].as_i64().unwrap_or(0)).sum::<i64>(),
        "items": c.lines, "total_price": total, "currency": "USD"})
}

/// Price text → cents.
fn cents(price: &str) -> i64 {
    let (whole, frac) = price.split_once('.').unwrap_or((price, "0"));
    let frac = format!("{frac:0<2}");
    whole.parse::<i64>().unwrap_or(0) * 100 + frac[..2].parse::<i64>().unwrap_or(0)
}

pub(crate) async fn add(
    State(sim): State<Sim>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let (token, new) = cart_token(&headers);
    let items = body["items"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| vec![body.clone()]);
    let mut s = sim.lock();
    let mut added = Vec::new();
    for it in &items {
        let id = scalar(&it["id"]);
        let quantity = it["quantity"].as_i64().unwrap_or(1).max(1);
        let found = s.shopify_products.iter().find_map(|p| {
            p["variants"]
                .as_array()?
                .iter()
                .find(|v| scalar(&v["id"]) == id)
                .map(|v| (p.clone(), v.clone()))
        });
        let Some((p, v)) = found else {
            return cart_error(StatusCode::NOT_FOUND, "Cannot find variant");
        };
        if v["inventory_quantity"].as_i64().unwrap_or(0) < quantity
            && v["inventory_policy"] != "continue"
        {
            return cart_error(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!(
                    "You can't add more {} to the cart.",
                    p["title"].as_str().unwrap_or("of this")
                ),
            );
        }
        let price = cents(v["price"].as_str().unwrap_or("0"));
        let properties = it.get("properties").cloned().unwrap_or(json!({}));
        let cart = s.storefront.carts.entry(token.clone()).or_default();
        // The same variant with the same properties is one line.
        let key = format!("{id}:{:x}", rand::random::<u32>());
        match cart
            .lines
            .iter_mut()
            .find(|l| scalar(&l["variant_id"]) == id && l["properties"] == properties)
        {
            Some(line) => {
                let q = line["quantity"].as_i64().unwrap_or(0) + quantity;
                line["quantity"] = json!(q);
                line["final_line_price"] = json!(q * price);
                added.push(line.clone());
            }
            None => {
                let line = json!({"key": key, "id": v["id"], "variant_id": v["id"], "product_id": p["id"], "sku": v["sku"],
                    "title": p["title"], "handle": p["handle"], "quantity": quantity, "price": price,
                    "final_line_price": quantity * price, "properties": properties});
                cart.lines.push(line.clone());
                added.push(line);
            }
        }
    }
    with_cookie(Json(json!({"items": added})).into_response(), &token, new)
}

pub(crate) async fn update(
    State(sim): State<Sim>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let (token, new) = cart_token(&headers);
    let mut s = sim.lock();
    let cart = s.storefront.carts.entry(token.clone()).or_default();
    if let Some(attrs) = body["attributes"].as_object() {
        for (k, v) in attrs {
            if v.is_null() || v == "" {
                cart.attributes.remove(k);
            } else {
                cart.attributes.insert(k.clone(), json!(scalar(v)));
            }
        }
    }
    if let Some(note) = body["note"].as_str() {
        cart.note = note.to_string();
    }
    let out = cart_json(&token, cart);
    with_cookie(Json(out).into_response(), &token, new)
}

pub(crate) async fn get_cart(State(sim): State<Sim>, headers: HeaderMap) -> Response {
    let (token, new) = cart_token(&headers);
    let s = sim.lock();
    let out = cart_json(
        &token,
        s.storefront.carts.get(&token).unwrap_or(&Cart::default()),
    );
    with_cookie(Json(out).into_response(), &token, new)
}

/// Checkout: an order from the cart, announced to the app as a signed `orders/create` webhook.
pub(crate) async fn checkout(State(sim): State<Sim>, headers: HeaderMap) -> Response {
    let (token, _) = cart_token(&headers);
    let (order, target) = {
        let mut s = sim.lock();
        let Some(cart) = s
            .storefront
            .carts
            .remove(&token)
            .filter(|c| !c.lines.is_empty())
        else {
            return (
                StatusCode::BAD_REQUEST,
                Html("<h1>Your cart is empty</h1>".to_string()),
            )
                .into_response();
        };
        let n = s.storefront.orders.len() as u64 + 1;
        let money = |c: i64| format!("{}.{:02}", c / 100, c % 100);
        let total: i64 = cart
            .lines
            .iter()
            .map(|l| l["final_line_price"].as_i64().unwrap_or(0))
            .sum();
        let order = json!({
            "id": 6_100_000_000u64 + n, "name": format!("#{}", 1000 + n), "currency": "USD",
            "created_at": time::OffsetDateTime::from_unix_timestamp(sim.now()).ok()
                .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok()),
            "total_price": money(total), "subtotal_price": money(total), "current_total_price": money(total),
            "financial_status": "paid", "cart_token": token, "source_name": "web",
            "note": cart.note,
            "note_attributes": cart.attributes.iter().map(|(k, v)| json!({"name": k, "value": v})).collect::<Vec<_>>(),
            "discount_codes": [],
            "line_items": cart.lines.iter().enumerate().map(|(i, l)| json!({
                "id": 16_100_000_000u64 + n * 100 + i as u64, "variant_id": l["variant_id"], "product_id": l["product_id"],
                "sku": l["sku"], "title": l["title"], "quantity": l["quantity"],
                "price": money(l["price"].as_i64().unwrap_or(0)), "discount_allocations": [],
                "properties": l["properties"].as_object().map(|p| p.iter().map(|(k, v)| json!({"name": k, "value": v})).collect::<Vec<_>>()).unwrap_or_default(),
            })).collect::<Vec<_>>(),
        });
        s.storefront.orders.push(order.clone());
        (order, s.storefront.webhook.clone())
    };
    let delivered = match target {
        Some((url, secret)) => deliver(&url, &secret, &order).await,
        None => "no webhook subscription".to_string(),
    };
    Html(format!(
        r#"<!doctype html><html><head><meta charset=utf-8><title>Thank you</title></head><body><main>
<h1 data-testid="order-confirmed">Thank you for your order</h1><p>Order <span data-testid="order-name">{}</span> (<span data-testid="order-id">{}</span>)</p>
<p data-testid="webhook">{}</p></main></body></html>"#,
        esc(order["name"].as_str().unwrap_or_default()),
        order["id"],
        esc(&delivered)
    ))
    .into_response()
}

/// POST the order to the app, signed as Shopify signs webhooks (base64 HMAC-SHA256 of the body).
async fn deliver(url: &str, secret: &str, order: &Value) -> String {
    use base64::Engine;
    let body = order.to_string();
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()) else {
        return "no secret".into();
    };
    mac.update(body.as_bytes());
    let hmac = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let event = format!("{:032x}", rand::random::<u128>());
    let sent = reqwest::Client::new()
        .post(url)
        .header("Content-Type", "application/json")
        .header("X-Shopify-Topic", "orders/create")
        .header("X-Shopify-Hmac-Sha256", hmac)
        .header("X-Shopify-Shop-Domain", crate::shopify_auth::SHOP_DOMAIN)
        .header("X-Shopify-API-Version", "2026-01")
        .header("X-Shopify-Event-Id", &event)
        .header("X-Shopify-Webhook-Id", format!("{event}-1"))
        .body(body)
        .send()
        .await;
    match sent {
        Ok(r) => format!("orders/create delivered: HTTP {}", r.status().as_u16()),
        Err(e) => format!("orders/create not delivered: {}", e.without_url()),
    }
}

impl Sim {
    /// The app embed's settings in the store's theme: the widget's script, the feed and events
    /// URLs.
    pub fn set_storefront_theme(&self, widget_url: &str, feed_url: &str, events_url: &str) {
        self.lock().storefront.theme =
            Some(json!({"widget_url": widget_url, "feed_url": feed_url, "events_url": events_url}));
    }

    /// Where the store delivers its webhooks, signed with `secret` (the app's subscription).
    pub fn subscribe_webhooks(&self, url: &str, secret: &str) {
        self.lock().storefront.webhook = Some((url.to_string(), secret.to_string()));
    }

    /// The orders placed at the storefront.
    pub fn storefront_orders(&self) -> Vec<Value> {
        self.lock().storefront.orders.clone()
    }
}

pub(crate) async fn set_theme(State(sim): State<Sim>, Json(v): Json<Value>) -> StatusCode {
    sim.lock().storefront.theme = Some(v);
    StatusCode::NO_CONTENT
}

pub(crate) async fn set_webhooks(State(sim): State<Sim>, Json(v): Json<Value>) -> StatusCode {
    match (v["url"].as_str(), v["secret"].as_str()) {
        (Some(u), Some(s)) => {
            sim.lock().storefront.webhook = Some((u.to_string(), s.to_string()));
            StatusCode::NO_CONTENT
        }
        _ => StatusCode::BAD_REQUEST,
    }
}

pub(crate) async fn orders(State(sim): State<Sim>) -> Json<Value> {
    Json(json!({"orders": sim.lock().storefront.orders}))
}

/// The standard storefront actions, as this theme configures them: through the Ajax cart, and
/// its cart count refreshed.
const ACTIONS: &str = r#"
const bubble = (n) => document.querySelector('[data-testid=cart-count]').textContent = n;
const getCart = async () => ({ cart: await (await fetch(Shopify.routes.root + 'cart.js')).json() });
Shopify.actions = {
  getCart,
  async updateCart({ lines = [] } = {}) {
    const items = lines.filter((l) => l.merchandiseId).map((l) => ({ id: +String(l.merchandiseId).split('/').pop(), quantity: l.quantity || 1 }));
    document.dispatchEvent(new CustomEvent('shopify:cart:lines-update', { bubbles: true, detail: { action: 'add', context: 'standard-action', lines } }));
    if (items.length) {
      const r = await fetch(Shopify.routes.root + 'cart/add.js', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ items }) });
      if (!r.ok) {
        const e = await r.json();
        return { cart: (await getCart()).cart, userErrors: [{ message: e.description }] };
      }
    }
    const { cart } = await getCart();
    bubble(cart.item_count);
    return { cart, userErrors: [] };
  },
  async openCart() { location.assign(Shopify.routes.root + 'cart'); },
};
"#;

pub(crate) async fn product_page(
    State(sim): State<Sim>,
    Path(handle): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let (token, _) = cart_token(&headers);
    let s = sim.lock();
    let Some(p) = s
        .shopify_products
        .iter()
        .find(|p| p["handle"] == handle.as_str())
        .cloned()
    else {
        return (
            StatusCode::NOT_FOUND,
            Html("<h1>404 Page Not Found</h1>".to_string()),
        )
            .into_response();
    };
    let count: i64 = s.storefront.carts.get(&token).map_or(0, |c| {
        c.lines
            .iter()
            .map(|l| l["quantity"].as_i64().unwrap_or(0))
            .sum()
    });
    let theme = s.storefront.theme.clone().unwrap_or(json!({}));
    drop(s);
    let variants: Vec<&Value> = p["variants"]
        .as_array()
        .map(|v| v.iter().collect())
        .unwrap_or_default();
    let first = variants.first().copied().cloned().unwrap_or(json!({}));
    let options: String = variants
        .iter()
        .map(|v| {
            format!(
                r#"<option value="{}">{} — {}</option>"#,
                esc(&scalar(&v["id"])),
                esc(&scalar(&v["sku"])),
                esc(&scalar(&v["price"]))
            )
        })
        .collect();
    let actions = if q.get("actions").map(String::as_str) == Some("0") {
        ""
    } else {
        ACTIONS
    };
    let ids: Vec<String> = variants.iter().map(|v| scalar(&v["id"])).collect();
    Html(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} – Reelcart demo</title>
<script>window.Shopify = {{ shop: "{shop}", routes: {{ root: "/" }} }};{actions}
document.addEventListener('cart:refresh', async () => {{ const c = await (await fetch('/cart.js')).json(); document.querySelector('[data-testid=cart-count]').textContent = c.item_count; }});</script>
<!-- BEGIN app embed: reelcart-feed/app-embed -->
<script type="module" src="{widget}"></script>
<!-- END app embed -->
</head><body>
<header class="header"><a href="/">Reelcart demo</a> <a href="/cart" class="header__icon--cart">Cart <span class="cart-count-bubble" data-testid="cart-count">{count}</span></a></header>
<main class="product"><h1 class="product__title">{title}</h1><p class="price">${price}</p>
<form method="post" action="/cart/add" class="product-form"><select name="id">{options}</select><button type="submit" name="add">Add to cart</button></form>
<!-- BEGIN app block: reelcart-feed/product-feed -->
<reelcart-feed placement="pdp" sku="{sku}" product-id="{pid}" variant-ids="{vids}" cart="shopify" api="{feed}" events="{events}"></reelcart-feed>
<!-- END app block -->
<form method="post" action="/cart/checkout"><button type="submit" data-testid="checkout">Check out</button></form>
</main></body></html>"#,
        title = esc(&scalar(&p["title"])),
        shop = crate::shopify_auth::SHOP_DOMAIN,
        widget = esc(theme["widget_url"].as_str().unwrap_or_default()),
        feed = esc(theme["feed_url"].as_str().unwrap_or_default()),
        events = esc(theme["events_url"].as_str().unwrap_or_default()),
        price = esc(&scalar(&first["price"])),
        sku = esc(&scalar(&first["sku"])),
        pid = esc(&scalar(&p["id"])),
        vids = esc(&ids.join(",")),
    ))
    .into_response()
}
