//! The canonical product: what the store says, independent of any channel.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A product of the store, with its variants (sellable units, one SKU each).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    /// The store's product id (Shopify product id, or the import's).
    pub id: String,
    pub title: String,
    /// Plain text (HTML is stripped at import).
    #[serde(default)]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<String>,
    /// The product page.
    pub link: String,
    /// The first is the main image.
    #[serde(default)]
    pub images: Vec<Image>,
    pub variants: Vec<Variant>,
    #[serde(default)]
    pub status: ProductStatus,
    /// The TikTok Shop category (leaf `category_id`), where the store maps one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tiktok_category_id: Option<String>,
    /// Unix seconds of the store's last change.
    #[serde(default)]
    pub updated_at: i64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    #[default]
    Active,
    /// Not for sale: removed from every channel.
    Draft,
    Archived,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    /// The store's variant id.
    pub id: String,
    pub sku: String,
    /// Option values (`Size` → `M`), in the store's order.
    #[serde(default)]
    pub options: Vec<OptionValue>,
    pub price: Money,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compare_at_price: Option<Money>,
    /// What one unit costs the brand (Shopify's `inventoryItem.unitCost`, or the import's `cost`
    /// column): margins are revenue less this × quantity. Never sent to a channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_cost: Option<Money>,
    /// Units available to sell.
    #[serde(default)]
    pub inventory: i64,
    /// Keep selling at zero inventory (`preorder`/`available for order`).
    #[serde(default)]
    pub continue_selling: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gtin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mpn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<Image>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<Weight>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptionValue {
    pub name: String,
    pub value: String,
}

/// An exact amount in an ISO 4217 currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub amount: Decimal,
    pub currency: String,
}

impl Money {
    /// `9.99 USD`: the amount with the currency's two decimals, then the code.
    pub fn meta_format(&self) -> String {
        format!("{} {}", self.amount_2dp(), self.currency)
    }

    /// `quantity` of this amount in hundredths, by the attribution rounding rule (half away
    /// from zero): a unit cost of 3.333 × 3 is 999.9 → 1000.
    pub fn hundredths_times(&self, quantity: i64) -> i64 {
        crate::attribution::payout::round_cents(
            self.amount * Decimal::from(100) * Decimal::from(quantity),
        )
    }

    /// The amount as a decimal string with two places (`"9.90"`).
    pub fn amount_2dp(&self) -> String {
        let mut a = self.amount.round_dp(2);
        a.rescale(2);
        a.to_string()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Image {
    pub url: String,
    #[serde(default)]
    pub width: u32,
    #[serde(default)]
    pub height: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Weight {
    pub value: Decimal,
    /// `KILOGRAM` or `POUND` (TikTok Shop's units).
    pub unit: String,
}

impl Product {
    /// Whether the product is for sale at all (drafts and archived products leave every channel).
    pub fn for_sale(&self) -> bool {
        self.status == ProductStatus::Active
    }
}

impl Variant {
    pub fn in_stock(&self) -> bool {
        self.inventory > 0
    }
}
