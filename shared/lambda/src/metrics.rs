//! The functions' own metrics, in CloudWatch's embedded metric format (EMF): one JSON object per
//! line on stdout, which CloudWatch Logs turns into metrics in the `Reelcart` namespace — no API
//! call on the request's path and no permission beyond writing logs. Every metric carries the
//! `Stack` dimension (`REELCART_STACK`, the CloudFormation stack's name), so stacks sharing an
//! account stay apart; the dashboard and alarms name it.
//!
//! Written here rather than with a client library: a line is a dozen fields of serde_json, and
//! the libraries bring a global recorder and an explicit flush per invocation.
//!
//! The local stack installs a [`Sink`]: the same documents are kept there instead (its terminal
//! and logs stay readable), for tests to read as CloudWatch would.

use serde_json::{Map, Value, json};
use std::sync::{Mutex, OnceLock};

pub const NAMESPACE: &str = "Reelcart";

/// CloudWatch's units for what Reelcart measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Seconds,
    Milliseconds,
}

impl Unit {
    fn as_str(self) -> &'static str {
        match self {
            Unit::Count => "Count",
            Unit::Seconds => "Seconds",
            Unit::Milliseconds => "Milliseconds",
        }
    }
}

/// The most lines a sink keeps.
const SINK_LINES: usize = 100_000;

/// Where emitted lines also go (the local stack's stand-in for CloudWatch).
pub type Sink = Mutex<Vec<Value>>;
static SINK: OnceLock<Sink> = OnceLock::new();

/// Keep every emitted line here too (the local stack); returns the sink.
pub fn install_sink() -> &'static Sink {
    SINK.get_or_init(|| Mutex::new(Vec::new()))
}

/// Emitted lines whose metric `name` has dimensions including `dims`: the sum of its values.
pub fn captured_sum(name: &str, dims: &[(&str, &str)]) -> f64 {
    let Some(sink) = SINK.get() else {
        return 0.0;
    };
    let Ok(lines) = sink.lock() else {
        return 0.0;
    };
    lines
        .iter()
        .filter(|l| dims.iter().all(|(k, v)| l[*k] == *v))
        .filter_map(|l| l[name].as_f64())
        .sum()
}

fn stack() -> &'static str {
    static STACK: OnceLock<String> = OnceLock::new();
    STACK.get_or_init(|| std::env::var("REELCART_STACK").unwrap_or_else(|_| "reelcart".into()))
}

/// One EMF document: `metrics` with `dimensions` (and `Stack`), at `timestamp_ms`.
pub fn document(
    timestamp_ms: i64,
    stack: &str,
    dimensions: &[(&str, &str)],
    metrics: &[(&str, Unit, f64)],
) -> Value {
    let mut names: Vec<&str> = vec!["Stack"];
    names.extend(dimensions.iter().map(|(k, _)| *k));
    let mut doc = Map::new();
    doc.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [names],
                "Metrics": metrics
                    .iter()
                    .map(|(n, u, _)| json!({"Name": n, "Unit": u.as_str()}))
                    .collect::<Vec<_>>(),
            }],
        }),
    );
    doc.insert("Stack".into(), stack.into());
    for (k, v) in dimensions {
        doc.insert((*k).into(), (*v).into());
    }
    for (n, _, v) in metrics {
        doc.insert((*n).into(), json!(v));
    }
    Value::Object(doc)
}

/// Emit `metrics` with `dimensions`: one line on stdout, or into the sink when one is installed.
pub fn emit(dimensions: &[(&str, &str)], metrics: &[(&str, Unit, f64)]) {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let doc = document(now_ms, stack(), dimensions, metrics);
    match SINK.get() {
        Some(sink) => {
            if let Ok(mut lines) = sink.lock() {
                // A long-running local stack keeps the latest lines, not all of them.
                if lines.len() >= SINK_LINES {
                    lines.drain(..SINK_LINES / 2);
                }
                lines.push(doc);
            }
        }
        None => println!("{doc}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_document_is_what_cloudwatch_extracts() {
        let doc = document(
            1_700_000_000_000,
            "shop",
            &[("Platform", "shopify"), ("Outcome", "accepted")],
            &[("WebhookDeliveries", Unit::Count, 1.0)],
        );
        assert_eq!(doc["_aws"]["Timestamp"], 1_700_000_000_000i64);
        let m = &doc["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(m["Namespace"], "Reelcart");
        assert_eq!(m["Dimensions"], json!([["Stack", "Platform", "Outcome"]]));
        assert_eq!(
            m["Metrics"],
            json!([{"Name": "WebhookDeliveries", "Unit": "Count"}])
        );
        // Every dimension and metric is a member at the top level.
        assert_eq!(
            (&doc["Stack"], &doc["Platform"], &doc["Outcome"]),
            (&json!("shop"), &json!("shopify"), &json!("accepted"))
        );
        assert_eq!(doc["WebhookDeliveries"], 1.0);
    }
}
