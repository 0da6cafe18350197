//! Capturing what a test logs (feature `testing`), to assert that no secret reaches the logs.

use std::sync::{Arc, Mutex};

/// Everything logged while the guard of [`capture`] lives, as JSON lines.
#[derive(Debug, Clone, Default)]
pub struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

impl CapturedLogs {
    pub fn text(&self) -> String {
        let bytes = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl std::io::Write for CapturedLogs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Log everything (TRACE, JSON, as in Lambda) of this thread into the returned buffer while the
/// guard lives. Run such a test alone in its binary on a current-thread runtime: tracing caches
/// per-callsite interest process-wide.
pub fn capture() -> (CapturedLogs, tracing::subscriber::DefaultGuard) {
    let captured = CapturedLogs::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    (captured, tracing::subscriber::set_default(subscriber))
}

/// A request as API Gateway (payload 2.0) or a function URL hands it over: the query string
/// parsed, and, with `groups` (`"[admin]"`), the JWT authorizer's claims for subject `sub`.
pub fn api_request(
    method: &str,
    uri: &str,
    auth: Option<(&str, &str)>,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> lambda_http::Request {
    use lambda_http::RequestExt;
    let mut ctx = serde_json::json!({"http": {"method": method}, "timeEpoch": 0});
    if let Some((sub, groups)) = auth {
        ctx["authorizer"] = serde_json::json!({"jwt": {"claims": {"sub": sub, "cognito:groups": groups}, "scopes": null}});
    }
    let ctx: aws_lambda_events::apigw::ApiGatewayV2httpRequestContext =
        serde_json::from_value(ctx).unwrap_or_default();
    let mut b = lambda_http::http::Request::builder()
        .method(method)
        .uri(uri);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let query: std::collections::HashMap<String, Vec<String>> = uri
        .split_once('?')
        .map(|(_, q)| q)
        .unwrap_or_default()
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .fold(Default::default(), |mut m, (k, v)| {
            m.entry(k.to_string()).or_default().push(v.to_string());
            m
        });
    b.body(body.map_or(lambda_http::Body::Empty, |b| {
        lambda_http::Body::Binary(b.to_vec())
    }))
    .unwrap_or_default()
    .with_query_string_parameters(query)
    .with_request_context(lambda_http::request::RequestContext::ApiGatewayV2(ctx))
}

/// The sample events of one function (`events/<function>/` in the repository), for its tests: the
/// payload as the runtime hands it over, and what the handler answered.
#[allow(clippy::panic)]
pub mod samples {
    use lambda_http::{Body, Request, Response};
    use std::path::{Path, PathBuf};

    /// `events/<function>/` from a function crate (`env!("CARGO_MANIFEST_DIR")`).
    pub fn dir(manifest_dir: &str, function: &str) -> PathBuf {
        Path::new(manifest_dir).join("../../events").join(function)
    }

    /// Every `.json` sample's file name, sorted.
    pub fn names(dir: &Path) -> Vec<String> {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json"))
            .collect();
        names.sort();
        names
    }

    /// The sample `name`, as text.
    pub fn text(dir: &Path, name: &str) -> String {
        std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// As the runtime does: the sample (an API Gateway payload) into a `lambda_http::Request`.
    pub fn request(dir: &Path, name: &str) -> Request {
        lambda_http::request::from_str(&text(dir, name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    /// A response's JSON body (`null` when it is not JSON).
    pub fn json(r: &Response<Body>) -> serde_json::Value {
        serde_json::from_slice(r.body().as_ref()).unwrap_or(serde_json::Value::Null)
    }
}

/// `docs/openapi.yaml`, the public HTTP contract.
pub fn openapi_document() -> std::io::Result<String> {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/openapi.yaml"
    ))
}

/// Where an API and `docs/openapi.yaml` disagree: a route (other than a CORS preflight) the
/// document lacks, or an answer it does not list. Every route is called with no token and with a
/// token of each role (`creator`, `moderator`, `admin`), with no body, a malformed one and an
/// empty object (a `{name}` segment filled with `x`); each status must be one the document gives
/// for that operation, and a `5xx` is always reported. Empty when they agree.
pub async fn undocumented<A: crate::router::HttpApi>(api: &std::sync::Arc<A>) -> Vec<String> {
    use lambda_http::http::Method;
    let doc = match openapi_document() {
        Ok(doc) => doc,
        Err(e) => return vec![format!("reading docs/openapi.yaml: {e}")],
    };
    let documented = crate::routes::openapi_responses(&doc);
    let mut out = Vec::new();
    for (method, path) in A::routes().list() {
        if method == Method::OPTIONS {
            continue;
        }
        let Some(listed) = documented.get(&(method.to_string(), path.to_string())) else {
            out.push(format!("{method} {path} is not in docs/openapi.yaml"));
            continue;
        };
        let uri: Vec<&str> = path
            .split('/')
            .map(|s| if s.starts_with('{') { "x" } else { s })
            .collect();
        let uri = uri.join("/");
        for who in [
            None,
            Some("[creator]"),
            Some("[moderator]"),
            Some("[admin]"),
        ] {
            for body in [None, Some(&b"{"[..]), Some(&b"{}"[..])] {
                let auth = who.map(|groups| ("sub-1", groups));
                let resp = api
                    .handle(api_request(method.as_str(), &uri, auth, &[], body))
                    .await;
                let status = resp.status();
                let class = format!("{}XX", status.as_u16() / 100);
                if status.is_server_error()
                    || !(listed.contains(status.as_str()) || listed.contains(&class))
                {
                    out.push(format!(
                        "{method} {path} as {} with body {:?}: {status} (documented: {listed:?})",
                        who.unwrap_or("nobody"),
                        body.map(String::from_utf8_lossy),
                    ));
                }
            }
        }
    }
    out
}

/// An SQS batch of `bodies`, with message ids `m0`, `m1`, … (what a queue's event source hands a
/// function).
pub fn sqs_batch(bodies: Vec<String>) -> aws_lambda_events::sqs::SqsEvent {
    let mut e = aws_lambda_events::sqs::SqsEvent::default();
    e.records = bodies
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            let mut m = aws_lambda_events::sqs::SqsMessage::default();
            m.message_id = Some(format!("m{i}"));
            m.body = Some(b);
            m
        })
        .collect();
    e
}
