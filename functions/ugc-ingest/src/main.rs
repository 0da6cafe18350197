//! Lambda entry point: configuration, clients, and the runtime loop. Logic lives in the library
//! (`lib.rs` and its modules).
//! One function takes its content-queue batches and its schedule: the event's shape tells which.

use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use reelcart_domain::SystemClock;
use serde_json::Value;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    reelcart_lambda::init_tracing();
    let sdk = reelcart_aws::load_sdk_config().await;
    let handler =
        ugc_ingest::from_aws(&reelcart_lambda::config::env(), &sdk, Arc::new(SystemClock)).await?;
    let handler = &handler;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        if event.payload.get("Records").is_some() {
            let batch: SqsEvent = serde_json::from_value(event.payload)?;
            let response = handler.handle_sqs(batch).await?;
            Ok::<Value, Error>(serde_json::to_value(response)?)
        } else {
            let report = handler.poll().await?;
            Ok(serde_json::to_value(report)?)
        }
    }))
    .await
}
