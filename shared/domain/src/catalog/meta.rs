//! Meta catalog items (Catalog Batch API, `item_type=PRODUCT_ITEM`): one item per variant, grouped
//! by product; validated against Meta's field rules before anything is sent.

use super::gtin::{self, GtinError};
use super::{Problem, Product, Projection, Variant, chars, is_web_url};
use serde::{Deserialize, Serialize};

/// Meta's recommended minimum image size.
pub const MIN_IMAGE_PX: u32 = 500;
/// `additional_image_link` holds at most this many.
pub const MAX_ADDITIONAL_IMAGES: usize = 10;

/// One catalog item, as `items_batch` takes it in `data`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetaItem {
    /// The retailer id (the variant's SKU): the pixel's `content_id`.
    pub id: String,
    pub item_group_id: String,
    pub title: String,
    pub description: String,
    pub availability: String,
    pub condition: String,
    /// `9.99 USD`.
    pub price: String,
    pub link: String,
    pub image_link: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub additional_image_link: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gtin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mpn: Option<String>,
    pub inventory: i64,
}

fn availability(v: &Variant) -> &'static str {
    if v.in_stock() {
        "in stock"
    } else if v.continue_selling {
        "available for order"
    } else {
        "out of stock"
    }
}

/// The items of `product` (one per variant), each valid or with every reason it is not.
pub fn project(product: &Product) -> Vec<(String, Projection<MetaItem>)> {
    product
        .variants
        .iter()
        .map(|v| (v.sku.clone(), project_variant(product, v)))
        .collect()
}

fn project_variant(p: &Product, v: &Variant) -> Projection<MetaItem> {
    let mut problems = Vec::new();
    let image = v.image.as_ref().or(p.images.first());
    let title = if v.options.is_empty() {
        p.title.clone()
    } else {
        let opts: Vec<&str> = v.options.iter().map(|o| o.value.as_str()).collect();
        format!("{} - {}", p.title, opts.join(" / "))
    };
    if v.sku.trim().is_empty() {
        problems.push(Problem::new("id", "missing", "the variant has no SKU"));
    } else if chars(&v.sku) > 100 {
        problems.push(Problem::new("id", "too_long", "id is over 100 characters"));
    }
    if p.title.trim().is_empty() {
        problems.push(Problem::new("title", "missing", "title is empty"));
    } else if chars(&title) > 200 {
        problems.push(Problem::new(
            "title",
            "too_long",
            "title is over 200 characters",
        ));
    }
    if p.description.trim().is_empty() {
        problems.push(Problem::new(
            "description",
            "missing",
            "description is empty",
        ));
    } else if chars(&p.description) > 9999 {
        problems.push(Problem::new(
            "description",
            "too_long",
            "description is over 9999 characters",
        ));
    }
    if v.price.amount.is_sign_negative() || v.price.amount.is_zero() {
        problems.push(Problem::new(
            "price",
            "not_positive",
            "price must be above zero",
        ));
    }
    if !(v.price.currency.len() == 3 && v.price.currency.bytes().all(|b| b.is_ascii_uppercase())) {
        problems.push(Problem::new(
            "price",
            "currency",
            "currency must be an ISO 4217 code (e.g. USD)",
        ));
    }
    if !is_web_url(&p.link) {
        problems.push(Problem::new(
            "link",
            "not_a_url",
            "link must be an absolute http(s) URL",
        ));
    }
    match image {
        None => problems.push(Problem::new(
            "image_link",
            "missing",
            "the product has no image",
        )),
        Some(img) => {
            if !is_web_url(&img.url) {
                problems.push(Problem::new(
                    "image_link",
                    "not_a_url",
                    "image_link must be an absolute http(s) URL",
                ));
            }
            if img.width < MIN_IMAGE_PX || img.height < MIN_IMAGE_PX {
                problems.push(Problem::new(
                    "image_link",
                    "image_too_small",
                    format!(
                        "image is {}×{}; Meta wants at least {MIN_IMAGE_PX}×{MIN_IMAGE_PX}",
                        img.width, img.height
                    ),
                ));
            }
        }
    }
    let brand = p.brand.clone().filter(|b| !b.trim().is_empty());
    let mpn = v.mpn.clone().filter(|m| !m.trim().is_empty());
    match v.gtin.as_deref().filter(|g| !g.trim().is_empty()) {
        Some(g) => {
            if let Err(e) = gtin::validate(g.trim()) {
                problems.push(gtin_problem("gtin", e));
            }
        }
        None if mpn.is_some() && brand.is_some() => {}
        None => problems.push(Problem::new(
            "gtin",
            "identifier_missing",
            "a GTIN, or an MPN and a brand, is required",
        )),
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let additional = p
        .images
        .iter()
        .filter(|i| Some(*i) != image)
        .map(|i| i.url.clone())
        .take(MAX_ADDITIONAL_IMAGES)
        .collect();
    Ok(MetaItem {
        id: v.sku.clone(),
        item_group_id: p.id.clone(),
        title,
        description: p.description.clone(),
        availability: availability(v).to_string(),
        condition: "new".into(),
        price: v.price.meta_format(),
        link: p.link.clone(),
        image_link: image.map(|i| i.url.clone()).unwrap_or_default(),
        additional_image_link: additional,
        brand,
        gtin: v
            .gtin
            .as_deref()
            .map(str::trim)
            .filter(|g| !g.is_empty())
            .map(str::to_string),
        mpn,
        inventory: v.inventory.max(0),
    })
}

pub(crate) fn gtin_problem(field: &str, e: GtinError) -> Problem {
    match e {
        GtinError::NotDigits => Problem::new(field, "gtin_not_digits", "GTIN must be digits only"),
        GtinError::Length(n) => Problem::new(
            field,
            "gtin_length",
            format!("GTIN has {n} digits; it must have 8, 12, 13 or 14"),
        ),
        GtinError::CheckDigit { expected, found } => Problem::new(
            field,
            "gtin_check_digit",
            format!("GTIN check digit is {found}; GS1 mod-10 gives {expected}"),
        ),
    }
}

/// The item's hash (Meta has no price- or stock-only update: everything is content).
pub fn hashes(item: &MetaItem) -> super::diff::Hashes {
    super::diff::Hashes {
        content: super::content_hash(item),
        price: None,
        inventory: None,
    }
}
