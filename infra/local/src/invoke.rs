//! Asynchronous invocation as Lambda does it, for what EventBridge Scheduler invokes: an invocation
//! that fails counts as an error (the `Errors` metric, here [`Errors`]) and is retried up to the
//! function's `MaximumRetryAttempts` (its `EventInvokeConfig`; 2 without one); when every attempt
//! failed, Lambda sends its invocation record to the on-failure destination — as the function's
//! execution role, so the role must allow it. Locally the retries follow at once (Lambda waits a
//! minute, then two).

use crate::functions::ScheduleFn;
use crate::template::Names;
use anyhow::{Result, anyhow};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Failed invocations per function (what CloudWatch's `AWS/Lambda` `Errors` metric counts).
#[derive(Debug, Clone, Default)]
pub struct Errors(Arc<Mutex<HashMap<String, u64>>>);

impl Errors {
    pub fn count(&self, function: &str) -> u64 {
        self.0
            .lock()
            .map(|m| m.get(function).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    fn add(&self, function: &str) {
        if let Ok(mut m) = self.0.lock() {
            *m.entry(function.to_string()).or_default() += 1;
        }
    }
}

/// A function's asynchronous invocation settings, from the transformed template.
#[derive(Debug, Clone)]
pub struct AsyncConfig {
    pub retries: u32,
    /// The on-failure destination's queue URL.
    pub on_failure: Option<String>,
}

/// Lambda's defaults (two retries, no destination) unless an `AWS::Lambda::EventInvokeConfig` of
/// the function says otherwise; an SQS destination is resolved to its queue URL.
pub fn config(transformed: &Value, names: &Names, function: &str) -> Result<AsyncConfig> {
    let resources = transformed["Resources"].as_object();
    let Some(c) = resources.into_iter().flatten().find_map(|(_, r)| {
        (r["Type"] == "AWS::Lambda::EventInvokeConfig"
            && r["Properties"]["FunctionName"]["Ref"] == function)
            .then_some(&r["Properties"])
    }) else {
        return Ok(AsyncConfig {
            retries: 2,
            on_failure: None,
        });
    };
    let retries = c["MaximumRetryAttempts"].as_u64().unwrap_or(2) as u32;
    let on_failure =
        match c["DestinationConfig"]["OnFailure"]["Destination"]["Fn::GetAtt"][0].as_str() {
            Some(queue) => Some(
                names
                    .resources
                    .get(queue)
                    .and_then(|p| p.attributes.get("QueueUrl"))
                    .cloned()
                    .ok_or_else(|| {
                        anyhow!("{function}: on-failure destination {queue} is not a queue here")
                    })?,
            ),
            None => None,
        };
    Ok(AsyncConfig {
        retries,
        on_failure,
    })
}

/// `handler` invoked as Lambda invokes asynchronously. `sqs` is a client with the function's
/// role's credentials.
pub fn asynchronous(
    handler: ScheduleFn,
    function: String,
    function_arn: String,
    config: AsyncConfig,
    sqs: aws_sdk_sqs::Client,
    errors: Errors,
) -> ScheduleFn {
    Arc::new(move |event: Value| {
        let (handler, function, function_arn, config, sqs, errors) = (
            handler.clone(),
            function.clone(),
            function_arn.clone(),
            config.clone(),
            sqs.clone(),
            errors.clone(),
        );
        Box::pin(async move {
            let mut last = String::new();
            for attempt in 1..=config.retries + 1 {
                match handler(event.clone()).await {
                    Ok(()) => return Ok(()),
                    Err(e) => {
                        errors.add(&function);
                        tracing::error!(function, attempt, error = %e, "asynchronous invocation failed");
                        last = e;
                    }
                }
            }
            if let Some(queue_url) = &config.on_failure {
                let record = failure_record(&function_arn, config.retries + 1, &event, &last);
                sqs.send_message()
                    .queue_url(queue_url)
                    .message_body(record.to_string())
                    .send()
                    .await
                    .map_err(|e| {
                        format!(
                            "{last}; and its record could not reach the on-failure destination: {}",
                            aws_sdk_sqs::error::DisplayErrorContext(e)
                        )
                    })?;
            }
            Err(last)
        })
    })
}

/// Lambda's invocation record for a destination, condition `RetriesExhausted`.
fn failure_record(function_arn: &str, attempts: u32, event: &Value, error: &str) -> Value {
    let now = std::time::SystemTime::now();
    let timestamp = aws_sdk_sqs::primitives::DateTime::from(now)
        .fmt(aws_sdk_sqs::primitives::DateTimeFormat::DateTime)
        .unwrap_or_default();
    json!({
        "version": "1.0",
        "timestamp": timestamp,
        "requestContext": {
            "requestId": uuid::Uuid::new_v4().to_string(),
            "functionArn": format!("{function_arn}:$LATEST"),
            "condition": "RetriesExhausted",
            "approximateInvokeCount": attempts,
        },
        "requestPayload": event,
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "responsePayload": {"errorType": "HandlerError", "errorMessage": error},
    })
}
