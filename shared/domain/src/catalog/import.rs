//! Where the catalog comes from: Shopify product payloads (webhooks, Admin API) and bulk imports
//! (JSON lines of canonical products, or CSV with one row per variant).

use super::{Image, Money, OptionValue, Product, ProductStatus, Variant, Weight};
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::str::FromStr;

/// What a Shopify product payload does not say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreSettings {
    /// The storefront's base URL (`https://shop.example.com`); product links are `{base}/products/{handle}`.
    pub store_url: String,
    /// The shop's currency (ISO 4217): Shopify sends prices as bare decimal strings.
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("line {line}: {reason}")]
    Line { line: usize, reason: String },
    #[error("{0}")]
    Payload(String),
}

#[derive(Deserialize)]
struct ShopifyProduct {
    id: serde_json::Value,
    title: String,
    #[serde(default)]
    body_html: Option<String>,
    #[serde(default)]
    vendor: Option<String>,
    #[serde(default)]
    handle: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    tags: Option<String>,
    #[serde(default)]
    options: Vec<ShopifyOption>,
    #[serde(default)]
    images: Vec<ShopifyImage>,
    #[serde(default)]
    variants: Vec<ShopifyVariant>,
}

#[derive(Deserialize)]
struct ShopifyOption {
    name: String,
}

#[derive(Deserialize)]
struct ShopifyImage {
    #[serde(default)]
    id: Option<serde_json::Value>,
    src: String,
    #[serde(default)]
    width: Option<u32>,
    #[serde(default)]
    height: Option<u32>,
}

#[derive(Deserialize)]
struct ShopifyVariant {
    id: serde_json::Value,
    #[serde(default)]
    sku: Option<String>,
    price: String,
    #[serde(default)]
    compare_at_price: Option<String>,
    #[serde(default)]
    inventory_quantity: Option<i64>,
    #[serde(default)]
    inventory_policy: Option<String>,
    #[serde(default)]
    barcode: Option<String>,
    #[serde(default)]
    option1: Option<String>,
    #[serde(default)]
    option2: Option<String>,
    #[serde(default)]
    option3: Option<String>,
    #[serde(default)]
    grams: Option<i64>,
    #[serde(default)]
    image_id: Option<serde_json::Value>,
    /// The variant's unit cost (`inventoryItem.unitCost.amount`), which the GraphQL bulk pull
    /// reads and puts here; REST products and webhooks carry none.
    #[serde(default)]
    unit_cost: Option<String>,
}

fn text(v: &serde_json::Value) -> String {
    crate::webhook::scalar_text(v)
}

/// HTML to plain text: tags dropped (block tags become spaces), common entities decoded,
/// whitespace collapsed.
pub fn plain_text(html: &str) -> String {
    const BLOCK: [&str; 12] = [
        "p", "br", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "tr", "td",
    ];
    let mut out = String::with_capacity(html.len());
    let mut tag: Option<String> = None;
    for c in html.chars() {
        match (&mut tag, c) {
            (None, '<') => tag = Some(String::new()),
            (Some(t), '>') => {
                let name: String = t
                    .trim_start_matches('/')
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .collect::<String>()
                    .to_ascii_lowercase();
                if BLOCK.contains(&name.as_str()) {
                    out.push(' ');
                }
                tag = None;
            }
            (Some(t), c) => t.push(c),
            (None, c) => out.push(c),
        }
    }
    let decoded = out
        .replace("&nbsp;", " ")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A Shopify product (webhook `products/create|update` body, or one of the Admin API's products).
/// The TikTok Shop category comes from a tag `tiktok-category:<id>`.
pub fn from_shopify(json: &str, settings: &StoreSettings) -> Result<Product, ImportError> {
    let p: ShopifyProduct = serde_json::from_str(json)
        .map_err(|e| ImportError::Payload(crate::webhook::redacted_json_error(&e)))?;
    if let Some(i) = p.images.iter().find(|i| !web_url(&i.src)) {
        return Err(ImportError::Payload(format!(
            "image {} is not an http(s) address",
            i.id.as_ref().map(text).unwrap_or_default()
        )));
    }
    let price = |s: &str| {
        Decimal::from_str(s.trim())
            .map(|amount| Money {
                amount,
                currency: settings.currency.clone(),
            })
            .map_err(|_| ImportError::Payload(format!("price `{s}` is not a decimal")))
    };
    let images: Vec<(Option<String>, Image)> = p
        .images
        .iter()
        .map(|i| {
            (
                i.id.as_ref().map(text),
                Image {
                    url: i.src.clone(),
                    width: i.width.unwrap_or(0),
                    height: i.height.unwrap_or(0),
                },
            )
        })
        .collect();
    let mut variants = Vec::with_capacity(p.variants.len());
    for v in &p.variants {
        let options = [&v.option1, &v.option2, &v.option3]
            .into_iter()
            .zip(&p.options)
            .filter_map(|(value, opt)| {
                let value = value.as_ref()?;
                // Shopify names a product without options `Title: Default Title`.
                (value != "Default Title").then(|| OptionValue {
                    name: opt.name.clone(),
                    value: value.clone(),
                })
            })
            .collect();
        let image_id = v.image_id.as_ref().map(text);
        variants.push(Variant {
            id: text(&v.id),
            sku: v.sku.clone().unwrap_or_default().trim().to_string(),
            options,
            price: price(&v.price)?,
            unit_cost: v
                .unit_cost
                .as_deref()
                .filter(|c| !c.trim().is_empty())
                .map(price)
                .transpose()?,
            compare_at_price: v
                .compare_at_price
                .as_deref()
                .filter(|c| !c.trim().is_empty())
                .map(price)
                .transpose()?,
            inventory: v.inventory_quantity.unwrap_or(0),
            continue_selling: v.inventory_policy.as_deref() == Some("continue"),
            gtin: v.barcode.clone().filter(|b| !b.trim().is_empty()),
            mpn: None,
            image: image_id.and_then(|id| {
                images
                    .iter()
                    .find(|(iid, _)| iid.as_deref() == Some(id.as_str()))
                    .map(|(_, i)| i.clone())
            }),
            weight: v.grams.filter(|g| *g > 0).map(|g| Weight {
                value: Decimal::new(g, 3),
                unit: "KILOGRAM".into(),
            }),
        });
    }
    let tiktok_category_id = p.tags.as_deref().and_then(|tags| {
        tags.split(',')
            .map(str::trim)
            .find_map(|t| t.strip_prefix("tiktok-category:"))
            .map(str::to_string)
    });
    Ok(Product {
        id: text(&p.id),
        title: p.title.trim().to_string(),
        description: plain_text(p.body_html.as_deref().unwrap_or_default()),
        brand: p.vendor.filter(|v| !v.trim().is_empty()),
        link: format!(
            "{}/products/{}",
            settings.store_url.trim_end_matches('/'),
            p.handle
        ),
        images: images.into_iter().map(|(_, i)| i).collect(),
        variants,
        status: match p.status.as_deref() {
            Some("draft") => ProductStatus::Draft,
            Some("archived") => ProductStatus::Archived,
            _ => ProductStatus::Active,
        },
        tiktok_category_id,
        updated_at: 0,
    })
}

/// Is `url` an absolute `http(s)` address with a host, and nothing a page could run
/// (`javascript:`, `data:`, whitespace or control characters)? Product links and images end up
/// in storefront pages' `href` and `src`.
pub fn web_url(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &url[8..]
    } else if lower.starts_with("http://") {
        &url[7..]
    } else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    !host.is_empty() && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// A product's link and every image are web addresses (see [`web_url`]); the first that is not.
fn unsafe_url(p: &Product) -> Option<String> {
    let link = std::iter::once(("link", p.link.as_str()));
    let images = p
        .images
        .iter()
        .chain(p.variants.iter().filter_map(|v| v.image.as_ref()))
        .map(|i| ("image", i.url.as_str()));
    link.chain(images)
        .find(|(_, u)| !web_url(u))
        .map(|(what, _)| format!("{what} is not an http(s) address"))
}

/// JSON lines of canonical products (blank lines skipped).
pub fn from_json_lines(text: &str) -> Result<Vec<Product>, ImportError> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            let bad = |reason: String| ImportError::Line {
                line: i + 1,
                reason,
            };
            let p: Product = serde_json::from_str(l)
                .map_err(|e| bad(crate::webhook::redacted_json_error(&e)))?;
            match unsafe_url(&p) {
                Some(reason) => Err(bad(reason)),
                None => Ok(p),
            }
        })
        .collect()
}

/// A CSV row: one variant. Rows of one product share `product_id` (product fields are read from
/// its first row).
#[derive(Debug, Deserialize)]
struct Row {
    product_id: String,
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    brand: String,
    link: String,
    #[serde(default)]
    image_url: String,
    #[serde(default)]
    image_width: Option<u32>,
    #[serde(default)]
    image_height: Option<u32>,
    #[serde(default)]
    tiktok_category_id: String,
    variant_id: String,
    sku: String,
    price: String,
    currency: String,
    #[serde(default)]
    inventory: Option<i64>,
    #[serde(default)]
    gtin: String,
    #[serde(default)]
    mpn: String,
    #[serde(default)]
    weight_kg: String,
    #[serde(default)]
    option_name: String,
    #[serde(default)]
    option_value: String,
    /// What one unit costs the brand, in `currency` (for margins; never sent to a channel).
    #[serde(default)]
    cost: String,
}

/// The CSV columns (a header row names them; order is free).
pub const CSV_COLUMNS: [&str; 20] = [
    "product_id",
    "title",
    "description",
    "brand",
    "link",
    "image_url",
    "image_width",
    "image_height",
    "tiktok_category_id",
    "variant_id",
    "sku",
    "price",
    "currency",
    "inventory",
    "gtin",
    "mpn",
    "weight_kg",
    "option_name",
    "option_value",
    "cost",
];

fn opt(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_string())
}

/// CSV with a header row, one variant per row; products in the order they first appear.
pub fn from_csv(text: &str) -> Result<Vec<Product>, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let mut order: Vec<String> = Vec::new();
    let mut products: BTreeMap<String, Product> = BTreeMap::new();
    for (i, rec) in reader.deserialize::<Row>().enumerate() {
        // Line numbers count the header.
        let line = i + 2;
        let bad = |reason: String| ImportError::Line { line, reason };
        let r = rec.map_err(|e| bad(e.to_string()))?;
        let amount = Decimal::from_str(r.price.trim())
            .map_err(|_| bad(format!("price `{}` is not a decimal", r.price)))?;
        let weight = opt(&r.weight_kg)
            .map(|w| {
                Decimal::from_str(&w)
                    .map(|value| Weight {
                        value,
                        unit: "KILOGRAM".into(),
                    })
                    .map_err(|_| bad(format!("weight_kg `{w}` is not a decimal")))
            })
            .transpose()?;
        let unit_cost = opt(&r.cost)
            .map(|c| {
                Decimal::from_str(&c)
                    .ok()
                    .filter(|d| !d.is_sign_negative())
                    .map(|amount| Money {
                        amount,
                        currency: r.currency.trim().to_string(),
                    })
                    .ok_or_else(|| bad(format!("cost `{c}` is not a decimal of at least 0")))
            })
            .transpose()?;
        let variant = Variant {
            id: r.variant_id.clone(),
            sku: r.sku.trim().to_string(),
            options: opt(&r.option_name)
                .zip(opt(&r.option_value))
                .map(|(name, value)| vec![OptionValue { name, value }])
                .unwrap_or_default(),
            price: Money {
                amount,
                currency: r.currency.trim().to_string(),
            },
            unit_cost,
            compare_at_price: None,
            inventory: r.inventory.unwrap_or(0),
            continue_selling: false,
            gtin: opt(&r.gtin),
            mpn: opt(&r.mpn),
            image: None,
            weight,
        };
        if !web_url(&r.link) || opt(&r.image_url).is_some_and(|u| !web_url(&u)) {
            return Err(bad("link and image_url must be http(s) addresses".into()));
        }
        let entry = products.entry(r.product_id.clone()).or_insert_with(|| {
            order.push(r.product_id.clone());
            Product {
                id: r.product_id.clone(),
                title: r.title.clone(),
                description: r.description.clone(),
                brand: opt(&r.brand),
                link: r.link.clone(),
                images: opt(&r.image_url)
                    .map(|url| {
                        vec![Image {
                            url,
                            width: r.image_width.unwrap_or(0),
                            height: r.image_height.unwrap_or(0),
                        }]
                    })
                    .unwrap_or_default(),
                variants: Vec::new(),
                status: ProductStatus::Active,
                tiktok_category_id: opt(&r.tiktok_category_id),
                updated_at: 0,
            }
        });
        entry.variants.push(variant);
    }
    Ok(order
        .into_iter()
        .filter_map(|id| products.remove(&id))
        .collect())
}
