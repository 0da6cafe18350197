//! The SQS event source runs batches of one queue at once, as Lambda does — up to the source's
//! `MaximumConcurrency` and no more — so races between redeliveries show locally.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use futures::future::BoxFuture;
use reelcart_local::concurrency::Concurrency;
use reelcart_local::emulator::Emulator;
use reelcart_local::functions::{SqsFn, SqsSource};
use reelcart_local::pump::Pump;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_of_a_queue_run_at_once_up_to_its_maximum_concurrency() {
    let emulator = Emulator::ensure().await.unwrap();
    let sqs = aws_sdk_sqs::Client::new(&emulator.sdk);
    let name = format!("pump-{}", uuid::Uuid::new_v4().simple());
    let queue_url = sqs
        .create_queue()
        .queue_name(&name)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let messages = 12;
    for n in 0..messages {
        sqs.send_message()
            .queue_url(&queue_url)
            .message_body(n.to_string())
            .send()
            .await
            .unwrap();
    }
    let (running, peak, done) = (
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
    );
    let handler: SqsFn = {
        let (running, peak, done) = (running.clone(), peak.clone(), done.clone());
        Arc::new(
            move |event: SqsEvent| -> BoxFuture<'static, Result<SqsBatchResponse, String>> {
                let (running, peak, done) = (running.clone(), peak.clone(), done.clone());
                Box::pin(async move {
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(now, Ordering::SeqCst);
                    // Hold the batch until three run at once (or a while passes): the peak then
                    // does not depend on how fast the poller is.
                    for _ in 0..100 {
                        if running.load(Ordering::SeqCst) >= 3 {
                            break;
                        }
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    running.fetch_sub(1, Ordering::SeqCst);
                    done.fetch_add(event.records.len(), Ordering::SeqCst);
                    Ok(SqsBatchResponse::default())
                })
            },
        )
    };
    let pump = Pump {
        sqs: sqs.clone(),
        local_sqs: sqs.clone(),
        queue_url: queue_url.clone(),
        source: SqsSource {
            queue_arn: format!("arn:aws:sqs:{}:123456789012:{name}", emulator.region),
            batch_size: 1,
            report_batch_item_failures: true,
            max_concurrency: Some(3),
        },
        region: emulator.region.clone(),
        retry_delay_secs: 1,
        function: "F".into(),
        concurrency: Concurrency::new(1000, &HashMap::new()).unwrap(),
    };
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(pump.run(handler, stop_rx));
    for _ in 0..300 {
        if done.load(Ordering::SeqCst) == messages {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.send(true).unwrap();
    task.await.unwrap();
    assert_eq!(done.load(Ordering::SeqCst), messages);
    assert_eq!(
        peak.load(Ordering::SeqCst),
        3,
        "batches at once: MaximumConcurrency, not one and not more"
    );
    sqs.delete_queue()
        .queue_url(&queue_url)
        .send()
        .await
        .unwrap();
}
