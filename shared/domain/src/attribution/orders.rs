//! Orders as the store's verified webhooks report them (Shopify `orders/create`,
//! `orders/cancelled`, `refunds/create`). The attribution token is the cart attribute the widget's
//! host store sets (`note_attributes[reelcart_token]`).

use super::{Order, OrderLine, Refunded};
use rust_decimal::Decimal;
use serde_json::Value;
use std::str::FromStr;
use time::UtcDateTime;
use time::format_description::BorrowedFormatItem;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

/// The cart attribute that carries the widget's attribution token.
pub const TOKEN_ATTRIBUTE: &str = "reelcart_token";

/// `"59.98"` → 5998: hundredths of the currency's unit, read exactly from the decimal text; a
/// third decimal rounds half away from zero (the rounding rule of [`super::model`]).
pub fn cents(amount: &str) -> Option<i64> {
    let d = Decimal::from_str(amount.trim()).ok()?;
    (d * Decimal::from(100))
        .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
        .try_into()
        .ok()
}

fn text(v: &Value) -> Option<String> {
    v.as_str()
        .map(str::to_string)
        .or_else(|| v.as_u64().map(|n| n.to_string()))
        .or_else(|| v.as_i64().map(|n| n.to_string()))
}

/// RFC 3339 as stores write it, a little leniently: `T`, `t` or a space between date and time, an
/// optional fraction, and `Z`/`z`, `±HH:MM`, `±HHMM` or no offset at all (UTC).
const TIMESTAMP: &[BorrowedFormatItem<'_>] = format_description!(
    "[year]-[month]-[day][first [T] [t] [ ]][hour]:[minute]:[second][optional [.[subsecond]]]\
     [first [Z] [z] [[offset_hour sign:mandatory]:[offset_minute]] \
     [[offset_hour sign:mandatory][offset_minute]] []]"
);

/// Unix seconds of an RFC 3339 time (`2026-11-26T07:00:00-05:00`, `…Z`, fractions allowed and
/// dropped). A date that does not exist (`2026-02-31`, `2026-13-01`) is `None`.
pub fn rfc3339(s: &str) -> Option<i64> {
    if !s.starts_with(|c: char| c.is_ascii_digit()) {
        return None; // a four-digit year, unsigned
    }
    UtcDateTime::parse(s, TIMESTAMP)
        // A leap second (`23:59:60` at the end of a month) only the strict format takes.
        .or_else(|_| UtcDateTime::parse(s, &Rfc3339))
        .ok()
        .map(UtcDateTime::unix_timestamp)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrderError {
    #[error("the order has no {0}")]
    Missing(&'static str),
}

/// A Shopify line: net of its discount allocations, without tax. `None` if it lacks its id,
/// price or quantity.
fn shopify_line(l: &Value) -> Option<OrderLine> {
    let price = l["price"].as_str().and_then(cents)?;
    let quantity = l["quantity"].as_i64()?;
    let discounts: i64 = l["discount_allocations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["amount"].as_str().and_then(cents))
        .sum();
    Some(OrderLine {
        id: text(&l["id"])?,
        product_id: text(&l["product_id"]),
        variant_id: text(&l["variant_id"]),
        sku: l["sku"]
            .as_str()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        quantity,
        net_cents: price.checked_mul(quantity)?.checked_sub(discounts)?,
        cost_cents: None,
        product_skus: Vec::new(),
        whole_order: false,
    })
}

/// An order from a Shopify order payload: its lines, each net of its discount allocations, never
/// its tax or shipping. What it credits ([`Order::total_cents`]) is their sum; a payload without
/// usable lines gives its `subtotal_price` (Shopify's "after discounts but before shipping,
/// duties, taxes and tips"), else its `total_price`, as one line of the whole order.
pub fn shopify_order(payload: &Value) -> Result<Order, OrderError> {
    let id = text(&payload["id"]).ok_or(OrderError::Missing("id"))?;
    let lines: Vec<OrderLine> = payload["line_items"]
        .as_array()
        .and_then(|ls| ls.iter().map(shopify_line).collect::<Option<Vec<_>>>())
        .unwrap_or_default();
    let total = if lines.is_empty() {
        payload["subtotal_price"]
            .as_str()
            .and_then(cents)
            .or_else(|| payload["total_price"].as_str().and_then(cents))
            .ok_or(OrderError::Missing("total_price"))?
    } else {
        lines.iter().map(|l| l.net_cents).sum()
    };
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
        lines,
        channel: Some("web".into()),
    })
}

/// A refund line's subtotal (without its tax): the string amount where there is one; REST's
/// `subtotal` is a JSON number, read from its decimal text, never as a float.
fn refund_line_cents(l: &Value) -> Option<i64> {
    l["subtotal_set"]["shop_money"]["amount"]
        .as_str()
        .and_then(cents)
        .or_else(|| match &l["subtotal"] {
            Value::String(s) => cents(s),
            Value::Number(n) => cents(&n.to_string()),
            _ => None,
        })
}

/// `(order id, refund id, what it refunds)` of a Shopify `refunds/create` payload: its
/// `refund_line_items` — each line (`line_item_id`) and its subtotal, without tax; a refund with
/// no lines (shipping alone, an adjustment) takes back nothing of them. A payload without
/// `refund_line_items` at all refunds the sum of its successful refund transactions, over the
/// whole order.
pub fn shopify_refund(payload: &Value) -> Result<(String, String, Refunded), OrderError> {
    let order = text(&payload["order_id"]).ok_or(OrderError::Missing("order_id"))?;
    let refund = text(&payload["id"]).ok_or(OrderError::Missing("id"))?;
    let ids = (format!("shopify:{order}"), format!("refund:{refund}"));
    if let Some(lines) = payload["refund_line_items"].as_array() {
        let lines = lines
            .iter()
            .filter_map(|l| {
                let id = text(&l["line_item_id"]).or_else(|| text(&l["line_item"]["id"]))?;
                Some((id, refund_line_cents(l)?))
            })
            .collect();
        return Ok((ids.0, ids.1, Refunded::Lines(lines)));
    }
    let amount = payload["transactions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|t| t["kind"] == "refund" && t["status"] != "failure" && t["status"] != "error")
        .filter_map(|t| t["amount"].as_str().and_then(cents))
        .sum();
    Ok((ids.0, ids.1, Refunded::Amount(amount)))
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
    fn an_order_credits_its_lines_net_of_discounts_never_tax_or_shipping() {
        let base = json!({"id": 7, "created_at": "2026-11-26T07:00:00Z", "currency": "EUR",
            "total_price": "59.40", "total_tax": "4.40", "subtotal_price": "50.00",
            "shipping_lines": [{"price": "5.00"}],
            "line_items": [
                {"id": 11, "product_id": 100, "variant_id": 1001, "sku": "TEE-M",
                 "price": "30.00", "quantity": 1, "discount_allocations": [{"amount": "3.00"}]},
                {"id": 12, "product_id": 200, "variant_id": 2001, "sku": "",
                 "price": "11.50", "quantity": 2, "discount_allocations": []}]});
        let o = shopify_order(&base).unwrap();
        assert_eq!(o.total_cents, 3000 - 300 + 2 * 1150);
        assert_eq!(o.currency, "EUR");
        let lines: Vec<_> = o
            .lines
            .iter()
            .map(|l| {
                (
                    l.id.as_str(),
                    l.product_id.as_deref(),
                    l.sku.as_deref(),
                    l.quantity,
                    l.net_cents,
                )
            })
            .collect();
        assert_eq!(
            lines,
            [
                ("11", Some("100"), Some("TEE-M"), 1, 2700),
                ("12", Some("200"), None, 2, 2300)
            ]
        );
        // A payload without usable lines: its subtotal, as one line of the whole order.
        let mut reduced = base.clone();
        reduced["line_items"] = json!([{"price": "30.00"}]);
        let o = shopify_order(&reduced).unwrap();
        assert_eq!(
            (o.total_cents, o.lines.len(), o.lines().len()),
            (5000, 0, 1)
        );
        assert!(o.lines()[0].whole_order);
    }

    #[test]
    fn a_refund_names_its_lines_and_their_subtotals_without_tax() {
        let (_, _, what) = shopify_refund(&json!({"id": 1, "order_id": 7,
            "refund_line_items": [
                {"line_item_id": 11, "quantity": 1, "subtotal": 27.0, "total_tax": 2.16,
                 "subtotal_set": {"shop_money": {"amount": "27.00", "currency_code": "USD"}}},
                {"line_item_id": 12, "quantity": 1, "subtotal": 11.5, "total_tax": 0.92}],
            "transactions": [{"kind": "refund", "status": "success", "amount": "41.58"}]}))
        .unwrap();
        assert_eq!(
            what,
            Refunded::Lines(vec![("11".into(), 2700), ("12".into(), 1150)])
        );
        // Shipping refunded alone: none of the credited lines.
        let (_, _, shipping) =
            shopify_refund(&json!({"id": 2, "order_id": 7, "refund_line_items": [],
            "transactions": [{"kind": "refund", "status": "success", "amount": "5.00"}]}))
            .unwrap();
        assert_eq!(shipping, Refunded::Lines(vec![]));
    }

    #[test]
    fn a_refund_without_lines_sums_its_successful_refund_transactions() {
        let (order, refund, amount) =
            shopify_refund(&json!({"id": 509562969, "order_id": 450789469,
            "transactions": [{"kind": "refund", "status": "success", "amount": "10.50"},
                             {"kind": "refund", "status": "failure", "amount": "99.00"},
                             {"kind": "sale", "status": "success", "amount": "1.00"}]}))
            .unwrap();
        assert_eq!(
            (order.as_str(), refund.as_str(), amount),
            (
                "shopify:450789469",
                "refund:509562969",
                Refunded::Amount(1050)
            )
        );
    }

    #[test]
    fn offsets_move_the_instant() {
        // 07:00 UTC, written in four zones.
        for s in [
            "2026-11-26T02:00:00-05:00",
            "2026-11-26T02:00:00-0500",
            "2026-11-26T12:30:00+05:30",
            "2026-11-26T06:30:00-00:30",
            "2026-11-26T07:00:00+00:00",
            "2026-11-26T07:00:00-00:00",
            "2026-11-27T06:00:00+23:00",
        ] {
            assert_eq!(rfc3339(s), Some(1_795_676_400), "{s}");
        }
        // An offset that crosses a day, a month and a year.
        assert_eq!(
            rfc3339("2026-12-31T20:00:00-05:00"),
            rfc3339("2027-01-01T01:00:00Z")
        );
        assert_eq!(
            rfc3339("2024-03-01T01:00:00+02:00"),
            rfc3339("2024-02-29T23:00:00Z")
        );
        for bad in [
            "2026-11-26T07:00:00+5:00",
            "2026-11-26T07:00:00+05",
            "2026-11-26T07:00:00 +05:00",
            "2026-11-26T07:00:00+05:60",
            "2026-11-26T07:00:00Zjunk",
        ] {
            assert_eq!(rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn impossible_dates_are_not_times() {
        for bad in [
            "2026-02-31T00:00:00Z",
            "2026-02-29T12:00:00Z",
            "2023-02-29T12:00:00Z",
            "2100-02-29T12:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-00-10T00:00:00Z",
            "2026-11-00T00:00:00Z",
            "2026-11-26T24:00:00Z",
            "2026-11-26T07:60:00Z",
            "2026-11-26T07:00:61Z",
            "2026-11-26T07:00:60Z", // not the end of a month: no leap second
            "+2026-11-26T07:00:00Z",
            "2026-11-26",
            "",
        ] {
            assert_eq!(rfc3339(bad), None, "{bad}");
        }
        assert_eq!(rfc3339("2024-02-29T12:00:00Z"), Some(1_709_208_000));
        assert_eq!(rfc3339("2000-02-29T00:00:00Z"), Some(951_782_400));
        assert_eq!(
            rfc3339("2024-02-29T23:00:00-01:00"),
            Some(1_709_251_200),
            "2024-03-01T00:00:00Z"
        );
        // A leap second is the instant before the next second (RFC 3339 allows `:60`).
        assert_eq!(rfc3339("2016-12-31T23:59:60Z"), Some(1_483_228_799));
    }

    #[test]
    fn times_and_amounts() {
        assert_eq!(rfc3339("2026-11-26T07:00:00.123Z"), Some(1_795_676_400));
        assert_eq!(rfc3339("2026-11-26 07:00:00+00:00"), Some(1_795_676_400));
        assert_eq!(rfc3339("26/11/2026"), None);
        assert_eq!(rfc3339("2026-11-26T07:00:00Z"), Some(1_795_676_400));
        assert_eq!(rfc3339("2026-11-26T07:00:00z"), Some(1_795_676_400));
        assert_eq!(rfc3339("2026-11-26T07:00:00"), Some(1_795_676_400));
        assert_eq!(rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(rfc3339("1969-12-31T23:59:59.5Z"), Some(-1));
        assert_eq!(cents("0.1"), Some(10));
        assert_eq!(cents("19.995"), Some(2000));
        // Half away from zero, not to even.
        assert_eq!(cents("0.125"), Some(13));
        assert_eq!(cents("-0.125"), Some(-13));
        assert_eq!(cents("abc"), None);
    }
}
