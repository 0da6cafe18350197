//! Lambda entry point: configuration, clients, and the runtime loop. Logic lives in `lib.rs`.

use lambda_http::{Error, run, service_fn};
use reelcart_domain::SystemClock;
use std::convert::Infallible;
use std::sync::Arc;
use webhook_receiver::Config;

#[tokio::main]
async fn main() -> Result<(), Error> {
    reelcart_lambda::init_tracing();
    let config = Config::from_vars(&reelcart_lambda::config::env())?;
    let sdk = reelcart_aws::load_sdk_config().await;
    let receiver = webhook_receiver::from_aws(&config, &sdk, Arc::new(SystemClock)).await?;
    let receiver = &receiver;
    run(service_fn(move |req| async move {
        Ok::<_, Infallible>(receiver.handle(req).await)
    }))
    .await
}
