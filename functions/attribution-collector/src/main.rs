//! Lambda entry point: configuration, clients, and the runtime loop. Logic lives in `lib.rs`.
//! One function takes its function-URL and API requests and its two queues: the event's shape
//! tells which.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use reelcart_domain::SystemClock;
use reelcart_lambda::events::Invocation;
use serde_json::Value;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    reelcart_lambda::init_tracing();
    let sdk = reelcart_aws::load_sdk_config().await;
    let collector = attribution_collector::from_aws(
        &reelcart_lambda::config::env(),
        &sdk,
        Arc::new(SystemClock),
    )
    .await?;
    let collector = &collector;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        match Invocation::of(event.payload)? {
            Invocation::Sqs(batch) => Ok(serde_json::to_value(collector.handle_sqs(batch).await?)?),
            // A function URL or HTTP API request (payload format 2.0).
            Invocation::Http(request) => {
                let request = lambda_http::request::LambdaRequest::ApiGatewayV2(*request).into();
                let response = collector.handle_http(request).await;
                Ok(serde_json::to_value(
                    reelcart_lambda::http::response_to_apigw_v2(response),
                )?)
            }
            Invocation::Event(_) | Invocation::Input(_) => {
                Err::<Value, Error>("the collector takes SQS batches and HTTP requests".into())
            }
        }
    }))
    .await
}
