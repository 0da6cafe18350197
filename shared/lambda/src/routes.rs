//! Reading `docs/openapi.yaml`'s operations and their documented statuses, so tests can hold the
//! HTTP functions' routers ([`crate::router::Routes`]) and the document to each other.

use std::collections::{BTreeMap, BTreeSet};

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

/// The operations (`GET`, path) under `paths:` of an OpenAPI document.
pub fn openapi_operations(doc: &str) -> BTreeSet<(String, String)> {
    openapi_responses(doc).into_keys().collect()
}

/// Each operation (`GET`, path) under `paths:` of an OpenAPI document, with the statuses its
/// `responses:` lists (`"200"`, `"4XX"`, `default` …). Read from the layout: a path is a key
/// indented two spaces, its operations four, an operation's `responses:` six and each status
/// eight. Enough for the project's own document (block style); not a YAML parser.
pub fn openapi_responses(doc: &str) -> BTreeMap<(String, String), BTreeSet<String>> {
    let key = |line: &str, indent: usize| -> Option<String> {
        let rest = line.strip_prefix(&" ".repeat(indent))?;
        if rest.starts_with([' ', '#']) {
            return None;
        }
        let (k, _) = rest.split_once(':')?;
        Some(k.trim().trim_matches(['"', '\'']).to_string())
    };
    let mut out: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let (mut in_paths, mut path, mut op, mut in_responses) = (false, None::<String>, None, false);
    for line in doc.lines() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        if let Some(top) = key(line, 0) {
            (in_paths, path, op) = (top == "paths", None, None);
        } else if !in_paths {
            continue;
        } else if let Some(p) = key(line, 2) {
            (path, op) = (Some(p).filter(|p| p.starts_with('/')), None);
        } else if let Some(m) = key(line, 4) {
            op = match &path {
                Some(p) if METHODS.contains(&m.as_str()) => {
                    let k = (m.to_ascii_uppercase(), p.clone());
                    out.entry(k.clone()).or_default();
                    Some(k)
                }
                _ => None,
            };
            in_responses = false;
        } else if let Some(k) = key(line, 6) {
            in_responses = k == "responses";
        } else if let (true, Some(o), Some(status)) = (in_responses, &op, key(line, 8)) {
            out.entry(o.clone()).or_default().insert(status);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reader_finds_the_operations_of_paths_only() {
        let doc = "openapi: 3.1.0\npaths:\n  /v1/a:\n    # a comment\n    get:\n      summary: x\n      \
                   responses: {}\n    parameters: []\n    post: {summary: y}\n  \"/v1/b/{id}\":\n    \
                   delete:\n      x: 1\ncomponents:\n  /v1/c:\n    get:\n  schemas:\n    get:\n";
        let ops: Vec<_> = openapi_operations(doc).into_iter().collect();
        let want = [
            ("DELETE", "/v1/b/{id}"),
            ("GET", "/v1/a"),
            ("POST", "/v1/a"),
        ];
        assert_eq!(
            ops,
            want.map(|(m, p)| (m.to_string(), p.to_string())).to_vec()
        );
    }

    #[test]
    fn the_reader_finds_each_operations_statuses() {
        let doc = "paths:\n  /v1/a:\n    get:\n      summary: x\n      responses:\n        \"200\": {description: ok}\n        \
                   '404':\n          description: no\n          content: {}\n        default: {description: e}\n      \
                   security: []\n    post:\n      requestBody:\n        \"999\": x\n      responses:\n        \
                   \"201\": {description: made}\ncomponents:\n  responses:\n    Error: {}\n";
        let r = openapi_responses(doc);
        let of = |m: &str| -> Vec<String> {
            r[&(m.to_string(), "/v1/a".to_string())]
                .iter()
                .cloned()
                .collect()
        };
        assert_eq!(of("GET"), ["200", "404", "default"]);
        assert_eq!(of("POST"), ["201"]);
    }
}
