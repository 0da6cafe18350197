//! Lambda entry point: configuration, clients, and the runtime loop. Logic lives in `lib.rs`.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use reelcart_domain::SystemClock;
use serde_json::Value;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    reelcart_lambda::init_tracing();
    let sdk = reelcart_aws::load_sdk_config().await;
    let handler =
        token_refresher::from_aws(&reelcart_lambda::config::env(), &sdk, Arc::new(SystemClock))
            .await?;
    let handler = &handler;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        handler.handle(event.payload).await.map_err(Error::from)
    }))
    .await
}
