//! Lambda entry point: configuration, clients, and the runtime loop. Logic lives in `lib.rs`.

use lambda_http::{Error, Request, run, service_fn};
use reelcart_domain::SystemClock;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    reelcart_lambda::init_tracing();
    let sdk = reelcart_aws::load_sdk_config().await;
    let api =
        creator_api::from_aws(&reelcart_lambda::config::env(), &sdk, Arc::new(SystemClock)).await?;
    let api = &Arc::new(api);
    run(service_fn(move |req: Request| async move {
        Ok::<_, Error>(api.handle(req).await)
    }))
    .await
}
