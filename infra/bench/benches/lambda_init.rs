//! Lambda init time (process start → first Runtime API poll, against a local stub of the Runtime
//! API) of each function's release binary next to a bare `lambda_runtime` hello world built in the
//! same run; release binary sizes; and peak memory (VmHWM) of each function under load. Needs the
//! AWS emulator (`make bench` provides it): functions read their secrets and tables at init.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::Router;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use reelcart_local::{Options, Stack, simulator};
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, oneshot};

#[derive(Default)]
struct Stub {
    first_poll: Mutex<Option<oneshot::Sender<Instant>>>,
    events: Mutex<VecDeque<String>>,
    answered: AtomicUsize,
    errors: AtomicUsize,
    all_answered: Notify,
    expected: AtomicUsize,
}

async fn next(State(stub): State<Arc<Stub>>) -> impl IntoResponse {
    if let Some(tx) = stub.first_poll.lock().unwrap().take() {
        tx.send(Instant::now()).ok();
    }
    let event = stub.events.lock().unwrap().pop_front();
    let Some(event) = event else {
        std::future::pending::<()>().await;
        unreachable!()
    };
    let mut h = HeaderMap::new();
    let id = format!(
        "req-{}",
        stub.answered.load(Ordering::SeqCst) + stub.events.lock().unwrap().len()
    );
    h.insert("lambda-runtime-aws-request-id", id.parse().unwrap());
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 30_000;
    h.insert(
        "lambda-runtime-deadline-ms",
        deadline.to_string().parse().unwrap(),
    );
    h.insert(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:us-east-1:123456789012:function:bench"
            .parse()
            .unwrap(),
    );
    h.insert(
        "lambda-runtime-trace-id",
        "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1"
            .parse()
            .unwrap(),
    );
    (h, event)
}

async fn answered(State(stub): State<Arc<Stub>>, Path(_id): Path<String>) -> impl IntoResponse {
    let n = stub.answered.fetch_add(1, Ordering::SeqCst) + 1;
    if n >= stub.expected.load(Ordering::SeqCst) {
        stub.all_answered.notify_one();
    }
    axum::http::StatusCode::ACCEPTED
}

async fn errored(
    State(stub): State<Arc<Stub>>,
    Path(id): Path<String>,
    body: String,
) -> impl IntoResponse {
    stub.errors.fetch_add(1, Ordering::SeqCst);
    eprintln!("invocation {id} failed: {body}");
    answered(State(stub), Path(id)).await
}

async fn init_error(body: String) -> axum::http::StatusCode {
    eprintln!("function init failed: {body}");
    std::process::exit(1);
}

async fn start_stub(stub: Arc<Stub>) -> String {
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(answered),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(errored))
        .route("/2018-06-01/runtime/init/error", post(init_error))
        .with_state(stub);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr.to_string()
}

/// The binaries of this build's profile: release under `make bench`, debug in the short mode.
fn release_dir() -> PathBuf {
    // target/release/deps/lambda_init-… → target/release
    std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .to_path_buf()
}

fn spawn(binary: &str, runtime_api: &str, env: &HashMap<String, String>) -> tokio::process::Child {
    let path = release_dir().join(binary);
    assert!(
        path.exists(),
        "{} is not built: run `make bench`",
        path.display()
    );
    tokio::process::Command::new(path)
        .envs(env)
        .env("AWS_LAMBDA_RUNTIME_API", runtime_api)
        .env("AWS_LAMBDA_FUNCTION_NAME", binary)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "bench")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

fn peak_rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

async fn init_time(binary: &str, env: &HashMap<String, String>) -> Duration {
    let (tx, rx) = oneshot::channel();
    let stub = Arc::new(Stub {
        first_poll: Mutex::new(Some(tx)),
        ..Stub::default()
    });
    let api = start_stub(stub).await;
    let start = Instant::now();
    let mut child = spawn(binary, &api, env);
    let polled = tokio::time::timeout(Duration::from_secs(20), rx)
        .await
        .expect("first poll")
        .unwrap();
    child.kill().await.unwrap();
    polled - start
}

/// Serve `events` to `binary`; returns (wall time, peak RSS kB, errors).
async fn under_load(
    binary: &str,
    env: &HashMap<String, String>,
    events: Vec<String>,
) -> (Duration, u64, usize) {
    let stub = Arc::new(Stub::default());
    stub.expected.store(events.len(), Ordering::SeqCst);
    *stub.events.lock().unwrap() = events.into();
    let api = start_stub(stub.clone()).await;
    let start = Instant::now();
    let mut child = spawn(binary, &api, env);
    tokio::time::timeout(Duration::from_secs(600), stub.all_answered.notified())
        .await
        .expect("load finished");
    let elapsed = start.elapsed();
    let rss = peak_rss_kb(child.id().unwrap());
    child.kill().await.unwrap();
    (elapsed, rss, stub.errors.load(Ordering::SeqCst))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn api_gateway_event(d: &simulator::Delivery) -> String {
    let headers: serde_json::Map<String, serde_json::Value> = d
        .headers
        .iter()
        .map(|(k, v)| (k.to_lowercase(), serde_json::Value::String(v.clone())))
        .chain([("content-type".to_string(), "application/json".into())])
        .collect();
    serde_json::json!({
        "version": "2.0", "routeKey": format!("POST {}", d.path), "rawPath": d.path, "rawQueryString": "",
        "headers": headers,
        "requestContext": {"accountId": "123456789012", "apiId": "bench", "domainName": "bench.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "bench", "http": {"method": "POST", "path": d.path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "bench"},
            "requestId": "bench", "routeKey": format!("POST {}", d.path), "stage": "$default", "time": "26/Nov/2026:00:00:00 +0000", "timeEpoch": 0},
        "body": d.body, "isBase64Encoded": false
    })
    .to_string()
}

fn sqs_batch(first: usize, tag: &str, now: i64) -> String {
    let records: Vec<serde_json::Value> = (first..first + 10)
        .map(|n| {
            let d = reelcart_domain::webhook::Delivery {
                platform: reelcart_domain::webhook::Platform::Shopify,
                source: Some("bench.myshopify.com".into()),
                delivery_id: format!("{tag}-{n}"),
                topic: Some("orders/create".into()),
            };
            let env = reelcart_domain::webhook::WebhookEnvelope::new(&d, now, format!(r#"{{"id":{n},"note":"{}"}}"#, "x".repeat(1900)));
            serde_json::json!({"messageId": format!("m-{n}"), "receiptHandle": "r", "body": serde_json::to_string(&env).unwrap(),
                "attributes": {}, "messageAttributes": {}, "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:bench", "awsRegion": "us-east-1"})
        })
        .collect();
    serde_json::json!({ "Records": records }).to_string()
}

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` from tooling
    }
    let mut opts = Options::new("bench");
    opts.bind = ([127, 0, 0, 1], 0).into();
    opts.run_schedules = false;
    let stack = Stack::start(opts)
        .await
        .expect("local stack (run through `make bench`)");
    let mut envs: HashMap<&str, HashMap<String, String>> = HashMap::new();
    for f in &stack.functions {
        let mut env = f.env.clone();
        for k in [
            "AWS_ENDPOINT_URL",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_REGION",
        ] {
            if let Ok(v) = std::env::var(k) {
                env.insert(k.to_string(), v);
            }
        }
        envs.insert(f.binary.as_str(), env);
    }
    // Every function of the template, measured side by side: one list, the template's.
    let mut functions: Vec<&str> = stack.functions.iter().map(|f| f.binary.as_str()).collect();
    functions.sort_unstable();
    let full = reelcart_bench::full_run();
    let base_env: HashMap<String, String> = HashMap::new();

    let runs = if full { 15 } else { 1 };
    println!("\n== Lambda init: process start → first Runtime API poll (median of {runs}) ==");
    let mut times: HashMap<&str, Vec<Duration>> = HashMap::new();
    for _ in 0..runs {
        times
            .entry("hello-lambda")
            .or_default()
            .push(init_time("hello-lambda", &base_env).await);
        for &f in &functions {
            times
                .entry(f)
                .or_default()
                .push(init_time(f, &envs[f]).await);
        }
    }
    let h = median(times.remove("hello-lambda").unwrap_or_default());
    println!(
        "hello-lambda (baseline)   {:>8.2} ms",
        h.as_secs_f64() * 1e3
    );
    for &f in &functions {
        let t = median(times.remove(f).unwrap_or_default());
        println!(
            "{f:<25} {:>8.2} ms   ({:.1}× baseline)",
            t.as_secs_f64() * 1e3,
            t.as_secs_f64() / h.as_secs_f64()
        );
    }

    println!(
        "\n== {} binary size (host target; arm64 Lambda builds come from `make build`) ==",
        if full {
            "Release"
        } else {
            "Debug (short mode)"
        }
    );
    for b in std::iter::once("hello-lambda").chain(functions.iter().copied()) {
        let size = std::fs::metadata(release_dir().join(b))
            .map(|m| m.len())
            .unwrap_or(0);
        println!("{b:<25} {:>8.2} MiB", size as f64 / 1048576.0);
    }

    println!("\n== Peak memory under load (VmHWM; Lambda sizes: 128–256 MB) ==");
    let tag = format!("bench{}", std::process::id());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let n = if full { 2000 } else { 20 };
    let events: Vec<String> = (0..n)
        .map(|i| {
            let body = format!(r#"{{"id":{i},"note":"{}"}}"#, "x".repeat(1950));
            api_gateway_event(&simulator::shopify(
                reelcart_local::seed::DEMO_SHOPIFY_WEBHOOK_SECRET,
                "bench.myshopify.com",
                "orders/create",
                &format!("{tag}-{i}"),
                &body,
            ))
        })
        .collect();
    let (t, rss, errors) = under_load("webhook-receiver", &envs["webhook-receiver"], events).await;
    println!(
        "webhook-receiver   {n} signed 2 KB deliveries in {:.2} s ({:.0}/s against the emulator), peak {:.1} MiB, {errors} errors",
        t.as_secs_f64(),
        n as f64 / t.as_secs_f64(),
        rss as f64 / 1024.0
    );
    let batches = if full { 200 } else { 2 };
    let events: Vec<String> = (0..batches).map(|b| sqs_batch(b * 10, &tag, now)).collect();
    let (t, rss, errors) =
        under_load("webhook-processor", &envs["webhook-processor"], events).await;
    println!(
        "webhook-processor  {batches} batches of 10 in {:.2} s ({:.0} records/s against the emulator), peak {:.1} MiB, {errors} errors",
        t.as_secs_f64(),
        (batches * 10) as f64 / t.as_secs_f64(),
        rss as f64 / 1024.0
    );
    let (_, rss, _) = under_load(
        "hello-lambda",
        &base_env,
        (0..n).map(|i| format!(r#"{{"n":{i}}}"#)).collect(),
    )
    .await;
    println!(
        "hello-lambda       {n} invocations, peak {:.1} MiB (baseline)",
        rss as f64 / 1024.0
    );
    stack.stop().await;
}
