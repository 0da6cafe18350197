//! Platform simulator: signs deliveries exactly as each platform does (spec/platforms.md §1), for
//! the demo, the end-to-end tests and anyone poking the local stack by hand.

use crate::seed;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use reelcart_domain::webhook::{StandardKey, sign_hex};

/// A signed delivery, ready to POST.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

fn b64_of_hex(hex_sig: &str) -> String {
    B64.encode(hex::decode(hex_sig).unwrap_or_default())
}

pub fn shopify(secret: &str, shop: &str, topic: &str, event_id: &str, body: &str) -> Delivery {
    Delivery {
        path: "/webhooks/shopify".into(),
        headers: vec![
            ("X-Shopify-Topic".into(), topic.into()),
            (
                "X-Shopify-Hmac-Sha256".into(),
                b64_of_hex(&sign_hex(secret.as_bytes(), &[body.as_bytes()])),
            ),
            ("X-Shopify-Shop-Domain".into(), shop.into()),
            ("X-Shopify-Event-Id".into(), event_id.into()),
            (
                "X-Shopify-Webhook-Id".into(),
                format!("{event_id}-delivery"),
            ),
        ],
        body: body.into(),
    }
}

pub fn tiktok_shop(app_key: &str, secret: &str, body: &str) -> Delivery {
    Delivery {
        path: "/webhooks/tiktok-shop".into(),
        headers: vec![(
            "Authorization".into(),
            sign_hex(secret.as_bytes(), &[app_key.as_bytes(), body.as_bytes()]),
        )],
        body: body.into(),
    }
}

/// Meta's deauthorize callback (Facebook Login; `instagram` for Instagram Login): a form with a
/// `signed_request` = base64url(HMAC-SHA256(app secret, payload part)) "." base64url(payload).
pub fn meta_deauthorize(secret: &str, user_id: &str, issued_at: i64, instagram: bool) -> Delivery {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let payload =
        serde_json::json!({"algorithm": "HMAC-SHA256", "issued_at": issued_at, "user_id": user_id});
    let part = URL_SAFE_NO_PAD.encode(payload.to_string());
    let sig = URL_SAFE_NO_PAD
        .encode(hex::decode(sign_hex(secret.as_bytes(), &[part.as_bytes()])).unwrap_or_default());
    let which = if instagram { "instagram" } else { "meta" };
    Delivery {
        path: format!("/webhooks/{which}/deauthorize"),
        headers: vec![(
            "Content-Type".into(),
            "application/x-www-form-urlencoded".into(),
        )],
        body: format!("signed_request={sig}.{part}"),
    }
}

pub fn tiktok(secret: &str, t: i64, body: &str) -> Delivery {
    let ts = t.to_string();
    let sig = sign_hex(secret.as_bytes(), &[ts.as_bytes(), b".", body.as_bytes()]);
    Delivery {
        path: "/webhooks/tiktok".into(),
        headers: vec![("TikTok-Signature".into(), format!("t={ts},s={sig}"))],
        body: body.into(),
    }
}

pub fn meta(secret: &str, body: &str) -> Delivery {
    Delivery {
        path: "/webhooks/meta".into(),
        headers: vec![(
            "X-Hub-Signature-256".into(),
            format!("sha256={}", sign_hex(secret.as_bytes(), &[body.as_bytes()])),
        )],
        body: body.into(),
    }
}

pub fn standard(source: &str, whsec: &str, id: &str, t: i64, body: &str) -> Delivery {
    let ts = t.to_string();
    let key = StandardKey::parse(whsec);
    let sig = key
        .map(|k| {
            sign_hex(
                k.bytes(),
                &[id.as_bytes(), b".", ts.as_bytes(), b".", body.as_bytes()],
            )
        })
        .unwrap_or_default();
    Delivery {
        path: format!("/webhooks/standard/{source}"),
        headers: vec![
            ("webhook-id".into(), id.into()),
            ("webhook-timestamp".into(), ts),
            (
                "webhook-signature".into(),
                format!("v1,{}", b64_of_hex(&sig)),
            ),
        ],
        body: body.into(),
    }
}

/// The `n`-th distinct sample event (cycling through every platform), signed with the demo
/// secrets at time `now`. `tag` keeps ids unique across runs.
pub fn sample(n: usize, tag: &str, now: i64) -> Delivery {
    let demo_standard = seed::DEMO_STANDARD_WEBHOOK_SECRETS
        .split_once('=')
        .map(|(_, s)| s)
        .unwrap_or_default();
    match n % 5 {
        0 => shopify(
            seed::DEMO_SHOPIFY_WEBHOOK_SECRET,
            "reelcart-demo.myshopify.com",
            "orders/create",
            &format!("{tag}-order-{n}"),
            &format!(
                r#"{{"id":{},"total_price":"59.98","currency":"USD","line_items":[{{"sku":"TEE-BLK-M","quantity":2,"price":"29.99"}}]}}"#,
                820_982_911_946_154_508u64 + n as u64
            ),
        ),
        1 => tiktok_shop(
            seed::DEMO_TIKTOK_SHOP_APP_KEY,
            seed::DEMO_TIKTOK_SHOP_APP_SECRET,
            &format!(
                r#"{{"type":1,"tts_notification_id":"{tag}-tts-{n}","shop_id":"7494049642642441621","timestamp":{now},"data":{{"order_id":"5764614{n}","order_status":"AWAITING_SHIPMENT"}}}}"#
            ),
        ),
        2 => tiktok(
            seed::DEMO_TIKTOK_CLIENT_SECRET,
            now,
            &format!(
                r#"{{"client_key":"demo-client-key","event":"authorization.removed","create_time":{now},"user_openid":"act.{tag}-{n}","content":"{{\"reason\":1}}"}}"#
            ),
        ),
        3 => meta(
            seed::DEMO_META_APP_SECRET,
            &format!(
                r#"{{"object":"instagram","entry":[{{"id":"17841400000000001","time":{now},"changes":[{{"field":"mentions","value":{{"media_id":"{tag}-media-{n}","text":"Love it \u00e4"}}}}]}}]}}"#
            ),
        ),
        _ => standard(
            "reviews",
            demo_standard,
            &format!("msg_{tag}_{n}"),
            now,
            &format!(
                r#"{{"type":"review.created","data":{{"review_id":"{tag}-rev-{n}","rating":5,"sku":"TEE-BLK-M"}}}}"#
            ),
        ),
    }
}
