//! Lambda entry point: configuration, clients, and the runtime loop. Logic lives in the library
//! (`lib.rs` and its modules).
//! One function takes its content-queue batches and its schedule: the event's shape tells which.

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
        ugc_ingest::from_aws(&reelcart_lambda::config::env(), &sdk, Arc::new(SystemClock)).await?;
    let handler = &handler;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        match Invocation::of(event.payload)? {
            Invocation::Sqs(batch) => Ok(serde_json::to_value(handler.handle_sqs(batch).await?)?),
            // The polling schedule.
            Invocation::Event(_) | Invocation::Input(_) => {
                Ok(serde_json::to_value(handler.poll().await?)?)
            }
            Invocation::Http(_) => Err::<Value, Error>("ugc-ingest has no HTTP trigger".into()),
        }
    }))
    .await
}
