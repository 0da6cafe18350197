//! The OpenAPI document (`docs/openapi.yaml`) and the router agree: every route the creator API
//! serves is documented under the same path and method, and every operation documented under
//! `/v1/creators` is served.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;

const DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.yaml");

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

/// The operations (method, path) of the document's `paths:`, read from its layout: a path is a key
/// indented two spaces, its operations keys indented four.
fn operations(doc: &str) -> BTreeSet<(String, String)> {
    let key = |line: &str, indent: usize| -> Option<String> {
        let rest = line.strip_prefix(&" ".repeat(indent))?;
        if rest.starts_with([' ', '#']) {
            return None;
        }
        let (k, _) = rest.split_once(':')?;
        Some(k.trim().trim_matches(['"', '\'']).to_string())
    };
    let mut out = BTreeSet::new();
    let (mut in_paths, mut path) = (false, None::<String>);
    for line in doc.lines() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if let Some(top) = key(line, 0) {
            (in_paths, path) = (top == "paths", None);
        } else if !in_paths {
            continue;
        } else if let Some(p) = key(line, 2) {
            path = Some(p).filter(|p| p.starts_with('/'));
        } else if let (Some(p), Some(m)) = (&path, key(line, 4))
            && METHODS.contains(&m.as_str())
        {
            out.insert((m, p.clone()));
        }
    }
    out
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
