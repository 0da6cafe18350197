//! The sample events in `events/catalog-api/` — API Gateway HTTP API requests (payload 2.0) after
//! the `UserJwt` authorizer — are what the handler takes, and get the answers they should.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use catalog_api::Api;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use reelcart_domain::catalog::{Channel, Money, Problem, Product, ProductStatus, Variant};
use reelcart_lambda::auth::Principal;
use reelcart_lambda::router::HttpApi;
use reelcart_lambda::testing::samples;
use reelcart_ports::memory::MemoryCatalog;
use reelcart_ports::{CatalogStore, QuarantinedItem};
use serde_json::Value;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/catalog-api");

/// Every sample, by file name.
const SAMPLES: [&str; 3] = [
    "quarantine-meta.json",
    "products-search.json",
    "sync-runs-no-group.json",
];

fn request(name: &str) -> Request {
    samples::request(DIR.as_ref(), name)
}

fn body(r: &Response<Body>) -> Value {
    samples::json(r)
}

#[test]
fn the_directory_holds_exactly_the_samples_tested_here() {
    let found = samples::names(DIR.as_ref());
    let mut expected: Vec<String> = SAMPLES.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(found, expected);
}

#[test]
fn every_sample_is_an_api_gateway_v2_request_with_the_authorizers_claims() {
    for (name, subject, roles) in [
        (
            "quarantine-meta.json",
            "8f2c1e4a-0000-4000-8000-00000000a001",
            vec!["admin"],
        ),
        (
            "products-search.json",
            "8f2c1e4a-0000-4000-8000-00000000b002",
            vec!["moderator"],
        ),
        // A signed-in user in no group: Cognito puts no `cognito:groups` claim in the token.
        (
            "sync-runs-no-group.json",
            "8f2c1e4a-0000-4000-8000-00000000d004",
            vec![],
        ),
    ] {
        let req = request(name);
        assert!(
            matches!(
                req.request_context_ref(),
                Some(RequestContext::ApiGatewayV2(_))
            ),
            "{name}"
        );
        let who = Principal::from_request(&req).unwrap();
        assert_eq!(who.subject, subject, "{name}");
        assert_eq!(who.roles, roles, "{name}");
        assert_eq!(req.method(), "GET", "{name}");
        assert!(req.uri().path().starts_with("/v1/catalog/"), "{name}");
    }
    // The query string reaches the handler both ways it reads it.
    let req = request("products-search.json");
    assert_eq!(req.uri().query(), Some("q=tee&limit=20"));
    assert_eq!(req.query_string_parameters().first("q"), Some("tee"));
}

fn product() -> Product {
    Product {
        id: "632910392".into(),
        title: "Everyday Tee".into(),
        description: String::new(),
        brand: None,
        link: "https://shop.example.com/products/everyday-tee".into(),
        images: vec![],
        variants: vec![Variant {
            id: "808950810".into(),
            sku: "TEE-BLK-M".into(),
            options: vec![],
            price: Money {
                amount: rust_decimal::Decimal::new(2999, 2),
                currency: "USD".into(),
            },
            unit_cost: None,
            compare_at_price: None,
            inventory: 10,
            continue_selling: false,
            gtin: None,
            mpn: None,
            image: None,
            weight: None,
        }],
        status: ProductStatus::Active,
        tiktok_category_id: None,
        updated_at: 0,
    }
}

async fn api() -> std::sync::Arc<Api<MemoryCatalog>> {
    let store = MemoryCatalog::default();
    store.put_products(&[product()]).await.unwrap();
    store
        .record_quarantine(
            Channel::Meta,
            &[QuarantinedItem {
                key: "TEE-BLK-M".into(),
                product_id: "632910392".into(),
                problems: vec![Problem::new("gtin", "gtin_check_digit", "check digit")],
                source: "validation".into(),
                since: 1_764_000_000,
                hash: None,
            }],
            &[],
        )
        .await
        .unwrap();
    std::sync::Arc::new(Api { store })
}

#[tokio::test]
async fn the_samples_get_their_answers() {
    let api = api().await;

    let r = api.handle(request("quarantine-meta.json")).await;
    assert_eq!(r.status(), 200, "{}", body(&r));
    let out = body(&r);
    assert_eq!(out["quarantine"]["meta"][0]["key"], "TEE-BLK-M");
    assert!(
        out["quarantine"].get("tiktok-shop").is_none(),
        "?channel=meta"
    );

    let r = api.handle(request("products-search.json")).await;
    assert_eq!(r.status(), 200, "{}", body(&r));
    let out = body(&r);
    assert_eq!(out["total"], 1);
    assert_eq!(out["products"][0]["variants"][0]["sku"], "TEE-BLK-M");

    // Valid token, no role: API Gateway lets it through, the function refuses it.
    let r = api.handle(request("sync-runs-no-group.json")).await;
    assert_eq!(r.status(), 403, "{}", body(&r));
    assert_eq!(body(&r)["error"]["code"], "forbidden");
}

/// Every route is in `docs/openapi.yaml`, and every answer to every role (with and without a
/// malformed body) is a status it lists.
#[tokio::test]
async fn every_route_and_answer_is_documented() {
    let api = api().await;
    let problems = reelcart_lambda::testing::undocumented(&api).await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
