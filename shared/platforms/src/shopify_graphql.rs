//! Shopify's GraphQL Admin API (one pinned version, spec §10): calls that honour the cost-based
//! throttle, and the catalog's full pull as a bulk operation — one mutation, a few polls, one
//! JSON-lines download — instead of a request per 250 products.
//!
//! The bulk query asks for every product with its images and variants (and each variant's unit
//! cost, for margins), `groupObjects: true`, so each product's children follow it directly in the
//! result: products are handed on as soon as the next one starts, never all held at once. A
//! child whose parent is not the product being read means the file is not grouped: the pull
//! fails rather than attach it wrongly.

use super::shopify::{PullError, ShopifyAdmin};
use serde_json::{Map, Value, json};
use std::time::Duration;

/// The GraphQL Admin API version every call names.
pub const GRAPHQL_VERSION: &str = "2026-01";

/// What the bulk operation reads of each product.
pub const BULK_PRODUCTS_QUERY: &str = "{ products { edges { node { id title handle status descriptionHtml vendor tags options { name } images { edges { node { id url width height } } } variants { edges { node { id sku price compareAtPrice barcode inventoryQuantity inventoryPolicy selectedOptions { name value } image { id } inventoryItem { unitCost { amount currencyCode } measurement { weight { value unit } } } } } } } } } }";

/// How often a running bulk operation is asked about, and for how long at most.
#[derive(Debug, Clone, Copy)]
pub struct BulkPolling {
    pub every: Duration,
    pub at_most: Duration,
}

impl Default for BulkPolling {
    fn default() -> Self {
        Self {
            every: Duration::from_secs(2),
            at_most: Duration::from_secs(600),
        }
    }
}

/// `gid://shopify/Product/123` → `123`.
fn numeric_id(gid: &str) -> String {
    gid.rsplit('/').next().unwrap_or(gid).to_string()
}

/// How long the throttle asks to wait: the missing cost at the restore rate.
fn throttle_wait(extensions: &Value) -> Duration {
    let cost = &extensions["cost"];
    let status = &cost["throttleStatus"];
    let needed = cost["requestedQueryCost"].as_f64().unwrap_or(50.0);
    let available = status["currentlyAvailable"].as_f64().unwrap_or(0.0);
    let rate = status["restoreRate"]
        .as_f64()
        .filter(|r| *r > 0.0)
        .unwrap_or(50.0);
    Duration::from_secs_f64(((needed - available).max(0.0) / rate).clamp(0.05, 30.0))
}

impl ShopifyAdmin {
    /// One GraphQL call: its `data`. A `THROTTLED` answer (or HTTP 429) is waited out as the
    /// cost extension says, up to 8 times; other GraphQL errors are `Malformed` with their text.
    pub async fn graphql(&self, query: &str, variables: Value) -> Result<Value, PullError> {
        let url = format!(
            "{}/admin/api/{GRAPHQL_VERSION}/graphql.json",
            self.base_url()
        );
        let body = json!({"query": query, "variables": variables});
        for _ in 0..8 {
            let resp = self
                .send(|| self.client().post(&url).json(&body), 3, 5.0)
                .await?;
            let status = resp.status().as_u16();
            match status {
                200 => {}
                401 | 403 => return Err(PullError::Unauthorized(status)),
                s => return Err(PullError::Status(s)),
            }
            let answer: Value = resp
                .json()
                .await
                .map_err(|e| PullError::Malformed(e.without_url().to_string()))?;
            let errors = answer["errors"].as_array().cloned().unwrap_or_default();
            if errors
                .iter()
                .any(|e| e["extensions"]["code"] == "THROTTLED")
            {
                let wait = throttle_wait(&answer["extensions"]);
                tracing::info!(
                    wait_ms = wait.as_millis() as u64,
                    "Shopify's GraphQL throttle: waiting"
                );
                tokio::time::sleep(wait).await;
                continue;
            }
            if let Some(e) = errors.first() {
                return Err(PullError::Malformed(format!(
                    "GraphQL: {}",
                    e["message"].as_str().unwrap_or("error")
                )));
            }
            return Ok(answer["data"].clone());
        }
        Err(PullError::Throttled(8))
    }

    /// The whole catalog through a bulk operation: every product (as the REST shape
    /// `import::from_shopify` reads, with each variant's `unit_cost`), `on_page` called with up to
    /// 250 at a time as the result is read. Returns how many products were read.
    pub async fn bulk_products<F, Fut, E>(
        &self,
        polling: BulkPolling,
        mut on_page: F,
    ) -> Result<usize, PullError>
    where
        F: FnMut(Vec<Value>) -> Fut,
        Fut: std::future::Future<Output = Result<(), E>>,
        E: std::fmt::Display,
    {
        let started = self
            .graphql(
                "mutation run($query: String!) { bulkOperationRunQuery(query: $query, groupObjects: true) { bulkOperation { id status } userErrors { field message } } }",
                json!({"query": BULK_PRODUCTS_QUERY}),
            )
            .await?;
        let run = &started["bulkOperationRunQuery"];
        if let Some(e) = run["userErrors"].as_array().and_then(|e| e.first()) {
            return Err(PullError::Malformed(format!(
                "bulkOperationRunQuery: {}",
                e["message"].as_str().unwrap_or("refused")
            )));
        }
        let id = run["bulkOperation"]["id"]
            .as_str()
            .ok_or_else(|| PullError::Malformed("no bulkOperation.id".into()))?
            .to_string();
        let begun = std::time::Instant::now();
        let url = loop {
            let data = self
                .graphql(
                    "{ currentBulkOperation(type: QUERY) { id status errorCode objectCount url } }",
                    json!({}),
                )
                .await?;
            let op = &data["currentBulkOperation"];
            if op["id"].as_str() != Some(id.as_str()) {
                return Err(PullError::Malformed(
                    "another bulk operation replaced this one".into(),
                ));
            }
            match op["status"].as_str().unwrap_or_default() {
                "COMPLETED" => break op["url"].as_str().map(str::to_string),
                "CREATED" | "RUNNING" => {}
                other => {
                    return Err(PullError::Malformed(format!(
                        "the bulk operation ended {other} ({})",
                        op["errorCode"].as_str().unwrap_or("no error code")
                    )));
                }
            }
            if begun.elapsed() > polling.at_most {
                return Err(PullError::Malformed(
                    "the bulk operation did not finish in time".into(),
                ));
            }
            tokio::time::sleep(polling.every).await;
        };
        // An empty store: no file.
        let Some(url) = url else { return Ok(0) };
        // A signed storage URL on another host: fetched without the store's token.
        let mut resp = self
            .client()
            .get(&url)
            .send()
            .await
            .map_err(|e| PullError::Transport(e.without_url().to_string()))?;
        if !resp.status().is_success() {
            return Err(PullError::Status(resp.status().as_u16()));
        }
        let mut reader = Grouped::default();
        let mut pending = Vec::<u8>::new();
        let mut page = Vec::new();
        let mut total = 0usize;
        loop {
            let chunk = resp
                .chunk()
                .await
                .map_err(|e| PullError::Transport(e.without_url().to_string()))?;
            let done = chunk.is_none();
            if let Some(c) = chunk {
                pending.extend_from_slice(&c);
            } else if !pending.is_empty() {
                pending.push(b'\n');
            }
            while let Some(nl) = pending.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = pending.drain(..=nl).collect();
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                let row: Value = serde_json::from_slice(&line)
                    .map_err(|e| PullError::Malformed(format!("bulk result line: {e}")))?;
                if let Some(product) = reader.row(row)? {
                    page.push(product);
                    total += 1;
                    if page.len() == 250 {
                        on_page(std::mem::take(&mut page))
                            .await
                            .map_err(|e| PullError::Malformed(e.to_string()))?;
                    }
                }
            }
            if done {
                break;
            }
        }
        if let Some(product) = reader.finish() {
            page.push(product);
            total += 1;
        }
        if !page.is_empty() {
            on_page(page)
                .await
                .map_err(|e| PullError::Malformed(e.to_string()))?;
        }
        Ok(total)
    }
}

/// The store events Reelcart subscribes to (`WebhookSubscriptionTopic` values).
pub const WEBHOOK_TOPICS: [&str; 9] = [
    "ORDERS_CREATE",
    "ORDERS_UPDATED",
    "ORDERS_CANCELLED",
    "REFUNDS_CREATE",
    "PRODUCTS_CREATE",
    "PRODUCTS_UPDATE",
    "PRODUCTS_DELETE",
    "APP_UNINSTALLED",
    "BULK_OPERATIONS_FINISH",
];

impl ShopifyAdmin {
    /// The app's webhook subscriptions: `(id, topic, uri)`.
    pub async fn webhook_subscriptions(&self) -> Result<Vec<(String, String, String)>, PullError> {
        let data = self
            .graphql(
                "{ webhookSubscriptions(first: 100) { edges { node { id topic uri } } } }",
                json!({}),
            )
            .await?;
        Ok(data["webhookSubscriptions"]["edges"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                let n = &e["node"];
                let s = |k: &str| n[k].as_str().unwrap_or_default().to_string();
                (s("id"), s("topic"), s("uri"))
            })
            .collect())
    }

    /// Subscribe `uri` to every topic it is not subscribed to yet; how many were created.
    pub async fn ensure_webhooks(&self, uri: &str) -> Result<usize, PullError> {
        let have = self.webhook_subscriptions().await?;
        let mut created = 0;
        for topic in WEBHOOK_TOPICS {
            if have.iter().any(|(_, t, u)| t == topic && u == uri) {
                continue;
            }
            let data = self
                .graphql(
                    "mutation sub($topic: WebhookSubscriptionTopic!, $sub: WebhookSubscriptionInput!) { webhookSubscriptionCreate(topic: $topic, webhookSubscription: $sub) { webhookSubscription { id } userErrors { field message } } }",
                    json!({"topic": topic, "sub": {"uri": uri, "format": "JSON"}}),
                )
                .await?;
            if let Some(e) = data["webhookSubscriptionCreate"]["userErrors"]
                .as_array()
                .and_then(|e| e.first())
            {
                return Err(PullError::Malformed(format!(
                    "webhookSubscriptionCreate {topic}: {}",
                    e["message"].as_str().unwrap_or("refused")
                )));
            }
            created += 1;
        }
        Ok(created)
    }

    /// Remove every subscription of `uri`; how many were removed.
    pub async fn remove_webhooks(&self, uri: &str) -> Result<usize, PullError> {
        let mut removed = 0;
        for (id, _, u) in self.webhook_subscriptions().await? {
            if u != uri {
                continue;
            }
            self.graphql(
                "mutation del($id: ID!) { webhookSubscriptionDelete(id: $id) { deletedWebhookSubscriptionId userErrors { field message } } }",
                json!({"id": id}),
            )
            .await?;
            removed += 1;
        }
        Ok(removed)
    }
}

/// A percentage code for the whole order (`discountCodeBasicCreate`, spec §10.1).
#[derive(Debug, Clone)]
pub struct CodeDiscount<'a> {
    pub code: &'a str,
    pub title: &'a str,
    pub percent: u32,
    /// RFC 3339.
    pub starts_at: &'a str,
    pub ends_at: Option<&'a str>,
    /// Orders that may use it, in all.
    pub usage_limit: Option<u32>,
    pub once_per_customer: bool,
}

impl ShopifyAdmin {
    /// Create the code in the store: its `DiscountCodeNode` id. A code the store has already is
    /// `Refused` naming `code`.
    pub async fn create_code_discount(&self, d: &CodeDiscount<'_>) -> Result<String, PullError> {
        use super::shopify::Refusal;
        let input = json!({
            "title": d.title,
            "code": d.code,
            "startsAt": d.starts_at,
            "endsAt": d.ends_at,
            "context": {"all": "ALL"},
            "customerGets": {"value": {"percentage": f64::from(d.percent) / 100.0}, "items": {"all": true}},
            "usageLimit": d.usage_limit,
            "appliesOncePerCustomer": d.once_per_customer,
        });
        let data = self
            .graphql(
                "mutation create($d: DiscountCodeBasicInput!) { discountCodeBasicCreate(basicCodeDiscount: $d) { codeDiscountNode { id } userErrors { field code message } } }",
                json!({"d": input}),
            )
            .await?;
        let out = &data["discountCodeBasicCreate"];
        if let Some(errors) = out["userErrors"].as_array().filter(|e| !e.is_empty()) {
            // `field` is a path (`["basicCodeDiscount", "code"]`): its last part names the field.
            let mut fields = std::collections::BTreeMap::<String, Vec<String>>::new();
            for e in errors {
                let field = e["field"]
                    .as_array()
                    .and_then(|f| f.last())
                    .and_then(Value::as_str)
                    .unwrap_or("base");
                fields
                    .entry(field.to_string())
                    .or_default()
                    .push(e["message"].as_str().unwrap_or_default().to_string());
            }
            return Err(PullError::Refused(Refusal { fields }));
        }
        out["codeDiscountNode"]["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| PullError::Malformed("no codeDiscountNode.id".into()))
    }
}

/// Reads grouped bulk rows: a product row, then its images and variants.
#[derive(Default)]
struct Grouped {
    current: Option<(String, Map<String, Value>)>,
}

impl Grouped {
    /// Take one row; the product finished by it, if any.
    fn row(&mut self, row: Value) -> Result<Option<Value>, PullError> {
        let Value::Object(row) = row else {
            return Err(PullError::Malformed(
                "a bulk result line is not an object".into(),
            ));
        };
        let Some(parent) = row
            .get("__parentId")
            .and_then(Value::as_str)
            .map(str::to_string)
        else {
            let gid = row
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let done = self.finish();
            self.current = Some((gid, product(&row)));
            return Ok(done);
        };
        let Some((_, p)) = self.current.as_mut().filter(|(gid, _)| *gid == parent) else {
            return Err(PullError::Malformed(format!(
                "a row of {parent} is not after its product (the result is not grouped)"
            )));
        };
        let id = row.get("id").and_then(Value::as_str).unwrap_or_default();
        let into = if id.contains("/ProductVariant/") {
            "variants"
        } else {
            "images"
        };
        let child = if into == "variants" {
            variant(&row)
        } else {
            image(&row)
        };
        if let Some(Value::Array(list)) = p.get_mut(into) {
            list.push(child);
        }
        Ok(None)
    }

    fn finish(&mut self) -> Option<Value> {
        self.current.take().map(|(_, p)| Value::Object(p))
    }
}

/// A product row in the REST shape.
fn product(row: &Map<String, Value>) -> Map<String, Value> {
    let s = |k: &str| row.get(k).cloned().unwrap_or(Value::Null);
    let tags = row.get("tags").and_then(Value::as_array).map(|t| {
        t.iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    });
    let mut p = Map::new();
    p.insert(
        "id".into(),
        json!(numeric_id(
            row.get("id").and_then(Value::as_str).unwrap_or_default()
        )),
    );
    p.insert("title".into(), s("title"));
    p.insert("handle".into(), s("handle"));
    p.insert("body_html".into(), s("descriptionHtml"));
    p.insert("vendor".into(), s("vendor"));
    p.insert(
        "status".into(),
        json!(
            row.get("status")
                .and_then(Value::as_str)
                .unwrap_or("ACTIVE")
                .to_lowercase()
        ),
    );
    p.insert("tags".into(), json!(tags));
    p.insert("options".into(), s("options"));
    p.insert("images".into(), json!([]));
    p.insert("variants".into(), json!([]));
    p
}

fn image(row: &Map<String, Value>) -> Value {
    json!({
        "id": numeric_id(row.get("id").and_then(Value::as_str).unwrap_or_default()),
        "src": row.get("url"), "width": row.get("width"), "height": row.get("height"),
    })
}

fn variant(row: &Map<String, Value>) -> Value {
    let options: Vec<&str> = row
        .get("selectedOptions")
        .and_then(Value::as_array)
        .map(|o| o.iter().filter_map(|x| x["value"].as_str()).collect())
        .unwrap_or_default();
    let gid = |v: Option<&Value>| v.and_then(Value::as_str).map(numeric_id);
    json!({
        "id": numeric_id(row.get("id").and_then(Value::as_str).unwrap_or_default()),
        "sku": row.get("sku"),
        "price": row.get("price").and_then(Value::as_str).unwrap_or("0"),
        "compare_at_price": row.get("compareAtPrice"),
        "barcode": row.get("barcode"),
        "inventory_quantity": row.get("inventoryQuantity"),
        "inventory_policy": row.get("inventoryPolicy").and_then(Value::as_str).map(str::to_lowercase),
        "option1": options.first(), "option2": options.get(1), "option3": options.get(2),
        "image_id": gid(row.get("image").and_then(|i| i.get("id"))),
        "unit_cost": row.get("inventoryItem").and_then(|i| i["unitCost"]["amount"].as_str()),
        "grams": row.get("inventoryItem").and_then(|i| grams(&i["measurement"]["weight"])),
    })
}

/// A `Weight` (`{value, unit}`) in whole grams.
fn grams(w: &Value) -> Option<i64> {
    let value = w["value"].as_f64()?;
    let per_unit = match w["unit"].as_str()? {
        "GRAMS" => 1.0,
        "KILOGRAMS" => 1000.0,
        "OUNCES" => 28.349_523_125,
        "POUNDS" => 453.592_37,
        _ => return None,
    };
    Some((value * per_unit).round() as i64)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn grouped_rows_become_rest_shaped_products() {
        let mut g = Grouped::default();
        let rows = [
            json!({"id": "gid://shopify/Product/1", "title": "Tee", "handle": "tee", "status": "DRAFT", "descriptionHtml": "<p>Soft</p>", "vendor": "Acme", "tags": ["a", "tiktok-category:600001"], "options": [{"name": "Size"}]}),
            json!({"id": "gid://shopify/ProductImage/7", "url": "https://cdn.shopify.com/t.jpg", "width": 800, "height": 1000, "__parentId": "gid://shopify/Product/1"}),
            json!({"id": "gid://shopify/ProductVariant/11", "sku": "TEE-S", "price": "20.00", "compareAtPrice": null, "barcode": "", "inventoryQuantity": 4, "inventoryPolicy": "DENY", "selectedOptions": [{"name": "Size", "value": "S"}], "image": {"id": "gid://shopify/ProductImage/7"}, "inventoryItem": {"unitCost": {"amount": "7.5", "currencyCode": "USD"}, "measurement": {"weight": {"value": 0.25, "unit": "KILOGRAMS"}}}, "__parentId": "gid://shopify/Product/1"}),
            json!({"id": "gid://shopify/Product/2", "title": "Cap", "handle": "cap", "status": "ACTIVE"}),
        ];
        let mut done = Vec::new();
        for r in rows {
            done.extend(g.row(r).unwrap());
        }
        done.extend(g.finish());
        assert_eq!(done.len(), 2);
        let tee = &done[0];
        assert_eq!(
            (tee["id"].as_str(), tee["status"].as_str()),
            (Some("1"), Some("draft"))
        );
        assert_eq!(tee["tags"], "a, tiktok-category:600001");
        assert_eq!(tee["variants"][0]["unit_cost"], "7.5");
        assert_eq!(tee["variants"][0]["image_id"], "7");
        assert_eq!(tee["variants"][0]["option1"], "S");
        assert_eq!(tee["variants"][0]["grams"], 250);
        // Read as the REST importer reads it.
        let settings = reelcart_domain::catalog::import::StoreSettings {
            store_url: "https://shop.example".into(),
            currency: "USD".into(),
        };
        let p =
            reelcart_domain::catalog::import::from_shopify(&tee.to_string(), &settings).unwrap();
        assert_eq!(
            p.variants[0].unit_cost.as_ref().unwrap().amount.to_string(),
            "7.5"
        );
        assert_eq!(p.tiktok_category_id.as_deref(), Some("600001"));
        assert_eq!(
            p.variants[0].image.as_ref().unwrap().url,
            "https://cdn.shopify.com/t.jpg"
        );
    }

    #[test]
    fn a_child_out_of_its_group_fails_the_pull() {
        let mut g = Grouped::default();
        g.row(json!({"id": "gid://shopify/Product/1", "title": "A"}))
            .unwrap();
        g.row(json!({"id": "gid://shopify/Product/2", "title": "B"}))
            .unwrap();
        let late = json!({"id": "gid://shopify/ProductVariant/9", "price": "1", "__parentId": "gid://shopify/Product/1"});
        assert!(matches!(g.row(late), Err(PullError::Malformed(_))));
    }

    #[test]
    fn the_throttle_wait_is_the_missing_cost_at_the_restore_rate() {
        let ext = json!({"cost": {"requestedQueryCost": 202, "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 2, "restoreRate": 100.0}}});
        assert_eq!(throttle_wait(&ext), Duration::from_secs(2));
    }
}
