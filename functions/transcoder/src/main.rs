//! Lambda entry point (a container image with FFmpeg): configuration, clients, the runtime loop.
//! One function takes the transcode queue's SQS batches and MediaConvert's job-state events: the
//! event's shape tells which. Logic lives in `lib.rs`.

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
        transcoder::from_aws(&reelcart_lambda::config::env(), &sdk, Arc::new(SystemClock))?;
    let handler = &handler;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        if event.payload.get("Records").is_some() {
            let batch: SqsEvent = serde_json::from_value(event.payload)?;
            Ok::<Value, Error>(serde_json::to_value(handler.handle_sqs(batch).await?)?)
        } else {
            handler.handle_job_event(&event.payload).await?;
            Ok(Value::Null)
        }
    }))
    .await
}
