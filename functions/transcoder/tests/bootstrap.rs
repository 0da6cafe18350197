//! The transcoder binary is its own Lambda runtime: the container image (infra/transcoder/
//! Dockerfile) has no AWS base image, only this binary as its entrypoint. Here it runs as Lambda
//! runs it — the Runtime API at `AWS_LAMBDA_RUNTIME_API`, stood in for by a mock — takes an
//! invocation, and posts its answer back.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Stdio;
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn the_binary_speaks_the_lambda_runtime_api() {
    let api = MockServer::start().await;
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 60_000;
    Mock::given(method("GET"))
        .and(path("/2018-06-01/runtime/invocation/next"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Lambda-Runtime-Aws-Request-Id", "req-1")
                .insert_header("Lambda-Runtime-Deadline-Ms", deadline.to_string().as_str())
                .insert_header(
                    "Lambda-Runtime-Invoked-Function-Arn",
                    "arn:aws:lambda:us-east-1:123456789012:function:transcoder",
                )
                .insert_header(
                    "Lambda-Runtime-Trace-Id",
                    "Root=1-00000000-000000000000000000000000",
                )
                .set_body_json(serde_json::json!({"Records": []})),
        )
        .up_to_n_times(1)
        .mount(&api)
        .await;
    Mock::given(method("POST"))
        .and(path("/2018-06-01/runtime/invocation/req-1/response"))
        .respond_with(ResponseTemplate::new(202))
        .mount(&api)
        .await;

    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_transcoder"))
        .env_clear()
        .envs([
            ("AWS_LAMBDA_RUNTIME_API", api.address().to_string().as_str()),
            ("AWS_LAMBDA_FUNCTION_NAME", "transcoder"),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "3008"),
            (
                "AWS_LAMBDA_LOG_GROUP_NAME",
                "/aws/lambda/reelcart/transcoder",
            ),
            ("AWS_LAMBDA_LOG_STREAM_NAME", "test"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
            ("RAW_MEDIA_BUCKET", "raw"),
            ("MEDIA_BUCKET", "media"),
            ("MEDIA_BASE_URL", "https://d111111abcdef8.cloudfront.net"),
            ("CONTENT_TABLE", "content"),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    let started = Instant::now();
    let answer = loop {
        let requests = api.received_requests().await.unwrap_or_default();
        if let Some(r) = requests.iter().find(|r| r.method.as_str() == "POST") {
            break serde_json::from_slice::<serde_json::Value>(&r.body).unwrap();
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the binary exited ({status}) before answering");
        }
        assert!(started.elapsed() < Duration::from_secs(20), "no answer");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // An empty SQS batch: nothing failed.
    assert_eq!(answer, serde_json::json!({"batchItemFailures": []}));
    child.kill().await.unwrap();
}
