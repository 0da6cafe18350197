//! The OpenAPI document (`docs/openapi.yaml`) and the router agree: every route the creator API
//! serves is documented under the same path and method, and every operation documented under
//! `/v1/creators` is served.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

const DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.yaml");

/// The operations (method in lower case, path) of the document's `paths:` (the shared reader).
fn operations(doc: &str) -> BTreeSet<(String, String)> {
    reelcart_lambda::routes::openapi_operations(doc)
        .into_iter()
        .map(|(m, p)| (m.to_lowercase(), p))
        .collect()
}

#[test]
fn the_reader_finds_the_operations_of_paths_only() {
    let doc = "openapi: 3.1.0\npaths:\n  /v1/a:\n    # a comment\n    get:\n      summary: x\n      \
               responses: {}\n    parameters: []\n    post: {summary: y}\n  \"/v1/b/{id}\":\n    \
               delete:\n      x: 1\ncomponents:\n  /v1/c:\n    get:\n";
    let ops: Vec<_> = operations(doc).into_iter().collect();
    let want = [
        ("delete", "/v1/b/{id}"),
        ("get", "/v1/a"),
        ("post", "/v1/a"),
    ];
    assert_eq!(
        ops,
        want.map(|(m, p)| (m.to_string(), p.to_string())).to_vec()
    );
}

#[test]
fn every_route_is_documented_and_every_documented_creator_route_served() {
    let doc = std::fs::read_to_string(DOC).unwrap();
    let documented = operations(&doc);
    assert!(
        documented.contains(&("get".into(), "/v1/creators/me".into())),
        "the reader found the creator API in {DOC}"
    );
    let routes = creator_api::routes();
    let served: BTreeSet<(String, String)> = routes
        .iter()
        .map(|(m, p)| (m.as_str().to_lowercase(), p.to_string()))
        .collect();
    assert_eq!(served.len(), routes.len(), "each route is listed once");
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented
        .iter()
        .filter(|(_, p)| p == "/v1/creators" || p.starts_with("/v1/creators/"))
        .filter(|op| !served.contains(*op))
        .collect();
    assert!(
        undocumented.is_empty() && unserved.is_empty(),
        "served but not in docs/openapi.yaml: {undocumented:?}; \
         in docs/openapi.yaml but not served: {unserved:?}"
    );
}
