//! Route tables for the HTTP functions: each lists its routes once — method, path as
//! `docs/openapi.yaml` writes it (`{name}` is one non-empty segment), the roles that may call it,
//! what serves it — and matches requests with [`matches`]. [`openapi_operations`] reads the
//! document's operations, so a test can hold a table and the document to each other.

use std::collections::BTreeSet;

/// A route's path parameters, by their names in the pattern, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params<'a>(pub Vec<(&'static str, &'a str)>);

impl<'a> Params<'a> {
    /// The value of parameter `name`.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    /// The values, in the pattern's order.
    pub fn values(&self) -> Vec<&'a str> {
        self.0.iter().map(|(_, v)| *v).collect()
    }
}

/// `path`'s parameters when it has `pattern`'s shape, segment by segment (a trailing `/` of
/// `path` ignored; an empty segment never fills a parameter).
pub fn matches<'a>(pattern: &'static str, path: &'a str) -> Option<Params<'a>> {
    let path = path.trim_end_matches('/');
    let mut params = Vec::new();
    let mut segments = path.split('/');
    for want in pattern.split('/') {
        let got = segments.next()?;
        match want.strip_prefix('{').and_then(|w| w.strip_suffix('}')) {
            Some(name) if !got.is_empty() => params.push((name, got)),
            None if want == got => {}
            _ => return None,
        }
    }
    segments.next().is_none().then_some(Params(params))
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "patch", "head", "options", "trace",
];

/// The operations (`GET`, path) under `paths:` of an OpenAPI document, read from its layout: a
/// path is a key indented two spaces, its operations keys indented four. Enough for the
/// project's own document (block style); not a YAML parser.
pub fn openapi_operations(doc: &str) -> BTreeSet<(String, String)> {
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
            out.insert((m.to_ascii_uppercase(), p.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_segment_by_segment() {
        let p = "/v1/creators/product-requests/{creator_id}/{request_id}";
        assert_eq!(
            matches(p, "/v1/creators/product-requests/cr_a/pr_1/"),
            Some(Params(vec![("creator_id", "cr_a"), ("request_id", "pr_1")]))
        );
        assert_eq!(
            matches(p, "/v1/creators/product-requests/cr_a/pr_1").and_then(|m| m.get("request_id")),
            Some("pr_1")
        );
        for path in [
            "/v1/creators/product-requests//pr_1",
            "/v1/creators/product-requests/cr_a",
            "/v1/creators/product-requests/cr_a/pr_1/x",
            "/v1/creatorsproduct-requests/cr_a/pr_1",
        ] {
            assert_eq!(matches(p, path), None, "{path}");
        }
        assert_eq!(
            matches("/v1/creators", "/v1/creators"),
            Some(Params::default())
        );
    }

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
}
