//! Lambda entry point (a container image with FFmpeg): configuration, clients, the runtime loop.
//! One function takes the transcode queue's SQS batches and MediaConvert's job-state events: the
//! event's shape tells which. Logic lives in `lib.rs`.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use reelcart_domain::SystemClock;
use reelcart_lambda::events::Invocation;
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
        match Invocation::of(event.payload)? {
            Invocation::Sqs(batch) => Ok(serde_json::to_value(handler.handle_sqs(batch).await?)?),
            // MediaConvert's job state changes (EventBridge).
            Invocation::Event(job) => {
                handler.handle_job_event(&job).await?;
                Ok(Value::Null)
            }
            Invocation::Http(_) | Invocation::Input(_) => Err::<Value, Error>(
                "the transcoder takes SQS batches and MediaConvert events".into(),
            ),
        }
    }))
    .await
}
