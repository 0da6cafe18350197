//! Lambda entry point: configuration, clients, and the runtime loop. Logic lives in `lib.rs`.

use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use reelcart_domain::SystemClock;
use std::sync::Arc;
use webhook_processor::Config;

#[tokio::main]
async fn main() -> Result<(), Error> {
    reelcart_lambda::init_tracing();
    let config = Config::from_vars(&reelcart_lambda::config::env())?;
    let sdk = reelcart_aws::load_sdk_config().await;
    let processor = webhook_processor::from_aws(&config, &sdk, Arc::new(SystemClock));
    let processor = &processor;
    run(service_fn(move |event: LambdaEvent<SqsEvent>| async move {
        processor.handle(event.payload).await
    }))
    .await
}
