//! Lambda entry point: configuration, clients, and the runtime loop. Logic lives in `lib.rs`.

use lambda_http::Error;
use reelcart_domain::SystemClock;
use reelcart_lambda::router::HttpApi;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    reelcart_lambda::init_tracing();
    let sdk = reelcart_aws::load_sdk_config().await;
    let api =
        creator_api::from_aws(&reelcart_lambda::config::env(), &sdk, Arc::new(SystemClock)).await?;
    reelcart_lambda::router::run(Arc::new(api).router()).await
}
