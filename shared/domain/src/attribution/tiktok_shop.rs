//! TikTok Shop orders (spec §12): the order as Get Order Detail reports it, credited from what
//! Search Seller Affiliate Orders says of it — each affiliate SKU names the creator
//! (`creator_username`) and the content (`content_id`: the video or live) that sold it. The
//! creator is the Reelcart creator whose TikTok handle it is; the content is Reelcart's item of
//! that TikTok video, if it was ingested. TikTok Shop orders carry no cart token, so no touch of
//! the storefront credits them, and they are reported apart (placement `tiktok_shop`).

use super::model::{Credit, Order, OrderLine, Via};
use super::orders::{OrderError, cents};
use serde_json::Value;

/// Where TikTok Shop orders are reported (their placement and channel).
pub const CHANNEL: &str = "tiktok_shop";

fn text(v: &Value) -> Option<String> {
    v.as_str()
        .map(str::to_string)
        .or_else(|| v.as_u64().map(|n| n.to_string()))
        .filter(|s| !s.is_empty())
}

/// Statuses of a paid order (the API's; the webhook writes `CANCEL` for `CANCELLED`).
pub fn is_paid(status: &str) -> bool {
    matches!(
        status,
        "AWAITING_SHIPMENT"
            | "PARTIALLY_SHIPPING"
            | "AWAITING_COLLECTION"
            | "IN_TRANSIT"
            | "DELIVERED"
            | "COMPLETED"
    )
}

pub fn is_cancelled(status: &str) -> bool {
    matches!(status, "CANCELLED" | "CANCEL")
}

/// An order of Get Order Detail (`data.orders[]`). Each line item is one unit (the API has no
/// quantity); its revenue is its `sale_price` — after the seller's discount, before tax and
/// shipping (the platform's discount is TikTok's to pay, not the buyer's saving at the brand's
/// cost).
pub fn tiktok_shop_order(o: &Value) -> Result<Order, OrderError> {
    let id = text(&o["id"]).ok_or(OrderError::Missing("id"))?;
    let placed_at = o["create_time"]
        .as_i64()
        .ok_or(OrderError::Missing("create_time"))?;
    let currency = o["payment"]["currency"]
        .as_str()
        .ok_or(OrderError::Missing("payment.currency"))?
        .to_string();
    let mut lines = Vec::new();
    for li in o["line_items"].as_array().into_iter().flatten() {
        if li["is_gift"].as_bool() == Some(true) {
            continue;
        }
        lines.push(OrderLine {
            id: text(&li["id"]).ok_or(OrderError::Missing("line_items[].id"))?,
            product_id: text(&li["product_id"]),
            variant_id: text(&li["sku_id"]),
            sku: text(&li["seller_sku"]),
            quantity: 1,
            net_cents: li["sale_price"]
                .as_str()
                .and_then(cents)
                .ok_or(OrderError::Missing("line_items[].sale_price"))?,
            cost_cents: None,
            product_skus: Vec::new(),
            whole_order: false,
        });
    }
    Ok(Order {
        id: format!("tiktok_shop:{id}"),
        placed_at,
        total_cents: lines.iter().map(|l| l.net_cents).sum(),
        currency,
        token: None,
        discount_codes: Vec::new(),
        lines,
        channel: Some(CHANNEL.into()),
    })
}

/// Who an affiliate SKU names, as Reelcart knows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Affiliate {
    /// The TikTok Shop product id.
    pub product_id: String,
    pub quantity: i64,
    pub creator_username: String,
    /// The Reelcart creator with that TikTok handle, if any.
    pub creator_id: Option<String>,
    pub content_id: Option<String>,
    /// Reelcart's item of that content, if it was ingested.
    pub ugc_id: Option<String>,
    pub campaign: Option<String>,
}

/// What `shop-orders` adds to an affiliate SKU: the Reelcart creator with the SKU's TikTok handle,
/// and Reelcart's item of its video (the public collector reads neither the creators nor the
/// content table for it).
pub const RESOLVED_CREATOR: &str = "reelcart_creator_id";
pub const RESOLVED_CONTENT: &str = "reelcart_ugc_id";

/// The affiliate SKUs of Search Seller Affiliate Orders (`orders[].skus[]`), with what
/// `shop-orders` resolved of them.
pub fn affiliate_skus(skus: &[Value]) -> Vec<Affiliate> {
    skus.iter()
        .filter_map(|s| {
            Some(Affiliate {
                product_id: text(&s["product_id"])?,
                quantity: s["quantity"].as_i64().unwrap_or(1).max(0)
                    - s["refunded_quantity"].as_i64().unwrap_or(0).max(0)
                    - s["returned_quantity"].as_i64().unwrap_or(0).max(0),
                creator_username: text(&s["creator_username"])?
                    .trim_start_matches('@')
                    .to_lowercase(),
                creator_id: text(&s[RESOLVED_CREATOR]),
                content_id: text(&s["content_id"]),
                ugc_id: text(&s[RESOLVED_CONTENT]),
                campaign: text(&s["campaign_id"]),
            })
        })
        .collect()
}

/// The credits of a TikTok Shop order: each affiliate SKU takes up to its quantity of the order's
/// lines of its product; a creator Reelcart does not know is credited to nobody.
pub fn affiliate_credits(order: &Order, affiliates: &[Affiliate]) -> Vec<Credit> {
    let mut taken = vec![false; order.lines.len()];
    let mut credits = Vec::new();
    for a in affiliates {
        let Some(creator) = &a.creator_id else {
            continue;
        };
        let mut left = a.quantity;
        for (i, line) in order.lines.iter().enumerate() {
            if left <= 0 {
                break;
            }
            if taken[i] || line.product_id.as_deref() != Some(a.product_id.as_str()) {
                continue;
            }
            taken[i] = true;
            left -= line.quantity;
            credits.push(Credit {
                ugc_id: a.ugc_id.clone(),
                creator_id: Some(creator.clone()),
                platform: Some("tiktok".into()),
                placement: CHANNEL.into(),
                campaign: a.campaign.clone(),
                line_id: line.id.clone(),
                orders_milli: 0,
                revenue_cents: line.net_cents,
                cost_cents: line.cost_cents,
                via: Via::Affiliate {
                    creator_username: a.creator_username.clone(),
                    content_id: a.content_id.clone(),
                },
            });
        }
    }
    super::model::share_the_order(order, &mut credits);
    credits
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn an_affiliate_sale_credits_its_creators_lines_and_nobody_elses() {
        let detail = json!({"id": "5760000000000001", "status": "AWAITING_SHIPMENT", "create_time": 1_795_676_400,
            "payment": {"currency": "GBP", "sub_total": "43.00"},
            "line_items": [
                {"id": "li1", "product_id": "tp1", "sku_id": "ts1", "seller_sku": "TEE-M", "sale_price": "18.00"},
                {"id": "li2", "product_id": "tp1", "sku_id": "ts1", "seller_sku": "TEE-M", "sale_price": "18.00"},
                {"id": "li3", "product_id": "tp2", "sku_id": "ts2", "seller_sku": "MUG", "sale_price": "7.00"},
                {"id": "li4", "product_id": "tp3", "sku_id": "ts3", "sale_price": "0.00", "is_gift": true}]});
        let order = tiktok_shop_order(&detail).unwrap();
        assert_eq!(
            (
                order.id.as_str(),
                order.total_cents,
                order.currency.as_str(),
                order.lines.len()
            ),
            ("tiktok_shop:5760000000000001", 4300, "GBP", 3)
        );
        let mut aff = affiliate_skus(&[
            json!({"product_id": "tp1", "quantity": 2, "creator_username": "@Maya.Makes", "content_type": "VIDEO", "content_id": "7300000000000000001", "campaign_id": "c9"}),
            json!({"product_id": "tp2", "quantity": 1, "creator_username": "stranger", "content_type": "LIVE"}),
        ]);
        assert_eq!(aff[0].creator_username, "maya.makes");
        aff[0].creator_id = Some("cr_maya".into());
        aff[0].ugc_id = Some("ugc_tiktok_1".into());
        let credits = affiliate_credits(&order, &aff);
        assert_eq!(
            credits
                .iter()
                .map(|c| (c.line_id.as_str(), c.revenue_cents))
                .collect::<Vec<_>>(),
            [("li1", 1800), ("li2", 1800)]
        );
        assert!(
            credits
                .iter()
                .all(|c| c.placement == CHANNEL && c.ugc_id.as_deref() == Some("ugc_tiktok_1"))
        );
        // 36.00 of 43.00 of the order.
        assert_eq!(credits.iter().map(|c| c.orders_milli).sum::<i64>(), 837);
        assert!(is_paid("AWAITING_SHIPMENT") && !is_paid("UNPAID") && is_cancelled("CANCEL"));
    }
}
