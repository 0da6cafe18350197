//! Orders as the store's verified webhooks report them (Shopify `orders/create`,
//! `orders/cancelled`, `refunds/create`). The attribution token is the cart attribute the widget's
//! host store sets (`note_attributes[reelcart_token]`).

use super::Order;
use rust_decimal::Decimal;
use serde_json::Value;
use std::str::FromStr;

/// The cart attribute that carries the widget's attribution token.
pub const TOKEN_ATTRIBUTE: &str = "reelcart_token";

/// `"59.98"` → 5998.
pub fn cents(amount: &str) -> Option<i64> {
    let d = Decimal::from_str(amount.trim()).ok()?;
    (d * Decimal::from(100)).round().try_into().ok()
}

fn text(v: &Value) -> Option<String> {
    v.as_str()
        .map(str::to_string)
        .or_else(|| v.as_u64().map(|n| n.to_string()))
        .or_else(|| v.as_i64().map(|n| n.to_string()))
}

/// Unix seconds of an RFC 3339 time (`2026-11-26T07:00:00-05:00`, `…Z`, fractions allowed).
pub fn rfc3339(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || (b[10] != b'T' && b[10] != b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        rest = frac.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    let offset = match rest {
        "" | "Z" | "z" => 0,
        o => {
            let sign = match o.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let o = o[1..].replace(':', "");
            sign * (o.get(0..2)?.parse::<i64>().ok()? * 3600
                + o.get(2..4)?.parse::<i64>().ok()? * 60)
        }
    };
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some((era * 146_097 + doe - 719_468) * 86_400 + hh * 3600 + mm * 60 + ss - offset)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    #[error("the order has no {0}")]
    Missing(&'static str),
}

/// An order from a Shopify order payload.
pub fn shopify_order(payload: &Value) -> Result<Order, OrderError> {
    let id = text(&payload["id"]).ok_or(OrderError::Missing("id"))?;
    let total = payload["total_price"]
        .as_str()
        .and_then(cents)
        .ok_or(OrderError::Missing("total_price"))?;
    let placed_at = payload["created_at"]
        .as_str()
        .or_else(|| payload["processed_at"].as_str())
        .and_then(rfc3339)
        .ok_or(OrderError::Missing("created_at"))?;
    let token = payload["note_attributes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["name"] == TOKEN_ATTRIBUTE)
        .and_then(|a| a["value"].as_str())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty());
    let discount_codes = payload["discount_codes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["code"].as_str().map(str::to_string))
        .collect();
    Ok(Order {
        id: format!("shopify:{id}"),
        placed_at,
        total_cents: total,
        currency: payload["currency"].as_str().unwrap_or("USD").to_string(),
        token,
        discount_codes,
    })
}

/// `(order id, refund id, amount in cents)` of a Shopify `refunds/create` payload: the sum of its
/// successful refund transactions.
pub fn shopify_refund(payload: &Value) -> Result<(String, String, i64), OrderError> {
    let order = text(&payload["order_id"]).ok_or(OrderError::Missing("order_id"))?;
    let refund = text(&payload["id"]).ok_or(OrderError::Missing("id"))?;
    let amount = payload["transactions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["kind"] == "refund" && t["status"] != "failure" && t["status"] != "error")
        .filter_map(|t| t["amount"].as_str().and_then(cents))
        .sum();
    Ok((
        format!("shopify:{order}"),
        format!("refund:{refund}"),
        amount,
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn a_shopify_order_with_its_token_and_codes() {
        let o = shopify_order(&json!({"id": 820982911946154508u64, "created_at": "2026-11-26T02:00:00-05:00",
            "total_price": "59.98", "currency": "USD",
            "note_attributes": [{"name": "gift", "value": "no"}, {"name": "reelcart_token", "value": "s_abc"}],
            "discount_codes": [{"code": "MAYA10", "amount": "6.00", "type": "percentage"}]}))
        .unwrap();
        assert_eq!(o.id, "shopify:820982911946154508");
        assert_eq!(o.total_cents, 5998);
        assert_eq!(o.placed_at, 1_795_676_400);
        assert_eq!(o.token.as_deref(), Some("s_abc"));
        assert_eq!(o.discount_codes, ["MAYA10"]);
        assert!(shopify_order(&json!({"id": 1, "created_at": "2026-11-26T07:00:00Z"})).is_err());
    }

    #[test]
    fn a_refund_sums_its_successful_refund_transactions() {
        let (order, refund, amount) =
            shopify_refund(&json!({"id": 509562969, "order_id": 450789469,
            "transactions": [{"kind": "refund", "status": "success", "amount": "10.50"},
                             {"kind": "refund", "status": "failure", "amount": "99.00"},
                             {"kind": "sale", "status": "success", "amount": "1.00"}]}))
            .unwrap();
        assert_eq!(
            (order.as_str(), refund.as_str(), amount),
            ("shopify:450789469", "refund:509562969", 1050)
        );
    }

    #[test]
    fn times_and_amounts() {
        assert_eq!(rfc3339("2026-11-26T07:00:00.123Z"), Some(1_795_676_400));
        assert_eq!(rfc3339("2026-11-26 07:00:00+00:00"), Some(1_795_676_400));
        assert_eq!(rfc3339("26/11/2026"), None);
        assert_eq!(cents("0.1"), Some(10));
        assert_eq!(cents("19.995"), Some(2000));
        assert_eq!(cents("abc"), None);
    }
}
