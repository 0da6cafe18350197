//! Lambda entry point: configuration, clients, and the runtime loop. Logic lives in `lib.rs`.
//! One function takes its function-URL and API requests and its two queues: the event's shape
//! tells which.

use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use reelcart_domain::SystemClock;
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
        if event.payload.get("Records").is_some() {
            let batch: SqsEvent = serde_json::from_value(event.payload)?;
            let response = collector.handle_sqs(batch).await?;
            return Ok::<Value, Error>(serde_json::to_value(response)?);
        }
        // A function URL or HTTP API request (payload format 2.0).
        let request = reelcart_lambda::http::request_from_apigw_v2(event.payload)?;
        let response = collector.handle_http(request).await;
        Ok(serde_json::to_value(
            reelcart_lambda::http::response_to_apigw_v2(response),
        )?)
    }))
    .await
}
