//! The route table against `docs/openapi.yaml`, and against the dispatch.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use super::*;
use crate::MemoryPorts;
use lambda_http::RequestExt;
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request};
use reelcart_domain::FixedClock;
use reelcart_domain::content::rights_request::BrandRights;
use reelcart_ports::memory::{
    MemoryBlobs, MemoryCatalog, MemoryCdn, MemoryContent, MemoryMediaRecords,
    MemoryMediaVisibility, MemoryQueue,
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
    assert_eq!(served.len(), routes().len(), "a route twice in the list");
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

/// Paths match segment by segment; the role is the route's: a moderator may not touch rights
/// or the blocklist's settings.
#[tokio::test]
async fn paths_match_segment_by_segment_and_roles_are_the_routes() {
    let api = Arc::new(Api::<MemoryPorts> {
        content: MemoryContent::default(),
        media: MemoryMediaRecords::default(),
        catalog: MemoryCatalog::default(),
        consent: MemoryBlobs::default(),
        commands: MemoryQueue::default(),
        brand: BrandRights::new("acme", None, "https://acme.example/ugc-terms").unwrap(),
        visibility: MemoryMediaVisibility::default(),
        cdn: MemoryCdn::default(),
        files: MemoryBlobs::default(),
        clock: Arc::new(FixedClock::at(1_780_000_000)),
    });
    fn moderator(method: &str, uri: &str) -> Request {
        let mut r = admin_request(method, uri);
        if let Some(RequestContext::ApiGatewayV2(ctx)) =
            r.extensions_mut().get_mut::<RequestContext>()
            && let Some(jwt) = ctx.authorizer.as_mut().and_then(|a| a.jwt.as_mut())
        {
            jwt.claims
                .insert("cognito:groups".into(), "[moderator]".into());
        }
        r
    }
    let admin = admin_request;
    for (who, method, path, want) in [
        (
            admin as fn(&str, &str) -> Request,
            "GET",
            "/v1/moderation",
            404,
        ),
        (admin, "GET", "/v1/moderation/", 404),
        (admin, "GET", "/v1/moderation/items/i1/nothing", 404),
        (admin, "PATCH", "/v1/moderation/items/i1", 405),
        (admin, "DELETE", "/v1/moderation/items/i1/mappings/pdp", 404),
        (admin, "GET", "/v1/moderation/items//audit", 404),
        (admin, "GET", "/v1/creators/items", 404),
        (
            moderator,
            "POST",
            "/v1/moderation/items/i1/rights/r1/revoke",
            403,
        ),
        (moderator, "PUT", "/v1/moderation/blocklist", 403),
        (moderator, "POST", "/v1/moderation/items/i1/rights", 403),
        (moderator, "GET", "/v1/moderation/blocklist", 200),
        (
            moderator,
            "DELETE",
            "/v1/moderation/items/i1/mappings/pdp/TEE",
            404,
        ),
    ] {
        let resp = api.handle(who(method, path)).await;
        assert_eq!(resp.status().as_u16(), want, "{method} {path}");
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
    let api = Arc::new(Api::<MemoryPorts> {
        content: MemoryContent::default(),
        media: MemoryMediaRecords::default(),
        catalog: MemoryCatalog::default(),
        consent: MemoryBlobs::default(),
        commands: MemoryQueue::default(),
        brand: BrandRights::new("acme", None, "https://acme.example/ugc-terms").unwrap(),
        visibility: MemoryMediaVisibility::default(),
        cdn: MemoryCdn::default(),
        files: MemoryBlobs::default(),
        clock: Arc::new(FixedClock::at(1_780_000_000)),
    });
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
        let resp = api
            .handle(admin_request(method.as_str(), &uri.join("/")))
            .await;
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
