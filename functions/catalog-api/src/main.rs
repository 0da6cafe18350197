//! Lambda entry point: configuration, clients, and the runtime loop. Logic lives in `lib.rs`.

use lambda_http::{Error, run, service_fn};
use std::convert::Infallible;

#[tokio::main]
async fn main() -> Result<(), Error> {
    reelcart_lambda::init_tracing();
    let sdk = reelcart_aws::load_sdk_config().await;
    let api = catalog_api::from_aws(&reelcart_lambda::config::env(), &sdk)?;
    let api = &std::sync::Arc::new(api);
    run(service_fn(move |req| async move {
        Ok::<_, Infallible>(api.handle(req).await)
    }))
    .await
}
