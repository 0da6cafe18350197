//! The sample events in `events/creator-api/` — API Gateway HTTP API requests (payload 2.0) after
//! the `UserJwt` authorizer — are what the handler takes, and get the answers they should.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use creator_api::{
    CodeRules, Config, CreatorApi, DiscountError, NewCode, Presigner, StoreDiscounts,
};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use reelcart_aws::presign::{PostPolicy, PostUpload};
use reelcart_domain::FixedClock;
use reelcart_domain::catalog::{Money, Product, ProductStatus, Variant};
use reelcart_lambda::auth::Principal;
use reelcart_lambda::router::HttpApi;
use reelcart_lambda::testing::samples;
use reelcart_ports::memory::{
    MemoryAnalytics, MemoryCatalog, MemoryContent, MemoryCreators, MemoryMediaRecords,
};
use reelcart_ports::{CatalogStore, PortError, PortResult};
use secrecy::SecretString;
use serde_json::Value;
use std::sync::Arc;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/creator-api");
/// When the samples were sent.
const NOW: i64 = 1_764_115_200;
const CREATOR: &str = "8f2c1e4a-0000-4000-8000-00000000c003";

const SAMPLES: [&str; 5] = [
    "put-me.json",
    "get-me.json",
    "post-link.json",
    "me-as-moderator.json",
    "brand-payouts-csv.json",
];

fn text(name: &str) -> String {
    samples::text(DIR.as_ref(), name)
}

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
fn every_sample_is_an_api_gateway_v2_request_on_a_route_of_the_function() {
    let routes: Vec<String> = creator_api::routes()
        .into_iter()
        .map(|(method, path)| format!("{method} {path}"))
        .collect();
    for (name, role) in [
        ("put-me.json", "creator"),
        ("get-me.json", "creator"),
        ("post-link.json", "creator"),
        ("me-as-moderator.json", "moderator"),
        ("brand-payouts-csv.json", "admin"),
    ] {
        let raw: Value = serde_json::from_str(&text(name)).unwrap();
        let route_key = raw["routeKey"].as_str().unwrap();
        assert!(routes.iter().any(|r| r == route_key), "{name}: {route_key}");
        assert_eq!(raw["requestContext"]["routeKey"], route_key, "{name}");
        let req = request(name);
        assert!(
            matches!(
                req.request_context_ref(),
                Some(RequestContext::ApiGatewayV2(_))
            ),
            "{name}"
        );
        assert_eq!(req.uri().path(), raw["rawPath"], "{name}");
        let who = Principal::from_request(&req).unwrap();
        assert_eq!(who.roles, [role], "{name}");
    }
    // The query string reaches the handler both ways it is read.
    let req = request("brand-payouts-csv.json");
    let q = req.query_string_parameters();
    assert_eq!(
        (q.first("from"), q.first("to"), q.first("format")),
        (Some("2025-11-01"), Some("2025-11-30"), Some("csv"))
    );
}

/// Uploads are not among the samples: never asked to sign.
struct NoPresigner;

impl Presigner for NoPresigner {
    async fn presign(&self, _policy: &PostPolicy, _now: i64) -> PortResult<PostUpload> {
        Err(PortError::Unavailable {
            operation: "presign",
            message: "not used by the samples".into(),
        })
    }

    async fn media_link(&self, key: &str) -> PortResult<String> {
        Ok(format!("https://media.s3.example/{key}?signed"))
    }
}

/// No store configured: discount codes are not among the samples.
struct NoStore;

impl StoreDiscounts for NoStore {
    async fn create_code(&self, _code: &NewCode<'_>) -> Result<String, DiscountError> {
        Err(DiscountError::Unavailable)
    }
}

type TestApi = CreatorApi<
    MemoryCreators,
    MemoryCatalog,
    NoPresigner,
    MemoryAnalytics,
    MemoryContent,
    MemoryMediaRecords,
    NoStore,
>;

fn tee() -> Product {
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

async fn api() -> Arc<TestApi> {
    let catalog = MemoryCatalog::default();
    catalog.put_products(&[tee()]).await.unwrap();
    Arc::new(CreatorApi {
        creators: MemoryCreators::default(),
        catalog,
        analytics: MemoryAnalytics::default(),
        presigner: NoPresigner,
        content: MemoryContent::default(),
        media: MemoryMediaRecords::default(),
        discounts: NoStore,
        // As template.yaml sets them (LINK_BASE_URL is the collector's function URL, with its "/").
        config: Config {
            terms_version: "2026-11".into(),
            terms_url: "https://example.com/creator-terms".into(),
            default_commission: rust_decimal::Decimal::new(1, 1),
            link_keys: std::sync::Arc::new(reelcart_lambda::keyring::KeyRing::fixed(vec![
                SecretString::from("a-link-signing-key-of-enough-length!!".to_string()),
            ])),
            link_base: "https://abcdefghijklmnop.lambda-url.us-east-1.on.aws/".into(),
            raw_bucket: "reelcart-rawmediabucket".into(),
            max_upload_bytes: 300 * 1024 * 1024,
            uploads_per_day: 20,
            discount_percent: 10,
            codes: CodeRules {
                approval: true,
                days: 90,
                usage_limit: 1000,
            },
        },
        clock: Arc::new(FixedClock::at(NOW)),
    })
}

#[tokio::test]
async fn the_samples_get_their_answers_in_the_portals_order() {
    let api = api().await;

    // Before onboarding there is no profile.
    let r = api.handle(request("get-me.json")).await;
    assert_eq!(r.status(), 404, "{}", body(&r));
    assert_eq!(body(&r)["error"]["code"], "not_onboarded");

    let r = api.handle(request("put-me.json")).await;
    assert_eq!(r.status(), 201, "{}", body(&r));
    let out = body(&r);
    assert_eq!(out["creator"]["id"], CREATOR, "the token's subject");
    assert_eq!(out["creator"]["handles"]["instagram"], "mayamakes");
    // Payout details are stored, never returned: only which fields are set.
    assert!(!out.to_string().contains("maya@example.com"), "{out}");

    let r = api.handle(request("get-me.json")).await;
    assert_eq!(r.status(), 200, "{}", body(&r));
    assert_eq!(body(&r)["creator"]["display_name"], "Maya Makes");

    let r = api.handle(request("post-link.json")).await;
    assert_eq!(r.status(), 201, "{}", body(&r));
    let out = body(&r);
    assert_eq!(out["link"]["sku"], "TEE-BLK-M");
    assert_eq!(out["link"]["campaign"], "fall");
    let url = out["url"].as_str().unwrap();
    assert!(
        url.starts_with("https://abcdefghijklmnop.lambda-url.us-east-1.on.aws/r/"),
        "{url}"
    );

    // A moderator is not a creator.
    let r = api.handle(request("me-as-moderator.json")).await;
    assert_eq!(r.status(), 403, "{}", body(&r));
    assert_eq!(body(&r)["error"]["code"], "forbidden");

    // The brand's payout report, as CSV: the creator onboarded above, nothing attributed yet.
    let r = api.handle(request("brand-payouts-csv.json")).await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = std::str::from_utf8(r.body().as_ref()).unwrap();
    assert!(
        csv.contains(&format!("{CREATOR},Maya Makes,2025-11-01,2025-11-30,")),
        "{csv}"
    );
}

/// Every route is in `docs/openapi.yaml`, and every answer to every role (with and without a
/// malformed body) is a status it lists.
#[tokio::test]
async fn every_route_and_answer_is_documented() {
    let api = api().await;
    let problems = reelcart_lambda::testing::undocumented(&api).await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
