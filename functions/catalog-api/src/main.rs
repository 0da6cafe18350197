//! Lambda entry point: configuration, clients, and the runtime loop. Logic lives in `lib.rs`.

use lambda_http::Error;
use reelcart_lambda::router::HttpApi;

#[tokio::main]
async fn main() -> Result<(), Error> {
    reelcart_lambda::init_tracing();
    let sdk = reelcart_aws::load_sdk_config().await;
    let api = catalog_api::from_aws(&reelcart_lambda::config::env(), &sdk)?;
    reelcart_lambda::router::run(std::sync::Arc::new(api).router()).await
}
