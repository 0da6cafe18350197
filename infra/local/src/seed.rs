//! Local values of the template's secrets. The platform secrets come from the same environment
//! variables an operator would set (`META_APP_SECRET`, ...), with demo defaults; in AWS the same
//! document lives in Secrets Manager. Each variable may hold a comma-separated list (rotation).

use serde_json::{Map, Value, json};

pub const DEMO_META_APP_ID: &str = "1234567890";
pub const DEMO_META_APP_SECRET: &str = "demo-meta-app-secret";
pub const DEMO_META_VERIFY_TOKEN: &str = "demo-verify-token";
pub const DEMO_TIKTOK_SHOP_APP_KEY: &str = "demo-tts-app-key";
pub const DEMO_TIKTOK_SHOP_APP_SECRET: &str = "demo-tts-app-secret";
pub const DEMO_TIKTOK_SHOP_SERVICE_ID: &str = "demo-tts-service-id";
/// Signs the connect flow's `state` (local only; in AWS a random value in the secret).
pub const DEMO_OAUTH_STATE_KEY: &str = "demo-oauth-state-key-change-me-0123456789";
pub const DEMO_TIKTOK_CLIENT_KEY: &str = "demo-client-key";
pub const DEMO_TIKTOK_CLIENT_SECRET: &str = "demo-tiktok-client-secret";
pub const DEMO_SHOPIFY_WEBHOOK_SECRET: &str = "demo-shopify-secret";
/// Signs creators' short links locally (`LINK_KEYS` overrides; comma-separated, current first).
pub const DEMO_LINK_KEY: &str = "demo-link-signing-key-0123456789abcdef";
/// `reviews=whsec_...`: the demo's Standard Webhooks source (base64 of "demo-standard-webhook-secret").
pub const DEMO_STANDARD_WEBHOOK_SECRETS: &str =
    "reviews=whsec_ZGVtby1zdGFuZGFyZC13ZWJob29rLXNlY3JldA==";

fn var(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_string())
}

fn list(name: &str, default: &str) -> Value {
    Value::Array(
        var(name, default)
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| Value::String(s.to_string()))
            .collect(),
    )
}

/// The webhook secrets document, from the environment.
pub fn platform_secrets_json() -> String {
    let mut standard = Map::new();
    for pair in var("STANDARD_WEBHOOK_SECRETS", DEMO_STANDARD_WEBHOOK_SECRETS).split(',') {
        if let Some((source, secret)) = pair.trim().split_once('=') {
            let entry = standard
                .entry(source.trim().to_string())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(a) = entry {
                a.push(Value::String(secret.trim().to_string()));
            }
        }
    }
    json!({
        "meta_app_id": var("META_APP_ID", DEMO_META_APP_ID),
        "tiktok_client_key": var("TIKTOK_CLIENT_KEY", DEMO_TIKTOK_CLIENT_KEY),
        "meta_app_secrets": list("META_APP_SECRET", DEMO_META_APP_SECRET),
        "meta_verify_token": var("META_VERIFY_TOKEN", DEMO_META_VERIFY_TOKEN),
        "tiktok_shop_app_key": var("TIKTOK_SHOP_APP_KEY", DEMO_TIKTOK_SHOP_APP_KEY),
        "tiktok_shop_service_id": var("TIKTOK_SHOP_SERVICE_ID", DEMO_TIKTOK_SHOP_SERVICE_ID),
        "tiktok_shop_app_secrets": list("TIKTOK_SHOP_APP_SECRET", DEMO_TIKTOK_SHOP_APP_SECRET),
        "tiktok_client_secrets": list("TIKTOK_CLIENT_SECRET", DEMO_TIKTOK_CLIENT_SECRET),
        "shopify_webhook_secrets": list("SHOPIFY_WEBHOOK_SECRET", DEMO_SHOPIFY_WEBHOOK_SECRET),
        "shopify_admin_token": var("SHOPIFY_ADMIN_TOKEN", reelcart_platform_sim::SHOPIFY_ADMIN_TOKEN),
        // The Shopify app (Dev Dashboard): its install, token grants and callback signatures.
        "shopify_client_id": var("SHOPIFY_CLIENT_ID", &reelcart_platform_sim::Apps::default().shopify_client_id),
        "shopify_client_secrets": list("SHOPIFY_CLIENT_SECRET", &reelcart_platform_sim::Apps::default().shopify_client_secret),
        "standard_webhook_secrets": standard,
    })
    .to_string()
}

/// The value to store for secret `logical_id`.
pub fn secret_value(logical_id: &str, template_value: Option<String>) -> String {
    match logical_id {
        "PlatformSecrets" => platform_secrets_json(),
        "OAuthStateSecret" => {
            json!({"oauth_state_keys": list("OAUTH_STATE_KEYS", DEMO_OAUTH_STATE_KEY)}).to_string()
        }
        "LinkSigningSecret" => json!({"link_keys": list("LINK_KEYS", DEMO_LINK_KEY)}).to_string(),
        // The simulator's pixels: purchases go to its Conversions and Events API endpoints.
        "ConversionsSecret" => reelcart_platform_sim::conversions_secret_json(),
        _ => template_value.unwrap_or_else(|| "{}".to_string()),
    }
}

/// A product of the demo store: valid on both channels (image on the simulator's CDN at
/// `image_base`, a TikTok Shop category, a weight, an MPN and a brand), numbered `i`.
pub fn catalog_product(i: usize, image_base: &str) -> reelcart_domain::catalog::Product {
    use reelcart_domain::catalog::*;
    use rust_decimal::Decimal;
    Product {
        id: format!("{}", 8_000_000 + i),
        title: format!("Organic cotton tee no. {i}"),
        description: "Heavyweight organic cotton, garment dyed, relaxed fit.".into(),
        brand: Some("Reelcart Demo".into()),
        link: format!("https://shop.example.com/products/tee-{i}"),
        images: vec![Image {
            url: format!("{image_base}/_sim/cdn/tee-{}.jpg", i % 20),
            width: 1200,
            height: 1200,
        }],
        variants: vec![Variant {
            id: format!("v{i}"),
            sku: format!("TEE-{i:05}"),
            options: vec![],
            // 19.90 plus i cents: exact decimals, never floats.
            price: Money {
                amount: Decimal::new(1990 + (i % 100) as i64, 2),
                currency: "USD".into(),
            },
            unit_cost: None,
            compare_at_price: None,
            inventory: (i % 40) as i64,
            continue_selling: false,
            gtin: None,
            mpn: Some(format!("MPN-TEE-{i:05}")),
            image: None,
            weight: Some(Weight {
                value: Decimal::new(35, 2),
                unit: "KILOGRAM".into(),
            }),
        }],
        status: ProductStatus::Active,
        tiktok_category_id: Some("601226".into()),
        updated_at: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_document_is_accepted_by_the_domain_parser() {
        let doc = platform_secrets_json();
        let parsed = reelcart_domain::webhook::WebhookSecrets::from_json(&doc).unwrap();
        assert!(
            parsed.standard.contains_key("reviews")
                || std::env::var("STANDARD_WEBHOOK_SECRETS").is_ok()
        );
        assert!(!parsed.meta_app_secrets.is_empty());
    }
}
