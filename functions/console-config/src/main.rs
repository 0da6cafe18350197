//! Lambda entry point: clients and the runtime loop. Logic lives in `lib.rs`.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), Error> {
    reelcart_lambda::init_tracing();
    let sdk = reelcart_aws::load_sdk_config().await;
    let handler = console_config::from_aws(&reelcart_lambda::config::env(), &sdk)?;
    let handler = &handler;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        handler.handle(event.payload).await?;
        Ok::<(), Error>(())
    }))
    .await
}
