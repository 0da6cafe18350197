//! The route table against `docs/openapi.yaml`, and against the dispatch.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use super::*;
use lambda_http::RequestExt;
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
use lambda_http::request::RequestContext;
use reelcart_domain::FixedClock;
use reelcart_domain::content::rights_request::BrandRights;
use reelcart_ports::memory::{
    MemoryBlobs, MemoryCatalog, MemoryContent, MemoryMediaRecords, MemoryQueue,
};
use std::collections::BTreeSet;
use std::sync::Arc;

/// `(method, path)` of every operation under `paths:` in the OpenAPI document, methods in upper
/// case (the shared reader).
fn documented(yaml: &str) -> BTreeSet<(String, String)> {
    reelcart_lambda::routes::openapi_operations(yaml)
}

#[test]
fn the_openapi_reader_reads_paths_and_their_methods_only() {
    let yaml = "openapi: 3.1.0\npaths:\n  /v1/a/{id}:\n    parameters: []\n    get:\n      responses: {}\n    delete:\n      summary: x\n  /v1/b:\n    post:\n      requestBody:\n        content: {}\ncomponents:\n  schemas:\n    get:\n      type: object\n";
    let want: BTreeSet<(String, String)> = [
        ("GET", "/v1/a/{id}"),
        ("DELETE", "/v1/a/{id}"),
        ("POST", "/v1/b"),
    ]
    .into_iter()
    .map(|(m, p)| (m.to_string(), p.to_string()))
    .collect();
    assert_eq!(documented(yaml), want);
}

#[test]
fn every_route_is_documented_and_every_documented_route_served() {
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.yaml");
    let yaml = std::fs::read_to_string(file).unwrap();
    let docs = documented(&yaml);
    let served: BTreeSet<(String, String)> = routes()
        .into_iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    assert_eq!(served.len(), TABLE.len(), "a route twice in the table");
    let undocumented: Vec<_> = served.difference(&docs).collect();
    assert!(
        undocumented.is_empty(),
        "served but not in docs/openapi.yaml: {undocumented:?}"
    );
    let prefix = PREFIX.trim_end_matches('/');
    let unserved: Vec<_> = docs
        .iter()
        .filter(|(_, p)| p == prefix || p.starts_with(PREFIX))
        .filter(|r| !served.contains(*r))
        .collect();
    assert!(
        unserved.is_empty(),
        "in docs/openapi.yaml but not served: {unserved:?}"
    );
}

#[test]
fn paths_match_segment_by_segment() {
    let get = Method::GET;
    assert_eq!(
        parse(&get, "/v1/moderation/items"),
        Some((Route::ListItems, vec![], ANYONE))
    );
    assert_eq!(
        parse(&Method::DELETE, "/v1/moderation/items/i1/mappings/pdp/TEE"),
        Some((Route::DeleteMapping, vec!["i1", "pdp", "TEE"], ANYONE))
    );
    assert_eq!(
        parse(&Method::POST, "/v1/moderation/items/i1/rights/r1/revoke"),
        Some((Route::RevokeRights, vec!["i1", "r1"], ADMIN))
    );
    assert_eq!(
        parse(&Method::PUT, "/v1/moderation/blocklist"),
        Some((Route::PutBlocklist, vec![], ADMIN))
    );
    for (method, path) in [
        (Method::GET, "/v1/moderation"),
        (Method::GET, "/v1/moderation/"),
        (Method::GET, "/v1/moderation/items/i1/nothing"),
        (Method::PATCH, "/v1/moderation/items/i1"),
        (Method::DELETE, "/v1/moderation/items/i1/mappings/pdp"),
        (Method::GET, "/v1/creators/items"),
    ] {
        assert_eq!(parse(&method, path), None, "{method} {path}");
    }
}

fn admin_request(method: &str, uri: &str) -> Request {
    let ctx = serde_json::json!({
        "http": {"method": method},
        "timeEpoch": 0,
        "authorizer": {"jwt": {"claims": {"sub": "admin-1", "cognito:groups": "[admin]"}, "scopes": null}},
    });
    let ctx: ApiGatewayV2httpRequestContext = serde_json::from_value(ctx).unwrap();
    lambda_http::http::Request::builder()
        .method(method)
        .uri(uri)
        .body(Body::Empty)
        .unwrap()
        .with_request_context(RequestContext::ApiGatewayV2(ctx))
}

/// Each route of the table reaches its handler: its parameters are the ones the dispatch takes.
#[tokio::test]
async fn every_route_reaches_a_handler() {
    let api = Api {
        content: MemoryContent::default(),
        media: MemoryMediaRecords::default(),
        catalog: MemoryCatalog::default(),
        consent: MemoryBlobs::default(),
        commands: MemoryQueue::default(),
        brand: BrandRights::new("acme", None, "https://acme.example/ugc-terms").unwrap(),
        clock: Arc::new(FixedClock::at(1_780_000_000)),
    };
    for (method, path) in routes() {
        let uri: Vec<String> = path
            .split('/')
            .map(|s| {
                if s.starts_with('{') {
                    "x".to_string()
                } else {
                    s.to_string()
                }
            })
            .collect();
        let resp = api.handle(admin_request(method, &uri.join("/"))).await;
        let body = match resp.body() {
            Body::Text(t) => t.clone(),
            Body::Binary(b) => String::from_utf8_lossy(b).into_owned(),
            _ => String::new(),
        };
        assert!(
            !body.contains("no such route"),
            "{method} {path}: {} {body}",
            resp.status()
        );
    }
}
