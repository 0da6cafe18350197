//! TikTok Shop products (API 202309): one product per store product, its variants as SKUs;
//! validated against TikTok Shop's rules. The projection splits into the content (everything but
//! prices and stock), the prices and the stock, so a change to only prices or only stock can use
//! the dedicated endpoints.

use super::gtin;
use super::meta::gtin_problem;
use super::{Problem, Product, Projection, chars, is_web_url};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

pub const MIN_IMAGE_PX: u32 = 300;
pub const MAX_IMAGE_PX: u32 = 4000;
pub const MAX_SKUS: usize = 300;
pub const MAX_SALES_ATTRIBUTES: usize = 3;
pub const MAX_SELLER_SKU: usize = 50;

/// Regions where a title may be as short as 1 character (25 elsewhere).
pub const SHORT_TITLE_REGIONS: [&str; 8] = ["US", "GB", "DE", "ES", "FR", "IE", "IT", "JP"];

/// The shop's rules that depend on where it sells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// ISO 3166 region of the shop (`US`, `GB`, `ID`, ...).
    pub region: String,
    /// The warehouse stock is reported for.
    pub warehouse_id: String,
}

impl Rules {
    pub fn min_title(&self) -> usize {
        let r = self.region.to_ascii_uppercase();
        // TikTok names the United Kingdom `UK` in places; both are accepted.
        if SHORT_TITLE_REGIONS.contains(&r.as_str()) || r == "UK" {
            1
        } else {
            25
        }
    }
}

/// The product as TikTok Shop takes it, minus what sync adds (uploaded image URIs, remote ids).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TiktokProduct {
    pub content: Content,
    /// seller_sku → price.
    pub prices: BTreeMap<String, Price>,
    /// seller_sku → quantity in the rules' warehouse.
    pub inventory: BTreeMap<String, i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Content {
    pub title: String,
    pub description: String,
    pub category_id: String,
    /// Source URLs of the main images (uploaded to TikTok Shop before a create or update).
    pub main_images: Vec<String>,
    pub package_weight: PackageWeight,
    pub skus: Vec<SkuContent>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkuContent {
    pub seller_sku: String,
    pub sales_attributes: Vec<SalesAttribute>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gtin: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SalesAttribute {
    pub name: String,
    pub value_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Price {
    /// Decimal string (`"19.90"`).
    pub amount: String,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageWeight {
    pub value: String,
    pub unit: String,
}

/// The product for a shop with `rules`, or every reason it cannot be sent.
pub fn project(p: &Product, rules: &Rules) -> Projection<TiktokProduct> {
    let mut problems = Vec::new();
    let n = chars(p.title.trim());
    let min = rules.min_title();
    if n < min || n > 255 {
        problems.push(Problem::new(
            "title",
            "length",
            format!(
                "title has {n} characters; TikTok Shop in {} takes {min}–255",
                rules.region
            ),
        ));
    }
    if p.description.trim().is_empty() {
        problems.push(Problem::new(
            "description",
            "missing",
            "description is empty",
        ));
    }
    let category = p.tiktok_category_id.clone().unwrap_or_default();
    if category.trim().is_empty() {
        problems.push(Problem::new(
            "category_id",
            "missing",
            "no TikTok Shop category is mapped for this product",
        ));
    }
    if p.images.is_empty() {
        problems.push(Problem::new(
            "main_images",
            "missing",
            "the product has no image",
        ));
    }
    for (i, img) in p.images.iter().enumerate().take(9) {
        let field = format!("main_images[{i}]");
        if !is_web_url(&img.url) {
            problems.push(Problem::new(
                &field,
                "not_a_url",
                "image must be an http(s) URL",
            ));
        }
        let ok = |d: u32| (MIN_IMAGE_PX..=MAX_IMAGE_PX).contains(&d);
        if !ok(img.width) || !ok(img.height) {
            problems.push(Problem::new(
                &field,
                "image_size",
                format!(
                    "image is {}×{}; TikTok Shop takes {MIN_IMAGE_PX}–{MAX_IMAGE_PX} px per side",
                    img.width, img.height
                ),
            ));
        }
    }
    // The package weight is the heaviest variant's (TikTok Shop has one per product).
    let weight = p
        .variants
        .iter()
        .filter_map(|v| v.weight.as_ref())
        .max_by(|a, b| a.value.cmp(&b.value));
    if weight.is_none_or(|w| w.value.is_sign_negative() || w.value.is_zero()) {
        problems.push(Problem::new(
            "package_weight",
            "missing",
            "a package weight is required (set a weight on the variants)",
        ));
    }
    if p.variants.is_empty() {
        problems.push(Problem::new(
            "skus",
            "missing",
            "the product has no variant",
        ));
    }
    if p.variants.len() > MAX_SKUS {
        problems.push(Problem::new(
            "skus",
            "too_many",
            format!(
                "{} SKUs; TikTok Shop takes at most {MAX_SKUS}",
                p.variants.len()
            ),
        ));
    }
    let attribute_names: BTreeSet<&str> = p
        .variants
        .iter()
        .flat_map(|v| v.options.iter().map(|o| o.name.as_str()))
        .collect();
    if attribute_names.len() > MAX_SALES_ATTRIBUTES {
        problems.push(Problem::new(
            "skus.sales_attributes",
            "too_many",
            format!(
                "{} sales attribute types; TikTok Shop takes at most {MAX_SALES_ATTRIBUTES}",
                attribute_names.len()
            ),
        ));
    }
    let mut seen = BTreeSet::new();
    for (i, v) in p.variants.iter().enumerate() {
        let field = format!("skus[{i}].seller_sku");
        if v.sku.is_empty() {
            problems.push(Problem::new(&field, "missing", "the variant has no SKU"));
        } else if chars(&v.sku) > MAX_SELLER_SKU {
            problems.push(Problem::new(
                &field,
                "too_long",
                format!("seller_sku is over {MAX_SELLER_SKU} characters"),
            ));
        } else if v.sku.contains(char::is_whitespace) {
            problems.push(Problem::new(
                &field,
                "whitespace",
                "seller_sku may not contain spaces",
            ));
        } else if !seen.insert(v.sku.as_str()) {
            problems.push(Problem::new(
                &field,
                "duplicate",
                "seller_sku repeats in this product",
            ));
        }
        if v.price.amount.is_sign_negative() || v.price.amount.is_zero() {
            problems.push(Problem::new(
                format!("skus[{i}].price"),
                "not_positive",
                "price must be above zero",
            ));
        }
        if let Some(g) = v.gtin.as_deref().filter(|g| !g.trim().is_empty())
            && let Err(e) = gtin::validate(g.trim())
        {
            problems.push(gtin_problem(&format!("skus[{i}].gtin"), e));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let (weight_value, weight_unit) = weight
        .map(|w| (w.value.normalize().to_string(), w.unit.clone()))
        .unwrap_or_default();
    Ok(TiktokProduct {
        content: Content {
            title: p.title.trim().to_string(),
            description: p.description.clone(),
            category_id: category,
            main_images: p.images.iter().take(9).map(|i| i.url.clone()).collect(),
            package_weight: PackageWeight {
                value: weight_value,
                unit: weight_unit,
            },
            skus: p
                .variants
                .iter()
                .map(|v| SkuContent {
                    seller_sku: v.sku.clone(),
                    sales_attributes: v
                        .options
                        .iter()
                        .map(|o| SalesAttribute {
                            name: o.name.clone(),
                            value_name: o.value.clone(),
                        })
                        .collect(),
                    gtin: v.gtin.clone().filter(|g| !g.trim().is_empty()),
                })
                .collect(),
        },
        prices: p
            .variants
            .iter()
            .map(|v| {
                (
                    v.sku.clone(),
                    Price {
                        amount: v.price.amount_2dp(),
                        currency: v.price.currency.clone(),
                    },
                )
            })
            .collect(),
        inventory: p
            .variants
            .iter()
            .map(|v| (v.sku.clone(), v.inventory.max(0)))
            .collect(),
    })
}

/// The product's hashes: content, prices and stock apart.
pub fn hashes(p: &TiktokProduct) -> super::diff::Hashes {
    super::diff::Hashes {
        content: super::content_hash(&p.content),
        price: Some(super::content_hash(&p.prices)),
        inventory: Some(super::content_hash(&p.inventory)),
    }
}
