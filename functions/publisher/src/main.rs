//! Lambda entry point (EventBridge schedule): configuration, clients, the runtime loop. Logic
//! lives in `lib.rs`.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use reelcart_domain::SystemClock;
use serde_json::Value;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    reelcart_lambda::init_tracing();
    let sdk = reelcart_aws::load_sdk_config().await;
    let publisher =
        publisher::from_aws(&reelcart_lambda::config::env(), &sdk, Arc::new(SystemClock))?;
    let publisher = &publisher;
    run(service_fn(move |_event: LambdaEvent<Value>| async move {
        let report = publisher.run().await?;
        Ok::<Value, Error>(serde_json::to_value(report)?)
    }))
    .await
}
