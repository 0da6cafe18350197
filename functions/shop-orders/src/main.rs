//! Lambda entry point: configuration, clients, and the runtime loop. Logic lives in `lib.rs`.

use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use reelcart_domain::SystemClock;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Error> {
    reelcart_lambda::init_tracing();
    let sdk = reelcart_aws::load_sdk_config().await;
    let handler =
        shop_orders::from_aws(&reelcart_lambda::config::env(), &sdk, Arc::new(SystemClock)).await?;
    let handler = &handler;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        handler.handle(event.payload).await
    }))
    .await
}
