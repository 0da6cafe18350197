//! Lambda entry point: configuration, clients, and the runtime loop. Logic lives in `lib.rs`.
//! One function takes both its SQS batches and its schedule: [`Invocation`] tells which.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use reelcart_domain::SystemClock;
use reelcart_lambda::events::Invocation;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

#[tokio::main]
async fn main() -> Result<(), Error> {
    reelcart_lambda::init_tracing();
    let sdk = reelcart_aws::load_sdk_config().await;
    let handler =
        catalog_sync::from_aws(&reelcart_lambda::config::env(), &sdk, Arc::new(SystemClock))
            .await?;
    let handler = &handler;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        // The invocation's own deadline bounds the run.
        let remaining = event
            .context
            .deadline()
            .duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO);
        let deadline = Instant::now() + remaining;
        match Invocation::of(event.payload)? {
            Invocation::Sqs(batch) => Ok(serde_json::to_value(
                handler.handle_sqs(batch, Some(deadline)).await?,
            )?),
            // A schedule: EventBridge's event, or the schedule's input (`{"action": …}`).
            Invocation::Event(input) | Invocation::Input(input) => Ok(handler
                .handle_schedule_event(&input, Some(deadline))
                .await?),
            Invocation::Http(_) => Err::<Value, Error>("catalog-sync has no HTTP trigger".into()),
        }
    }))
    .await
}
